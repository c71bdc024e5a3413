backprop::mlp!(pub Xor<2 => maxout 2; loss mse>);

fn main() {}
