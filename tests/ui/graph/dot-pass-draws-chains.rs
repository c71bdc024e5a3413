// `dot::pass` draws a chain unit by unit; a graph network's own `DOT` draws its graph.
backprop::graph!(Residual<
    input x[2];
    h = dense(x, 2) |> tanh;
    r = add(h, x);
    y = dense(r, 1);
    loss mse(y);
>);

fn main() {
    let net = Residual::new(1);
    let _ = backprop::dot::pass(&net, &[0.5, 0.5], &[1.0]);
}
