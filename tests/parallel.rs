//! Data-parallel training (feature `rayon`) takes the step single-threaded training
//! takes, up to the order of float additions, and the same step whatever the number of
//! threads; a trainer that cuts the batch per thread, the same step on the same number
//! of threads.
#![cfg(feature = "rayon")]

use backprop::init::SplitMix64;
use backprop::optim::{Adam, Sgd};
use backprop::{Network, Optimizer, ParallelTrainer, mlp};

mlp!(Net<20 => relu 16 => sigmoid 3; loss mse; scalar f64>);

fn batch(len: usize) -> Vec<([f64; 20], [f64; 3])> {
    let mut rng = SplitMix64::new(99);
    (0..len)
        .map(|_| {
            let x = core::array::from_fn(|_| 2.0 * rng.next_f64() - 1.0);
            let t = core::array::from_fn(|_| rng.next_f64());
            (x, t)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.iter()
        .zip(b)
        .all(|(a, b)| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0))
}

/// Three steps of each on batches that are and are not multiples of a part.
fn check_parallel_steps<O: Optimizer<[f64; Net::PARAMS]>>(make: impl Fn() -> O) {
    for len in [1, 7, 64, 100, 256] {
        let data = batch(len);
        let (mut one, mut many) = (Net::new(4), Net::new(4));
        let (mut opt_one, mut opt_many) = (make(), make());
        for _ in 0..3 {
            let loss_one = one.train_batch(&data, &mut opt_one);
            let loss_many = many.train_batch_parallel(&data, &mut opt_many);
            assert!(close(&[loss_one], &[loss_many]), "batch {len}");
            assert!(close(one.params(), many.params()), "batch {len}");
        }
    }
}

/// Adam's steps, and plain SGD's, which the trainer takes on the threads that sum the
/// parts.
#[test]
fn parallel_steps_equal_single_threaded_ones() {
    check_parallel_steps(|| Adam::new(1e-2));
    check_parallel_steps(|| Sgd::new(0.1));
}

/// Runs `step` in a pool of `threads` threads.
fn on_threads<R: Send>(threads: usize, step: impl FnOnce() -> R + Send) -> R {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(step)
}

fn check_thread_counts<O: Optimizer<[f64; Net::PARAMS]>>(make: impl Fn() -> O + Sync) {
    let data = batch(200);
    let run = |threads: usize| {
        on_threads(threads, || {
            let mut net = Net::new(8);
            let mut opt = make();
            let loss = net.train_batch_parallel(&data, &mut opt);
            (loss, *net.params())
        })
    };
    let (loss_1, params_1) = run(1);
    for threads in [2, 3, 5] {
        let (loss, params) = run(threads);
        assert_eq!(loss.to_bits(), loss_1.to_bits(), "{threads} threads");
        assert_eq!(params, params_1, "{threads} threads");
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    check_thread_counts(|| Adam::new(1e-2));
    check_thread_counts(|| Sgd::new(0.1));
}

/// Three steps of a per-thread trainer on `threads` threads: the losses and the
/// parameters after each step.
fn per_thread_steps<O: Optimizer<[f64; Net::PARAMS]> + Send>(
    threads: usize,
    data: &[([f64; 20], [f64; 3])],
    mut opt: O,
) -> Vec<(f64, [f64; Net::PARAMS])> {
    on_threads(threads, move || {
        let mut net = Net::new(4);
        let mut trainer = ParallelTrainer::per_thread();
        (0..3)
            .map(|_| (trainer.train_batch(&mut net, data, &mut opt), *net.params()))
            .collect()
    })
}

fn check_per_thread_steps<O: Optimizer<[f64; Net::PARAMS]> + Send>(make: impl Fn() -> O) {
    for len in [1, 2, 7, 64, 100, 256] {
        let data = batch(len);
        let mut one = Net::new(4);
        let mut opt_one = make();
        let single: Vec<_> = (0..3)
            .map(|_| (one.train_batch(&data, &mut opt_one), *one.params()))
            .collect();
        for threads in [1, 2, 3] {
            let steps = per_thread_steps(threads, &data, make());
            for ((loss_one, params_one), (loss, params)) in single.iter().zip(&steps) {
                assert!(
                    close(&[*loss_one], &[*loss]),
                    "batch {len}, {threads} threads"
                );
                assert!(close(params_one, params), "batch {len}, {threads} threads");
            }
            let again = per_thread_steps(threads, &data, make());
            assert_eq!(steps, again, "batch {len}, {threads} threads, run again");
        }
    }
}

/// A trainer that cuts the batch per thread takes `train_batch`'s steps up to the
/// order of float additions, on any number of threads, and the same steps, bit for
/// bit, each time it runs on the same number.
#[test]
fn per_thread_steps_equal_single_threaded_ones_and_repeat() {
    check_per_thread_steps(|| Adam::new(1e-2));
    check_per_thread_steps(|| Sgd::new(0.1));
}

/// Per thread, a batch of 128 on two threads is cut as parts of 64 cut it, so both
/// trainers take the same step, bit for bit; a batch of 64, which parts of 64 leave
/// whole, is spread over the two threads, one buffer each.
#[test]
fn per_thread_parts_are_one_for_each_thread() {
    for (len, fixed_buffers) in [(128, 2), (64, 1)] {
        let data = batch(len);
        let (per_thread, fixed) = on_threads(2, || {
            let mut net = Net::new(6);
            let mut trainer = ParallelTrainer::per_thread();
            let loss = trainer.train_batch(&mut net, &data, &mut Adam::new(1e-2));
            let per_thread = (loss, *net.params(), format!("{trainer:?}"));
            let mut net = Net::new(6);
            let mut trainer = ParallelTrainer::new();
            let loss = trainer.train_batch(&mut net, &data, &mut Adam::new(1e-2));
            (per_thread, (loss, *net.params(), format!("{trainer:?}")))
        });
        assert!(per_thread.2.contains("buffers: 2"), "{}", per_thread.2);
        let buffers = format!("buffers: {fixed_buffers}");
        assert!(fixed.2.contains(&buffers), "{}", fixed.2);
        if len == 128 {
            assert_eq!(per_thread.0.to_bits(), fixed.0.to_bits());
            assert_eq!(per_thread.1, fixed.1);
        }
    }
}

#[test]
fn an_empty_batch_changes_nothing() {
    let mut net = Net::new(1);
    let before = *net.params();
    assert_eq!(net.train_batch_parallel(&[], &mut Adam::new(1e-2)), 0.0);
    let mut trainer = ParallelTrainer::per_thread();
    assert_eq!(
        trainer.train_batch(&mut net, &[], &mut Adam::new(1e-2)),
        0.0
    );
    assert_eq!(*net.params(), before);
}

/// A trainer keeps its buffers from step to step; a step after a bigger or a smaller
/// batch is the step a fresh trainer takes.
#[test]
fn a_reused_trainer_takes_the_steps_of_fresh_ones() {
    let (mut kept, mut fresh) = (Net::new(3), Net::new(3));
    let (mut opt_kept, mut opt_fresh) = (Adam::new(1e-2), Adam::new(1e-2));
    let mut trainer = ParallelTrainer::new();
    for len in [256, 7, 100, 64, 300, 1] {
        let data = batch(len);
        let loss_kept = trainer.train_batch(&mut kept, &data, &mut opt_kept);
        let loss_fresh = fresh.train_batch_parallel(&data, &mut opt_fresh);
        assert_eq!(loss_kept.to_bits(), loss_fresh.to_bits(), "batch {len}");
        assert_eq!(kept.params(), fresh.params(), "batch {len}");
    }
}

mlp!(Big<768 => relu 768 => identity 1; loss mse>);

/// The parts' gradient buffers are made on the heap: a network bigger than a thread's
/// default 2 MiB stack (2.4 MB of parameters), built with its optimizer on the heap,
/// trains on rayon threads with that stack.
#[test]
fn a_network_bigger_than_a_thread_stack_trains_in_parallel() {
    const _: () = assert!(Big::PARAM_BYTES > 2 << 20);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .stack_size(2 << 20)
        .build()
        .unwrap();
    let mut rng = SplitMix64::new(7);
    let data: Vec<([f32; 768], [f32; 1])> = (0..70)
        .map(|_| {
            let x = core::array::from_fn(|_| 2.0 * rng.next_f64() as f32 - 1.0);
            (x, [rng.next_f64() as f32])
        })
        .collect();
    let mut net = Big::new_boxed(11);
    let before = net.params()[0..8].to_vec();
    let mut trainer = ParallelTrainer::new();
    let mut opt = Sgd::new_boxed(1e-2);
    let (first, second) = pool.install(|| {
        let first = trainer.train_batch(&mut net, &data, &mut opt);
        (first, trainer.train_batch(&mut net, &data, &mut opt))
    });
    assert!(first.is_finite() && second < first, "{second} !< {first}");
    assert_ne!(net.params()[0..8], before[..]);
}
