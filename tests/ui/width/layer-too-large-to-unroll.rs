backprop::mlp!(pub Huge<784 => relu 512 => sigmoid 10; loss mse; codegen unrolled>);

fn main() {}
