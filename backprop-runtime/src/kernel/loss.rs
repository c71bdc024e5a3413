//! Softmax, and the losses beyond the squared errors, each returning its value and its
//! gradient with respect to what it was given.
//!
//! The two losses made for an output activation take that activation's input, the
//! logits `z`, as well as its output, and give the gradient with respect to `z`
//! directly (fused), as PyTorch's `BCEWithLogitsLoss` and `CrossEntropyLoss` do: the
//! loss stays finite however far the sigmoid or softmax saturates, and the backward
//! pass skips the activation's Jacobian.
//!
//! | loss | value for one sample of `N` outputs | gradient |
//! |---|---|---|
//! | [`mae`] | `(1/N) Σ |yⱼ − tⱼ|` | `sign(yⱼ − tⱼ)/N` with respect to `y` |
//! | [`huber`] | `(1/N) Σ hδ(yⱼ − tⱼ)`, `hδ(e) = e²/2` for `|e| < δ`, else `δ(|e| − δ/2)` | `hδ′(e)/N` with respect to `y` |
//! | [`bce_with_logits`] | `(1/N) Σ max(zⱼ, 0) − zⱼ tⱼ + ln(1 + e^(−|zⱼ|))` | `(σ(zⱼ) − tⱼ)/N` with respect to `z` |
//! | [`cross_entropy_with_logits`] | `−Σ tⱼ ln softmax(z)ⱼ = Σ tⱼ (lse(z) − zⱼ)` | `pⱼ Σₖ tₖ − tⱼ` (`p − t` for one-hot) with respect to `z` |
//!
//! The `_rows` forms take `B` samples and return the sum of their losses and each
//! sample's gradient.

use crate::Scalar;
use crate::activation::relu;
use crate::scalar::sign;

/// `softmax(z)ⱼ = e^(zⱼ − m) / Σₖ e^(zₖ − m)` with `m = maxₖ zₖ`, so no `exp` overflows.
/// A NaN anywhere makes every output NaN.
#[inline]
pub fn softmax<T: Scalar, const N: usize>(z: &[T; N]) -> [T; N] {
    let max = max(z);
    let mut p = [T::ZERO; N];
    let mut sum = T::ZERO;
    for (p, &z) in p.iter_mut().zip(z) {
        *p = (z - max).exp();
        sum += *p;
    }
    for p in &mut p {
        *p = *p / sum;
    }
    p
}

/// The largest element, ignoring NaN (which then poisons the sum that follows).
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn max<T: Scalar, const N: usize>(z: &[T; N]) -> T {
    let mut max = z.first().copied().unwrap_or(T::ZERO);
    for &z in z {
        if z > max {
            max = z;
        }
    }
    max
}

/// The softmax's Jacobian applied to `da`, from its output `a`:
/// `dzⱼ = aⱼ (daⱼ − Σₖ daₖ aₖ)`.
#[inline]
pub fn softmax_backward<T: Scalar, const N: usize>(da: &[T; N], a: &[T; N]) -> [T; N] {
    let dot = da.iter().zip(a).fold(T::ZERO, |sum, (&d, &a)| sum + d * a);
    core::array::from_fn(|j| a[j] * (da[j] - dot))
}

/// `ln Σⱼ e^zⱼ` from the logits and their softmax `p`, with no `exp`: `m − ln pₘ`
/// with `m = maxⱼ zⱼ`. The softmax's largest output is `pₘ = e⁰ / Σₖ e^(zₖ − m)`, so
/// `−ln pₘ` is the `ln Σₖ e^(zₖ − m)` of `m + ln Σₖ e^(zₖ − m)`, rounded alike
/// (one division against one sum). LLVM merged recomputed exponentials with the
/// softmax's for one sample, but not in the batch kernels: W3 at batch 32 ran 2.6%
/// fewer instructions without them.
#[inline]
fn log_sum_exp<T: Scalar, const N: usize>(z: &[T; N], p: &[T; N]) -> T {
    max(z) - max(p).ln()
}

/// Mean absolute error and its gradient with respect to `y` (0 where `y = t`, as
/// PyTorch's `L1Loss`).
#[inline]
pub fn mae<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N]) -> (T, [T; N]) {
    let n = T::from_f64(N as f64);
    let mut sum = T::ZERO;
    let gradient = core::array::from_fn(|j| {
        let e = y[j] - t[j];
        sum += e.abs();
        sign(e) / n
    });
    (sum / n, gradient)
}

/// Huber loss with threshold `delta` (PyTorch's `HuberLoss`, mean over outputs) and its
/// gradient with respect to `y`.
#[inline]
pub fn huber<T: Scalar, const N: usize>(y: &[T; N], t: &[T; N], delta: T) -> (T, [T; N]) {
    let n = T::from_f64(N as f64);
    let half = T::from_f64(0.5);
    let mut sum = T::ZERO;
    let gradient = core::array::from_fn(|j| {
        let e = y[j] - t[j];
        if e.abs() < delta {
            sum += half * e * e;
            e / n
        } else {
            // NaN lands here too, and stays NaN.
            sum += delta * (e.abs() - half * delta);
            delta * sign(e) / n
        }
    });
    (sum / n, gradient)
}

/// Binary cross-entropy of `sigmoid(z)` against `t`, computed from the logits `z`
/// (PyTorch's `BCEWithLogitsLoss`, mean over outputs), and its gradient with respect to
/// `z`. `a` is `sigmoid(z)`, which the forward pass already has.
#[inline]
pub fn bce_with_logits<T: Scalar, const N: usize>(
    z: &[T; N],
    a: &[T; N],
    t: &[T; N],
) -> (T, [T; N]) {
    let n = T::from_f64(N as f64);
    let mut sum = T::ZERO;
    let gradient = core::array::from_fn(|j| {
        sum += relu(z[j]) - z[j] * t[j] + (-z[j].abs()).exp().ln_1p();
        (a[j] - t[j]) / n
    });
    (sum / n, gradient)
}

/// Cross-entropy of `softmax(z)` against the distribution `t` (one-hot for a class),
/// computed from the logits with log-sum-exp (PyTorch's `CrossEntropyLoss` with
/// probability targets), and its gradient with respect to `z`. `p` is `softmax(z)` as
/// [`softmax`] computes it, which the forward pass already has: both the gradient and
/// the log-sum-exp are read from it (`lse = maxⱼ zⱼ − ln maxⱼ pⱼ`).
///
/// ```
/// use backprop_runtime::kernel::{cross_entropy_with_logits, softmax};
/// let z = [2.0f64, -1.0, 0.5];
/// let (loss, gradient) = cross_entropy_with_logits(&z, &softmax(&z), &[0.0, 0.0, 1.0]);
/// let lse = z.iter().map(|z| z.exp()).sum::<f64>().ln();
/// assert!((loss - (lse - 0.5)).abs() < 1e-15);
/// assert!((gradient[2] - (0.5f64.exp() / lse.exp() - 1.0)).abs() < 1e-15);
/// ```
#[inline]
pub fn cross_entropy_with_logits<T: Scalar, const N: usize>(
    z: &[T; N],
    p: &[T; N],
    t: &[T; N],
) -> (T, [T; N]) {
    let lse = log_sum_exp(z, p);
    let mut total = T::ZERO;
    let mut loss = T::ZERO;
    for (&z, &t) in z.iter().zip(t) {
        total += t;
        loss += t * (lse - z);
    }
    let gradient = core::array::from_fn(|j| p[j] * total - t[j]);
    (loss, gradient)
}

/// [`softmax`] of each of `B` samples.
#[inline]
pub fn softmax_rows<T: Scalar, const N: usize, const B: usize>(z: &[[T; N]; B]) -> [[T; N]; B] {
    z.each_ref().map(softmax)
}

/// [`softmax_backward`] of each of `B` samples.
#[inline]
pub fn softmax_backward_rows<T: Scalar, const N: usize, const B: usize>(
    da: &[[T; N]; B],
    a: &[[T; N]; B],
) -> [[T; N]; B] {
    core::array::from_fn(|s| softmax_backward(&da[s], &a[s]))
}

/// [`mae`] summed over `B` samples, with each sample's gradient.
#[inline]
pub fn mae_rows<T: Scalar, const N: usize, const B: usize>(
    y: &[[T; N]; B],
    t: [&[T; N]; B],
) -> (T, [[T; N]; B]) {
    rows(|s| mae(&y[s], t[s]))
}

/// [`huber`] summed over `B` samples, with each sample's gradient.
#[inline]
pub fn huber_rows<T: Scalar, const N: usize, const B: usize>(
    y: &[[T; N]; B],
    t: [&[T; N]; B],
    delta: T,
) -> (T, [[T; N]; B]) {
    rows(|s| huber(&y[s], t[s], delta))
}

/// [`bce_with_logits`] summed over `B` samples, with each sample's gradient.
#[inline]
pub fn bce_with_logits_rows<T: Scalar, const N: usize, const B: usize>(
    z: &[[T; N]; B],
    a: &[[T; N]; B],
    t: [&[T; N]; B],
) -> (T, [[T; N]; B]) {
    rows(|s| bce_with_logits(&z[s], &a[s], t[s]))
}

/// [`cross_entropy_with_logits`] summed over `B` samples, with each sample's gradient.
#[inline]
pub fn cross_entropy_with_logits_rows<T: Scalar, const N: usize, const B: usize>(
    z: &[[T; N]; B],
    p: &[[T; N]; B],
    t: [&[T; N]; B],
) -> (T, [[T; N]; B]) {
    rows(|s| cross_entropy_with_logits(&z[s], &p[s], t[s]))
}

/// Sample `s`'s loss and gradient from `one`, summed and collected over `B` samples.
#[cfg_attr(not(any(debug_assertions, backprop_unoptimized)), inline(always))]
fn rows<T: Scalar, const N: usize, const B: usize>(
    mut one: impl FnMut(usize) -> (T, [T; N]),
) -> (T, [[T; N]; B]) {
    let mut total = T::ZERO;
    let gradients = core::array::from_fn(|s| {
        let (loss, gradient) = one(s);
        total += loss;
        gradient
    });
    (total, gradients)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activation::sigmoid;

    /// The gradient of `loss` at `x` by central differences, element by element, with a
    /// step relative to the element's size so that rounding stays below the tolerance.
    fn numeric<const N: usize>(loss: impl Fn(&[f64; N]) -> f64, x: &[f64; N]) -> [f64; N] {
        core::array::from_fn(|j| {
            let h = 1e-6 * x[j].abs().max(1.0);
            let (mut up, mut down) = (*x, *x);
            up[j] += h;
            down[j] -= h;
            (loss(&up) - loss(&down)) / (2.0 * h)
        })
    }

    fn assert_close<const N: usize>(what: &str, got: &[f64; N], want: &[f64; N], tol: f64) {
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= tol * w.abs().max(1.0),
                "{what}: {got:?} vs {want:?}"
            );
        }
    }

    const Z: [f64; 4] = [0.3, -1.2, 2.5, 0.05];
    const T_SOFT: [f64; 4] = [0.1, 0.2, 0.6, 0.1];
    const T_ONE_HOT: [f64; 4] = [0.0, 0.0, 1.0, 0.0];

    /// Reference values computed independently with Python's `math` module from the
    /// definitions in PyTorch's documentation (`torch.nn.L1Loss`, `HuberLoss`,
    /// `BCEWithLogitsLoss`, `CrossEntropyLoss`), e.g. for cross-entropy
    /// `-sum(t*math.log(math.exp(z)/sum(math.exp(v) for v in Z)) for z, t in zip(Z, T))`.
    #[test]
    fn values_match_independent_references() {
        let y = [0.3, -1.2, 2.5, 0.05];
        let t = [0.5, 0.5, 0.5, 0.5];
        assert!((mae(&y, &t).0 - 1.0875).abs() < 1e-15);
        assert!((huber(&y, &t, 1.0).0 - 0.705_312_499_999_999_9).abs() < 1e-15);
        let a = Z.map(sigmoid);
        let bce = bce_with_logits(&Z, &a, &[1.0, 0.0, 1.0, 0.0]).0;
        assert!((bce - 0.403_746_773_528_098_5).abs() < 1e-15, "{bce}");
        let p = softmax(&Z);
        let ce = cross_entropy_with_logits(&Z, &p, &T_ONE_HOT).0;
        assert!((ce - 0.200_341_772_462_766).abs() < 1e-14, "{ce}");
        let ce_soft = cross_entropy_with_logits(&Z, &p, &T_SOFT).0;
        assert!((ce_soft - 1.405_341_772_462_766).abs() < 1e-14, "{ce_soft}");
        let sum: f64 = p.iter().sum();
        assert!((sum - 1.0).abs() < 1e-15);
        assert!((p[2] - 0.818_450_981_264_034_4).abs() < 1e-15, "{p:?}");
    }

    #[test]
    fn gradients_match_finite_differences() {
        let t = [0.5, -0.25, 2.0, 0.1];
        let y = [0.3, -1.2, 2.5, 0.7];
        assert_close("mae", &mae(&y, &t).1, &numeric(|y| mae(y, &t).0, &y), 1e-7);
        for delta in [0.3, 1.0, 5.0] {
            let (_, g) = huber(&y, &t, delta);
            assert_close("huber", &g, &numeric(|y| huber(y, &t, delta).0, &y), 1e-7);
        }
        let bt = [1.0, 0.0, 0.3, 1.0];
        let bce = |z: &[f64; 4]| bce_with_logits(z, &z.map(sigmoid), &bt).0;
        assert_close(
            "bce",
            &bce_with_logits(&Z, &Z.map(sigmoid), &bt).1,
            &numeric(bce, &Z),
            1e-7,
        );
        for target in [T_SOFT, T_ONE_HOT] {
            let ce = |z: &[f64; 4]| cross_entropy_with_logits(z, &softmax(z), &target).0;
            let (_, g) = cross_entropy_with_logits(&Z, &softmax(&Z), &target);
            assert_close("cross_entropy", &g, &numeric(ce, &Z), 1e-7);
        }
        // The softmax's Jacobian, through an arbitrary weighting of its outputs.
        let w = [0.7, -0.3, 0.2, 1.1];
        let weighted = |z: &[f64; 4]| softmax(z).iter().zip(&w).map(|(p, w)| p * w).sum();
        assert_close(
            "softmax",
            &softmax_backward(&w, &softmax(&Z)),
            &numeric(weighted, &Z),
            1e-7,
        );
    }

    #[test]
    fn gradients_match_finite_differences_at_extreme_logits() {
        // Saturated sigmoids and softmaxes, where computing from the probabilities
        // instead of the logits loses the gradient.
        let z = [25.0, -30.0, 0.5, 18.0];
        let t = [0.0, 1.0, 0.5, 1.0];
        let bce = |z: &[f64; 4]| bce_with_logits(z, &z.map(sigmoid), &t).0;
        assert_close(
            "bce",
            &bce_with_logits(&z, &z.map(sigmoid), &t).1,
            &numeric(bce, &z),
            1e-7,
        );
        let one_hot = [0.0, 1.0, 0.0, 0.0];
        let ce = |z: &[f64; 4]| cross_entropy_with_logits(z, &softmax(z), &one_hot).0;
        let (_, g) = cross_entropy_with_logits(&z, &softmax(&z), &one_hot);
        assert_close("cross_entropy", &g, &numeric(ce, &z), 1e-7);
        let y = [1e3, -2e3, 0.7, 40.0];
        let target = [0.0, 0.0, 0.0, 0.0];
        assert_close(
            "mae",
            &mae(&y, &target).1,
            &numeric(|y| mae(y, &target).0, &y),
            1e-7,
        );
        let huber_at = |y: &[f64; 4]| huber(y, &target, 2.0).0;
        assert_close(
            "huber",
            &huber(&y, &target, 2.0).1,
            &numeric(huber_at, &y),
            1e-7,
        );
    }

    #[test]
    fn stable_at_extreme_logits() {
        let z = [1e4f32, -1e4, 0.0];
        let p = softmax(&z);
        assert_eq!(p, [1.0, 0.0, 0.0]);
        let (loss, g) = cross_entropy_with_logits(&z, &p, &[0.0, 1.0, 0.0]);
        assert_eq!(loss, 2e4);
        assert!(g.iter().all(|g| g.is_finite()));
        let a = z.map(sigmoid);
        let (loss, g) = bce_with_logits(&z, &a, &[0.0, 1.0, 1.0]);
        assert!(
            loss.is_finite() && (loss - (2e4 + 2f32.ln()) / 3.0).abs() < 1.0,
            "{loss}"
        );
        assert!(g.iter().all(|g| g.is_finite()));
        let (loss, _) = huber(&[1e30f32], &[-1e30], 1.0);
        assert!(loss.is_finite());
    }

    #[test]
    fn nan_in_gives_nan_out() {
        let z = [0.5, f64::NAN, 1.0];
        assert!(softmax(&z).iter().all(|p| p.is_nan()));
        let t = [0.0, 1.0, 0.0];
        assert!(cross_entropy_with_logits(&z, &softmax(&z), &t).0.is_nan());
        assert!(bce_with_logits(&z, &z.map(sigmoid), &t).0.is_nan());
        assert!(mae(&z, &t).0.is_nan());
        assert!(huber(&z, &t, 1.0).0.is_nan());
        assert!(mae(&z, &t).1[1].is_nan());
    }

    #[test]
    fn rows_sum_the_samples() {
        let zs = [Z, [1.0, 2.0, 3.0, 4.0]];
        let ps = softmax_rows(&zs);
        let (total, gs) = cross_entropy_with_logits_rows(&zs, &ps, [&T_ONE_HOT, &T_SOFT]);
        let one = cross_entropy_with_logits(&zs[0], &ps[0], &T_ONE_HOT);
        let two = cross_entropy_with_logits(&zs[1], &ps[1], &T_SOFT);
        assert_eq!(total, one.0 + two.0);
        assert_eq!(gs, [one.1, two.1]);
        let (total, _) = mae_rows(&zs, [&T_SOFT, &T_SOFT]);
        assert_eq!(total, mae(&zs[0], &T_SOFT).0 + mae(&zs[1], &T_SOFT).0);
        let da = [[1.0, 0.0, 0.0, 0.0]; 2];
        assert_eq!(
            softmax_backward_rows(&da, &ps)[1],
            softmax_backward(&da[1], &ps[1])
        );
        let (h, _) = huber_rows(&zs, [&T_SOFT, &T_SOFT], 1.0);
        assert!(h > 0.0);
        let (b, _) = bce_with_logits_rows(&zs, &zs.map(|z| z.map(sigmoid)), [&T_SOFT, &T_SOFT]);
        assert!(b > 0.0);
    }
}
