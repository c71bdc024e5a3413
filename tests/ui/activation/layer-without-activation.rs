backprop::mlp!(pub Xor<2 => 4 => sigmoid 1; loss mse>);

fn main() {}
