// Values become locals of the generated code, and so do their gradients (`d` + name):
// neither may be a Rust keyword.
backprop::graph!(pub Keywords<
    input x[2];
    o = dense(x, 3) |> tanh;
    yn = dense(o, 1);
    loss mse(yn);
>);

fn main() {}
