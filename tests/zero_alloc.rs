//! Training and inference allocate nothing: a counting global allocator watches this
//! thread while `forward`, `forward_trace`, `loss`, `backward`, `train_step`,
//! `train_batch`, `train_batch_with`, the batch methods and every optimizer's step run
//! many times, on a small network written out and on a large one that calls kernels.
//!
//! The networks, their data and the optimizers are made before counting starts; only
//! allocations made by this test's thread while counting count, so the test harness's
//! own threads cannot disturb it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};

use backprop::optim::{
    Adagrad, Adam, AdamW, CosineWithWarmup, Lion, RmsProp, Schedule, Sgd, clip_grad_norm,
    clip_grad_value,
};
use backprop::{Network, Optimizer, Scalar, Trace, mlp};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

// SAFETY: every call is passed on to the system allocator unchanged; counting only
// reads a thread-local flag and bumps an atomic, neither of which allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The allocations `f` makes on this thread.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

mlp!(Small<2 => relu 4 => sigmoid 1; loss mse>);
mlp!(Large<300 => relu 64 => tanh 32 => identity 3; loss half_sse; scalar f64>);

/// Runs every method of `net` and every optimizer `rounds` times over `batch`, and
/// asserts that none of it allocated.
fn run<N, const P: usize>(net: &mut N, batch: &[(N::Input, N::Output)], rounds: usize) -> f64
where
    N: Network<Params = [<N as Network>::Scalar; P]>,
{
    let lr = <N::Scalar as backprop::Scalar>::from_f64(1e-3);
    // Boxed, so that the state of a large network's optimizers stays off the stack.
    let mut sgd = Sgd::<N::Scalar, P, _>::new_boxed(lr);
    let mut momentum = Sgd::<N::Scalar, P, _>::new_boxed(lr)
        .nesterov(lr)
        .weight_decay(lr);
    let mut adam = Adam::<N::Scalar, P, _>::new_boxed(lr).weight_decay(lr);
    let mut dampened = Sgd::<N::Scalar, P, _>::new_boxed(lr)
        .momentum(lr)
        .dampening(lr);
    let mut adamw = AdamW::<N::Scalar, P, _>::new_boxed(lr);
    let mut rmsprop = RmsProp::<N::Scalar, P, _>::new_boxed(lr)
        .momentum(lr)
        .centered(true);
    let mut adagrad = Adagrad::<N::Scalar, P, _>::new_boxed(lr).lr_decay(lr);
    let mut lion = Lion::<N::Scalar, P, _>::new_boxed(lr).weight_decay(lr);
    let schedule = CosineWithWarmup {
        base: 1e-3,
        warmup: 2,
        total: 20,
        min: 0.0,
    };
    let mut grads = [<N::Scalar as backprop::Scalar>::ZERO; P];
    let xs: Vec<N::Input> = batch.iter().map(|(x, _)| *x).collect();
    let ts: Vec<N::Output> = batch.iter().map(|(_, t)| *t).collect();
    let classes: Vec<usize> = (0..batch.len()).map(|i| i % N::OUTPUTS).collect();
    // With AVX `train_batch` fuses its step into the last 32 samples: one such block
    // alone, and after others (`step_block` is called directly below, for any target).
    let long: Vec<(N::Input, N::Output)> = batch
        .iter()
        .cycle()
        .take(backprop::STEP_BLOCK + 5)
        .copied()
        .collect();
    let mut ys = ts.clone();
    let mut total = 0.0;
    let count = allocations_in(|| {
        for _ in 0..rounds {
            for (x, t) in batch {
                total += net.forward(x).as_ref()[0].to_f64();
                total += net
                    .forward_trace(x)
                    .activation(1)
                    .map_or(0.0, |a| a[0].to_f64());
                total += net.loss(x, t).to_f64();
                total += net.backward(x, t, &mut grads).to_f64();
                total += net.train_step(x, t, &mut sgd).to_f64();
                total += net.train_step(x, t, &mut momentum).to_f64();
                total += net.train_step(x, t, &mut adam).to_f64();
                total += net.train_step(x, t, &mut dampened).to_f64();
                total += net.train_step(x, t, &mut adamw).to_f64();
                total += net.train_step(x, t, &mut rmsprop).to_f64();
                total += net.train_step(x, t, &mut adagrad).to_f64();
                total += net.train_step(x, t, &mut lion).to_f64();
            }
            total += net.train_batch(batch, &mut adam).to_f64();
            total += net.train_batch(&long[5..], &mut sgd).to_f64();
            total += net.train_batch(&long, &mut momentum).to_f64();
            total += net.train_batch_with(&long, &mut adam, &mut grads).to_f64();
            let block_xs: [&N::Input; backprop::STEP_BLOCK] = core::array::from_fn(|i| &long[i].0);
            let block_ts: [&N::Output; backprop::STEP_BLOCK] = core::array::from_fn(|i| &long[i].1);
            let scale = <N::Scalar as backprop::Scalar>::from_f64(0.5);
            total += net
                .step_block(block_xs, block_ts, &mut adam, scale, Some(&grads))
                .to_f64();
            net.forward_batch(&xs, &mut ys)
                .expect("one output per input");
            total += ys[0].as_ref()[0].to_f64();
            total += net
                .backward_batch(&xs, &ts, &mut grads)
                .map_or(0.0, |l| l.to_f64());
            total += net
                .backward_batch_classes(&xs, &classes, &mut grads)
                .map_or(0.0, |l| l.to_f64());
            sgd.step(net.params_mut(), &grads);
            momentum.step(net.params_mut(), &grads);
            adam.step(net.params_mut(), &grads);
            clip_grad_norm(&mut grads, lr);
            clip_grad_value(&mut grads, lr);
            schedule.apply(&mut adamw, 3);
        }
    });
    assert_eq!(count, 0, "{count} allocations while training");
    total
}

backprop::graph!(Graph<
    input a[6]; input b[6];
    h = dense(a, 8) |> tanh; e = dense(b, 8, shared = h) |> tanh;
    r = add(h, e); pi = dense(r, 3) |> softmax; rv = concat(r, a); v = dense(rv, 1);
    loss cross_entropy(pi) + 0.5 * mse(v);
>);

#[test]
fn graph_networks_never_allocate() {
    let mut net = Graph::new(1);
    let mut adam = Adam::new(1e-3);
    let x = GraphInput {
        a: [0.1; 6],
        b: [-0.2; 6],
    };
    let t = GraphOutput {
        pi: [0.0, 1.0, 0.0],
        v: [0.3],
    };
    let mut grads = [0.0; Graph::PARAMS];
    let mut total = 0.0;
    let count = allocations_in(|| {
        for _ in 0..100 {
            total += net.forward(&x).v[0];
            total += net.loss(&x, &t).total;
            total += net.backward(&x, &t, &mut grads).total;
            total += net.train_step(&x, &t, &mut adam).total;
            total += net
                .forward_block([&x, &x])
                .map(|out| out.v[0])
                .iter()
                .sum::<f32>();
            let mut sink = backprop::kernel::Accumulate::new(net.params(), &mut grads);
            total += Graph::backward_block_into(&mut sink, [&x, &x, &x], [&t, &t, &t]);
        }
    });
    assert_eq!(count, 0, "{count} allocations");
    assert!(total.is_finite());
}

backprop::graph!(Residual<
    input x[5];
    h = dense(x, 7) |> tanh;
    r = add(h, dense(h, 7) |> tanh);
    y = dense(r, 2);
    loss mse(y);
    scalar f64;
>);

#[test]
fn training_and_inference_never_allocate() {
    // A graph with one input and one loss term, through the trait's batch methods.
    let mut residual = Residual::new(4);
    let residual_batch: Vec<([f64; 5], [f64; 2])> = (0..19)
        .map(|i| {
            (
                core::array::from_fn(|j| ((i + j) % 5) as f64 / 5.0),
                [0.1, -0.1],
            )
        })
        .collect();
    assert!(run(&mut residual, &residual_batch, 20).is_finite());

    let mut small = Small::new(1);
    let small_batch: Vec<([f32; 2], [f32; 1])> = vec![
        ([0.0, 1.0], [1.0]),
        ([1.0, 1.0], [0.0]),
        ([0.5, -0.5], [0.5]),
    ];
    assert!(run(&mut small, &small_batch, 200).is_finite());

    let mut large = Box::new(Large::new(2));
    let large_batch: Vec<([f64; 300], [f64; 3])> = (0..11)
        .map(|i| {
            let x = core::array::from_fn(|j| ((i * 300 + j) % 17) as f64 / 17.0 - 0.5);
            (x, [0.1 * i as f64, -0.2, 0.3])
        })
        .collect();
    assert!(run(&mut *large, &large_batch, 10).is_finite());
}
