backprop::mlp!(pub Net<2 => relu(0.5) 4 => elu(1.0, 2.0) 1; loss mse>);

fn main() {}
