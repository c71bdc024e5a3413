//! Stochastic gradient descent, with optional momentum, Nesterov and weight decay.

use crate::{Optimizer, Scalar, Storage};
super::optimizer_state! {
    /// Stochastic gradient descent, the update of PyTorch's `torch.optim.SGD`:
    ///
    /// ```text
    /// g ← ∇θ + weight_decay · θ
    /// b ← g on the first step, then momentum · b + (1 − dampening) · g
    /// g ← g + momentum · b  if nesterov,  else  g ← b        (when momentum ≠ 0)
    /// θ ← θ − lr · g
    /// ```
    ///
    /// Defaults: no momentum, no dampening, no Nesterov, no weight decay.
    ///
    /// ```
    /// use backprop_runtime::{Optimizer, optim::Sgd};
    /// let mut opt = Sgd::new(0.1).momentum(0.9).weight_decay(1e-4);
    /// let mut params = [1.0f32, -2.0];
    /// opt.step(&mut params, &[0.5, 0.5]);
    /// ```
    pub struct Sgd<T, const N: usize, S = [T; N]> {
        lr: T,
        momentum: T,
        nesterov: bool,
        dampening: T,
        weight_decay: T,
        /// Steps begun: the first one seeds the momentum buffer with the gradient.
        steps: u64,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        velocity: S,
    }
}

super::shared_api!(Sgd);

impl<T: Scalar, const N: usize, S: Storage<T, N>> Sgd<T, N, S> {
    /// Plain gradient descent with learning rate `lr`, the momentum buffer in `S`.
    pub fn new_in(lr: T) -> Self {
        Sgd {
            lr,
            momentum: T::ZERO,
            nesterov: false,
            dampening: T::ZERO,
            weight_decay: T::ZERO,
            steps: 0,
            velocity: S::zeroed(),
        }
    }

    /// Sets classical (heavy-ball) momentum, typically 0.9. Default 0.
    pub fn momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self.nesterov = false;
        self
    }

    /// Sets Nesterov momentum, typically 0.9 (it needs a momentum, so it takes one).
    pub fn nesterov(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self.nesterov = true;
        self
    }

    /// Sets the dampening of momentum: the share of each gradient held back from the
    /// buffer after the first step. Default 0.
    pub fn dampening(mut self, dampening: T) -> Self {
        self.dampening = dampening;
        self
    }

    /// Sets L2 weight decay (added to the gradient as `weight_decay · θ`). Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Forgets the momentum buffer, as if no step had been taken.
    pub fn reset(&mut self) {
        self.steps = 0;
        self.velocity.as_array_mut().fill(T::ZERO);
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Sgd<T, N, S> {
    /// Whether a step is `θ ← θ − lr·g` and nothing else.
    #[inline(always)]
    fn is_plain(&self) -> bool {
        self.momentum == T::ZERO && self.weight_decay == T::ZERO
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for Sgd<T, N, S> {
    fn begin_step(&mut self) {
        self.steps += 1;
    }

    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        // Plain SGD is the common case in hot loops: keep it to one multiply-add.
        if self.is_plain() {
            descend(-self.lr, params, grads);
            return;
        }
        let use_momentum = self.momentum != T::ZERO;
        // Before any step has begun (`update` called alone), count this as the first.
        let first = self.steps <= 1;
        let undamped = T::ONE - self.dampening;
        let velocity = self.velocity.as_array_mut()[offset..].iter_mut();
        for ((theta, &grad), b) in params.iter_mut().zip(grads).zip(velocity) {
            let mut g = grad + self.weight_decay * *theta;
            if use_momentum {
                *b = if first {
                    g
                } else {
                    self.momentum * *b + undamped * g
                };
                g = if self.nesterov {
                    g + self.momentum * *b
                } else {
                    *b
                };
            }
            *theta -= self.lr * g;
        }
    }

    #[inline]
    fn plain_rate(&self) -> Option<T> {
        self.is_plain().then_some(self.lr)
    }

    #[inline]
    fn update_scaled(&mut self, offset: usize, params: &mut [T], scale: T, x: &[T]) {
        if !self.is_plain() {
            super::update_scaled_in_chunks::<[T; N], Self>(self, offset, params, scale, x);
            return;
        }
        // θ ← θ − (lr·scale)·x: one pass, no gradient formed.
        descend(-self.lr * scale, params, x);
    }
}

/// The plain gradient-descent step, `θ ← rate·g + θ` with `rate = −lr`, in one
/// multiply-add per parameter: what [`Optimizer::plain_rate`] promises, so that the
/// kernels that step in place (`kernel::sink`) call it too.
#[inline(always)]
pub(crate) fn descend<T: Scalar>(rate: T, params: &mut [T], grads: &[T]) {
    for (theta, &grad) in params.iter_mut().zip(grads) {
        *theta = rate.mul_add(grad, *theta);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_step_is_lr_times_gradient() {
        // seed 002: W = 0.5, dL/dW = 1.0, lr = 0.1 → 0.4
        let mut opt = Sgd::new(0.1f64);
        let mut w = [0.5];
        opt.step(&mut w, &[1.0]);
        assert_eq!(w, [0.4]);
    }

    #[test]
    fn only_a_stateless_step_has_a_plain_rate() {
        assert_eq!(Sgd::<f32, 1>::new(0.1).plain_rate(), Some(0.1));
        assert_eq!(Sgd::<f32, 1>::new(0.1).momentum(0.9).plain_rate(), None);
        assert_eq!(
            Sgd::<f32, 1>::new(0.1).weight_decay(0.01).plain_rate(),
            None
        );
        // The contract kernels rely on: `update` is exactly `(−lr).mul_add(g, θ)`, in
        // `Scalar::mul_add` (fused where the target has FMA).
        let (theta, grads) = ([0.3f32, -1.7, 2.5e-3], [0.7f32, 1e-3, -4.0]);
        let mut opt = Sgd::<f32, 3>::new(0.37);
        let mut updated = theta;
        opt.update(0, &mut updated, &grads);
        let rate = -opt.plain_rate().unwrap();
        for i in 0..3 {
            assert_eq!(updated[i], crate::Scalar::mul_add(rate, grads[i], theta[i]));
        }
    }

    #[test]
    fn momentum_trajectory_matches_hand_computation() {
        // f(θ) = θ²/2 so ∇ = θ; lr 0.1, momentum 0.9, θ0 = 1.
        // b1 = 1, θ1 = 0.9; b2 = 0.9·1 + 0.9 = 1.8, θ2 = 0.9 − 0.18 = 0.72;
        // b3 = 0.9·1.8 + 0.72 = 2.34, θ3 = 0.72 − 0.234 = 0.486.
        let mut opt = Sgd::new(0.1f64).momentum(0.9);
        let mut theta = [1.0];
        let mut seen = [0.0; 3];
        for s in &mut seen {
            let g = theta;
            opt.step(&mut theta, &g);
            *s = theta[0];
        }
        for (got, want) in seen.iter().zip([0.9, 0.72, 0.486]) {
            assert!((got - want).abs() < 1e-12, "{got} vs {want}");
        }
    }

    #[test]
    fn nesterov_trajectory_matches_hand_computation() {
        // ∇ = θ; lr 0.1, nesterov 0.9, θ0 = 1.
        // b1 = 1, g = 1 + 0.9 = 1.9, θ1 = 0.81;
        // b2 = 0.9 + 0.81 = 1.71, g = 0.81 + 1.539 = 2.349, θ2 = 0.81 − 0.2349 = 0.5751.
        let mut opt = Sgd::new(0.1f64).nesterov(0.9);
        let mut theta = [1.0];
        let g = theta;
        opt.step(&mut theta, &g);
        assert!((theta[0] - 0.81).abs() < 1e-12);
        let g = theta;
        opt.step(&mut theta, &g);
        assert!((theta[0] - 0.5751).abs() < 1e-12);
    }

    #[test]
    fn dampened_trajectory_matches_pytorchs_update_rule() {
        // scripts/reference_optimizers.py: sgd(lr=0.05, momentum=0.9, dampening=0.5).
        let mut opt = Sgd::new(0.05).momentum(0.9).dampening(0.5);
        crate::optim::tests::assert_trajectory(
            &crate::optim::tests::quadratic_trajectory(&mut opt),
            &[
                [0.95, -1.0],
                [0.88125, 0.15000000000000013],
                [0.79734375, 1.1475000000000002],
                [0.70189453125, 1.758375],
                [0.5984428710937499, 1.86856875],
            ],
        );
    }

    #[test]
    fn weight_decay_adds_to_gradient() {
        let mut opt = Sgd::new(0.5f64).weight_decay(0.1);
        let mut theta = [2.0, -4.0];
        opt.step(&mut theta, &[0.0, 1.0]);
        // θ − 0.5·(g + 0.1θ): 2 − 0.5·0.2 = 1.9; −4 − 0.5·(1 − 0.4) = −4.3
        assert!((theta[0] - 1.9).abs() < 1e-12);
        assert!((theta[1] + 4.3).abs() < 1e-12);
    }

    #[test]
    fn reset_and_lr_schedule() {
        let mut opt = Sgd::new(0.1f32).momentum(0.9);
        let mut theta = [1.0f32];
        opt.step(&mut theta, &[1.0]);
        opt.reset();
        opt.set_lr(0.2);
        assert_eq!(opt.lr(), 0.2);
        let before = theta[0];
        opt.step(&mut theta, &[1.0]);
        assert!((before - theta[0] - 0.2).abs() < 1e-6);
    }
}
