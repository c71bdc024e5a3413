backprop::mlp!(pub Xor<2 => relu 2 => sigmoid 1; loss mes>);

fn main() {}
