//! AdamW: Adam with decoupled weight decay.

use super::adam::Moments;
use crate::{Optimizer, Scalar, Storage};

super::optimizer_state! {
    /// AdamW (Loshchilov & Hutter 2019), the update of PyTorch's `torch.optim.AdamW`: the
    /// weight decay shrinks the parameters directly instead of joining the gradient, so
    /// it is not rescaled by the moment estimates.
    ///
    /// ```text
    /// θ ← θ − lr · weight_decay · θ
    /// m ← β1 · m + (1 − β1) · g
    /// v ← β2 · v + (1 − β2) · g²
    /// m̂ ← m / (1 − β1^t),   v̂ ← v / (1 − β2^t)
    /// θ ← θ − lr · m̂ / (√v̂ + ε)
    /// ```
    ///
    /// Defaults (PyTorch's): β1 = 0.9, β2 = 0.999, ε = 1e-8, weight decay 0.01.
    pub struct AdamW<T, const N: usize, S = [T; N]> {
        lr: T,
        weight_decay: T,
        moments: Moments<T, N, S>,
    }
}

super::shared_api!(AdamW);

impl<T: Scalar, const N: usize, S: Storage<T, N>> AdamW<T, N, S> {
    /// AdamW with learning rate `lr` and PyTorch's defaults, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        AdamW {
            lr,
            weight_decay: T::from_f64(1e-2),
            moments: Moments::new(),
        }
    }

    /// Sets the decay rates of the moment estimates. Default (0.9, 0.999).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        (self.moments.beta1, self.moments.beta2) = (beta1, beta2);
        self
    }

    /// Sets ε. Default 1e-8.
    pub fn eps(mut self, eps: T) -> Self {
        self.moments.eps = eps;
        self
    }

    /// Sets the decoupled weight decay. Default 0.01.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Forgets the moment estimates and the step count.
    pub fn reset(&mut self) {
        self.moments.reset();
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for AdamW<T, N, S> {
    fn begin_step(&mut self) {
        self.moments.begin_step();
    }

    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let shrink = T::ONE - self.lr * self.weight_decay;
        // The decay shrinks θ itself, before the moment step; the gradient is untouched.
        self.moments
            .update(self.lr, offset, params, grads, |theta, grad| {
                *theta *= shrink;
                grad
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_trajectory, quadratic_trajectory};

    #[test]
    fn trajectory_matches_pytorchs_update_rule() {
        // scripts/reference_optimizers.py: adamw(lr=0.1, weight_decay=0.1).
        let mut opt = AdamW::new(0.1).weight_decay(0.1);
        assert_trajectory(
            &quadratic_trajectory(&mut opt),
            &[
                [0.890000001, -1.88000000005],
                [0.7815718569541611, -1.7614089501813404],
                [0.6751012231892007, -1.6443686829514537],
                [0.5710475992066122, -1.529032710451144],
                [0.46995265961880683, -1.4155664789194458],
            ],
        );
    }
}
