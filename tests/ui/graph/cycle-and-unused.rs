backprop::graph!(pub Looped<
    input x[2];
    h = add(h, x);
    y = dense(x, 1);
    loss mse(y);
>);

backprop::graph!(pub Unused<
    input x[2];
    input spare[3];
    y = dense(x, 1);
    z = dense(x, 2);
    loss mse(y);
>);

fn main() {}
