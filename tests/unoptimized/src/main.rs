//! Runs every batch method of two networks on a thread whose whole stack is the
//! network's `BATCH_STACK_BYTES` plus the thread's own, in a build without debug
//! assertions that does not optimize (this crate's dev profile). Exits with an error, or
//! aborts on a stack overflow, if the bound does not hold.
//!
//! Before the runtime told unoptimized builds apart from debug ones, this overflowed:
//! the kernels were forced inline into unoptimized code, where their frames add up over
//! the deep network's eleven layers, past even this build's bound with x86-64-v3, and
//! on the default target past the release bound the network then had (243 KiB against
//! 153). The `f64` network's release blocks, unoptimized, outgrow its release bound with
//! x86-64-v3 (819 against 780 KiB, BENCHMARKS.md, Memory), though not by more than the
//! thread's allowance here.

use backprop::optim::Sgd;
use backprop::{Array, Network, Scalar, mlp};

mlp!(Deep<8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => relu 8 => sigmoid 4; loss mse>);
mlp!(Broad<12 => tanh 350 => identity 3; loss mse; scalar f64>);

#[path = "../../support/stack.rs"]
mod stack;
use stack::{THREAD_ALLOWANCE, every_batch_method, on_a_stack_of, samples};

/// Samples in a batch: a block of 32, one of 16 and one sample with AVX.
const SAMPLES: usize = 49;

/// Every batch method of `$net` on a thread of `$net::BATCH_STACK_BYTES` plus
/// [`THREAD_ALLOWANCE`]; `train_batch` with `PARAM_BYTES` more.
macro_rules! within_budget {
    ($net:ident) => {{
        // Inputs in [−0.4, 0.6), one-hot targets.
        let batch = samples::<$net>(SAMPLES, |s| {
            core::array::from_fn(|j| Scalar::from_f64(((s * 7 + j) % 11) as f64 / 11.0 - 0.4))
        });
        let budget = $net::BATCH_STACK_BYTES;
        let batch = on_a_stack_of(budget + THREAD_ALLOWANCE, move || {
            let mut net = $net::new_boxed(1);
            let mut opt = Sgd::new_boxed(Scalar::from_f64(0.01));
            let mut grads = <$net as Network>::Params::boxed_zeros();
            every_batch_method(&mut net, &mut opt, &mut grads, &batch);
            batch
        });
        on_a_stack_of(budget + $net::PARAM_BYTES + THREAD_ALLOWANCE, move || {
            let mut net = $net::new_boxed(1);
            let mut opt = Sgd::new_boxed(Scalar::from_f64(0.01));
            net.train_batch(&batch, &mut opt);
        });
        println!(
            "{}: every batch method within {budget} bytes",
            stringify!($net)
        );
    }};
}

// The profile under test: no debug assertions, no optimization.
const _: () = assert!(!cfg!(debug_assertions) && !backprop::kernel::KERNELS_INLINED);

fn main() {
    within_budget!(Deep);
    within_budget!(Broad);
}
