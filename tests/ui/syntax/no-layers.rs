backprop::mlp!(pub Xor<2; loss mse>);

fn main() {}
