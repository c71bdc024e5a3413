backprop::mlp!(pub Net<4 => tanh 8 => sigmoid 1; loss mse; math precise>);

fn main() {}
