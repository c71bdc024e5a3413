backprop::graph!(pub Siamese<
    input a[4];
    input b[5];
    ea = dense(a, 3) |> tanh;
    eb = dense(b, 3, shared = ea) |> tanh;
    d = sub(ea, eb);
    loss mse(d);
>);

fn main() {}
