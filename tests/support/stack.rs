//! Running a network's methods on a thread of a given stack, shared by
//! `tests/stack_budget.rs` and the `tests/unoptimized` crate (included with `#[path]`).

use backprop::{Array, Network, Optimizer, Scalar};

/// What a thread needs before it runs any of our code: its start-up and the closure.
pub const THREAD_ALLOWANCE: usize = 32 * 1024;

/// Runs `work` on a thread whose whole stack is `bytes`: if `work` needs more, the
/// thread overflows its stack and the process aborts.
pub fn on_a_stack_of<R: Send + 'static>(
    bytes: usize,
    work: impl FnOnce() -> R + Send + 'static,
) -> R {
    std::thread::Builder::new()
        .stack_size(bytes)
        .spawn(work)
        .expect("the thread starts")
        .join()
        .expect("the thread finishes")
}

/// `count` samples for `N`, sample `s` of class `s % OUTPUTS` (its one-hot target).
pub fn samples<N: Network>(
    count: usize,
    input: impl Fn(usize) -> N::Input,
) -> Vec<(N::Input, N::Output)> {
    (0..count)
        .map(|s| {
            let mut target = N::Output::zeros();
            target.as_mut()[s % N::OUTPUTS] = N::Scalar::ONE;
            (input(s), target)
        })
        .collect()
}

/// Every batch method of `net` on `batch`, in turn, on the caller's stack:
/// `accumulate`, `backward_batch`, `backward_batch_classes` and `forward_batch` (whose
/// outputs must be finite) into `grads`, then a `train_batch_with` step.
pub fn every_batch_method<N: Network, O: Optimizer<N::Params>>(
    net: &mut N,
    opt: &mut O,
    grads: &mut N::Params,
    batch: &[(N::Input, N::Output)],
) {
    let xs: Vec<N::Input> = batch.iter().map(|(x, _)| *x).collect();
    let targets: Vec<N::Output> = batch.iter().map(|(_, t)| *t).collect();
    let classes: Vec<usize> = (0..batch.len()).map(|s| s % N::OUTPUTS).collect();
    let mut ys = vec![N::Output::zeros(); batch.len()];
    net.accumulate(batch, grads);
    net.backward_batch(&xs, &targets, grads)
        .expect("as many targets as inputs");
    net.backward_batch_classes(&xs, &classes, grads)
        .expect("classes below OUTPUTS");
    net.forward_batch(&xs, &mut ys)
        .expect("as many outputs as inputs");
    assert!(
        ys.iter()
            .flat_map(|y| y.as_ref())
            .all(|v| v.to_f64().is_finite())
    );
    net.train_batch_with(batch, opt, grads);
}
