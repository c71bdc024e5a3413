backprop::mlp!(pub Robust<4 => relu 8 => identity 1; loss huber(-0.5)>);

fn main() {}
