//! RMSprop, with optional momentum and centering.

use crate::{Optimizer, Scalar, Storage};

super::optimizer_state! {
    /// RMSprop (Hinton's lecture 6e), the update of PyTorch's `torch.optim.RMSprop`:
    ///
    /// ```text
    /// g ← ∇θ + weight_decay · θ
    /// v ← α · v + (1 − α) · g²
    /// ṽ ← v − ḡ², with ḡ ← α · ḡ + (1 − α) · g      if centered, else ṽ ← v
    /// b ← momentum · b + g / (√ṽ + ε),  θ ← θ − lr · b     if momentum > 0
    /// θ ← θ − lr · g / (√ṽ + ε)                             otherwise
    /// ```
    ///
    /// Defaults (PyTorch's): α = 0.99, ε = 1e-8, no momentum, not centered, no weight
    /// decay; the usual learning rate is 1e-2. State: three arrays of `N` (the squares,
    /// the momentum buffer and the mean gradient), used as the options ask.
    pub struct RmsProp<T, const N: usize, S = [T; N]> {
        lr: T,
        alpha: T,
        eps: T,
        weight_decay: T,
        momentum: T,
        centered: bool,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        square_avg: S,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        buffer: S,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        grad_avg: S,
    }
}

super::shared_api!(RmsProp);

impl<T: Scalar, const N: usize, S: Storage<T, N>> RmsProp<T, N, S> {
    /// RMSprop with learning rate `lr` and PyTorch's defaults, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        RmsProp {
            lr,
            alpha: T::from_f64(0.99),
            eps: T::from_f64(1e-8),
            weight_decay: T::ZERO,
            momentum: T::ZERO,
            centered: false,
            square_avg: S::zeroed(),
            buffer: S::zeroed(),
            grad_avg: S::zeroed(),
        }
    }

    /// Sets the smoothing constant α. Default 0.99.
    pub fn alpha(mut self, alpha: T) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets ε. Default 1e-8.
    pub fn eps(mut self, eps: T) -> Self {
        self.eps = eps;
        self
    }

    /// Sets L2 weight decay, added to the gradient. Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Sets momentum. Default 0.
    pub fn momentum(mut self, momentum: T) -> Self {
        self.momentum = momentum;
        self
    }

    /// Normalizes by the estimated variance of the gradient instead of its second
    /// moment. Default off.
    pub fn centered(mut self, centered: bool) -> Self {
        self.centered = centered;
        self
    }

    /// Forgets the running averages and the momentum buffer.
    pub fn reset(&mut self) {
        self.square_avg.as_array_mut().fill(T::ZERO);
        self.buffer.as_array_mut().fill(T::ZERO);
        self.grad_avg.as_array_mut().fill(T::ZERO);
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for RmsProp<T, N, S> {
    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let keep = T::ONE - self.alpha;
        let square_avg = &mut self.square_avg.as_array_mut()[offset..];
        let buffer = &mut self.buffer.as_array_mut()[offset..];
        let grad_avg = &mut self.grad_avg.as_array_mut()[offset..];
        let state = square_avg.iter_mut().zip(buffer).zip(grad_avg);
        for ((theta, &grad), ((v, b), mean)) in params.iter_mut().zip(grads).zip(state) {
            let g = grad + self.weight_decay * *theta;
            *v = self.alpha * *v + keep * g * g;
            let mut variance = *v;
            if self.centered {
                *mean = self.alpha * *mean + keep * g;
                variance -= *mean * *mean;
            }
            let step = g / (variance.sqrt() + self.eps);
            if self.momentum > T::ZERO {
                *b = self.momentum * *b + step;
                *theta -= self.lr * *b;
            } else {
                *theta -= self.lr * step;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_trajectory, quadratic_trajectory};

    #[test]
    fn trajectories_match_pytorchs_update_rule() {
        // scripts/reference_optimizers.py: rmsprop(lr=0.01).
        let mut plain = RmsProp::new(0.01);
        assert_trajectory(
            &quadratic_trajectory(&mut plain),
            &[
                [0.9000000099999991, -1.9000000005],
                [0.8329179752650593, -1.830943326143927],
                [0.7799822819823541, -1.7753494420032538],
                [0.7353890542033931, -1.7277138132356071],
                [0.696465799281033, -1.685481578522089],
            ],
        );
        // rmsprop(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1).
        let mut full = RmsProp::new(0.01)
            .momentum(0.9)
            .centered(true)
            .weight_decay(0.1);
        assert_trajectory(
            &quadratic_trajectory(&mut full),
            &[
                [0.8994962276568145, -1.899496218974129],
                [0.7413059906502579, -1.7392987466620418],
                [0.5496501810751404, -1.5406780124966217],
                [0.3424741931402354, -1.3179662244526744],
                [0.1347019439315742, -1.0819235303440449],
            ],
        );
    }
}
