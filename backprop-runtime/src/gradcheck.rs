//! Gradient checking: a network's `backward` against central finite differences.
//!
//! For every parameter θᵢ the numeric gradient is `(L(θᵢ + h) − L(θᵢ − h)) / 2h`,
//! and its error against the analytic ∂L/∂θᵢ is
//!
//! ```text
//! |analytic − numeric| / max(|analytic|, |numeric|, floor)
//! ```
//!
//! that is, relative where the gradient is larger than `floor`, and absolute (scaled by
//! `1/floor`) where it is smaller, since a relative error of two numbers near zero
//! measures only rounding. With the defaults (`floor = 1e-3`), an error below 1e-6 in
//! f64 is 1000 times stricter than PyTorch's `gradcheck` tolerances (rtol 1e-3, atol 1e-5).

use crate::{Array, Network, Scalar};

/// How [`gradcheck_with`] perturbs parameters and compares gradients.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GradCheckConfig {
    /// The finite-difference step `h`. Default: `∛ε` of the scalar type (about 6e-6 for
    /// f64 and 5e-3 for f32), which balances truncation against rounding error.
    pub step: f64,
    /// Gradients smaller than this are compared absolutely. Default 1e-3.
    pub floor: f64,
}

impl GradCheckConfig {
    /// The defaults for scalar type `T`.
    pub fn for_scalar<T: Scalar>() -> Self {
        GradCheckConfig {
            step: libm::cbrt(T::EPSILON.to_f64()),
            floor: 1e-3,
        }
    }
}

/// The outcome of a gradient check: the worst parameter and its error.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GradCheck {
    /// The largest error over all parameters (see the module docs for its definition).
    pub max_error: f64,
    /// The index, in canonical order, of the parameter with the largest error.
    pub worst_param: usize,
    /// ∂L/∂θ from `backward` at that parameter.
    pub analytic: f64,
    /// The finite-difference estimate at that parameter.
    pub numeric: f64,
    /// How many parameters were checked.
    pub params: usize,
}

impl core::fmt::Display for GradCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "max error {:.3e} at parameter {} (analytic {:.9e}, numeric {:.9e}) over {} parameters",
            self.max_error, self.worst_param, self.analytic, self.numeric, self.params
        )
    }
}

/// Checks `net.backward` at input `x` and `target` with the default configuration for
/// the network's scalar type.
///
/// ```
/// # use backprop_runtime::{gradcheck, Network};
/// # fn check<N: Network>(net: &N, x: &N::Input, t: &N::Output) {
/// let report = gradcheck(net, x, t);
/// assert!(report.max_error < 1e-6, "{report}");
/// # }
/// ```
pub fn gradcheck<N: Network>(net: &N, x: &N::Input, target: &N::Output) -> GradCheck {
    gradcheck_with(net, x, target, GradCheckConfig::for_scalar::<N::Scalar>())
}

/// Checks `net.backward` at input `x` and `target` with the given configuration.
pub fn gradcheck_with<N: Network>(
    net: &N,
    x: &N::Input,
    target: &N::Output,
    config: GradCheckConfig,
) -> GradCheck {
    let mut analytic = N::Params::zeros();
    net.backward(x, target, &mut analytic);
    let base = *net.params();
    let step = N::Scalar::from_f64(config.step);
    let mut report = GradCheck {
        params: N::PARAMS,
        ..GradCheck::default()
    };
    for (index, &analytic) in analytic.as_ref().iter().enumerate() {
        let (mut plus, mut minus) = (base, base);
        let (Some(up), Some(down)) = (plus.as_mut().get_mut(index), minus.as_mut().get_mut(index))
        else {
            continue;
        };
        *up += step;
        *down -= step;
        // The perturbation actually applied, after rounding in the scalar type.
        let width = (*up - *down).to_f64();
        let rise = N::from_params(plus).loss(x, target) - N::from_params(minus).loss(x, target);
        let numeric = rise.to_f64() / width;
        let analytic = analytic.to_f64();
        let scale = analytic.abs().max(numeric.abs()).max(config.floor);
        let error = (analytic - numeric).abs() / scale;
        // `!(error <= max)` also records a NaN, which must not pass unnoticed.
        if !(error <= report.max_error) {
            report.max_error = error;
            report.worst_param = index;
            report.analytic = analytic;
            report.numeric = numeric;
        }
    }
    report
}
