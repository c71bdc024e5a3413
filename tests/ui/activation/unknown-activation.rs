backprop::mlp!(pub Xor<2 => rellu 2 => sigmoid 1; loss mse>);

fn main() {}
