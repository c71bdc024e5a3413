//! Data-parallel training (feature `rayon`): one step on a batch whose gradient is
//! summed on rayon's threads, reproducibly.
//!
//! The batch is cut into parts of [`PARALLEL_PART`] samples whatever the number of
//! threads. Each part's gradient is summed into a buffer of its own, and the buffers
//! are added in part order, so the step is the same, bit for bit, on any number of
//! threads, and equals [`Network::train_batch`]'s up to the order of float additions.
//!
//! The buffers belong to a [`ParallelTrainer`], which keeps them from one step to the
//! next: a training loop allocates them on its first step only. Fresh network-sized
//! buffers on every step go back to the system when they are freed, and every page
//! faults in again, zeroed, on the next step: in a profile of W4 at batch 256 on one
//! thread, 18% of the time was in the kernel, against none for `train_batch`.
//!
//! Generic code over networks names [`ParallelNetwork`], the bounds the threads need
//! (a generated network meets them):
//!
//! ```
//! use backprop_runtime::{Optimizer, ParallelNetwork, ParallelTrainer};
//!
//! /// One pass over `data` in batches of 256, each step on rayon's threads.
//! fn train<N: ParallelNetwork>(
//!     net: &mut N,
//!     data: &[(N::Input, N::Output)],
//!     opt: &mut impl Optimizer<N::Params>,
//! ) {
//!     let mut trainer = ParallelTrainer::new();
//!     for batch in data.chunks(256) {
//!         trainer.train_batch(net, batch, opt);
//!     }
//! }
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;

use rayon::prelude::*;

use crate::network::accumulate_scaled;
use crate::{Array, Network, Optimizer, Scalar};

/// A network that data-parallel training can share across threads: its inputs and
/// targets are read, its parameters read and its gradients made, on rayon's threads.
/// Every [`Network`] whose types allow it is one; a generated network always is.
pub trait ParallelNetwork:
    Network<Input: Sync, Output: Sync, Params: Send + Sync, Scalar: Send + Sync> + Sync
{
}

impl<N> ParallelNetwork for N where
    N: Network<Input: Sync, Output: Sync, Params: Send + Sync, Scalar: Send + Sync> + Sync
{
}

/// The number of samples in each part of a batch that
/// [`ParallelTrainer::train_batch`] hands to a thread. Fixed, so that the parts, and
/// so the result, do not depend on the number of threads; 64 samples are enough work
/// to outweigh a part's network-sized buffer (with fresh buffers on every step, 32
/// measured 1.51× against 1.88× for 64 on W4, in BENCHMARKS.md).
pub const PARALLEL_PART: usize = 64;

/// How many parameters each task of the parts' sum adds: enough to make a task worth
/// handing to a thread, few enough that two threads share the sum evenly.
const SUM_CHUNK: usize = 4096;

/// Data-parallel training steps for networks of type `N`, with the parts' gradient
/// buffers kept between steps. See the [module docs](self).
///
/// It holds one boxed gradient array (`N::Params`, on the heap, never on the stack)
/// per part of the largest batch it has trained on: for a batch of 256 samples, four
/// network-sized buffers.
pub struct ParallelTrainer<N: Network> {
    /// One per part; only the first `batch.len().div_ceil(PARALLEL_PART)` are in use
    /// in a step.
    parts: Vec<Part<N>>,
}

/// One part's summed loss and gradient.
struct Part<N: Network> {
    loss: N::Scalar,
    grads: Box<N::Params>,
}

impl<N: Network> ParallelTrainer<N> {
    /// A trainer with no buffers yet: they are allocated by the first step.
    pub const fn new() -> Self {
        Self { parts: Vec::new() }
    }

    /// One optimization step on a mini-batch, as [`Network::train_batch`] takes it,
    /// with the batch's parts summed on rayon's threads. Returns the mean loss before
    /// the update. An empty batch changes nothing and returns zero.
    ///
    /// Allocates only when `batch` has more parts than any batch before it.
    pub fn train_batch<O: Optimizer<N::Params>>(
        &mut self,
        net: &mut N,
        batch: &[(N::Input, N::Output)],
        opt: &mut O,
    ) -> N::Scalar
    where
        N: ParallelNetwork,
    {
        let count = batch.len().div_ceil(PARALLEL_PART);
        while self.parts.len() < count {
            self.parts.push(Part {
                loss: N::Scalar::ZERO,
                grads: N::Params::boxed_zeros(),
            });
        }
        let scale = N::Scalar::from_f64(1.0 / batch.len() as f64);
        let shared: &N = net;
        let parts = &mut self.parts[..count];
        parts
            .par_iter_mut()
            .zip(batch.par_chunks(PARALLEL_PART))
            .for_each(|(part, samples)| {
                let grads: &mut N::Params = &mut part.grads;
                grads.as_mut().fill(N::Scalar::ZERO);
                part.loss = accumulate_scaled(shared, samples, grads, scale);
            });
        let Some((first, rest)) = parts.split_first_mut() else {
            return N::Scalar::ZERO;
        };
        let total = rest
            .iter()
            .fold(first.loss, |total, part| total + part.loss);
        let sum: &mut N::Params = &mut first.grads;
        add_in_part_order(sum.as_mut(), rest, |part| part.grads.as_ref().as_ref());
        opt.step(net.params_mut(), sum);
        total * scale
    }
}

impl<N: Network> Default for ParallelTrainer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N: Network> core::fmt::Debug for ParallelTrainer<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ParallelTrainer")
            .field("buffers", &self.parts.len())
            .finish()
    }
}

/// Adds the gradient of each of `rest` (`grads` of it) into `sum`, in order, a chunk
/// of parameters per task: each parameter's sum is `((g0 + g1) + g2) + ...` whichever
/// thread adds it, so the result does not depend on the number of threads.
fn add_in_part_order<T: Scalar + Send + Sync, P: Sync>(
    sum: &mut [T],
    rest: &[P],
    grads: impl Fn(&P) -> &[T] + Sync,
) {
    sum.par_chunks_mut(SUM_CHUNK)
        .enumerate()
        .for_each(|(chunk, sums)| {
            let start = chunk * SUM_CHUNK;
            for part in rest {
                let part = grads(part).get(start..).unwrap_or_default();
                for (sum, &grad) in sums.iter_mut().zip(part) {
                    *sum += grad;
                }
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_added_in_order_in_every_chunk() {
        const N: usize = 3 * SUM_CHUNK + 5;
        let part = |k: usize| -> Box<[f32; N]> {
            let mut grads = <[f32; N]>::boxed_zeros();
            for (i, g) in grads.iter_mut().enumerate() {
                *g = ((i * 7 + k * 13) % 11) as f32 * 0.1 + k as f32;
            }
            grads
        };
        let first = part(0);
        let rest = [part(1), part(2), part(3)];
        let mut sum = first.clone();
        add_in_part_order(&mut *sum, &rest, |part| &part[..]);
        for (i, &s) in sum.iter().enumerate() {
            let expected = rest.iter().fold(first[i], |total, p| total + p[i]);
            assert_eq!(s.to_bits(), expected.to_bits(), "parameter {i}");
        }
    }
}
