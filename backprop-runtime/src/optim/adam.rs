//! Adam: adaptive moment estimation.

use crate::{Optimizer, Scalar, Storage};
/// Adam (Kingma & Ba 2015), the update of PyTorch's `torch.optim.Adam`:
///
/// ```text
/// g ← ∇θ + weight_decay · θ
/// m ← β1 · m + (1 − β1) · g
/// v ← β2 · v + (1 − β2) · g²
/// m̂ ← m / (1 − β1^t),   v̂ ← v / (1 − β2^t)
/// θ ← θ − lr · m̂ / (√v̂ + ε)
/// ```
///
/// Defaults (PyTorch's): β1 = 0.9, β2 = 0.999, ε = 1e-8, no weight decay. The usual
/// learning rate is 1e-3.
#[derive(Clone, Debug)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(
    feature = "serde",
    serde(bound(
        serialize = "T: Scalar + serde::Serialize, S: Storage<T, N>",
        deserialize = "T: Scalar + serde::Deserialize<'de>, S: Storage<T, N>"
    ))
)]
pub struct Adam<T, const N: usize, S = [T; N]> {
    lr: T,
    beta1: T,
    beta2: T,
    eps: T,
    weight_decay: T,
    /// β1^t and β2^t, kept as running products so no `powi` is needed.
    beta1_t: T,
    beta2_t: T,
    #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
    m: S,
    #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
    v: S,
}

super::shared_api!(Adam);

impl<T: Scalar, const N: usize, S: Storage<T, N>> Adam<T, N, S> {
    /// Adam with learning rate `lr` and the default β1, β2, ε, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        Adam {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            weight_decay: T::ZERO,
            beta1_t: T::ONE,
            beta2_t: T::ONE,
            m: S::zeroed(),
            v: S::zeroed(),
        }
    }

    /// Sets the decay rates of the first and second moment estimates. Default (0.9, 0.999).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets ε, added to the denominator for numerical stability. Default 1e-8.
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Sets L2 weight decay (added to the gradient, as in `Adam`, not `AdamW`). Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Forgets the moment estimates and the step count.
    pub fn reset(&mut self) {
        self.beta1_t = T::ONE;
        self.beta2_t = T::ONE;
        self.m.as_array_mut().fill(T::ZERO);
        self.v.as_array_mut().fill(T::ZERO);
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for Adam<T, N, S> {
    fn begin_step(&mut self) {
        self.beta1_t *= self.beta1;
        self.beta2_t *= self.beta2;
    }

    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let correction1 = T::ONE - self.beta1_t;
        let correction2 = T::ONE - self.beta2_t;
        let m = &mut self.m.as_array_mut()[offset..];
        let v = &mut self.v.as_array_mut()[offset..];
        let step = MomentStep {
            lr: self.lr,
            beta1: self.beta1,
            beta2: self.beta2,
            eps: self.eps,
            correction1,
            correction2,
        };
        for ((theta, &grad), (m, v)) in params.iter_mut().zip(grads).zip(m.iter_mut().zip(v)) {
            let g = grad + self.weight_decay * *theta;
            step.apply(theta, g, m, v);
        }
    }
}

/// The moment update Adam and AdamW share, for one parameter.
pub(super) struct MomentStep<T> {
    pub(super) lr: T,
    pub(super) beta1: T,
    pub(super) beta2: T,
    pub(super) eps: T,
    /// `1 − β1^t` and `1 − β2^t`, the bias corrections of step `t`.
    pub(super) correction1: T,
    pub(super) correction2: T,
}

impl<T: Scalar> MomentStep<T> {
    /// `m ← β1·m + (1 − β1)·g`, `v ← β2·v + (1 − β2)·g²`, then
    /// `θ ← θ − lr·m̂ / (√v̂ + ε)` with the bias-corrected `m̂`, `v̂`.
    #[inline(always)]
    pub(super) fn apply(&self, theta: &mut T, g: T, m: &mut T, v: &mut T) {
        *m = self.beta1 * *m + (T::ONE - self.beta1) * g;
        *v = self.beta2 * *v + (T::ONE - self.beta2) * g * g;
        let m_hat = *m / self.correction1;
        let v_hat = *v / self.correction2;
        *theta -= self.lr * m_hat / (v_hat.sqrt() + self.eps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_parameter_by_about_lr() {
        // With bias correction, m̂ = g and v̂ = g² on step 1, so Δθ = lr·g/(|g| + ε).
        let mut opt = Adam::new(0.01f64);
        let mut theta = [1.0, 1.0, 1.0];
        opt.step(&mut theta, &[3.0, -0.5, 0.0]);
        assert!((theta[0] - (1.0 - 0.01 * 3.0 / (3.0 + 1e-8))).abs() < 1e-15);
        assert!((theta[1] - (1.0 + 0.01 * 0.5 / (0.5 + 1e-8))).abs() < 1e-15);
        assert_eq!(theta[2], 1.0);
    }

    #[test]
    fn trajectory_matches_hand_computation() {
        // ∇ = θ on f = θ²/2, lr 0.1, θ0 = 1. Step 1: θ1 = 1 − 0.1·1/(1+1e-8).
        // Step 2: g = θ1; m = 0.09 + 0.1·θ1; v = 0.000999 + 0.001·θ1²;
        // m̂ = m/0.19, v̂ = v/0.001999; θ2 = θ1 − 0.1·m̂/(√v̂ + 1e-8).
        let mut opt = Adam::new(0.1f64);
        let mut theta = [1.0];
        let g = theta;
        opt.step(&mut theta, &g);
        let t1 = 1.0 - 0.1 / (1.0 + 1e-8);
        assert!((theta[0] - t1).abs() < 1e-15);
        let g = theta;
        opt.step(&mut theta, &g);
        let m = 0.9 * 0.1 + 0.1 * t1;
        let v = 0.999 * 0.001 + 0.001 * t1 * t1;
        let t2 = t1 - 0.1 * (m / 0.19) / ((v / (1.0 - 0.999f64 * 0.999)).sqrt() + 1e-8);
        assert!((theta[0] - t2).abs() < 1e-14, "{} vs {t2}", theta[0]);
    }

    #[test]
    fn converges_on_a_quadratic() {
        let mut opt = Adam::new(0.05f32).betas(0.9, 0.99).eps(1e-7);
        let mut theta = [3.0f32, -2.0];
        for _ in 0..500 {
            let g = [theta[0] - 1.0, 2.0 * (theta[1] + 0.5)];
            opt.step(&mut theta, &g);
        }
        assert!(
            (theta[0] - 1.0).abs() < 1e-2 && (theta[1] + 0.5).abs() < 1e-2,
            "{theta:?}"
        );
    }

    #[test]
    fn weight_decay_and_reset() {
        let mut opt = Adam::new(0.1f64).weight_decay(1.0);
        let mut theta = [2.0];
        // g = 0 + 1·θ, and step 1 moves by lr·g/(|g| + ε).
        opt.step(&mut theta, &[0.0]);
        assert!((theta[0] - (2.0 - 0.1 * 2.0 / (2.0 + 1e-8))).abs() < 1e-15);
        let t1 = theta[0];
        opt.reset();
        opt.set_lr(0.2);
        assert_eq!(opt.lr(), 0.2);
        opt.step(&mut theta, &[0.0]);
        assert!((theta[0] - (t1 - 0.2 * t1 / (t1 + 1e-8))).abs() < 1e-15);
    }
}
