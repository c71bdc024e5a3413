//! The measurement behind the code generator's cost model (`UNROLL_MAX_WEIGHTS` in
//! `backprop-macros/src/plan.rs`): one training step of a single dense layer written
//! out (`codegen unrolled`) against the same layer as kernel calls (`codegen kernels`),
//! for layer sizes around the threshold, side by side in one run.
//!
//! ```text
//! cargo bench --bench cost_model
//! ```

use std::hint::black_box;

use backprop::optim::Sgd;
use criterion::{Criterion, criterion_group, criterion_main};

/// One benchmark group per shape: the layer unrolled and as kernels.
macro_rules! shapes {
    ($($group:ident: $inputs:literal => $activation:ident $units:literal,)*) => {
        $(
            mod $group {
                backprop::mlp!(pub Unrolled<$inputs => $activation $units; loss mse; codegen unrolled>);
                backprop::mlp!(pub Kernels<$inputs => $activation $units; loss mse; codegen kernels>);
            }
        )*

        fn bench(c: &mut Criterion) {
            $({
                use $group::{Kernels, Unrolled};
                let name = format!(
                    "{} => {} {} ({} weights)",
                    $inputs,
                    stringify!($activation),
                    $units,
                    $inputs * $units
                );
                let x = [0.25f32; $inputs];
                let t = [0.5f32; $units];
                let mut unrolled = Unrolled::new(1);
                let mut kernels = Kernels::new(1);
                let (mut sgd_unrolled, mut sgd_kernels) = (Sgd::new(1e-6), Sgd::new(1e-6));
                let mut group = c.benchmark_group(name);
                group.bench_function("unrolled", |b| {
                    b.iter(|| unrolled.train_step(black_box(&x), &t, &mut sgd_unrolled))
                });
                group.bench_function("kernels", |b| {
                    b.iter(|| kernels.train_step(black_box(&x), &t, &mut sgd_kernels))
                });
                group.finish();
            })*
        }
    };
}

shapes! {
    tanh_2x2: 2 => tanh 2,
    tanh_4x4: 4 => tanh 4,
    tanh_8x8: 8 => tanh 8,
    tanh_16x8: 16 => tanh 8,
    tanh_16x16: 16 => tanh 16,
    tanh_32x32: 32 => tanh 32,
    relu_4x4: 4 => relu 4,
    relu_8x8: 8 => relu 8,
    relu_16x8: 16 => relu 8,
    relu_16x16: 16 => relu 16,
    relu_32x32: 32 => relu 32,
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench
}
criterion_main!(benches);
