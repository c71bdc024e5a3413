backprop::mlp!(pub Xor<2 => softmax 2; loss mse>);

fn main() {}
