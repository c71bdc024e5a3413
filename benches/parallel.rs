//! Data-parallel training (feature `rayon`): one step on a batch of 256 samples of W4,
//! `784 => relu 128 => softmax 10; cross_entropy`, on one thread (`train_batch`) and across
//! rayon's threads, side by side in one run: through a `ParallelTrainer` that keeps its
//! buffers, as a training loop uses it, cutting the batch into parts of 64 samples
//! (`new`) or into one part per thread (`per_thread`), and through
//! `train_batch_parallel`, which makes the buffers afresh on every step.
//!
//! ```text
//! cargo bench --features rayon --bench parallel
//! ```

use std::hint::black_box;

use backprop::init::SplitMix64;
use backprop::optim::Sgd;
use backprop::{Network, ParallelTrainer, mlp};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

mlp!(W4<784 => relu 128 => softmax 10; loss cross_entropy>);

fn bench(c: &mut Criterion) {
    let mut rng = SplitMix64::new(2026);
    let batch: Vec<([f32; 784], [f32; 10])> = (0..256)
        .map(|_| {
            let x = core::array::from_fn(|_| 2.0 * rng.next_f64() as f32 - 1.0);
            let t = core::array::from_fn(|_| rng.next_f64() as f32);
            (x, t)
        })
        .collect();
    let mut one = Box::new(W4::new(42));
    let mut many = Box::new(W4::new(42));
    let mut fresh = Box::new(W4::new(42));
    let mut split = Box::new(W4::new(42));
    let (mut opt_one, mut opt_many, mut opt_fresh, mut opt_split) = (
        Box::new(Sgd::new(1e-6)),
        Box::new(Sgd::new(1e-6)),
        Box::new(Sgd::new(1e-6)),
        Box::new(Sgd::new(1e-6)),
    );
    let mut trainer = ParallelTrainer::new();
    let mut per_thread = ParallelTrainer::per_thread();
    let threads = rayon::current_num_threads();
    let update = 2 * W4::PARAMS as u64;
    let mut group = c.benchmark_group("W4 train 784-relu128-softmax10 batch256");
    group.throughput(Throughput::Elements(
        256 * (W4::FLOPS_TRAIN - update) + update,
    ));
    group.sample_size(20);
    group.bench_function("one thread", |b| {
        b.iter(|| one.train_batch(black_box(&batch), &mut *opt_one))
    });
    group.bench_function(format!("{threads} threads"), |b| {
        b.iter(|| trainer.train_batch(&mut *many, black_box(&batch), &mut *opt_many))
    });
    group.bench_function(format!("{threads} threads, fresh buffers"), |b| {
        b.iter(|| fresh.train_batch_parallel(black_box(&batch), &mut *opt_fresh))
    });
    group.bench_function(format!("{threads} threads, a part per thread"), |b| {
        b.iter(|| per_thread.train_batch(&mut *split, black_box(&batch), &mut *opt_split))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
