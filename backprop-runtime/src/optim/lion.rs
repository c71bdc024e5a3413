//! Lion: the sign of an interpolated momentum.

use crate::scalar::sign;
use crate::{Optimizer, Scalar, Storage};

super::optimizer_state! {
    /// Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
    /// Algorithm 2):
    ///
    /// ```text
    /// c ← β1 · m + (1 − β1) · g
    /// θ ← θ − lr · (sign(c) + weight_decay · θ)
    /// m ← β2 · m + (1 − β2) · g
    /// ```
    ///
    /// Defaults (the paper's): β1 = 0.9, β2 = 0.99, no weight decay. Every step moves each
    /// parameter by about `lr`, so Lion wants a learning rate 3–10 times smaller than
    /// AdamW's (the paper suggests 1e-4). One state array.
    pub struct Lion<T, const N: usize, S = [T; N]> {
        lr: T,
        beta1: T,
        beta2: T,
        weight_decay: T,
        #[cfg_attr(feature = "serde", serde(with = "crate::io::serde::storage"))]
        m: S,
    }
}

super::shared_api!(Lion);

impl<T: Scalar, const N: usize, S: Storage<T, N>> Lion<T, N, S> {
    /// Lion with learning rate `lr` and the paper's defaults, its state in `S`.
    pub fn new_in(lr: T) -> Self {
        Lion {
            lr,
            beta1: T::from_f64(0.9),
            beta2: T::from_f64(0.99),
            weight_decay: T::ZERO,
            m: S::zeroed(),
        }
    }

    /// Sets the interpolation (β1) and momentum (β2) rates. Default (0.9, 0.99).
    pub fn betas(mut self, beta1: T, beta2: T) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Sets the decoupled weight decay. Default 0.
    pub fn weight_decay(mut self, weight_decay: T) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    /// Forgets the momentum.
    pub fn reset(&mut self) {
        self.m.as_array_mut().fill(T::ZERO);
    }
}

impl<T: Scalar, const N: usize, S: Storage<T, N>> Optimizer<[T; N]> for Lion<T, N, S> {
    #[inline]
    fn update(&mut self, offset: usize, params: &mut [T], grads: &[T]) {
        let moments = &mut self.m.as_array_mut()[offset..];
        for ((theta, &g), m) in params.iter_mut().zip(grads).zip(moments) {
            let c = self.beta1 * *m + (T::ONE - self.beta1) * g;
            *theta -= self.lr * (sign(c) + self.weight_decay * *theta);
            *m = self.beta2 * *m + (T::ONE - self.beta2) * g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::tests::{assert_trajectory, quadratic_trajectory};

    #[test]
    fn trajectory_matches_the_papers_update_rule() {
        // scripts/reference_optimizers.py: lion(lr=0.01, weight_decay=0.5).
        let mut opt = Lion::new(0.01).weight_decay(0.5);
        assert_trajectory(
            &quadratic_trajectory(&mut opt),
            &[
                [0.985, -1.98],
                [0.970075, -1.9601],
                [0.955224625, -1.9402995],
                [0.9404485018750001, -1.9205980025],
                [0.925746259365625, -1.9009950124875],
            ],
        );
    }
}
