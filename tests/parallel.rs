//! Data-parallel training (feature `rayon`) takes the step single-threaded training
//! takes, up to the order of float additions, and the same step whatever the number of
//! threads.
#![cfg(feature = "rayon")]

use backprop::init::SplitMix64;
use backprop::optim::Adam;
use backprop::{Network, mlp};

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
#[test]
fn parallel_steps_equal_single_threaded_ones() {
    for len in [1, 7, 64, 100, 256] {
        let data = batch(len);
        let (mut one, mut many) = (Net::new(4), Net::new(4));
        let (mut opt_one, mut opt_many) = (Adam::new(1e-2), Adam::new(1e-2));
        for _ in 0..3 {
            let loss_one = one.train_batch(&data, &mut opt_one);
            let loss_many = many.train_batch_parallel(&data, &mut opt_many);
            assert!(close(&[loss_one], &[loss_many]), "batch {len}");
            assert!(close(one.params(), many.params()), "batch {len}");
        }
    }
}

#[test]
fn results_do_not_depend_on_the_number_of_threads() {
    let data = batch(200);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut net = Net::new(8);
            let mut opt = Adam::new(1e-2);
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
fn an_empty_batch_changes_nothing() {
    let mut net = Net::new(1);
    let before = *net.params();
    assert_eq!(net.train_batch_parallel(&[], &mut Adam::new(1e-2)), 0.0);
    assert_eq!(*net.params(), before);
}
