//! The loop that measures this machine's floating-point peak: independent multiply-add
//! chains on f32 vectors, as many as the registers hold, so that nothing waits on a
//! previous result. With `-C target-cpu=x86-64-v3` each multiply-add is one FMA
//! instruction (2 FLOPs per lane); on the default target it is a multiply and an add.
//! Shared by the `peak` benchmark and the `workloads` one, which measures it in the
//! same run as W4 so that W4's fraction of the peak is a ratio from one run.

use std::hint::black_box;

use criterion::{Criterion, Throughput};

/// Vectors of 8 lanes kept in flight: 12 of the 16 AVX registers, enough to cover the
/// FMA latency (4 cycles) at two FMAs per cycle.
const CHAINS: usize = 12;
const LANES: usize = 8;
const ROUNDS: usize = 4096;

/// FLOPs in one call of [`multiply_adds`]: two per lane per multiply-add.
pub const FLOPS: u64 = (2 * CHAINS * LANES * ROUNDS) as u64;

/// Runs the chains and returns their sum, so that none of the work can be dropped.
pub fn multiply_adds(a: f32, b: f32) -> f32 {
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

/// The group `peak f32 multiply-add`: criterion's throughput reads as FLOP/s.
///
/// The peak is the machine's, with its FMA units: built for a target without FMA, the
/// loop's separate multiplies and adds are no measure of it (LLVM also leaves most of
/// them scalar there: 6–7 GFLOP/s), so the group is skipped with a note.
pub fn bench_peak(c: &mut Criterion) {
    if !cfg!(target_feature = "fma") {
        eprintln!(
            "peak f32 multiply-add: skipped; the machine's peak needs FMA \
             (RUSTFLAGS=\"-C target-cpu=x86-64-v3\")"
        );
        return;
    }
    let mut group = c.benchmark_group("peak f32 multiply-add");
    group.throughput(Throughput::Elements(FLOPS));
    group.bench_function("independent chains", |bench| {
        bench.iter(|| multiply_adds(black_box(0.999), black_box(0.001)))
    });
    group.finish();
}
