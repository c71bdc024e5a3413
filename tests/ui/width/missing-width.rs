backprop::mlp!(pub Xor<2 => relu => sigmoid 1; loss mse>);

fn main() {}
