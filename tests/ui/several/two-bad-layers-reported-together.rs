// Meaning errors are collected: both misspelled activations, the zero width and the
// missing loss are reported in one compile.
backprop::mlp!(pub Xor<2 => rellu 0 => sigmod 1>);

fn main() {}
