//! Fast `exp`, `tanh` and `sigmoid` for `f32`: branch-free, so that a loop applying
//! them over a layer vectorizes, with a maximum error stated and tested against the
//! correctly rounded result over the whole `f32` range.
//!
//! | function | method | bound (tested) | worst measured |
//! |---|---|---|---|
//! | [`exp`] | `2ⁿ · p(r)`, `r = x − n·ln 2` in `[−ln2/2, ln2/2]`, degree-6 polynomial (Cephes) | 2 ulp | 0.94 ulp |
//! | [`tanh`] | odd polynomial below `|x| = 0.625` (Cephes), `1 − 2/(e^{2|x|} + 1)` above | 3 ulp | 1.24 ulp |
//! | [`sigmoid`] | `1 / (1 + e^{−x})` with [`exp`] | 3 ulp | 2.08 ulp |
//!
//! Errors are in units in the last place of the `f32` result, against the `f64`
//! function rounded to `f32`, over every 1021st bit pattern (4.2 million inputs,
//! every binade, both signs); the tests assert the bounds on the same inputs. Results below `f32::MIN_POSITIVE`
//! (`exp` of inputs under −87.3) are flushed to 0, an absolute error under 1.2e-38.
//! NaN gives NaN, `±∞` gives the limits, and no finite input gives NaN or an
//! infinity that the exact function would not.
//!
//! Networks use these by default for `f32`; `; math exact` in a spec calls the
//! platform's `expf`/`tanhf` (or libm's) instead. `f64` networks always use the exact
//! functions.

/// `log₂ e`.
const LOG2_E: f32 = core::f32::consts::LOG2_E;
/// `ln 2` split in two so that `n · LN2_HIGH` is exact for the `n` that occur.
const LN2_HIGH: f32 = 0.693_359_4;
const LN2_LOW: f32 = -2.121_944_4e-4;
/// Above this `e^x` overflows `f32`.
const EXP_MAX: f32 = 88.722_84;
/// Below this `e^x` is under `f32::MIN_POSITIVE`: flushed to 0.
const EXP_MIN: f32 = -87.336_55;
/// Adding and subtracting `1.5 · 2²³` rounds an `f32` of magnitude under 2²² to the
/// nearest integer, without a call to `round` (which `core` lacks).
const ROUND: f32 = 12_582_912.0;

/// `eˣ`, within 2 ulp for normal results.
///
/// ```
/// use backprop_runtime::fastmath::exp;
/// assert!((exp(1.0) - core::f32::consts::E).abs() <= 2.0 * f32::EPSILON * 3.0);
/// assert_eq!((exp(-100.0), exp(100.0)), (0.0, f32::INFINITY));
/// ```
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    // Clamp into the range where 2ⁿ is a normal number; NaN passes through untouched
    // because both comparisons are false for it.
    let clamped = if x > EXP_MAX { EXP_MAX } else { x };
    let clamped = if clamped < EXP_MIN { EXP_MIN } else { clamped };
    let shifted = clamped * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = clamped - n * LN2_HIGH - n * LN2_LOW;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 5e-1;
    let e_r = p * r * r + r + 1.0;
    // n as an integer, read from the bits of `shifted`: a float in [2²³, 2²⁴) has an
    // ulp of 1, so its bits count up from ROUND's one by one. `n as i32` would say
    // the same, but its saturating conversion does not vectorize without AVX: it
    // was a third of a vectorized `tanh` on the default target. (For NaN the
    // integer is garbage, hence the wrapping arithmetic; the result is NaN anyway.)
    let n = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    // 2ⁿ as 2ᵃ · 2ᵇ with a = ⌊n/2⌋, b = n − a: n lies in [−126, 128], so both halves
    // are normal numbers built from their exponent bits alone.
    let (a, b) = (n >> 1, n.wrapping_sub(n >> 1));
    let two_a = f32::from_bits((a.wrapping_add(127) as u32) << 23);
    let two_b = f32::from_bits((b.wrapping_add(127) as u32) << 23);
    let result = e_r * two_a * two_b;
    let result = if x > EXP_MAX { f32::INFINITY } else { result };
    if x < EXP_MIN { 0.0 } else { result }
}

/// `tanh x`, within 3 ulp.
///
/// ```
/// use backprop_runtime::fastmath::tanh;
/// assert!((tanh(0.5) - 0.462_117_16).abs() < 1e-7);
/// assert_eq!((tanh(-20.0), tanh(1e-30)), (-1.0, 1e-30));
/// ```
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    let magnitude = x.abs();
    // Small |x|: an odd polynomial, accurate where 1 − 2/(e^{2x}+1) would cancel.
    let z = x * x;
    let mut p = -5.704_988_7e-3_f32;
    p = p * z + 2.063_909e-2;
    p = p * z - 5.373_971_6e-2;
    p = p * z + 1.333_144_2e-1;
    p = p * z - 3.333_328e-1;
    let small = p * z * x + x;
    // Large |x|: from exp, which saturates to 1 cleanly (e^{2|x|} = ∞ gives 1).
    let large = 1.0 - 2.0 / (exp(2.0 * magnitude) + 1.0);
    // The sign of x, −0 included, which the small form's sum loses.
    f32::copysign(if magnitude < 0.625 { small } else { large }, x)
}

/// The logistic sigmoid `1 / (1 + e^{−x})`, within 3 ulp for normal results.
///
/// ```
/// use backprop_runtime::fastmath::sigmoid;
/// assert_eq!((sigmoid(0.0), sigmoid(-200.0), sigmoid(200.0)), (0.5, 0.0, 1.0));
/// ```
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance from `got` to `want` in units of `want`'s last place, or `None`
    /// where `want` is not a normal number (flushed, infinite or zero: checked apart).
    fn ulps(got: f32, want: f64) -> Option<f64> {
        let rounded = want as f32;
        if !rounded.is_normal() {
            return None;
        }
        let ulp = f64::from(f32::from_bits(rounded.abs().to_bits() + 1) - rounded.abs());
        Some((f64::from(got) - want).abs() / ulp)
    }

    /// Every `STRIDE`-th bit pattern: about 4.2 million inputs over every binade, both
    /// signs, NaNs and infinities included.
    const STRIDE: usize = 1021;

    fn worst(f: fn(f32) -> f32, exact: fn(f64) -> f64, bound: f64) -> f64 {
        let mut worst: f64 = 0.0;
        for bits in (0..=u32::MAX).step_by(STRIDE) {
            let x = f32::from_bits(bits);
            let (got, want) = (f(x), exact(f64::from(x)));
            if x.is_nan() {
                assert!(got.is_nan(), "{x} → {got}");
                continue;
            }
            assert!(!got.is_nan(), "{x} → NaN");
            match ulps(got, want) {
                Some(error) => {
                    assert!(error <= bound, "{x}: {got} vs {want} ({error} ulp)");
                    worst = worst.max(error);
                }
                // Zero, subnormal or overflowing results: equal once rounded to f32
                // (±∞ included), or flushed to 0.
                None => assert!(
                    got == want as f32 || (f64::from(got) - want).abs() < 1.2e-38,
                    "{x}: {got} vs {want}"
                ),
            }
        }
        worst
    }

    #[test]
    fn exp_is_within_2_ulp() {
        let worst = worst(exp, libm::exp, 2.0);
        assert!(worst > 0.0);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(0.0), 1.0);
    }

    #[test]
    fn tanh_is_within_3_ulp() {
        worst(tanh, libm::tanh, 3.0);
        assert_eq!(tanh(f32::INFINITY), 1.0);
        assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
        assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn sigmoid_is_within_3_ulp() {
        worst(sigmoid, |x| 1.0 / (1.0 + libm::exp(-x)), 3.0);
        assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
        assert_eq!(sigmoid(f32::INFINITY), 1.0);
    }
}
