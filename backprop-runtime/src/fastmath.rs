//! Fast `exp`, `tanh` and `sigmoid` for `f32`: branch-free, so that a loop applying
//! them over a layer vectorizes, with a maximum error stated and tested against the
//! correctly rounded result over the whole `f32` range.
//!
//! | function | method | bound (tested) | worst, tests' inputs | worst, every input |
//! |---|---|---|---|---|
//! | [`exp`] | `2ⁿ · (1 + r + r²·p(r))`, `r = x − n·ln 2` in `[−ln2/2, ln2/2]`, degree-5 `p` (Cephes) | 2 ulp | 0.95 ulp | 1.00 ulp |
//! | [`tanh`] | `m / (m + 2)` with `m = e^{2|x|} − 1` from the same reduction and polynomial | 3 ulp | 2.23 ulp | 2.46 ulp |
//! | [`sigmoid`] | `1 / (1 + e^{−x})` with [`exp`] | 3 ulp | 2.08 ulp | 2.48 ulp |
//!
//! Errors are in units in the last place of the `f32` result, against the `f64`
//! function rounded to `f32`. The tests assert the bounds over every 1021st bit
//! pattern (4.2 million inputs, every binade, both signs); the last column is over all
//! 2³² bit patterns, by a test left out of the suite for its 8 minutes:
//! `cargo test --release -p backprop-runtime fastmath -- --ignored`.
//!
//! Results below `f32::MIN_POSITIVE` (`exp` of inputs under −87.3) are flushed to 0,
//! an absolute error under 1.2e-38.
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

/// `x = n·ln 2 + r` with `n` an integer and `|r| ≤ ln 2 / 2`, for `|x|` under 2²¹.
///
/// `n` is read from the bits of the rounded float: a float in [2²³, 2²⁴) has an ulp
/// of 1, so its bits count up from ROUND's one by one. `n as i32` would say the same,
/// but its saturating conversion does not vectorize without AVX: it was a third of a
/// vectorized `tanh` on the default target. (For NaN the integer is garbage, hence
/// the wrapping arithmetic in the callers; their result is NaN anyway.)
#[inline(always)]
fn reduce(x: f32) -> (i32, f32) {
    let shifted = x * LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = x - n * LN2_HIGH - n * LN2_LOW;
    let n_bits = (shifted.to_bits() as i32).wrapping_sub(ROUND.to_bits() as i32);
    (n_bits, r)
}

/// `eʳ − 1` for `|r| ≤ ln 2 / 2`: `r + r²·p(r)` with Cephes' degree-5 `p`, evaluated
/// in Estrin's scheme, whose shorter dependency chain is what bounds a vectorized loop
/// of these (the chain is the loop's latency; Horner's form measured 7% slower).
#[inline(always)]
fn expm1_reduced(r: f32) -> f32 {
    let r2 = r * r;
    let r4 = r2 * r2;
    let low = 1.666_666_5e-1 * r + 5e-1;
    let mid = 8.333_452e-3 * r + 4.166_579_6e-2;
    let high = 1.987_569_1e-4_f32 * r + 1.398_199_9e-3;
    let p = (high * r4 + mid * r2) + low;
    p * r2 + r
}

/// `2ⁿ` for `n` in [−126, 127], from its exponent bits alone.
#[inline(always)]
fn pow2(n: i32) -> f32 {
    f32::from_bits((n.wrapping_add(127) as u32) << 23)
}

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
    let (n, r) = reduce(clamped);
    let e_r = expm1_reduced(r) + 1.0;
    // 2ⁿ as 2ᵃ · 2ᵇ with a = ⌊n/2⌋, b = n − a: n lies in [−126, 128], so both halves
    // are normal numbers.
    let half = n >> 1;
    let result = e_r * pow2(half) * pow2(n.wrapping_sub(half));
    let result = if x > EXP_MAX { f32::INFINITY } else { result };
    if x < EXP_MIN { 0.0 } else { result }
}

/// Above this `2|x|`, `tanh x` rounds to ±1 (from `|x|` = 9.01), and `eˣ − 1` stays
/// finite up to it.
const TANH_CLAMP: f32 = 20.0;

/// `tanh x`, within 3 ulp.
///
/// ```
/// use backprop_runtime::fastmath::tanh;
/// assert!((tanh(0.5) - 0.462_117_16).abs() < 1e-7);
/// assert_eq!((tanh(-20.0), tanh(1e-30)), (-1.0, 1e-30));
/// ```
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    // tanh|x| = m / (m + 2) with m = e^{2|x|} − 1: no cancellation anywhere, small
    // |x| included (m ≈ 2|x| there), so one formula covers the whole range where a
    // polynomial for small |x| and `1 − 2/(e^{2|x|} + 1)` for the rest took twice
    // the instructions. NaN passes the clamp untouched.
    let two_x = 2.0 * x.abs();
    let clamped = if two_x > TANH_CLAMP {
        TANH_CLAMP
    } else {
        two_x
    };
    let (n, r) = reduce(clamped);
    let scale = pow2(n);
    let m = scale * expm1_reduced(r) + (scale - 1.0);
    // The sign of x, −0 included.
    f32::copysign(m / (m + 2.0), x)
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
        worst_every(STRIDE, f, exact, bound)
    }

    /// The worst error over every `stride`-th bit pattern, asserting `bound` on each.
    fn worst_every(stride: usize, f: fn(f32) -> f32, exact: fn(f64) -> f64, bound: f64) -> f64 {
        let mut worst: f64 = 0.0;
        for bits in (0..=u32::MAX).step_by(stride) {
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

    /// The bounds over all 2³² inputs, the last column of the module's table. About
    /// 8 minutes in release: `cargo test --release -p backprop-runtime fastmath -- --ignored`.
    #[test]
    #[ignore = "every f32 input: minutes, not seconds"]
    fn every_input_is_within_the_bounds() {
        let sigmoid_exact = |x: f64| 1.0 / (1.0 + libm::exp(-x));
        for (name, f, exact, bound) in [
            (
                "exp",
                exp as fn(f32) -> f32,
                libm::exp as fn(f64) -> f64,
                2.0,
            ),
            ("tanh", tanh, libm::tanh, 3.0),
            ("sigmoid", sigmoid, sigmoid_exact, 3.0),
        ] {
            let worst = worst_every(1, f, exact, bound);
            std::println!("{name}: worst {worst:.3} ulp");
        }
    }
}
