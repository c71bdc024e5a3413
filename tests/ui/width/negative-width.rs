backprop::mlp!(pub Net<4 => relu -3 => identity 1; loss mse>);

fn main() {}
