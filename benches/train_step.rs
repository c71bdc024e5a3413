//! The generated code against the same network written out by hand, side by side in
//! one run: one training step and one forward pass of the seed's 2 → relu 2 → sigmoid 1
//! network with mse and plain SGD. The figure to read is the ratio of the two.
//!
//! ```text
//! cargo bench --bench train_step
//! ```

use std::hint::black_box;

use backprop::mlp;
use backprop::optim::Sgd;
use criterion::{Criterion, criterion_group, criterion_main};

mlp!(Generated<2 => relu 2 => sigmoid 1; loss mse>);

/// The same network as careful hand-written Rust: arrays, loops the compiler unrolls,
/// the chain rule by hand, SGD fused into the backward pass.
#[derive(Clone)]
struct HandWritten {
    w1: [[f32; 2]; 2],
    b1: [f32; 2],
    w2: [f32; 2],
    b2: f32,
}

// Indexing the parallel arrays by unit reads like the math this mirrors.
#[allow(clippy::needless_range_loop)]
impl HandWritten {
    fn from_params(p: &[f32; 9]) -> Self {
        HandWritten {
            w1: [[p[0], p[1]], [p[2], p[3]]],
            b1: [p[4], p[5]],
            w2: [p[6], p[7]],
            b2: p[8],
        }
    }

    fn forward(&self, x: &[f32; 2]) -> f32 {
        let mut z2 = self.b2;
        for j in 0..2 {
            let z1 = self.w1[j][0] * x[0] + self.w1[j][1] * x[1] + self.b1[j];
            z2 += self.w2[j] * z1.max(0.0);
        }
        1.0 / (1.0 + (-z2).exp())
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
        let dz2 = 2.0 * e * y * (1.0 - y);
        for j in 0..2 {
            let dz1 = if a1[j] > 0.0 { dz2 * self.w2[j] } else { 0.0 };
            self.w2[j] -= lr * dz2 * a1[j];
            self.w1[j][0] -= lr * dz1 * x[0];
            self.w1[j][1] -= lr * dz1 * x[1];
            self.b1[j] -= lr * dz1;
        }
        self.b2 -= lr * dz2;
        e * e
    }
}

const PARAMS: [f32; 9] = [0.4, 0.3, -0.2, 0.5, 0.1, -0.1, 0.6, -0.4, 0.2];

fn bench(c: &mut Criterion) {
    let (x, t) = ([0.5f32, 0.8], [1.0f32]);
    let mut generated = Generated::from_params(PARAMS);
    let mut hand = HandWritten::from_params(&PARAMS);
    let mut opt = Sgd::new(1e-6);

    // Both must compute the same step before their speeds mean anything.
    let mut check = Generated::from_params(PARAMS);
    let mut check_hand = HandWritten::from_params(&PARAMS);
    let loss = check.train_step(&x, &t, &mut Sgd::new(0.1));
    assert!((loss - check_hand.train_step(&x, 1.0, 0.1)).abs() < 1e-6);
    assert!((check.forward(&x)[0] - check_hand.forward(&x)).abs() < 1e-6);

    let mut group = c.benchmark_group("train_step 2-relu2-sigmoid1 mse sgd");
    group.bench_function("backprop", |b| {
        b.iter(|| generated.train_step(black_box(&x), black_box(&t), &mut opt))
    });
    group.bench_function("hand-written", |b| {
        b.iter(|| hand.train_step(black_box(&x), black_box(t[0]), 1e-6))
    });
    group.finish();

    let mut group = c.benchmark_group("forward 2-relu2-sigmoid1");
    group.bench_function("backprop", |b| b.iter(|| generated.forward(black_box(&x))));
    group.bench_function("hand-written", |b| b.iter(|| hand.forward(black_box(&x))));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
