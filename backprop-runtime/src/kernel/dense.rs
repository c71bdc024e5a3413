//! The dense layer `z = W·x + b` and its backward pass, for any constant shape.
//!
//! `W` is `[OUT][IN]`, row-major, as the parameter array stores it. The forward pass
//! computes four rows at a time, each with eight independent accumulators, so that
//! the input is loaded once per four rows and the multiply-adds do not wait on each
//! other: the batch kernel's dot products taken with one sample, so that a sample's
//! outputs are the same bit for bit one at a time or in a batch. The backward pass
//! walks the rows once, adding `dz[o]·x` into the weight gradients and `dz[o]·W[o]`
//! into the input's gradient, both contiguous and element-wise, which LLVM turns into
//! vector code without reassociating any sum.

use crate::Scalar;
use crate::kernel::batch::add_group_dots;

/// Rows computed together in the forward pass, sharing each load of the input.
const ROWS: usize = 4;

/// `W·x + b` for a layer of `OUT` units over `IN` inputs.
///
/// ```
/// use backprop_runtime::kernel::dense_forward;
/// let z = dense_forward(&[[1.0f32, 2.0], [3.0, 4.0]], &[0.5, -0.5], &[1.0, 1.0]);
/// assert_eq!(z, [3.5, 6.5]);
/// ```
#[inline]
pub fn dense_forward<T: Scalar, const IN: usize, const OUT: usize>(
    weights: &[[T; IN]; OUT],
    biases: &[T; OUT],
    x: &[T; IN],
) -> [T; OUT] {
    // `f64` without AVX takes two rows at a time: four rows' lanes are sixteen 128-bit
    // vectors there, all of SSE's registers (64 × 32: 460–550 ns with two rows
    // against 550–670 with four).
    let mut z = *biases;
    let one = core::array::from_mut(&mut z);
    if size_of::<T>() > 4 && !cfg!(target_feature = "avx") {
        add_group_dots::<T, IN, OUT, 2, 1>(weights, [x], one);
    } else {
        add_group_dots::<T, IN, OUT, ROWS, 1>(weights, [x], one);
    }
    z
}

/// The backward pass of [`dense_forward`]: adds `dz·xᵀ` into `dw` and `dz` into `db`,
/// and returns the input's gradient `Wᵀ·dz`.
///
/// ```
/// use backprop_runtime::kernel::dense_backward;
/// let (mut dw, mut db) = ([[0.0f32; 2]; 1], [0.0f32; 1]);
/// let dx = dense_backward(&[[1.0, 2.0]], &[3.0, 4.0], &[0.5], &mut dw, &mut db);
/// assert_eq!((dx, dw, db), ([0.5, 1.0], [[1.5, 2.0]], [0.5]));
/// ```
#[inline]
pub fn dense_backward<T: Scalar, const IN: usize, const OUT: usize>(
    weights: &[[T; IN]; OUT],
    x: &[T; IN],
    dz: &[T; OUT],
    dw: &mut [[T; IN]; OUT],
    db: &mut [T; OUT],
) -> [T; IN] {
    let mut dx = [T::ZERO; IN];
    for (((row, dw_row), db), &d) in weights.iter().zip(dw.iter_mut()).zip(db).zip(dz) {
        for (((dx, &w), dw), &x) in dx.iter_mut().zip(row).zip(dw_row.iter_mut()).zip(x) {
            *dx = d.mul_add(w, *dx);
            *dw = d.mul_add(x, *dw);
        }
        *db += d;
    }
    dx
}

/// [`dense_backward`] for a layer whose input needs no gradient (the network's input):
/// only `dw` and `db` are updated.
#[inline]
pub fn dense_backward_params<T: Scalar, const IN: usize, const OUT: usize>(
    x: &[T; IN],
    dz: &[T; OUT],
    dw: &mut [[T; IN]; OUT],
    db: &mut [T; OUT],
) {
    for ((dw_row, db), &d) in dw.iter_mut().zip(db).zip(dz) {
        for (dw, &x) in dw_row.iter_mut().zip(x) {
            *dw = d.mul_add(x, *dw);
        }
        *db += d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::kernel::test_fill as fill;

    fn matrix<const IN: usize, const OUT: usize>(salt: u32) -> [[f64; IN]; OUT] {
        core::array::from_fn(|o| fill::<IN>(salt + o as u32 * 7919))
    }

    /// Shapes around every blocking boundary: rows not a multiple of 4, inputs not a
    /// multiple of 8, and both smaller than a block.
    fn check_shape<const IN: usize, const OUT: usize>() {
        let (w, b, x, dz) = (
            matrix::<IN, OUT>(1),
            fill::<OUT>(2),
            fill::<IN>(3),
            fill::<OUT>(4),
        );
        let z = dense_forward(&w, &b, &x);
        for o in 0..OUT {
            let naive: f64 = b[o] + (0..IN).map(|i| w[o][i] * x[i]).sum::<f64>();
            assert!((z[o] - naive).abs() < 1e-12, "{IN}→{OUT} z[{o}]");
        }
        let (mut dw, mut db) = (matrix::<IN, OUT>(5), fill::<OUT>(6));
        let (dw0, db0) = (dw, db);
        let dx = dense_backward(&w, &x, &dz, &mut dw, &mut db);
        for i in 0..IN {
            let naive: f64 = (0..OUT).map(|o| dz[o] * w[o][i]).sum();
            assert!((dx[i] - naive).abs() < 1e-12, "{IN}→{OUT} dx[{i}]");
        }
        for o in 0..OUT {
            assert!((db[o] - (db0[o] + dz[o])).abs() < 1e-15);
            for i in 0..IN {
                assert!((dw[o][i] - (dw0[o][i] + dz[o] * x[i])).abs() < 1e-15);
            }
        }
        let (mut dw2, mut db2) = (dw0, db0);
        dense_backward_params(&x, &dz, &mut dw2, &mut db2);
        assert_eq!((dw2, db2), (dw, db));
    }

    #[test]
    fn forward_and_backward_match_the_definition_for_every_blocking() {
        check_shape::<1, 1>();
        check_shape::<3, 5>();
        check_shape::<8, 4>();
        check_shape::<9, 7>();
        check_shape::<16, 32>();
        check_shape::<17, 13>();
        check_shape::<64, 10>();
    }

    #[test]
    fn matches_literal_values_in_f32() {
        let z = dense_forward(&[[0.1f32, 0.2], [0.3, 0.4]], &[0.0, 0.1], &[1.0, 2.0]);
        assert!(
            (z[0] - 0.5).abs() < 1e-7 && (z[1] - 1.2).abs() < 1e-6,
            "{z:?}"
        );
    }
}
