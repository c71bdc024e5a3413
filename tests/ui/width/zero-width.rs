backprop::mlp!(pub Xor<2 => relu 0 => sigmoid 1; loss mse>);

fn main() {}
