//! Adam: adaptive moment estimation.

use crate::{Optimizer, Scalar, Storage};
super::optimizer_state! {
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
    pub struct Adam<T, const N: usize, S = [T; N]> {
        lr: T,
        weight_decay: T,
        moments: Moments<T, N, S>,
    }
}

super::shared_api!(Adam);

impl<T: Scalar, const N: usize, S: Storage<T, N>> Adam<T, N, S> {
    /// Adam with learning rate `lr` and the default β1, β2, ε, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        Adam {
            lr,
            weight_decay: T::ZERO,
            moments: Moments::new(),
        }
    }

    /// Sets the decay rates of the first and second moment estimates. Default (0.9, 0.999).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        (self.moments.beta1, self.moments.beta2) = (beta1, beta2);
        self
    }

    /// Sets ε, added to the denominator for numerical stability. Default 1e-8.
    pub fn eps(mut self, eps: T) -> Self {
        self.moments.eps = eps;
        self
    }

    /// Sets L2 weight decay (added to the gradient, as in `Adam`, not `AdamW`). Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Forgets the moment estimates and the step count.
    pub fn reset(&mut self) {
        self.moments.reset();
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for Adam<T, N, S> {
    fn begin_step(&mut self) {
        self.moments.begin_step();
    }

    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let weight_decay = self.weight_decay;
        self.moments
            .update(self.lr, offset, params, grads, |theta, grad| {
                grad + weight_decay * *theta
            });
    }
}

super::optimizer_state! {
    /// The state Adam and AdamW share: the moments' decay rates and ε, the running
    /// products `β1^t`, `β2^t` (so no `powi` is needed), and the moment estimates `m`, `v`.
    pub(super) struct Moments<T, const N: usize, S> {
        pub(super) beta1: T,
        pub(super) beta2: T,
        pub(super) eps: T,
        beta1_t: T,
        beta2_t: T,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        m: S,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        v: S,
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Moments<T, N, S> {
    /// PyTorch's defaults, β1 = 0.9, β2 = 0.999, ε = 1e-8, and no step taken.
    pub(super) fn new() -> Self {
        Moments {
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.999),
            eps: T::from_f64(1e-8),
            beta1_t: T::ONE,
            beta2_t: T::ONE,
            m: S::zeroed(),
            v: S::zeroed(),
        }
    }

    /// Advances the step count `t`.
    pub(super) fn begin_step(&mut self) {
        self.beta1_t *= self.beta1;
        self.beta2_t *= self.beta2;
    }

    /// Forgets the moment estimates and the step count.
    pub(super) fn reset(&mut self) {
        self.beta1_t = T::ONE;
        self.beta2_t = T::ONE;
        self.m.as_array_mut().fill(T::ZERO);
        self.v.as_array_mut().fill(T::ZERO);
    }

    /// For each parameter at `offset..`: `g ← gradient(θ, ∇)` (where the weight decay
    /// goes in), `m ← β1·m + (1 − β1)·g`, `v ← β2·v + (1 − β2)·g²`, then
    /// `θ ← θ − lr·m̂ / (√v̂ + ε)` with the bias-corrected `m̂`, `v̂`.
    #[inline(always)]
    pub(super) fn update(
        &mut self,
        lr: T,
        offset: usize,
        params: &mut [T],
        grads: &[T],
        gradient: impl Fn(&mut T, T) -> T,
    ) {
        let (beta1, beta2, eps) = (self.beta1, self.beta2, self.eps);
        let correction1 = T::ONE - self.beta1_t;
        let correction2 = T::ONE - self.beta2_t;
        let m = &mut self.m.as_array_mut()[offset..];
        let v = &mut self.v.as_array_mut()[offset..];
        for ((theta, &grad), (m, v)) in params.iter_mut().zip(grads).zip(m.iter_mut().zip(v)) {
            let g = gradient(theta, grad);
            *m = beta1 * *m + (T::ONE - beta1) * g;
            *v = beta2 * *v + (T::ONE - beta2) * g * g;
            let m_hat = *m / correction1;
            let v_hat = *v / correction2;
            *theta -= lr * m_hat / (v_hat.sqrt() + eps);
        }
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
