//! Kernels that combine or cut values, for networks that are not chains (the graph
//! language): element-wise sums and products, concatenation and slices, and the
//! zero padding that takes a slice's gradient back to the whole value.
//!
//! Every length is a const parameter; where two lengths must agree (a concatenation's
//! parts and its result, a slice within its value) a `const` assertion checks them when
//! the generated code is compiled, so no kernel has a panicking path.

use crate::Scalar;

/// `a + b`, element by element.
///
/// ```
/// use backprop_runtime::kernel::add;
/// assert_eq!(add(&[1.0f32, 2.0], &[0.5, -1.0]), [1.5, 1.0]);
/// ```
#[inline]
pub fn add<T: Scalar, const N: usize>(a: &[T; N], b: &[T; N]) -> [T; N] {
    core::array::from_fn(|i| a[i] + b[i])
}

/// `f` of each of `B` samples' pair of rows: the batch form of [`add`], [`mul`],
/// [`concat()`] and the other two-input kernels.
///
/// ```
/// use backprop_runtime::kernel::{add, zip_rows};
/// let sums = zip_rows(&[[1.0f32, 2.0], [3.0, 4.0]], &[[0.5, 0.5], [1.0, 1.0]], add);
/// assert_eq!(sums, [[1.5, 2.5], [4.0, 5.0]]);
/// ```
#[inline]
pub fn zip_rows<T, U, V, const A: usize, const C: usize, const N: usize, const B: usize>(
    a: &[[T; A]; B],
    b: &[[U; C]; B],
    f: impl Fn(&[T; A], &[U; C]) -> [V; N],
) -> [[V; N]; B] {
    core::array::from_fn(|s| f(&a[s], &b[s]))
}

/// `f` of each of `B` samples' row: the batch form of [`slice()`], [`pad`] and the other
/// one-input kernels.
///
/// ```
/// use backprop_runtime::kernel::{each_row, slice};
/// let tails = each_row(&[[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]], slice::<1, 2, 3, f32>);
/// assert_eq!(tails, [[2.0, 3.0], [5.0, 6.0]]);
/// ```
#[inline]
pub fn each_row<T, V, const A: usize, const N: usize, const B: usize>(
    a: &[[T; A]; B],
    f: impl Fn(&[T; A]) -> [V; N],
) -> [[V; N]; B] {
    core::array::from_fn(|s| f(&a[s]))
}

/// `a ⊙ b`, element by element.
#[inline]
pub fn mul<T: Scalar, const N: usize>(a: &[T; N], b: &[T; N]) -> [T; N] {
    core::array::from_fn(|i| a[i] * b[i])
}

/// `a` followed by `b`: `[a₀ … a_{A−1}, b₀ … b_{B−1}]`, of length `C = A + B`.
///
/// ```
/// use backprop_runtime::kernel::concat;
/// let c: [f32; 3] = concat(&[1.0], &[2.0, 3.0]);
/// assert_eq!(c, [1.0, 2.0, 3.0]);
/// ```
#[inline]
pub fn concat<T: Scalar, const A: usize, const B: usize, const C: usize>(
    a: &[T; A],
    b: &[T; B],
) -> [T; C] {
    const {
        assert!(
            A + B == C,
            "a concatenation's length is the sum of its parts'"
        )
    };
    let mut c = [T::ZERO; C];
    let (head, tail) = c.split_at_mut(A);
    head.copy_from_slice(a);
    tail.copy_from_slice(b);
    c
}

/// Elements `START .. START + LEN` of `a`.
///
/// ```
/// use backprop_runtime::kernel::slice;
/// assert_eq!(slice::<1, 2, 4, f32>(&[1.0, 2.0, 3.0, 4.0]), [2.0, 3.0]);
/// ```
#[inline]
pub fn slice<const START: usize, const LEN: usize, const N: usize, T: Scalar>(
    a: &[T; N],
) -> [T; LEN] {
    const { assert!(START + LEN <= N, "a slice lies within its value") };
    let mut part = [T::ZERO; LEN];
    part.copy_from_slice(&a[START..START + LEN]);
    part
}

/// `part` placed at `START` in an array of `N` zeros: the gradient of a value from the
/// gradient of its slice.
///
/// ```
/// use backprop_runtime::kernel::pad;
/// assert_eq!(pad::<1, 2, 4, f32>(&[5.0, 6.0]), [0.0, 5.0, 6.0, 0.0]);
/// ```
#[inline]
pub fn pad<const START: usize, const LEN: usize, const N: usize, T: Scalar>(
    part: &[T; LEN],
) -> [T; N] {
    const { assert!(START + LEN <= N, "a slice lies within its value") };
    let mut whole = [T::ZERO; N];
    whole[START..START + LEN].copy_from_slice(part);
    whole
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combinations_and_cuts() {
        assert_eq!(mul(&[2.0f64, -1.0], &[3.0, 4.0]), [6.0, -4.0]);
        let whole: [f64; 5] = concat(&[1.0, 2.0], &[3.0, 4.0, 5.0]);
        assert_eq!(slice::<2, 3, 5, f64>(&whole), [3.0, 4.0, 5.0]);
        assert_eq!(pad::<0, 2, 3, f64>(&[7.0, 8.0]), [7.0, 8.0, 0.0]);
    }
}
