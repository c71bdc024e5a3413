backprop::mlp!(pub Xor<2 => relu 2 => sigmoid 1; loss mse> extra);

fn main() {}
