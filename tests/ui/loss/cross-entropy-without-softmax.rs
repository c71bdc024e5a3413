backprop::mlp!(pub Classifier<4 => relu 8 => identity 3; loss cross_entropy>);

fn main() {}
