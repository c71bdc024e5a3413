//! Shape-generic kernels the generated code calls for layers too large to write out.
//!
//! `mlp!` writes small layers out as scalar statements and calls these for large ones
//! (the macro's `plan` stage chooses, per layer). Each kernel is an ordinary
//! `const`-generic function: it is type-checked and tested once here, and monomorphized
//! per shape in the user's crate, where the trip counts are constants. They are
//! written so that LLVM vectorizes them: contiguous inner loops over fixed-size arrays,
//! several independent accumulators, no bounds checks in the loops.
//!
//! - [`view`]: the weights and biases of one layer as arrays, borrowed from the flat
//!   parameter array without copying, with their bounds checked at compile time;
//! - [`dense`]: `z = W·x + b` and its backward pass;
//! - [`batch`]: the same over a block of samples, each weight row loaded once for all;
//! - [`elementwise`]: activations applied unit by unit, the chain rule through them,
//!   and the squared-error loss;
//! - [`loss`]: softmax and the other losses, each with its gradient;
//! - [`combine`]: sums, products, concatenations and slices, for graphs;
//! - [`sink`]: where the backward pass sends each layer's gradient: added into a
//!   gradient array ([`Accumulate`], for `backward`) or handed straight to an
//!   optimizer ([`Update`], for `train_step`).
//!
//! The batch kernels' register tiles are forced inline only in builds that optimize the
//! runtime and have no debug assertions ([`KERNELS_INLINED`]; the build script tells
//! the optimization level, which no `cfg` of the language does). An unoptimized build
//! gives every local of every inlined copy a stack slot of its own, so forcing them
//! inline there summed the tiles of every layer into one frame: 692 KiB for the backward
//! pass of an eleven-layer network of 8-wide layers with x86-64-v3, 63 KiB more for each
//! layer. Called, each kernel's frame is freed before the next one's.

pub mod batch;
pub mod combine;
pub mod dense;
pub mod elementwise;
pub mod loss;
pub mod sink;
pub mod view;

pub use batch::{
    dense_backward_params_batch, dense_forward_batch, dense_input_gradient_batch, rows,
};
pub use combine::{add, concat, each_row, mul, pad, slice, zip_rows};
pub use dense::{dense_backward, dense_backward_params, dense_forward};
pub use elementwise::{
    chain, chain_gate, chain_gate_rows, chain_rows, map, map_rows, scaled, scaled_rows,
    squared_error, sub, sub_rows, sum_of_squares, sum_of_squares_rows,
};
pub use loss::{
    bce_with_logits, bce_with_logits_rows, cross_entropy_with_logits,
    cross_entropy_with_logits_rows, huber, huber_rows, mae, mae_rows, softmax, softmax_backward,
    softmax_backward_rows, softmax_rows,
};
pub use sink::{Accumulate, GradientSink, Update};
pub use view::{layer, layer_mut, segment, segment_mut};

/// Whether this build forces the batch kernels inline: it optimizes the runtime
/// (`opt-level` above 0) and has no debug assertions, as `cargo build --release` does.
///
/// A generated network's `BATCH_STACK_BYTES` reads it: in a build without debug
/// assertions whose kernels are not inlined (a profile with `debug-assertions = false`
/// and `opt-level = 0`, say), the batch methods' frames are an unoptimized build's, and
/// the bound counts them so.
pub const KERNELS_INLINED: bool = cfg!(not(any(debug_assertions, backprop_unoptimized)));

/// A deterministic, irregular fill for kernel tests: no two neighbours alike, signs mixed.
#[cfg(test)]
fn test_fill<const N: usize>(salt: u32) -> [f64; N] {
    core::array::from_fn(|i| {
        let k = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(salt) >> 16;
        f64::from(k % 2001) / 1000.0 - 1.0
    })
}
