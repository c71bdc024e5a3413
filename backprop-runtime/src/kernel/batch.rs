//! The dense layer over `B` samples at once, for mini-batches.
//!
//! One sample at a time, a layer reads every weight once per sample, and for a layer
//! too large for the L1 cache that traffic is what a step costs. Over a block of
//! samples each weight is loaded once for all of them:
//!
//! - the forward pass transposes the inputs a tile of 64 columns at a time and keeps
//!   each unit's sums over the block as one vector, so each weight is broadcast once
//!   and multiplied into every sample with one multiply-add, eight units together;
//! - the weight gradient holds a strip of each of four rows in registers while every
//!   sample's `dz·x` is added into it;
//! - the input gradient runs down the rows once for all samples.
//!
//! The register blocks are sized for the target: AVX's sixteen 256-bit registers or
//! SSE's sixteen 128-bit ones (`cfg!(target_feature = "avx")`), measured side by side
//! in `BENCHMARKS.md`. Samples are passed as an array of references, so a batch of
//! `(input, target)` pairs is used where it lies, without copying.

use crate::Scalar;

/// Rows whose weight gradients are summed together.
const ROWS: usize = 4;

/// `W·x + b` for each of the `B` samples `xs`.
///
/// ```
/// use backprop_runtime::kernel::dense_forward_batch;
/// let w = [[1.0f32, 2.0], [3.0, 4.0]];
/// let z = dense_forward_batch(&w, &[0.5, -0.5], [&[1.0, 1.0], &[0.0, 1.0]]);
/// assert_eq!(z, [[3.5, 6.5], [2.5, 3.5]]);
/// ```
#[inline]
pub fn dense_forward_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    xs: [&[T; IN]; B],
) -> [[T; OUT]; B] {
    // The sums are kept transposed, `[unit][sample]`, so that one unit's sums over the
    // block are one vector; the inputs are transposed a tile at a time to match.
    let mut sums: [[T; B]; OUT] = core::array::from_fn(|unit| [biases[unit]; B]);
    // Whole tiles, then tiles of eight, then single columns, so that narrow layers
    // still run in long passes.
    let mut first = 0;
    while first + TILE <= IN {
        add_tile::<T, IN, OUT, B, TILE>(weights, &xs, first, &mut sums);
        first += TILE;
    }
    while first + 8 <= IN {
        add_tile::<T, IN, OUT, B, 8>(weights, &xs, first, &mut sums);
        first += 8;
    }
    while first < IN {
        add_tile::<T, IN, OUT, B, 1>(weights, &xs, first, &mut sums);
        first += 1;
    }
    core::array::from_fn(|s| core::array::from_fn(|unit| sums[unit][s]))
}

/// Inputs per tile of the forward batch kernel: a tile of `TILE × B` inputs (4 KiB for
/// `f32` and sixteen samples) stays in the L1 cache while every row block passes over it.
const TILE: usize = 64;

/// Units whose sums the forward batch kernel keeps in registers together. With AVX and
/// blocks of sixteen samples (`network::BLOCK`), four units' sums are eight of the
/// sixteen vector registers, and each pass loads two input vectors and four weights for
/// eight multiply-adds (784 × 128 over 32 samples: 75 GFLOP/s, against 65 for eight
/// units over blocks of eight). Without AVX, six units over blocks of eight.
const ROWS_PER_PASS: usize = if cfg!(target_feature = "avx") { 4 } else { 6 };

/// `tile[k][s] = xs[s][first + k]`.
#[inline(always)]
fn transpose_tile<T: Scalar, const IN: usize, const B: usize, const K: usize>(
    xs: &[&[T; IN]; B],
    first: usize,
    tile: &mut [[T; B]; K],
) {
    for (s, x) in xs.iter().enumerate() {
        if let Some(inputs) = x.get(first..first + K) {
            for (column, &value) in tile.iter_mut().zip(inputs) {
                column[s] = value;
            }
        }
    }
}

/// Adds `W[:, first..first + K] · X[first..first + K]` into `sums`: the inputs'
/// columns are transposed into a tile, then [`ROWS_PER_PASS`] units at a time pass
/// over it.
#[inline(always)]
fn add_tile<T: Scalar, const IN: usize, const OUT: usize, const B: usize, const K: usize>(
    weights: &[[T; IN]; OUT],
    xs: &[&[T; IN]; B],
    first: usize,
    sums: &mut [[T; B]; OUT],
) {
    let mut tile = [[T::ZERO; B]; K];
    transpose_tile(xs, first, &mut tile);
    let tile = &tile;
    let (row_blocks, rows_left) = weights.as_chunks::<ROWS_PER_PASS>();
    let (sum_blocks, sums_left) = sums.as_chunks_mut::<ROWS_PER_PASS>();
    for (rows, block) in row_blocks.iter().zip(sum_blocks) {
        if let Some(w) = columns(rows, first) {
            add_tile_rows(w, tile, block);
        }
    }
    for (row, sums) in rows_left.iter().zip(sums_left) {
        if let Some(w) = columns(core::array::from_ref(row), first) {
            add_tile_rows(w, tile, core::array::from_mut(sums));
        }
    }
}

/// Columns `first..first + K` of each of the `R` rows (`None` past the end).
#[inline(always)]
fn columns<T, const IN: usize, const R: usize, const K: usize>(
    rows: &[[T; IN]; R],
    first: usize,
) -> Option<[&[T; K]; R]> {
    fn slice<T, const IN: usize, const K: usize>(row: &[T; IN], first: usize) -> Option<&[T; K]> {
        row.get(first..)?.first_chunk::<K>()
    }
    let mut columns = [slice(rows.first()?, first)?; R];
    for (column, row) in columns.iter_mut().zip(rows) {
        *column = slice(row, first)?;
    }
    Some(columns)
}

/// The register block: `sums[r] += w[r] · tile`, each weight broadcast once and
/// multiplied into a whole column of samples.
#[inline(always)]
fn add_tile_rows<T: Scalar, const B: usize, const K: usize, const R: usize>(
    w: [&[T; K]; R],
    tile: &[[T; B]; K],
    sums: &mut [[T; B]; R],
) {
    let mut acc = *sums;
    for (k, column) in tile.iter().enumerate() {
        for (acc, w) in acc.iter_mut().zip(&w) {
            let w = w[k];
            for (acc, &x) in acc.iter_mut().zip(column) {
                *acc = w.mul_add(x, *acc);
            }
        }
    }
    *sums = acc;
}

/// The backward pass of [`dense_forward_batch`] for the parameters: adds
/// `Σₛ dzₛ·xₛᵀ` into `dw` and `Σₛ dzₛ` into `db`. Four rows at a time, each chunk of
/// eight weights held in registers while every sample passes, so each input chunk is
/// loaded once for four rows.
#[inline]
pub fn dense_backward_params_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    xs: [&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    dw: &mut [[T; IN]; OUT],
    db: &mut [T; OUT],
) {
    let (blocks, rows_left) = dw.as_chunks_mut::<ROWS>();
    for (block, rows) in blocks.iter_mut().enumerate() {
        rows_gradient(block * ROWS, xs, dzs, rows);
    }
    let first = blocks.len() * ROWS;
    for (r, row) in rows_left.iter_mut().enumerate() {
        rows_gradient(first + r, xs, dzs, core::array::from_mut(row));
    }
    for (unit, db) in db.iter_mut().enumerate() {
        for dz in dzs {
            *db += dz[unit];
        }
    }
}

/// Adds `Σₛ dzₛ[first + r] · xₛ` into each row `r` of `rows`: a strip of
/// [`GRADIENT_STRIP`] weights of every row is held in registers while every sample
/// passes, so each `dz` is broadcast once per strip and feeds several multiply-adds.
#[inline(always)]
fn rows_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize, const R: usize>(
    first: usize,
    xs: [&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    rows: &mut [[T; IN]; R],
) {
    let strips = IN / GRADIENT_STRIP;
    for strip in 0..strips {
        let mut sums = [[T::ZERO; GRADIENT_STRIP]; R];
        for (sums, row) in sums.iter_mut().zip(rows.iter()) {
            if let Some(weights) = row.as_chunks::<GRADIENT_STRIP>().0.get(strip) {
                *sums = *weights;
            }
        }
        for (x, dz) in xs.iter().zip(dzs) {
            let Some(x) = x.as_chunks::<GRADIENT_STRIP>().0.get(strip) else {
                continue;
            };
            for (r, sums) in sums.iter_mut().enumerate() {
                let d = dz[first + r];
                for (sum, &x) in sums.iter_mut().zip(x) {
                    *sum = d.mul_add(x, *sum);
                }
            }
        }
        for (row, sums) in rows.iter_mut().zip(sums) {
            if let Some(weights) = row.as_chunks_mut::<GRADIENT_STRIP>().0.get_mut(strip) {
                *weights = sums;
            }
        }
    }
    let done = strips * GRADIENT_STRIP;
    for (r, row) in rows.iter_mut().enumerate() {
        for (x, dz) in xs.iter().zip(dzs) {
            let d = dz[first + r];
            for (w, &x) in row[done..].iter_mut().zip(&x[done..]) {
                *w = d.mul_add(x, *w);
            }
        }
    }
}

/// Weights of one row the weight-gradient kernel keeps in registers at a time: two
/// 256-bit vectors of `f32` with AVX; one 128-bit vector's worth twice over without
/// (more spills the sixteen SSE registers: measured 28 against 19 GFLOP/s).
const GRADIENT_STRIP: usize = if cfg!(target_feature = "avx") { 16 } else { 8 };

/// The input gradients `Wᵀ·dzₛ` of the `B` samples.
#[inline]
pub fn dense_input_gradient_batch<T: Scalar, const IN: usize, const OUT: usize, const B: usize>(
    weights: &[[T; IN]; OUT],
    dzs: &[[T; OUT]; B],
) -> [[T; IN]; B] {
    let mut dx = [[T::ZERO; IN]; B];
    for (unit, row) in weights.iter().enumerate() {
        for (dx, dz) in dx.iter_mut().zip(dzs) {
            let d = dz[unit];
            for (dx, &w) in dx.iter_mut().zip(row) {
                *dx = d.mul_add(w, *dx);
            }
        }
    }
    dx
}

/// References to each row of `rows`: the form the batch kernels take their inputs in.
#[inline(always)]
pub fn rows<T, const N: usize, const B: usize>(rows: &[[T; N]; B]) -> [&[T; N]; B] {
    rows.each_ref()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::dense::{dense_backward, dense_forward};

    use crate::kernel::test_fill as fill;

    /// The batch kernels against the one-sample kernels, sample by sample, over
    /// shapes around every blocking boundary.
    fn check<const IN: usize, const OUT: usize, const B: usize>() {
        let w: [[f64; IN]; OUT] = core::array::from_fn(|o| fill(o as u32 * 31 + 1));
        let b: [f64; OUT] = fill(2);
        let xs: [[f64; IN]; B] = core::array::from_fn(|s| fill(s as u32 * 17 + 3));
        let dzs: [[f64; OUT]; B] = core::array::from_fn(|s| fill(s as u32 * 13 + 5));
        let z = dense_forward_batch(&w, &b, rows(&xs));
        let dx = dense_input_gradient_batch(&w, &dzs);
        let (mut dw, mut db) = ([[0.5; IN]; OUT], [0.25; OUT]);
        dense_backward_params_batch(rows(&xs), &dzs, &mut dw, &mut db);
        let (mut dw_one, mut db_one) = ([[0.5; IN]; OUT], [0.25; OUT]);
        for s in 0..B {
            let z_one = dense_forward(&w, &b, &xs[s]);
            let dx_one = dense_backward(&w, &xs[s], &dzs[s], &mut dw_one, &mut db_one);
            for o in 0..OUT {
                assert!(
                    (z[s][o] - z_one[o]).abs() < 1e-12,
                    "{IN}→{OUT}×{B}: z[{s}][{o}]"
                );
            }
            for i in 0..IN {
                assert!((dx[s][i] - dx_one[i]).abs() < 1e-12, "dx[{s}][{i}]");
            }
        }
        for o in 0..OUT {
            assert!((db[o] - db_one[o]).abs() < 1e-12);
            for i in 0..IN {
                assert!((dw[o][i] - dw_one[o][i]).abs() < 1e-12, "dw[{o}][{i}]");
            }
        }
    }

    #[test]
    fn batch_kernels_equal_the_one_sample_kernels() {
        check::<1, 1, 1>();
        check::<3, 5, 3>();
        check::<8, 4, 2>();
        check::<17, 13, 5>();
        check::<64, 10, 8>();
        check::<20, 7, 1>();
        // Past one tile of 64 columns: whole tiles, tiles of eight, single columns.
        check::<137, 19, 8>();
        check::<72, 9, 3>();
        check::<200, 17, 16>();
    }
}
