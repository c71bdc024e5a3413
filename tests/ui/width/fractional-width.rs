backprop::mlp!(pub Xor<2 => relu 2.5 => sigmoid 1; loss mse>);

fn main() {}
