backprop::mlp!(pub Net<4 => softmax 8 => softmax 3; loss cross_entropy>);

fn main() {}
