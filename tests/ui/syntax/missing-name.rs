backprop::mlp!(pub <2 => relu 2 => sigmoid 1; loss mse>);

fn main() {}
