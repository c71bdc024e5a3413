backprop::mlp!(pub Net<2 => elu(-1.0) 4 => leaky_relu(nan) 3 => sigmoid 1; loss mse>);

fn main() {}
