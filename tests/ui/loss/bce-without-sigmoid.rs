backprop::mlp!(pub Detector<4 => relu 8 => tanh 1; loss bce>);

fn main() {}
