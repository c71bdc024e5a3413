backprop::mlp!(pub Net<4 => relu 8 => identity 1; loss mse; lr 0.1>);

fn main() {}
