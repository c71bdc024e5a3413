// The generated impls are generic over the storage `P`, the optimizer `O` and the block
// size `B`; a network of one of those names would be shadowed inside them.
backprop::mlp!(pub P<2 => relu 2 => sigmoid 1; loss mse>);

fn main() {}
