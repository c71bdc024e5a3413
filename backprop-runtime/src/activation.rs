//! Activation functions, each next to its derivative.
//!
//! The generated code calls these by name. `sigmoid`, `tanh`, `silu` and `gelu_tanh`
//! use the fast approximations of [`Scalar::fast_exp`] and [`Scalar::fast_tanh`]
//! (within a few ulp for `f32`, see [`crate::fastmath`]); [`exact`] has the same
//! functions on the platform's or libm's `exp` and `tanh`, which a spec selects with
//! `; math exact`. Softmax acts on a whole layer, so it is a kernel:
//! [`crate::kernel::softmax`].
//!
//! A derivative takes whichever of the activation's input `z` or output `a = f(z)`
//! gives it most cheaply: `relu` needs `z`, `sigmoid` and `tanh` are cheapest from
//! `a`, and each function says which it takes. Parameters (`leaky_relu`'s slope,
//! `elu`'s α) come last.
//!
//! Every function is stable: finite for every finite input, ±1e4 included, with
//! finite derivatives, and NaN in gives NaN out (as in PyTorch and JAX), so that a bad
//! sample shows in the loss rather than vanishing. Adding an activation means a pair
//! here and a row in the macro's name table.

use crate::Scalar;

/// SELU's scale λ (Klambauer et al. 2017, and PyTorch's `SELU`).
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
/// SELU's α (Klambauer et al. 2017, and PyTorch's `SELU`).
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// The identity, `f(z) = z` (spelled `identity` or `linear` in a spec).
#[inline(always)]
pub fn identity<T: Scalar>(z: T) -> T {
    z
}

/// The rectified linear unit, `f(z) = max(z, 0)`; NaN stays NaN.
#[inline(always)]
pub fn relu<T: Scalar>(z: T) -> T {
    // `z < 0` is false for NaN, which therefore passes through.
    if z < T::ZERO { T::ZERO } else { z }
}

/// The derivative of [`relu`] at the input `z`: 1 where `z > 0`, else 0 (0 at the
/// kink, as PyTorch does).
#[inline(always)]
pub fn relu_derivative<T: Scalar>(z: T) -> T {
    relu_backward(T::ONE, z)
}

/// The gradient through [`relu`] at its input `z`: `upstream` where `z > 0`, else 0.
///
/// A select, as PyTorch's and JAX's ReLU backward pass, where
/// `upstream · relu_derivative(z)` multiplies: the same for a finite gradient but for
/// the sign of a zero, one multiply shorter on the backward pass's critical path, and
/// an infinite or NaN gradient stops at a unit that was off instead of becoming NaN.
///
/// ```
/// use backprop_runtime::activation::relu_backward;
/// assert_eq!(relu_backward(0.5f32, 2.0), 0.5);
/// assert_eq!(relu_backward(f32::NAN, -1.0), 0.0);
/// ```
#[inline(always)]
pub fn relu_backward<T: Scalar>(upstream: T, z: T) -> T {
    if z > T::ZERO { upstream } else { T::ZERO }
}

/// The leaky ReLU, `f(z) = z` for `z > 0`, else `slope · z` (PyTorch's `LeakyReLU`,
/// whose default slope is 0.01).
#[inline(always)]
pub fn leaky_relu<T: Scalar>(z: T, slope: T) -> T {
    if z < T::ZERO { slope * z } else { z }
}

/// The derivative of [`leaky_relu`] at the input `z`: 1 for `z > 0`, else the slope.
#[inline(always)]
pub fn leaky_relu_derivative<T: Scalar>(z: T, slope: T) -> T {
    if z > T::ZERO { T::ONE } else { slope }
}

/// The exponential linear unit, `f(z) = z` for `z > 0`, else `α · (e^z − 1)` (PyTorch's
/// `ELU`, default α = 1).
#[inline(always)]
pub fn elu<T: Scalar>(z: T, alpha: T) -> T {
    if z > T::ZERO { z } else { alpha * z.exp_m1() }
}

/// The derivative of [`elu`] at the input `z`: 1 for `z > 0`, else `α · e^z`.
#[inline(always)]
pub fn elu_derivative<T: Scalar>(z: T, alpha: T) -> T {
    if z > T::ZERO { T::ONE } else { alpha * z.exp() }
}

/// The scaled ELU, `f(z) = λ · z` for `z > 0`, else `λ · α · (e^z − 1)`, with the
/// fixed [`SELU_SCALE`] and [`SELU_ALPHA`] (PyTorch's `SELU`).
#[inline(always)]
pub fn selu<T: Scalar>(z: T) -> T {
    T::from_f64(SELU_SCALE) * elu(z, T::from_f64(SELU_ALPHA))
}

/// The derivative of [`selu`] at the input `z`.
#[inline(always)]
pub fn selu_derivative<T: Scalar>(z: T) -> T {
    T::from_f64(SELU_SCALE) * elu_derivative(z, T::from_f64(SELU_ALPHA))
}

/// The Gaussian error linear unit, exact: `f(z) = z · Φ(z)`, `Φ(z) = (1 + erf(z/√2))/2`
/// (PyTorch's `GELU()`).
#[inline(always)]
pub fn gelu<T: Scalar>(z: T) -> T {
    z * normal_cdf(z)
}

/// The derivative of [`gelu`] at the input `z`: `Φ(z) + z · φ(z)`.
#[inline(always)]
pub fn gelu_derivative<T: Scalar>(z: T) -> T {
    // φ(z) = e^(−z²/2) / √(2π); e^(−z²/2) underflows to 0 far out, never NaN.
    let density = (-(z * z) * T::from_f64(0.5)).exp() * T::from_f64(FRAC_1_SQRT_2PI);
    normal_cdf(z) + z * density
}

/// 1/√(2π).
const FRAC_1_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2/π), the scale inside GELU's tanh approximation.
const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
/// The cubic coefficient of GELU's tanh approximation (Hendrycks & Gimpel 2016).
const GELU_CUBIC: f64 = 0.044_715;

/// The standard normal CDF, `Φ(z) = (1 + erf(z/√2))/2`.
#[inline(always)]
fn normal_cdf<T: Scalar>(z: T) -> T {
    T::from_f64(0.5) * (T::ONE + (z * T::from_f64(core::f64::consts::FRAC_1_SQRT_2)).erf())
}

/// GELU's tanh approximation, `f(z) = z/2 · (1 + tanh(√(2/π) · (z + 0.044715 z³)))`
/// (PyTorch's `GELU(approximate='tanh')`), with [`Scalar::fast_tanh`].
#[inline(always)]
pub fn gelu_tanh<T: Scalar>(z: T) -> T {
    T::from_f64(0.5) * z * (T::ONE + gelu_tanh_inner(z).fast_tanh())
}

/// The argument of the tanh in [`gelu_tanh`]. Cubing 1e4 gives 1e12, far inside `f32`.
#[inline(always)]
fn gelu_tanh_inner<T: Scalar>(z: T) -> T {
    T::from_f64(SQRT_2_OVER_PI) * (z + T::from_f64(GELU_CUBIC) * z * z * z)
}

/// The derivative of [`gelu_tanh`] at the input `z`.
#[inline(always)]
pub fn gelu_tanh_derivative<T: Scalar>(z: T) -> T {
    let t = gelu_tanh_inner(z).fast_tanh();
    let sech2 = T::ONE - t * t;
    // Far out the tanh is saturated (sech² = 0) while z³ may have overflowed: the
    // second term is 0 there, not 0 · ∞.
    if sech2 == T::ZERO {
        return T::from_f64(0.5) * (T::ONE + t);
    }
    let inner_slope =
        T::from_f64(SQRT_2_OVER_PI) * (T::ONE + T::from_f64(3.0 * GELU_CUBIC) * z * z);
    T::from_f64(0.5) * (T::ONE + t) + T::from_f64(0.5) * z * sech2 * inner_slope
}

/// The sigmoid-weighted linear unit, `f(z) = z · sigmoid(z)` (spelled `silu` or
/// `swish`; PyTorch's `SiLU`).
#[inline(always)]
pub fn silu<T: Scalar>(z: T) -> T {
    z * sigmoid(z)
}

/// The derivative of [`silu`] at the input `z`: `σ(z) · (1 + z · (1 − σ(z)))`.
#[inline(always)]
pub fn silu_derivative<T: Scalar>(z: T) -> T {
    let s = sigmoid(z);
    s * (T::ONE + z * (T::ONE - s))
}

/// Softplus, `f(z) = ln(1 + e^z)`, computed as `max(z, 0) + ln(1 + e^(−|z|))` so that
/// it neither overflows for large `z` nor loses everything to rounding for small.
#[inline(always)]
pub fn softplus<T: Scalar>(z: T) -> T {
    relu(z) + (-z.abs()).exp().ln_1p()
}

/// The derivative of [`softplus`] at the input `z`: `sigmoid(z)`.
#[inline(always)]
pub fn softplus_derivative<T: Scalar>(z: T) -> T {
    sigmoid(z)
}

/// Softsign, `f(z) = z / (1 + |z|)`.
#[inline(always)]
pub fn softsign<T: Scalar>(z: T) -> T {
    z / (T::ONE + z.abs())
}

/// The derivative of [`softsign`] at the input `z`: `1 / (1 + |z|)²`.
#[inline(always)]
pub fn softsign_derivative<T: Scalar>(z: T) -> T {
    let d = T::ONE + z.abs();
    T::ONE / (d * d)
}

/// The hard sigmoid, `f(z) = clamp(z/6 + 1/2, 0, 1)` (PyTorch's `Hardsigmoid`, and
/// Keras 3's `hard_sigmoid`).
#[inline(always)]
pub fn hard_sigmoid<T: Scalar>(z: T) -> T {
    clamp(z / T::from_f64(6.0) + T::from_f64(0.5), T::ZERO, T::ONE)
}

/// The derivative of [`hard_sigmoid`] at the input `z`: 1/6 on `(−3, 3)`, else 0.
#[inline(always)]
pub fn hard_sigmoid_derivative<T: Scalar>(z: T) -> T {
    let three = T::from_f64(3.0);
    if z > -three && z < three {
        T::ONE / T::from_f64(6.0)
    } else {
        T::ZERO
    }
}

/// The hard tanh, `f(z) = clamp(z, −1, 1)` (PyTorch's `Hardtanh`).
#[inline(always)]
pub fn hard_tanh<T: Scalar>(z: T) -> T {
    clamp(z, -T::ONE, T::ONE)
}

/// The derivative of [`hard_tanh`] at the input `z`: 1 on `(−1, 1)`, else 0.
#[inline(always)]
pub fn hard_tanh_derivative<T: Scalar>(z: T) -> T {
    hard_tanh_backward(T::ONE, z)
}

/// The gradient through [`hard_tanh`] at its input `z`: `upstream` on `(−1, 1)`, else
/// 0; a select, as [`relu_backward`] is, and as PyTorch's `Hardtanh` backward pass.
#[inline(always)]
pub fn hard_tanh_backward<T: Scalar>(upstream: T, z: T) -> T {
    if z > -T::ONE && z < T::ONE {
        upstream
    } else {
        T::ZERO
    }
}

/// `z` limited to `[low, high]`; NaN passes through (comparisons with NaN are false).
#[inline(always)]
fn clamp<T: Scalar>(z: T, low: T, high: T) -> T {
    if z < low {
        low
    } else if z > high {
        high
    } else {
        z
    }
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

/// The derivative of [`tanh`], from its output `a = tanh(z)`: `1 − a²`.
#[inline(always)]
pub fn tanh_derivative<T: Scalar>(a: T) -> T {
    T::ONE - a * a
}

/// The derivative of the activation named `name` (as `Layer::activation` names it) at
/// input `z` and output `a`, in `f64`; `None` for the activations that take a parameter
/// (`leaky_relu`, `elu`) and for `softmax`, whose derivative is a matrix.
pub fn derivative_by_name(name: &str, z: f64, a: f64) -> Option<f64> {
    Some(match name {
        "identity" => 1.0,
        "relu" => relu_derivative(z),
        "selu" => selu_derivative(z),
        "gelu" => gelu_derivative(z),
        "gelu_tanh" => gelu_tanh_derivative(z),
        "silu" => silu_derivative(z),
        "softplus" => softplus_derivative(z),
        "softsign" => softsign_derivative(z),
        "hard_sigmoid" => hard_sigmoid_derivative(z),
        "hard_tanh" => hard_tanh_derivative(z),
        "sigmoid" => sigmoid_derivative(a),
        "tanh" => tanh_derivative(a),
        _ => return None,
    })
}

/// The activations built on `exp` or `tanh`, on the exact `exp` and `tanh` of
/// [`Scalar`] (the platform's under `std`, libm's without): what a spec with
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

    /// SiLU, `z · sigmoid(z)`, on the exact `exp`.
    #[inline(always)]
    pub fn silu<T: Scalar>(z: T) -> T {
        z * sigmoid(z)
    }

    /// GELU's tanh approximation on the exact `tanh`.
    #[inline(always)]
    pub fn gelu_tanh<T: Scalar>(z: T) -> T {
        T::from_f64(0.5) * z * (T::ONE + super::gelu_tanh_inner(z).tanh())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every activation with its derivative and whether the derivative takes the
    /// output (`true`) or the input, at its default parameter.
    type Pair = (&'static str, fn(f64) -> f64, fn(f64) -> f64, bool);

    fn all() -> [Pair; 15] {
        [
            ("identity", identity, |_| 1.0, false),
            ("relu", relu, relu_derivative, false),
            (
                "leaky_relu",
                |z| leaky_relu(z, 0.01),
                |z| leaky_relu_derivative(z, 0.01),
                false,
            ),
            ("elu", |z| elu(z, 1.0), |z| elu_derivative(z, 1.0), false),
            (
                "elu(0.5)",
                |z| elu(z, 0.5),
                |z| elu_derivative(z, 0.5),
                false,
            ),
            ("selu", selu, selu_derivative, false),
            ("gelu", gelu, gelu_derivative, false),
            ("gelu_tanh", gelu_tanh, gelu_tanh_derivative, false),
            ("silu", silu, silu_derivative, false),
            ("softplus", softplus, softplus_derivative, false),
            ("softsign", softsign, softsign_derivative, false),
            ("hard_sigmoid", hard_sigmoid, hard_sigmoid_derivative, false),
            ("hard_tanh", hard_tanh, hard_tanh_derivative, false),
            ("sigmoid", sigmoid, sigmoid_derivative, true),
            ("tanh", tanh, tanh_derivative, true),
        ]
    }

    fn derivative((_, f, d, of_output): Pair, z: f64) -> f64 {
        if of_output { d(f(z)) } else { d(z) }
    }

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

    /// Reference values at -2.5, -0.5, 0.3 and 1.7, computed independently with
    /// Python's `math` module from each function's published definition (PyTorch's
    /// `torch.nn` documentation), e.g. `0.5*z*(1+math.erf(z/math.sqrt(2)))` for GELU,
    /// `math.log1p(math.exp(z))` for softplus, and SELU's λ = 1.0507009873554804934…,
    /// α = 1.6732632423543772848….
    type Reference = (&'static str, fn(f64) -> f64, [f64; 4]);

    #[test]
    fn values_match_independent_references() {
        #[rustfmt::skip]
        let table: [Reference; 10] = [
            ("gelu", gelu, [-0.015524163314440398, -0.15426876936299344, 0.18537342665668577, 1.6242387133104768]),
            ("gelu_tanh", gelu_tanh, [-0.015084266089998577, -0.15428599017485606, 0.18537092354275922, 1.624105895551156]),
            ("silu", silu, [-0.18964545005310887, -0.1887703343990727, 0.1723327550434977, 1.437409049357991]),
            ("softplus", softplus, [0.07888973429254963, 0.4740769841801067, 0.8543552444685272, 1.867786029386266]),
            ("elu", |z| elu(z, 1.0), [-0.9179150013761013, -0.3934693402873666, 0.3, 1.7]),
            ("selu", selu, [-1.6137857588732425, -0.6917581878028713, 0.31521029620664415, 1.7861916785043168]),
            ("softsign", softsign, [-0.7142857142857143, -0.3333333333333333, 0.23076923076923075, 0.6296296296296295]),
            ("hard_sigmoid", hard_sigmoid, [0.08333333333333331, 0.4166666666666667, 0.55, 0.7833333333333333]),
            ("hard_tanh", hard_tanh, [-1.0, -0.5, 0.3, 1.0]),
            ("leaky_relu", |z| leaky_relu(z, 0.01), [-0.025, -0.005, 0.3, 1.7]),
        ];
        for (name, f, expected) in table {
            for (z, want) in [-2.5, -0.5, 0.3, 1.7].into_iter().zip(expected) {
                let got = f(z);
                assert!(
                    (got - want).abs() <= 1e-14 * want.abs().max(1.0),
                    "{name}({z}) = {got}, want {want}"
                );
            }
        }
    }

    #[test]
    fn derivatives_match_finite_differences() {
        // Away from each function's kinks (0 for the relus and elu, ±1 and ±3 for the
        // hard ones), at ordinary and large inputs.
        let points = [-30.0, -7.5, -2.2, -0.7, -0.1, 0.1, 0.4, 1.3, 2.9, 8.0, 30.0];
        for pair in all() {
            for z in points {
                let analytic = derivative(pair, z);
                let numeric = numeric(pair.1, z);
                assert!(
                    (analytic - numeric).abs() <= 1e-7 * analytic.abs().max(1.0),
                    "{} at {z}: {analytic} vs {numeric}",
                    pair.0
                );
            }
        }
        assert_eq!(relu_derivative(0.0f32), 0.0);
    }

    #[test]
    fn finite_for_every_finite_input() {
        let extremes = [-1e4, -88.8, -20.0, 20.0, 88.8, 1e4, f64::MAX, -f64::MAX];
        for pair in all() {
            for z in extremes {
                let (a, d) = (pair.1(z), derivative(pair, z));
                assert!(a.is_finite() || z.abs() > 1e300, "{}({z}) = {a}", pair.0);
                assert!(d.is_finite(), "{}'({z}) = {d}", pair.0);
            }
        }
        for z in [-1e4f32, -100.0, 100.0, 1e4] {
            let values = [
                gelu(z),
                gelu_derivative(z),
                gelu_tanh(z),
                gelu_tanh_derivative(z),
                silu(z),
                silu_derivative(z),
                softplus(z),
                softplus_derivative(z),
                selu(z),
                selu_derivative(z),
                sigmoid(z),
                tanh(z),
            ];
            assert!(values.iter().all(|v| v.is_finite()), "{z}: {values:?}");
        }
        assert_eq!(sigmoid(-1000.0f32), 0.0);
        assert_eq!(sigmoid(1000.0f32), 1.0);
        assert_eq!(softplus(1e4f32), 1e4);
        assert_eq!(gelu(-1e4f32), 0.0);
    }

    #[test]
    fn nan_in_gives_nan_out() {
        for (name, f, _, _) in all() {
            assert!(f(f64::NAN).is_nan(), "{name}");
        }
        assert!(relu(f32::NAN).is_nan());
        assert!(exact::sigmoid(f32::NAN).is_nan());
        assert!(exact::silu(f32::NAN).is_nan());
        assert!(exact::gelu_tanh(f32::NAN).is_nan());
    }

    /// The gates are the chain rule through relu and hard_tanh, `upstream · derivative`,
    /// as selects: equal to it for finite gradients (`==` treats the zeros' signs as
    /// one), and, as in PyTorch, stopping an infinite or NaN gradient at a unit whose
    /// derivative is 0.
    #[test]
    fn gates_are_the_chain_rule_as_a_select() {
        /// A gate and the derivative it stands for.
        type GateAndDerivative = (fn(f64, f64) -> f64, fn(f64) -> f64);
        let gates: [GateAndDerivative; 2] = [
            (relu_backward, relu_derivative),
            (hard_tanh_backward, hard_tanh_derivative),
        ];
        for (gate, derivative) in gates {
            for z in [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0] {
                for upstream in [-2.5, -0.0, 0.0, 0.75] {
                    assert_eq!(
                        gate(upstream, z),
                        upstream * derivative(z),
                        "{upstream} at {z}"
                    );
                }
                let (nan, infinite) = (gate(f64::NAN, z), gate(f64::INFINITY, z));
                if derivative(z) == 0.0 {
                    assert_eq!((nan, infinite), (0.0, 0.0), "at {z}");
                } else {
                    assert!(nan.is_nan() && infinite == f64::INFINITY, "at {z}");
                }
            }
            // A NaN input is off: its derivative is 0, and so is what passes.
            assert_eq!(gate(1.0, f64::NAN), 0.0);
        }
    }
}
