//! Adagrad: per-parameter learning rates from the sum of squared gradients.

use crate::{Optimizer, Scalar, Storage};

super::optimizer_state! {
    /// Adagrad (Duchi et al. 2011), the update of PyTorch's `torch.optim.Adagrad`:
    ///
    /// ```text
    /// lr_t ← lr / (1 + (t − 1) · lr_decay)
    /// g ← ∇θ + weight_decay · θ
    /// s ← s + g²                       (s starts at initial_accumulator_value)
    /// θ ← θ − lr_t · g / (√s + ε)
    /// ```
    ///
    /// Defaults (PyTorch's): no decay, no weight decay, s starting at 0, ε = 1e-10; the
    /// usual learning rate is 1e-2.
    pub struct Adagrad<T, const N: usize, S = [T; N]> {
        lr: T,
        lr_decay: T,
        weight_decay: T,
        eps: T,
        initial_accumulator: T,
        /// Steps begun, `t`.
        steps: u64,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        sum: S,
    }
}

super::shared_api!(Adagrad);

impl<T: Scalar, const N: usize, S: Storage<T, N>> Adagrad<T, N, S> {
    /// Adagrad with learning rate `lr` and PyTorch's defaults, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        Adagrad {
            lr,
            lr_decay: T::ZERO,
            weight_decay: T::ZERO,
            eps: T::from_f64(1e-10),
            initial_accumulator: T::ZERO,
            steps: 0,
            sum: S::zeroed(),
        }
    }

    /// Sets the learning-rate decay. Default 0.
    pub fn lr_decay(mut self, lr_decay: T) -> Self {
        self.lr_decay = lr_decay;
        self
    }

    /// Sets L2 weight decay, added to the gradient. Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets ε. Default 1e-10.
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Sets the value every sum of squares starts from. Default 0.
    pub fn initial_accumulator(mut self, value: T) -> Self {
        self.initial_accumulator = value;
        self.sum.as_array_mut().fill(value);
        self
    }

    /// Forgets the sums and the step count.
    pub fn reset(&mut self) {
        self.steps = 0;
        self.sum.as_array_mut().fill(self.initial_accumulator);
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for Adagrad<T, N, S> {
    fn begin_step(&mut self) {
        self.steps += 1;
    }

    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let decay = T::from_f64(self.steps.saturating_sub(1) as f64) * self.lr_decay;
        let lr = self.lr / (T::ONE + decay);
        let sums = &mut self.sum.as_array_mut()[offset..];
        for ((theta, &grad), sum) in params.iter_mut().zip(grads).zip(sums) {
            let g = grad + self.weight_decay * *theta;
            *sum += g * g;
            *theta -= lr * g / (sum.sqrt() + self.eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_trajectory, quadratic_trajectory};

    #[test]
    fn trajectory_matches_pytorchs_update_rule() {
        // scripts/reference_optimizers.py: adagrad(lr=0.1, lr_decay=0.5,
        // weight_decay=0.1, initial_accumulator_value=0.2).
        let mut opt = Adagrad::new(0.1)
            .lr_decay(0.5)
            .weight_decay(0.1)
            .initial_accumulator(0.2);
        assert_trajectory(
            &quadratic_trajectory(&mut opt),
            &[
                [0.9073632886904843, -1.9000244983962176],
                [0.8644673168067641, -1.8541134700719848],
                [0.83833557353452, -1.8262247044542068],
                [0.82025216649826, -1.8069644963339824],
                [0.8067679766057791, -1.7926275746177833],
            ],
        );
    }
}
