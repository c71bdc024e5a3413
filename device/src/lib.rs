//! The seed network trained on XOR with neither std nor an allocator: what the
//! firmware in `main.rs` runs, and what the host builds as a library.
#![no_std]

use backprop::mlp;
use backprop::optim::Sgd;

mlp!(
    /// The network of seed 003: `2 → relu 2 → sigmoid 1`, 9 parameters.
    pub Seed<2 => relu 2 => sigmoid 1; loss half_sse>
);

/// XOR, in flash.
pub const XOR: [([f32; 2], [f32; 1]); 4] = [
    ([0.0, 0.0], [0.0]),
    ([0.0, 1.0], [1.0]),
    ([1.0, 0.0], [1.0]),
    ([1.0, 1.0], [0.0]),
];

/// Trains a network from `seed` for `epochs` passes over XOR; returns it and the last
/// epoch's summed loss.
pub fn train(seed: u64, epochs: u32) -> (Seed, f32) {
    let mut net = Seed::new(seed);
    let mut opt = Sgd::new(0.5);
    let mut total = 0.0;
    for _ in 0..epochs {
        total = 0.0;
        for (x, t) in &XOR {
            total += net.train_step(x, t, &mut opt);
        }
    }
    (net, total)
}
