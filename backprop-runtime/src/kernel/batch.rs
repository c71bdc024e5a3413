//! The dense layer over `B` samples at once, for mini-batches.
//!
//! One sample at a time, a layer reads every weight once per sample, and for a layer
//! too large for the L1 cache that traffic is what a step costs. Over a block of
//! samples each weight row is loaded once for all of them: the forward pass computes
//! four rows against two samples per pass over the input (eight independent
//! accumulators of eight lanes), the weight gradient sums every sample's `dz·x` into a
//! row while it is in registers, and the input gradient runs down the rows once for
//! all samples. Samples are passed as an array of references, so a batch of
//! `(input, target)` pairs is used where it lies, without copying.

use crate::Scalar;

/// Lanes per accumulator, and rows and samples computed together in the forward pass.
const LANES: usize = 8;
const ROWS: usize = 4;
const SAMPLES: usize = 2;

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
    let mut z = [*biases; B];
    let (row_blocks, rows_left) = weights.as_chunks::<ROWS>();
    let (sample_blocks, samples_left) = xs.as_chunks::<SAMPLES>();
    for (block, rows) in row_blocks.iter().enumerate() {
        let first = block * ROWS;
        for (s_block, samples) in sample_blocks.iter().enumerate() {
            let dots = dot_block(rows, samples);
            for (r, dots) in dots.iter().enumerate() {
                for (s, &dot) in dots.iter().enumerate() {
                    z[s_block * SAMPLES + s][first + r] += dot;
                }
            }
        }
        for (s, x) in samples_left.iter().enumerate() {
            let dots = dot_block(rows, &[*x]);
            let sample = sample_blocks.len() * SAMPLES + s;
            for (r, dots) in dots.iter().enumerate() {
                z[sample][first + r] += dots[0];
            }
        }
    }
    let first = row_blocks.len() * ROWS;
    for (r, row) in rows_left.iter().enumerate() {
        for (z, x) in z.iter_mut().zip(xs) {
            let [[dot]] = dot_block(core::array::from_ref(row), &[x]);
            z[first + r] += dot;
        }
    }
    z
}

/// The dot products of `R` rows with `S` samples, sharing each load of both.
#[inline(always)]
fn dot_block<T: Scalar, const IN: usize, const R: usize, const S: usize>(
    rows: &[[T; IN]; R],
    xs: &[&[T; IN]; S],
) -> [[T; S]; R] {
    let mut lanes = [[[T::ZERO; LANES]; S]; R];
    let chunks = IN / LANES;
    for chunk in 0..chunks {
        for (r, row) in rows.iter().enumerate() {
            let w = &row.as_chunks::<LANES>().0[chunk];
            for (s, x) in xs.iter().enumerate() {
                let x = &x.as_chunks::<LANES>().0[chunk];
                // A multiply and an add, not `mul_add`: LLVM's SLP vectorizer turns
                // these fused multiply-adds into 4-wide shuffles and spills (measured
                // with -C target-cpu=x86-64-v3: 910 µs against 355 µs for a W4 step).
                for ((lane, &w), &x) in lanes[r][s].iter_mut().zip(w).zip(x) {
                    *lane += w * x;
                }
            }
        }
    }
    let mut dots = [[T::ZERO; S]; R];
    for (r, row) in rows.iter().enumerate() {
        for (s, x) in xs.iter().enumerate() {
            let [a, b, c, d, e, f, g, h] = lanes[r][s];
            let mut dot = ((a + e) + (c + g)) + ((b + f) + (d + h));
            for (&w, &x) in row[chunks * LANES..].iter().zip(&x[chunks * LANES..]) {
                dot = w.mul_add(x, dot);
            }
            dots[r][s] = dot;
        }
    }
    dots
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

/// Adds `Σₛ dzₛ[first + r] · xₛ` into each row `r` of `rows`.
#[inline(always)]
fn rows_gradient<T: Scalar, const IN: usize, const OUT: usize, const B: usize, const R: usize>(
    first: usize,
    xs: [&[T; IN]; B],
    dzs: &[[T; OUT]; B],
    rows: &mut [[T; IN]; R],
) {
    let chunks = IN / LANES;
    for chunk in 0..chunks {
        let mut sums = [[T::ZERO; LANES]; R];
        for (sums, row) in sums.iter_mut().zip(rows.iter()) {
            *sums = row.as_chunks::<LANES>().0[chunk];
        }
        for (x, dz) in xs.iter().zip(dzs) {
            let x = &x.as_chunks::<LANES>().0[chunk];
            for (r, sums) in sums.iter_mut().enumerate() {
                let d = dz[first + r];
                for (sum, &x) in sums.iter_mut().zip(x) {
                    *sum = d.mul_add(x, *sum);
                }
            }
        }
        for (row, sums) in rows.iter_mut().zip(sums) {
            row.as_chunks_mut::<LANES>().0[chunk] = sums;
        }
    }
    for (r, row) in rows.iter_mut().enumerate() {
        for (x, dz) in xs.iter().zip(dzs) {
            let d = dz[first + r];
            for (w, &x) in row[chunks * LANES..].iter_mut().zip(&x[chunks * LANES..]) {
                *w = d.mul_add(x, *w);
            }
        }
    }
}

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
    }
}
