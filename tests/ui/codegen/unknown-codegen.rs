backprop::mlp!(pub Net<64 => relu 32 => identity 4; loss mse; codegen loops>);

fn main() {}
