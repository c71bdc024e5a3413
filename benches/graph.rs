//! The same chains written with `mlp!` and with `graph!`, side by side in one run: one
//! training step with plain SGD, f32, one thread; at batch 1, and for W4 at batch 32
//! through `train_batch` (the batch kernels).
//!
//! ```text
//! cargo bench --bench graph
//! ```

use std::hint::black_box;

use backprop::optim::Sgd;
use backprop::{Network, graph, mlp};
use criterion::{Criterion, criterion_group, criterion_main};

mlp!(SeedChain<2 => relu 2 => sigmoid 1; loss half_sse>);
graph!(SeedGraph< input x[2]; h = dense(x, 2) |> relu; y = dense(h, 1) |> sigmoid;
                  loss half_sse(y); >);
mlp!(W3Chain<64 => relu 32 => softmax 10; loss cross_entropy>);
graph!(W3Graph< input x[64]; h = dense(x, 32) |> relu; y = dense(h, 10) |> softmax;
                loss cross_entropy(y); >);

mlp!(W4Chain<784 => relu 128 => softmax 10; loss cross_entropy>);
graph!(W4Graph< input x[784]; h = dense(x, 128) |> relu; y = dense(h, 10) |> softmax;
                loss cross_entropy(y); >);

const LR: f32 = 1e-6;

fn seed(c: &mut Criterion) {
    let mut chain = SeedChain::new(1);
    let mut graph = SeedGraph::from_params(*chain.params());
    let (x, t) = ([0.5f32, 0.8], [1.0f32]);
    let (gx, gt) = (SeedGraphInput { x }, SeedGraphOutput { y: t });
    let (mut a, mut b) = (Sgd::new(LR), Sgd::new(LR));
    let mut group = c.benchmark_group("seed 2-relu2-sigmoid1 train batch1");
    group.bench_function("mlp", |bench| {
        bench.iter(|| chain.train_step(black_box(&x), black_box(&t), &mut a))
    });
    group.bench_function("graph", |bench| {
        bench.iter(|| {
            graph
                .train_step(black_box(&gx), black_box(&gt), &mut b)
                .total
        })
    });
    group.finish();
}

fn w3(c: &mut Criterion) {
    let mut chain = W3Chain::new(1);
    let mut graph = W3Graph::from_params(*chain.params());
    let x: [f32; 64] = core::array::from_fn(|i| (i % 7) as f32 / 7.0 - 0.4);
    let t = backprop::one_hot(3).unwrap_or([0.0; 10]);
    let (gx, gt) = (W3GraphInput { x }, W3GraphOutput { y: t });
    let (mut a, mut b) = (Sgd::new(LR), Sgd::new(LR));
    let mut group = c.benchmark_group("W3 64-relu32-softmax10 train batch1");
    group.bench_function("mlp", |bench| {
        bench.iter(|| chain.train_step(black_box(&x), black_box(&t), &mut a))
    });
    group.bench_function("graph", |bench| {
        bench.iter(|| {
            graph
                .train_step(black_box(&gx), black_box(&gt), &mut b)
                .total
        })
    });
    group.finish();
}

fn w4(c: &mut Criterion) {
    let mut chain = W4Chain::new_boxed(1);
    let mut graph = W4Graph::new_boxed(1);
    let mut rng = backprop::init::SplitMix64::new(2026);
    let batch: Vec<([f32; 784], [f32; 10])> = (0..32)
        .map(|i| {
            let x = core::array::from_fn(|_| 2.0 * rng.next_f64() as f32 - 1.0);
            (x, backprop::one_hot(i % 10).unwrap_or([0.0; 10]))
        })
        .collect();
    let (mut a, mut b) = (Box::new(Sgd::new(LR)), Box::new(Sgd::new(LR)));
    let mut group = c.benchmark_group("W4 784-relu128-softmax10 train batch32");
    group.bench_function("mlp", |bench| {
        bench.iter(|| chain.train_batch(black_box(&batch), &mut *a))
    });
    group.bench_function("graph", |bench| {
        bench.iter(|| graph.train_batch(black_box(&batch), &mut *b))
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
    targets = seed, w3, w4
}
criterion_main!(benches);
