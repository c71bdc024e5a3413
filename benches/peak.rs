//! This machine's single-core floating-point peak, for reading the workloads' FLOP/s as
//! a fraction of it. The loop is in `support/fma.rs`; the `workloads` benchmark also
//! measures it, just before W4.
//!
//! ```text
//! RUSTFLAGS="-C target-cpu=x86-64-v3" cargo bench --bench peak
//! ```

use criterion::{criterion_group, criterion_main};

#[path = "support/fma.rs"]
mod fma;

criterion_group!(benches, fma::bench_peak);
criterion_main!(benches);
