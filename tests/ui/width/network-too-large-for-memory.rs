backprop::mlp!(pub Huge<4294967296 => relu 4294967296 => sigmoid 10; loss mse>);

fn main() {}
