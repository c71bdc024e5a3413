// A broken spec still declares the type, so code that names it reports nothing more.
backprop::mlp!(pub Xor<2 => rellu 2 => sigmoid 1; loss mse>);

fn takes(_: &Xor) {}

fn main() {}
