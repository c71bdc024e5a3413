// Calls nested as arguments are checked like values of their own: a misspelled name
// inside one, and widths that do not match around one, are reported at their tokens.
backprop::graph!(pub Nested<
    input obs[4];
    h = dense(obs, 8) |> tanh;
    v = dense(concat(h, obz), 1);
    w = dense(add(h, dense(obs, 3)), 1);
    loss mse(v) + mse(w);
>);

fn main() {}
