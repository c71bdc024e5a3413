// Every mistake in one graph is reported together, each at its token.
backprop::graph!(pub Net<
    input obs[8];
    h = dense(obs, 16) |> tahn;
    r = add(h, obs);
    pi = dense(hh, 4) |> softmax;
    v = dense(later, 1);
    later = tanh(h);
    loss cross_entropy(v) + mse(pi);
>);

fn main() {}
