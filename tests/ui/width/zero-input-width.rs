backprop::mlp!(pub Xor<0 => relu 2 => sigmoid 1; loss mse>);

fn main() {}
