//! The generated networks against the best hand-written Rust for them, side by side in
//! one run, so that the figures to read are ratios. One training step is forward +
//! backward + a plain SGD update, in f32, on one thread. Throughput is reported in
//! FLOPs (`Net::FLOPS_TRAIN`, `Net::FLOPS_INFERENCE`: the formulas are in those consts'
//! docs and in BENCHMARKS.md), so criterion's "elem/s" reads as FLOP/s.
//!
//! ```text
//! cargo bench --bench workloads
//! RUSTFLAGS="-C target-cpu=x86-64-v3" cargo bench --bench workloads
//! ```
//!
//! - W1: the seed network `2 => relu 2 => sigmoid 1; half_sse`, batch 1, against the
//!   same network written out by hand;
//! - W2: `16 => tanh 32 => tanh 32 => sigmoid 4; mse`, batch 1;
//! - W3: `64 => relu 32 => softmax 10; cross_entropy`, batch 1 and batch 32;
//! - W4: `784 => relu 128 => softmax 10; cross_entropy`, batch 32, training and
//!   inference (`forward_batch` against the baseline's `forward` on each sample).

use std::hint::black_box;

use backprop::init::SplitMix64;
use backprop::optim::Sgd;
use backprop::{Network, mlp};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};

#[path = "support/fma.rs"]
mod fma;

#[path = "support/baseline.rs"]
mod baseline;
use baseline::{Mlp2, Mlp3, Relu, Sigmoid, SoftmaxCrossEntropy, Tanh};

mlp!(W1<2 => relu 2 => sigmoid 1; loss half_sse>);
mlp!(W2<16 => tanh 32 => tanh 32 => sigmoid 4; loss mse>);
mlp!(W3<64 => relu 32 => softmax 10; loss cross_entropy>);
mlp!(W4<784 => relu 128 => softmax 10; loss cross_entropy>);

/// Learning rate small enough that thousands of benchmark iterations leave the network
/// where it started, so every iteration does the same work.
const LR: f32 = 1e-6;

/// The seed network written out by hand: arrays, loops the compiler unrolls, the chain
/// rule by hand, SGD fused into the backward pass.
#[derive(Clone)]
struct SeedByHand {
    w1: [[f32; 2]; 2],
    b1: [f32; 2],
    w2: [f32; 2],
    b2: f32,
}

// Indexing the parallel arrays by unit reads like the math this mirrors.
#[allow(clippy::needless_range_loop)]
impl SeedByHand {
    fn from_params(p: &[f32; 9]) -> Self {
        SeedByHand {
            w1: [[p[0], p[1]], [p[2], p[3]]],
            b1: [p[4], p[5]],
            w2: [p[6], p[7]],
            b2: p[8],
        }
    }

    fn train_step(&mut self, x: &[f32; 2], t: f32, lr: f32) -> f32 {
        let mut a1 = [0.0; 2];
        let mut z2 = self.b2;
        for j in 0..2 {
            let z1 = self.w1[j][0] * x[0] + self.w1[j][1] * x[1] + self.b1[j];
            a1[j] = z1.max(0.0);
            z2 += self.w2[j] * a1[j];
        }
        let y = 1.0 / (1.0 + (-z2).exp());
        let e = y - t;
        let dz2 = e * y * (1.0 - y);
        for j in 0..2 {
            let dz1 = if a1[j] > 0.0 { dz2 * self.w2[j] } else { 0.0 };
            self.w2[j] -= lr * dz2 * a1[j];
            self.w1[j][0] -= lr * dz1 * x[0];
            self.w1[j][1] -= lr * dz1 * x[1];
            self.b1[j] -= lr * dz1;
        }
        self.b2 -= lr * dz2;
        0.5 * e * e
    }
}

/// `count` samples with inputs in [-1, 1) and targets in [0, 1), from a fixed seed.
fn samples<const IN: usize, const OUT: usize>(count: usize) -> Vec<([f32; IN], [f32; OUT])> {
    let mut rng = SplitMix64::new(2026);
    let mut draw = || rng.next_f64() as f32;
    (0..count)
        .map(|_| {
            let x = core::array::from_fn(|_| 2.0 * draw() - 1.0);
            let t = core::array::from_fn(|_| draw());
            (x, t)
        })
        .collect()
}

/// `count` samples with one-hot targets, for the classifiers.
fn labelled<const IN: usize, const OUT: usize>(count: usize) -> Vec<([f32; IN], [f32; OUT])> {
    let mut data = samples::<IN, OUT>(count);
    for (i, (_, t)) in data.iter_mut().enumerate() {
        *t = backprop::one_hot(i * 7 % OUT).unwrap_or([0.0; OUT]);
    }
    data
}

fn new_group<'a>(c: &'a mut Criterion, name: &str, flops: u64) -> BenchmarkGroup<'a, WallTime> {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(flops));
    group
}

/// FLOPs of one training step on a batch of `samples`: each sample's forward and
/// backward pass, and one update of every parameter (2 FLOPs each) for the batch.
fn batch_flops(flops_train: u64, params: usize, samples: u64) -> u64 {
    let update = 2 * params as u64;
    samples * (flops_train - update) + update
}

/// Asserts that the generated step and the baseline's compute the same loss, so that
/// their speeds compare the same work.
fn same_loss(generated: f32, baseline: f32) {
    let scale = generated.abs().max(baseline.abs()).max(1e-6);
    assert!(
        (generated - baseline).abs() / scale < 1e-4,
        "{generated} vs {baseline}"
    );
}

fn w1(c: &mut Criterion) {
    let mut net = W1::new(42);
    let mut hand = SeedByHand::from_params(net.params());
    let (x, t) = ([0.5f32, 0.8], [1.0f32]);
    same_loss(
        net.clone().train_step(&x, &t, &mut Sgd::new(0.1)),
        hand.clone().train_step(&x, 1.0, 0.1),
    );
    let mut opt = Sgd::new(LR);
    let mut group = new_group(c, "W1 train 2-relu2-sigmoid1 batch1", W1::FLOPS_TRAIN);
    group.bench_function("backprop", |b| {
        b.iter(|| net.train_step(black_box(&x), black_box(&t), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_step(black_box(&x), black_box(t[0]), LR))
    });
    group.finish();
}

fn w2(c: &mut Criterion) {
    let mut net = W2::new(42);
    let mut hand = Mlp3::<16, 32, 32, 4, Tanh, Tanh, Sigmoid>::from_params(net.params());
    let data = samples::<16, 4>(1);
    let (x, t) = data[0];
    same_loss(
        net.clone().train_step(&x, &t, &mut Sgd::new(0.1)),
        hand.clone().train_step(&x, &t, 0.1),
    );
    let mut opt = Sgd::new(LR);
    let mut group = new_group(
        c,
        "W2 train 16-tanh32-tanh32-sigmoid4 batch1",
        W2::FLOPS_TRAIN,
    );
    group.bench_function("backprop", |b| {
        b.iter(|| net.train_step(black_box(&x), black_box(&t), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_step(black_box(&x), black_box(&t), LR))
    });
    group.finish();
}

fn w3(c: &mut Criterion) {
    let mut net = W3::new(42);
    let mut hand = Mlp2::<64, 32, 10, Relu, SoftmaxCrossEntropy>::from_params(net.params());
    let data = labelled::<64, 10>(32);
    let (x, t) = data[0];
    same_loss(
        net.clone().train_step(&x, &t, &mut Sgd::new(0.1)),
        hand.clone().train_step(&x, &t, 0.1),
    );
    let mut opt = Sgd::new(LR);
    let mut group = new_group(c, "W3 train 64-relu32-softmax10 batch1", W3::FLOPS_TRAIN);
    group.bench_function("backprop", |b| {
        b.iter(|| net.train_step(black_box(&x), black_box(&t), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_step(black_box(&x), black_box(&t), LR))
    });
    group.finish();

    // The loops above moved each network a different number of steps: start again.
    let mut net = W3::new(42);
    let mut hand = Mlp2::<64, 32, 10, Relu, SoftmaxCrossEntropy>::from_params(net.params());
    same_loss(
        net.clone().train_batch(&data, &mut Sgd::new(0.1)),
        hand.clone().train_batch(&data, 0.1),
    );
    let mut group = new_group(
        c,
        "W3 train 64-relu32-softmax10 batch32",
        batch_flops(W3::FLOPS_TRAIN, W3::PARAMS, 32),
    );
    group.bench_function("backprop", |b| {
        b.iter(|| net.train_batch(black_box(&data), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_batch(black_box(&data), LR))
    });
    group.finish();
}

fn w4(c: &mut Criterion) {
    let mut net = W4::new(42);
    let mut hand = Mlp2::<784, 128, 10, Relu, SoftmaxCrossEntropy>::from_params(net.params());
    let data = labelled::<784, 10>(32);
    same_loss(
        net.clone().train_batch(&data, &mut Sgd::new(0.1)),
        hand.clone().train_batch(&data, 0.1),
    );
    let mut opt = Sgd::new(LR);
    let mut group = new_group(
        c,
        "W4 train 784-relu128-softmax10 batch32",
        batch_flops(W4::FLOPS_TRAIN, W4::PARAMS, 32),
    );
    group.sample_size(30);
    group.bench_function("backprop", |b| {
        b.iter(|| net.train_batch(black_box(&data), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_batch(black_box(&data), LR))
    });
    group.finish();

    let mut group = new_group(
        c,
        "W4 inference 784-relu128-softmax10 batch32",
        32 * W4::FLOPS_INFERENCE,
    );
    let xs: Vec<[f32; 784]> = data.iter().map(|(x, _)| *x).collect();
    let mut ys = vec![[0.0f32; 10]; xs.len()];
    group.bench_function("backprop", |b| {
        b.iter(|| {
            net.forward_batch(black_box(&xs), &mut ys)
                .expect("one output per input");
            ys.iter().map(|y| y[0]).sum::<f32>()
        })
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| {
            data.iter()
                .map(|(x, _)| hand.forward(black_box(x))[0])
                .sum::<f32>()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = w1, w2, w3, fma::bench_peak, w4
}
criterion_main!(benches);
