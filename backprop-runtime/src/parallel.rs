//! Data-parallel training (feature `rayon`): one step on a batch whose gradient is
//! summed on rayon's threads, reproducibly.
//!
//! The batch is cut into parts. Each part's gradient is summed into a buffer of its
//! own, and the buffers are added up a binary tree that depends only on the number of
//! parts (for four, `(g0 + g1) + (g2 + g3)`), so the step equals
//! [`Network::train_batch`]'s up to the order of float additions. How the batch is cut
//! is the trainer's choice:
//!
//! - [`ParallelTrainer::new`] cuts it into parts of [`PARALLEL_PART`] samples whatever
//!   the number of threads, so the step is the same, bit for bit, on any number of
//!   threads: on a laptop and on a server, in a test and in production. A batch of
//!   fewer than two parts runs on one thread.
//! - [`ParallelTrainer::per_thread`] cuts it into one part per thread of rayon's pool,
//!   as equal as the batch allows: a batch is spread over as many threads as it has
//!   samples, up to all of them, and a thread sums each sample straight into its one
//!   buffer, where parts of 64 on fewer threads than parts add their buffers in pairs
//!   first (W4 at batch 256 on two threads: 1–3% a step in criterion's runs, more in
//!   alternating rounds; BENCHMARKS.md). The step is the same, bit for bit, from run
//!   to run on the same number of threads, not on another.
//!
//! The tree keeps the parts' sums where they were made: a thread that made both parts
//! of a pair adds them while they are in its cache, and only the two halves of the
//! batch meet, in the step itself, which plain SGD takes on rayon's threads adding the
//! halves as it goes. Memory that one core wrote and another reads is most of what
//! the second core costs here.
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
/// targets are read, its parameters read and stepped and its gradients made, on
/// rayon's threads. Every [`Network`] whose types allow it is one; a generated network
/// always is.
pub trait ParallelNetwork:
    Network<Input: Sync, Output: Sync, Params: Send + Sync, Scalar: Send + Sync> + Send + Sync
{
}

impl<N> ParallelNetwork for N where
    N: Network<Input: Sync, Output: Sync, Params: Send + Sync, Scalar: Send + Sync> + Send + Sync
{
}

/// The number of samples in each part of a batch that
/// [`ParallelTrainer::train_batch`] hands to a thread. Fixed, so that the parts, and
/// so the result, do not depend on the number of threads; 64 samples are enough work
/// to outweigh a part's network-sized buffer (with fresh buffers on every step, 32
/// measured 1.51× against 1.88× for 64 on W4, in `docs/benchmarks-log.md`).
pub const PARALLEL_PART: usize = 64;

/// How many parameters each task of the step on the two halves' sum takes: enough to
/// make a task worth handing to a thread, few enough that two threads share the work
/// evenly.
const SUM_CHUNK: usize = 4096;

/// Data-parallel training steps for networks of type `N`, with the parts' gradient
/// buffers kept between steps. See the [module docs](self).
///
/// It holds one boxed gradient array (`N::Params`, on the heap, never on the stack)
/// per part of the largest batch it has trained on: for a batch of 256 samples, four
/// network-sized buffers from [`new`](Self::new), one per thread from
/// [`per_thread`](Self::per_thread).
///
/// A training loop that runs on rayon's threads, inside `ThreadPool::install` or
/// `rayon::scope`, allocates nothing after its first step. Called from any other
/// thread, each step is handed to the pool through rayon's queue, which allocates a
/// block (about 1.5 KB) every 63 hand-overs.
pub struct ParallelTrainer<N: Network> {
    /// One per part; only the first `batch.len().div_ceil(part_len)` are in use in a
    /// step, for the `part_len` that [`Split::part_len`] gives.
    parts: Vec<Part<N>>,
    split: Split,
}

/// How a [`ParallelTrainer`] cuts a batch into parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Split {
    /// Parts of [`PARALLEL_PART`] samples.
    Fixed,
    /// One part for each thread of the pool the step runs in.
    PerThread,
}

impl Split {
    /// The samples in each part of a batch of `len` (the last part may have fewer);
    /// at least one.
    fn part_len(self, len: usize) -> usize {
        match self {
            Self::Fixed => PARALLEL_PART,
            Self::PerThread => len.div_ceil(rayon::current_num_threads()).max(1),
        }
    }
}

/// One part's summed loss and gradient.
struct Part<N: Network> {
    loss: N::Scalar,
    grads: Box<N::Params>,
    /// Whether `grads` is all zeros: a part added into another is zeroed as it is
    /// read, by the thread that made it, so the next step need not clear it.
    zeroed: bool,
}

impl<N: Network> ParallelTrainer<N> {
    /// A trainer that cuts each batch into parts of [`PARALLEL_PART`] samples, whose
    /// steps are the same, bit for bit, on any number of threads. It has no buffers
    /// yet: they are allocated by the first step.
    pub const fn new() -> Self {
        Self {
            parts: Vec::new(),
            split: Split::Fixed,
        }
    }

    /// A trainer that cuts each batch into one part per thread of the rayon pool the
    /// step runs in (the global pool, or the one a `ThreadPool::install` runs it in):
    /// a batch is spread over as many threads as it has samples, up to all of them,
    /// each summing into one buffer. Its steps are the same, bit for bit, from run to run on the
    /// same number of threads, and equal those of [`new`](Self::new)'s trainer up to
    /// the order of float additions. It has no buffers yet: they are allocated by the
    /// first step, one per thread.
    ///
    /// Each part costs a network-sized buffer and its share of the sum, however few
    /// its samples: on many threads a small batch makes small parts (64 threads cut
    /// 256 samples into parts of 4), where [`new`](Self::new)'s parts of 64 may be
    /// the faster.
    ///
    /// ```
    /// # use backprop_runtime as backprop;
    /// use backprop::ParallelTrainer;
    ///
    /// /// One pass over `data` in batches of 64, on every core.
    /// fn train<N: backprop::ParallelNetwork>(
    ///     net: &mut N,
    ///     data: &[(N::Input, N::Output)],
    ///     opt: &mut impl backprop::Optimizer<N::Params>,
    /// ) {
    ///     let mut trainer = ParallelTrainer::per_thread();
    ///     for batch in data.chunks(64) {
    ///         trainer.train_batch(net, batch, opt);
    ///     }
    /// }
    /// ```
    pub const fn per_thread() -> Self {
        Self {
            parts: Vec::new(),
            split: Split::PerThread,
        }
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
        let part_len = self.split.part_len(batch.len());
        let count = batch.len().div_ceil(part_len);
        while self.parts.len() < count {
            self.parts.push(Part {
                loss: N::Scalar::ZERO,
                grads: N::Params::boxed_zeros(),
                // Zeros, but cleared all the same: a fresh allocation's pages are then
                // first touched by a write, and each faults in once; read first, by
                // the kernels' `+=`, each faulted twice (W4 at batch 256 with fresh
                // buffers, x86-64-v3, three alternating runs: 1.56–1.71 against
                // 2.74–3.28 ms).
                zeroed: false,
            });
        }
        if count == 0 {
            return N::Scalar::ZERO;
        }
        let parts = &mut self.parts[..count];
        let scale = N::Scalar::from_f64(1.0 / batch.len() as f64);
        opt.begin_step();
        let rate = opt.plain_rate().map(|lr| -lr);
        // The whole step runs on a pool thread, handed over once: its last pass, on
        // rayon's threads too, then needs no second hand-over from this thread (W4 at
        // batch 256, x86-64-v3, six alternating processes: a median of 778.5 against
        // 783 µs, about 1%).
        let (total, stepped) =
            rayon::scope(|_| sum_and_descend(net, batch, part_len, parts, scale, rate));
        if !stepped && let Some(first) = parts.first() {
            opt.update(0, net.params_mut().as_mut(), first.grads.as_ref().as_ref());
        }
        total * scale
    }
}

/// The parts' summed loss and gradient for `batch` cut into parts of `part_len` samples,
/// the gradient left in the first part, or, with plain SGD's `rate` (`−lr`), the step
/// taken on rayon's threads as the batch's two halves are added. Returns the summed
/// loss and whether the step was taken; the caller takes it otherwise, through
/// [`Optimizer::update`].
fn sum_and_descend<N: ParallelNetwork>(
    net: &mut N,
    batch: &[(N::Input, N::Output)],
    part_len: usize,
    parts: &mut [Part<N>],
    scale: N::Scalar,
    rate: Option<N::Scalar>,
) -> (N::Scalar, bool) {
    let shared: &N = net;
    let leaf = |index: usize, part: &mut Part<N>| {
        let samples = batch.chunks(part_len).nth(index).unwrap_or_default();
        let grads: &mut N::Params = &mut part.grads;
        if !part.zeroed {
            grads.as_mut().fill(N::Scalar::ZERO);
        }
        part.zeroed = false;
        part.loss = accumulate_scaled(shared, samples, grads, scale);
    };
    let add = |sum: &mut Part<N>, other: &mut Part<N>| {
        take_into(sum.grads.as_mut().as_mut(), other.grads.as_mut().as_mut());
        other.zeroed = true;
    };
    let mut stepped = false;
    if let Some((sum, other)) = sum_halves(parts, 0, &leaf, &add) {
        let (sum, other) = (sum.grads.as_mut().as_mut(), other.grads.as_ref().as_ref());
        match rate {
            Some(rate) => {
                descend_on_sum(rate, net.params_mut().as_mut(), sum, other);
                stepped = true;
            }
            None => add_in_chunks(sum, other),
        }
    }
    (part_losses(parts), stepped)
}

/// Makes each of `parts` with `leaf` (given its index in the batch, from `first` on)
/// on rayon's threads, and leaves their sum in the first: each half's sum, the left
/// half's plus the right half's. The tree depends only on the number of parts, so
/// each parameter's sum, `(g0 + g1) + (g2 + g3)` for four parts, is the same whichever
/// thread adds it; and a thread that made both parts of a pair adds them while they
/// are in its cache.
fn sum_subtree<P: Send>(
    parts: &mut [P],
    first: usize,
    leaf: &(impl Fn(usize, &mut P) + Sync),
    add: &(impl Fn(&mut P, &mut P) + Sync),
) {
    if let Some((sum, other)) = sum_halves(parts, first, leaf, add) {
        add(sum, other);
    }
}

/// [`sum_subtree`] for each half of `parts`, on rayon's threads, returning the first
/// part of each, which holds its half's sum, for the caller to add; `None`, with the
/// one part made, for fewer than two.
fn sum_halves<'a, P: Send>(
    parts: &'a mut [P],
    first: usize,
    leaf: &(impl Fn(usize, &mut P) + Sync),
    add: &(impl Fn(&mut P, &mut P) + Sync),
) -> Option<(&'a mut P, &'a mut P)> {
    if parts.len() < 2 {
        if let Some(part) = parts.first_mut() {
            leaf(first, part);
        }
        return None;
    }
    // An odd part goes to the left half, the one this thread goes on with.
    let (left, right) = parts.split_at_mut(parts.len().div_ceil(2));
    let right_first = first + left.len();
    rayon::join(
        || sum_subtree(left, first, leaf, add),
        || sum_subtree(right, right_first, leaf, add),
    );
    left.first_mut().zip(right.first_mut())
}

/// The summed loss of `parts`, added in part order.
fn part_losses<N: Network>(parts: &[Part<N>]) -> N::Scalar {
    parts
        .iter()
        .fold(N::Scalar::ZERO, |total, part| total + part.loss)
}

/// `sum[i] += other[i]` for each `i`, a chunk per task.
fn add_in_chunks<T: Scalar + Send + Sync>(sum: &mut [T], other: &[T]) {
    sum.par_chunks_mut(SUM_CHUNK)
        .zip(other.par_chunks(SUM_CHUNK))
        .for_each(|(sums, others)| add_into(sums, others));
}

/// `θ ← rate·(a + b) + θ` for each parameter, a chunk per task: plain SGD's step on
/// the gradient `a + b`, bit for bit, with the sum never stored.
fn descend_on_sum<T: Scalar + Send + Sync>(rate: T, params: &mut [T], a: &[T], b: &[T]) {
    params
        .par_chunks_mut(SUM_CHUNK)
        .zip(a.par_chunks(SUM_CHUNK).zip(b.par_chunks(SUM_CHUNK)))
        .for_each(|(params, (a, b))| {
            for ((theta, &a), &b) in params.iter_mut().zip(a).zip(b) {
                *theta = rate.mul_add(a + b, *theta);
            }
        });
}

/// `sum[i] += other[i]` for each `i`, leaving `other` all zeros: the lines are in
/// this core's cache as they are read, where clearing them costs next to nothing.
fn take_into<T: Scalar>(sum: &mut [T], other: &mut [T]) {
    for (sum, other) in sum.iter_mut().zip(other) {
        *sum += core::mem::replace(other, T::ZERO);
    }
}

/// `sum[i] += other[i]` for each `i`.
fn add_into<T: Scalar>(sum: &mut [T], other: &[T]) {
    for (sum, &other) in sum.iter_mut().zip(other) {
        *sum += other;
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
            .field("split", &self.split)
            .field("buffers", &self.parts.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// Part `k`'s value for parameter `i`: magnitudes far apart, so that adding the
    /// same values in another order rounds differently.
    fn value(k: usize, i: usize) -> f32 {
        let magnitude = [1.0e8f32, 1.0, -1.0e8, 3.0, 0.5, -7.0e7, 1.0e-3][(k + i) % 7];
        magnitude * (1.0 + 0.1 * i as f32)
    }

    fn subtree_sum(count: usize) -> [f32; 7] {
        let mut parts = vec![[0.0f32; 7]; count];
        let leaf = |k: usize, part: &mut [f32; 7]| *part = core::array::from_fn(|i| value(k, i));
        let add = |sum: &mut [f32; 7], other: &mut [f32; 7]| add_into(sum, other);
        sum_subtree(&mut parts, 0, &leaf, &add);
        parts[0]
    }

    /// A sum over parts, given each part's value for one parameter.
    type Tree = fn(&dyn Fn(usize) -> f32) -> f32;

    #[test]
    fn parts_are_summed_up_a_tree_fixed_by_their_number() {
        let g = |k: usize| -> [f32; 7] { core::array::from_fn(|i| value(k, i)) };
        let trees: [(usize, Tree); 5] = [
            (1, |g| g(0)),
            (2, |g| g(0) + g(1)),
            (3, |g| (g(0) + g(1)) + g(2)),
            (4, |g| (g(0) + g(1)) + (g(2) + g(3))),
            (5, |g| ((g(0) + g(1)) + g(2)) + (g(3) + g(4))),
        ];
        for (count, tree) in trees {
            let sum = subtree_sum(count);
            for (i, &got) in sum.iter().enumerate() {
                let want = tree(&|k| g(k)[i]);
                assert_eq!(
                    got.to_bits(),
                    want.to_bits(),
                    "{count} parts, parameter {i}"
                );
            }
        }
        // The tree is not the sum in part order: the test would see a change of order.
        let in_order = |i: usize| (0..4).fold(0.0f32, |total, k| total + g(k)[i]);
        let four = subtree_sum(4);
        assert!((0..7).any(|i| four[i].to_bits() != in_order(i).to_bits()));
    }
}
