//! Element-wise kernels: activations unit by unit, the chain rule through them, and
//! the pieces of the squared-error loss.

use crate::Scalar;

/// `f` applied to every element: an activation over a layer, `a = f(z)`.
///
/// ```
/// use backprop_runtime::{activation::relu, kernel::map};
/// assert_eq!(map(&[-1.0f32, 2.0], relu), [0.0, 2.0]);
/// ```
#[inline]
pub fn map<T: Scalar, const N: usize>(z: &[T; N], f: impl Fn(T) -> T) -> [T; N] {
    let mut a = [T::ZERO; N];
    for (a, &z) in a.iter_mut().zip(z) {
        *a = f(z);
    }
    a
}

/// The chain rule through an activation: `upstream[i] · derivative(at[i])`, where `at`
/// is the activation's input or output, whichever its derivative takes.
///
/// ```
/// use backprop_runtime::{activation::relu_derivative, kernel::chain};
/// assert_eq!(chain(&[0.5f32, 0.5], &[-1.0, 2.0], relu_derivative), [0.0, 0.5]);
/// ```
#[inline]
pub fn chain<T: Scalar, const N: usize>(
    upstream: &[T; N],
    at: &[T; N],
    derivative: impl Fn(T) -> T,
) -> [T; N] {
    chain_gate(upstream, at, |u, v| u * derivative(v))
}

/// The chain rule through an activation whose derivative is 1 or 0 (relu, hard_tanh):
/// `gate(upstream[i], at[i])`, which passes each gradient or stops it, a select where
/// [`chain`] multiplies.
///
/// ```
/// use backprop_runtime::{activation::relu_backward, kernel::chain_gate};
/// assert_eq!(chain_gate(&[0.5f32, 0.5], &[-1.0, 2.0], relu_backward), [0.0, 0.5]);
/// ```
#[inline]
pub fn chain_gate<T: Scalar, const N: usize>(
    upstream: &[T; N],
    at: &[T; N],
    gate: impl Fn(T, T) -> T,
) -> [T; N] {
    let mut gradient = [T::ZERO; N];
    for ((g, &u), &v) in gradient.iter_mut().zip(upstream).zip(at) {
        *g = gate(u, v);
    }
    gradient
}

/// `y − t`, element by element: the output's error against its target.
#[inline]
pub fn sub<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N]) -> [T; N] {
    let mut e = [T::ZERO; N];
    for ((e, &y), &t) in e.iter_mut().zip(y).zip(t) {
        *e = y - t;
    }
    e
}

/// `factor · e`, element by element: the loss's gradient from the error.
#[inline]
pub fn scaled<T: Scalar, const N: usize>(e: &[T; N], factor: T) -> [T; N] {
    map(e, |e| factor * e)
}

/// `Σ eᵢ²`, summed over eight independent lanes.
///
/// ```
/// use backprop_runtime::kernel::sum_of_squares;
/// assert_eq!(sum_of_squares(&[1.0f64, 2.0, 3.0]), 14.0);
/// ```
#[inline]
pub fn sum_of_squares<T: Scalar, const N: usize>(e: &[T; N]) -> T {
    let mut lanes = [T::ZERO; 8];
    let (chunks, tail) = e.as_chunks::<8>();
    for chunk in chunks {
        for (lane, &e) in lanes.iter_mut().zip(chunk) {
            *lane = e.mul_add(e, *lane);
        }
    }
    let mut sum = T::ZERO;
    for &e in tail {
        sum = e.mul_add(e, sum);
    }
    lanes.iter().fold(sum, |total, &lane| total + lane)
}

/// The squared-error loss `scale · Σ (yᵢ − tᵢ)² / count`, where `count` is `N` for a
/// mean and 1 for a sum.
#[inline]
pub fn squared_error<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N], scale: T, mean: bool) -> T {
    let sum = sum_of_squares(&sub(y, t));
    let count = if mean { T::from_f64(N as f64) } else { T::ONE };
    scale * sum / count
}

/// [`map`] over each of `B` samples' vectors.
#[inline]
pub fn map_rows<T: Scalar, const N: usize, const B: usize>(
    z: &[[T; N]; B],
    f: impl Fn(T) -> T + Copy,
) -> [[T; N]; B] {
    let mut a = [[T::ZERO; N]; B];
    for (a, z) in a.iter_mut().zip(z) {
        *a = map(z, f);
    }
    a
}

/// [`chain`] over each of `B` samples' vectors.
#[inline]
pub fn chain_rows<T: Scalar, const N: usize, const B: usize>(
    upstream: &[[T; N]; B],
    at: &[[T; N]; B],
    derivative: impl Fn(T) -> T + Copy,
) -> [[T; N]; B] {
    chain_gate_rows(upstream, at, move |u, v| u * derivative(v))
}

/// [`chain_gate`] over each of `B` samples' vectors.
#[inline]
pub fn chain_gate_rows<T: Scalar, const N: usize, const B: usize>(
    upstream: &[[T; N]; B],
    at: &[[T; N]; B],
    gate: impl Fn(T, T) -> T + Copy,
) -> [[T; N]; B] {
    let mut gradient = [[T::ZERO; N]; B];
    for ((g, u), v) in gradient.iter_mut().zip(upstream).zip(at) {
        *g = chain_gate(u, v, gate);
    }
    gradient
}

/// `yₛ − tₛ` for each of `B` samples.
#[inline]
pub fn sub_rows<T: Scalar, const N: usize, const B: usize>(
    y: &[[T; N]; B],
    t: [&[T; N]; B],
) -> [[T; N]; B] {
    let mut e = [[T::ZERO; N]; B];
    for ((e, y), t) in e.iter_mut().zip(y).zip(t) {
        *e = sub(y, t);
    }
    e
}

/// `factor · eₛ` for each of `B` samples.
#[inline]
pub fn scaled_rows<T: Scalar, const N: usize, const B: usize>(
    e: &[[T; N]; B],
    factor: T,
) -> [[T; N]; B] {
    map_rows(e, |e| factor * e)
}

/// `Σₛ Σᵢ eₛᵢ²` over `B` samples.
#[inline]
pub fn sum_of_squares_rows<T: Scalar, const N: usize, const B: usize>(e: &[[T; N]; B]) -> T {
    e.iter().fold(T::ZERO, |total, e| total + sum_of_squares(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::{sigmoid, sigmoid_derivative};

    #[test]
    fn kernels_match_literal_values() {
        let z = [0.0f64, 2.0];
        let a = map(&z, sigmoid);
        assert_eq!(a[0], 0.5);
        assert_eq!(chain(&[2.0, 0.0], &a, sigmoid_derivative)[0], 0.5);
        assert_eq!(sub(&[1.0, 2.0], &[0.5, 3.0]), [0.5, -1.0]);
        assert_eq!(scaled(&[1.0, -2.0], 0.5), [0.5, -1.0]);
        let many: [f64; 19] = core::array::from_fn(|i| i as f64 - 9.0);
        assert_eq!(sum_of_squares(&many), 570.0);
        assert_eq!(squared_error(&[1.0, 3.0], &[0.0, 0.0], 1.0, true), 5.0);
        assert_eq!(squared_error(&[1.0, 3.0], &[0.0, 0.0], 0.5, false), 5.0);
        let rows = [[-1.0f64, 2.0], [3.0, -4.0]];
        assert_eq!(
            map_rows(&rows, crate::activation::relu),
            [[0.0, 2.0], [3.0, 0.0]]
        );
        let ones = [[1.0, 1.0]; 2];
        assert_eq!(chain_rows(&rows, &rows, |v| v), [[1.0, 4.0], [9.0, 16.0]]);
        let relu_gate = crate::activation::relu_backward;
        assert_eq!(chain_gate(&[5.0, 5.0], &rows[0], relu_gate), [0.0, 5.0]);
        assert_eq!(
            chain_gate_rows(&[[5.0, 5.0]; 2], &rows, relu_gate),
            [[0.0, 5.0], [5.0, 0.0]]
        );
        assert_eq!(
            sub_rows(&rows, [&ones[0], &ones[1]]),
            [[-2.0, 1.0], [2.0, -5.0]]
        );
        assert_eq!(scaled_rows(&rows, 2.0)[1], [6.0, -8.0]);
        assert_eq!(sum_of_squares_rows(&rows), 30.0);
    }
}
