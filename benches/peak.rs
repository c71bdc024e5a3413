//! This machine's single-core floating-point peak, for reading the workloads' FLOP/s as
//! a fraction of it: independent multiply-add chains on f32 vectors, as many as the
//! registers hold, so that nothing waits on a previous result. With
//! `-C target-cpu=x86-64-v3` each multiply-add is one FMA instruction (2 FLOPs per
//! lane); on the default target it is a multiply and an add.
//!
//! ```text
//! RUSTFLAGS="-C target-cpu=x86-64-v3" cargo bench --bench peak
//! ```

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

/// Vectors of 8 lanes kept in flight: 12 of the 16 AVX registers, enough to cover the
/// FMA latency (4 cycles) at two FMAs per cycle.
const CHAINS: usize = 12;
const LANES: usize = 8;
const ROUNDS: usize = 4096;

fn multiply_adds(a: f32, b: f32) -> f32 {
    let mut acc = [[0.0f32; LANES]; CHAINS];
    for (i, chain) in acc.iter_mut().enumerate() {
        for (j, lane) in chain.iter_mut().enumerate() {
            *lane = (i * LANES + j) as f32;
        }
    }
    for _ in 0..ROUNDS {
        for chain in &mut acc {
            for lane in chain.iter_mut() {
                *lane = backprop::Scalar::mul_add(*lane, a, b);
            }
        }
    }
    acc.iter().flatten().sum()
}

fn peak(c: &mut Criterion) {
    let mut group = c.benchmark_group("peak f32 multiply-add");
    group.throughput(Throughput::Elements((2 * CHAINS * LANES * ROUNDS) as u64));
    group.bench_function("independent chains", |bench| {
        bench.iter(|| multiply_adds(black_box(0.999), black_box(0.001)))
    });
    group.finish();
}

criterion_group!(benches, peak);
criterion_main!(benches);
