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
        // A NaN error is recorded as infinite: it must not pass unnoticed.
        let error = if error.is_nan() { f64::INFINITY } else { error };
        if error > report.max_error {
            report.max_error = error;
            report.worst_param = index;
            report.analytic = analytic;
            report.numeric = numeric;
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Layer, Optimizer};

    /// L(θ) = (θ₀·x − t)² + θ₁³, written by hand; with `WRONG`, ∂L/∂θ₁ is 2θ₁², not 3θ₁².
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Toy<const WRONG: bool> {
        params: [f64; 2],
    }

    #[derive(Clone, Copy, Debug)]
    struct NoTrace;

    impl crate::Trace<f64> for NoTrace {
        const LAYERS: usize = 0;
        fn pre_activation(&self, _: usize) -> Option<&[f64]> {
            None
        }
        fn activation(&self, _: usize) -> Option<&[f64]> {
            None
        }
    }

    impl<const WRONG: bool> Network for Toy<WRONG> {
        type Scalar = f64;
        type Input = [f64; 1];
        type Output = [f64; 1];
        type Params = [f64; 2];
        type Trace = NoTrace;
        const INPUTS: usize = 1;
        const OUTPUTS: usize = 1;
        const PARAMS: usize = 2;

        fn layers() -> &'static [Layer] {
            &[]
        }
        fn new(_: u64) -> Self {
            Toy::from_params([0.0; 2])
        }
        fn from_params(params: [f64; 2]) -> Self {
            Toy { params }
        }
        fn params(&self) -> &[f64; 2] {
            &self.params
        }
        fn params_mut(&mut self) -> &mut [f64; 2] {
            &mut self.params
        }
        fn forward(&self, x: &[f64; 1]) -> [f64; 1] {
            [self.params[0] * x[0]]
        }
        fn forward_trace(&self, _: &[f64; 1]) -> NoTrace {
            NoTrace
        }
        fn loss(&self, x: &[f64; 1], t: &[f64; 1]) -> f64 {
            let e = self.forward(x)[0] - t[0];
            e * e + self.params[1] * self.params[1] * self.params[1]
        }
        fn backward(&self, x: &[f64; 1], t: &[f64; 1], grads: &mut [f64; 2]) -> f64 {
            let e = self.forward(x)[0] - t[0];
            grads[0] += 2.0 * e * x[0];
            let cube = if WRONG { 2.0 } else { 3.0 };
            grads[1] += cube * self.params[1] * self.params[1];
            self.loss(x, t)
        }
    }

    #[test]
    fn passes_a_correct_gradient() {
        let toy = Toy::<false>::from_params([0.7, -1.3]);
        let report = gradcheck(&toy, &[2.0], &[0.5]);
        assert!(report.max_error < 1e-8, "{report}");
        assert_eq!(report.params, 2);
    }

    #[test]
    fn catches_a_wrong_gradient_and_names_the_parameter() {
        let toy = Toy::<true>::from_params([0.7, -1.3]);
        let report = gradcheck(&toy, &[2.0], &[0.5]);
        // analytic 2θ² = 3.38 against the true 3θ² = 5.07: a third off.
        assert_eq!(report.worst_param, 1);
        assert!((report.max_error - 1.0 / 3.0).abs() < 1e-6, "{report}");
        assert!((report.numeric - 5.07).abs() < 1e-6);
    }

    #[test]
    fn default_train_step_descends() {
        struct Halve;
        impl Optimizer<[f64; 2]> for Halve {
            fn update(&mut self, _offset: usize, params: &mut [f64], grads: &[f64]) {
                for (p, g) in params.iter_mut().zip(grads) {
                    *p -= 0.1 * g;
                }
            }
        }
        let mut toy = Toy::<false>::from_params([0.7, 0.5]);
        let before = toy.loss(&[2.0], &[0.5]);
        let reported = toy.train_step(&[2.0], &[0.5], &mut Halve);
        assert_eq!(reported, before);
        assert!(toy.loss(&[2.0], &[0.5]) < before);
    }
}
