//! Activation functions, each next to its derivative.
//!
//! The generated code calls these by name. `sigmoid` and `tanh` use the fast
//! approximations of [`Scalar::fast_exp`] and [`Scalar::fast_tanh`] (within a few ulp
//! for `f32`, see [`crate::fastmath`]); [`exact`] has the same functions on the
//! platform's or libm's `exp` and `tanh`, which a spec selects with `; math exact`.
//!
//! A derivative takes whichever of the
//! activation's input `z` or output `a = f(z)` gives it most cheaply: `relu` needs
//! `z`, `sigmoid` and `tanh` are cheapest from `a`, and each function says which it
//! takes. Adding an activation means a pair here and a row in the macro's name table.

use crate::Scalar;

/// The identity, `f(z) = z` (spelled `identity` or `linear` in a spec).
#[inline(always)]
pub fn identity<T: Scalar>(z: T) -> T {
    z
}

/// The rectified linear unit, `f(z) = max(z, 0)`.
#[inline(always)]
pub fn relu<T: Scalar>(z: T) -> T {
    if z > T::ZERO { z } else { T::ZERO }
}

/// The derivative of [`relu`] at the input `z`: 1 where `z > 0`, else 0 (0 at the
/// kink, as PyTorch does).
#[inline(always)]
pub fn relu_derivative<T: Scalar>(z: T) -> T {
    if z > T::ZERO { T::ONE } else { T::ZERO }
}

/// The logistic sigmoid, `f(z) = 1 / (1 + e^-z)`, with [`Scalar::fast_exp`].
///
/// For very negative `z`, `e^-z` overflows to infinity and the result is exactly 0,
/// never NaN.
#[inline(always)]
pub fn sigmoid<T: Scalar>(z: T) -> T {
    T::ONE / (T::ONE + (-z).fast_exp())
}

/// The derivative of [`sigmoid`], from its output `a = sigmoid(z)`: `a · (1 − a)`.
#[inline(always)]
pub fn sigmoid_derivative<T: Scalar>(a: T) -> T {
    a * (T::ONE - a)
}

/// The hyperbolic tangent, `f(z) = (e^z − e^-z) / (e^z + e^-z)`, with
/// [`Scalar::fast_tanh`].
#[inline(always)]
pub fn tanh<T: Scalar>(z: T) -> T {
    z.fast_tanh()
}

/// [`sigmoid`] and [`tanh`] on the exact `exp` and
/// `tanh` of [`Scalar`] (the platform's under `std`, libm's without): what a spec with
/// `; math exact` calls. Their derivatives are the same functions as the fast ones'.
pub mod exact {
    use crate::Scalar;

    /// The logistic sigmoid, `f(z) = 1 / (1 + e^-z)`, on the exact `exp`.
    #[inline(always)]
    pub fn sigmoid<T: Scalar>(z: T) -> T {
        T::ONE / (T::ONE + (-z).exp())
    }

    /// The hyperbolic tangent on the exact `tanh`.
    #[inline(always)]
    pub fn tanh<T: Scalar>(z: T) -> T {
        z.tanh()
    }
}

/// The derivative of [`tanh`], from its output `a = tanh(z)`: `1 − a²`.
#[inline(always)]
pub fn tanh_derivative<T: Scalar>(a: T) -> T {
    T::ONE - a * a
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Central difference of `f` at `z`, in f64.
    fn numeric(f: fn(f64) -> f64, z: f64) -> f64 {
        let h = 1e-6;
        (f(z + h) - f(z - h)) / (2.0 * h)
    }

    #[test]
    fn values_match_literals() {
        assert_eq!(identity(-1.5f64), -1.5);
        assert_eq!(relu(-0.3f64), 0.0);
        assert_eq!(relu(0.54f64), 0.54);
        assert_eq!(sigmoid(0.0f64), 0.5);
        // seed 003: sigmoid(0.444) ≈ 0.609; seed 001: sigmoid(0.5) = 0.6224593312018546
        assert!((sigmoid(0.444f64) - 0.609_211_736_849_130_2).abs() < 1e-15);
        assert!((sigmoid(0.5f64) - 0.622_459_331_201_854_6).abs() < 1e-15);
        assert!((tanh(0.5f64) - 0.462_117_157_260_009_7).abs() < 1e-15);
        assert_eq!(exact::sigmoid(0.444f64), sigmoid(0.444f64));
        assert!((sigmoid(0.444f32) - exact::sigmoid(0.444f32)).abs() <= 2.0 * f32::EPSILON);
        assert!((tanh(0.5f32) - exact::tanh(0.5f32)).abs() <= 2.0 * f32::EPSILON);
    }

    #[test]
    fn saturates_without_nan() {
        assert_eq!(sigmoid(-1000.0f32), 0.0);
        assert_eq!(sigmoid(1000.0f32), 1.0);
        assert_eq!(tanh(1000.0f64), 1.0);
        assert_eq!(sigmoid_derivative(sigmoid(-1000.0f64)), 0.0);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        for &z in &[-2.0, -0.7, -0.1, 0.1, 0.4, 1.3, 3.0] {
            assert!(
                (relu_derivative(z) - numeric(relu, z)).abs() < 1e-8,
                "relu at {z}"
            );
            let ds = sigmoid_derivative(sigmoid(z));
            assert!((ds - numeric(sigmoid, z)).abs() < 1e-8, "sigmoid at {z}");
            let dt = tanh_derivative(tanh(z));
            assert!((dt - numeric(tanh, z)).abs() < 1e-8, "tanh at {z}");
        }
        assert_eq!(relu_derivative(0.0f32), 0.0);
    }
}
