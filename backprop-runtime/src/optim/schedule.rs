//! Learning-rate schedules: the learning rate as a function of the step number.
//!
//! A schedule is a plain function of the step; it owns no optimizer. Apply it once per
//! step (or per epoch, as you count) with [`Schedule::apply`], which works on every
//! optimizer of this module through [`LearningRate`]:
//!
//! ```
//! use backprop_runtime::optim::{CosineWithWarmup, Schedule, Sgd};
//! let schedule = CosineWithWarmup { base: 0.1, warmup: 10, total: 100, min: 0.0 };
//! let mut opt = Sgd::<f32, 4>::new(0.1);
//! for step in 0..100 {
//!     schedule.apply(&mut opt, step);
//!     // ... net.train_step(&x, &t, &mut opt) ...
//! }
//! ```

use crate::Scalar;

/// The learning rate of step `step` (counted from 0).
pub trait Schedule {
    /// The learning rate for step `step`.
    fn lr(&self, step: u64) -> f64;

    /// Sets `opt`'s learning rate to this schedule's for `step`.
    fn apply<T: Scalar, O: LearningRate<T>>(&self, opt: &mut O, step: u64) {
        opt.set_learning_rate(T::from_f64(self.lr(step)));
    }
}

/// An optimizer whose learning rate a [`Schedule`] can set.
pub trait LearningRate<T> {
    /// The current learning rate.
    fn learning_rate(&self) -> T;
    /// Replaces the learning rate; the optimizer's state is kept.
    fn set_learning_rate(&mut self, lr: T);
}

/// The same rate at every step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Constant(pub f64);

impl Schedule for Constant {
    fn lr(&self, _step: u64) -> f64 {
        self.0
    }
}

/// `base · gamma^⌊step / every⌋`: decay by `gamma` every `every` steps (PyTorch's
/// `StepLR`). `every = 0` is taken as 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The rate at step 0.
    pub base: f64,
    /// Steps between decays.
    pub every: u64,
    /// The factor of each decay.
    pub gamma: f64,
}

impl Schedule for Step {
    fn lr(&self, step: u64) -> f64 {
        self.base * libm::pow(self.gamma, (step / self.every.max(1)) as f64)
    }
}

/// `base · gamma^step` (PyTorch's `ExponentialLR`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Exponential {
    /// The rate at step 0.
    pub base: f64,
    /// The factor per step.
    pub gamma: f64,
}

impl Schedule for Exponential {
    fn lr(&self, step: u64) -> f64 {
        self.base * libm::pow(self.gamma, step as f64)
    }
}

/// A linear warm-up from 0 to `base` over `warmup` steps, then a cosine decay from
/// `base` to `min` at step `total`, and `min` after (the schedule of Hugging Face's
/// `get_cosine_schedule_with_warmup`, with a floor):
///
/// ```text
/// step < warmup:  base · step / warmup
/// otherwise:      min + (base − min) · ½ (1 + cos(π · p)),  p = min(1, (step − warmup) / (total − warmup))
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CosineWithWarmup {
    /// The rate at the end of the warm-up.
    pub base: f64,
    /// Steps of linear warm-up.
    pub warmup: u64,
    /// The step at which the decay reaches `min`.
    pub total: u64,
    /// The rate from step `total` on.
    pub min: f64,
}

impl Schedule for CosineWithWarmup {
    fn lr(&self, step: u64) -> f64 {
        if step < self.warmup {
            return self.base * step as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let progress = ((step - self.warmup) as f64 / span).min(1.0);
        let cosine = 0.5 * (1.0 + libm::cos(core::f64::consts::PI * progress));
        self.min + (self.base - self.min) * cosine
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::{Adam, Lion};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-15
    }

    #[test]
    fn schedules_follow_their_formulas() {
        assert_eq!(Constant(0.3).lr(1000), 0.3);
        let step = Step {
            base: 0.1,
            every: 3,
            gamma: 0.5,
        };
        let rates: [f64; 7] = core::array::from_fn(|s| step.lr(s as u64));
        assert_eq!(rates, [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025]);
        let exponential = Exponential {
            base: 0.1,
            gamma: 0.9,
        };
        assert!(close(exponential.lr(3), 0.1 * 0.9 * 0.9 * 0.9));
        let cosine = CosineWithWarmup {
            base: 1.0,
            warmup: 10,
            total: 110,
            min: 0.0,
        };
        assert_eq!(cosine.lr(0), 0.0);
        assert!(close(cosine.lr(5), 0.5));
        assert!(close(cosine.lr(10), 1.0));
        assert!(close(cosine.lr(60), 0.5));
        assert!(close(cosine.lr(110), 0.0));
        assert!(close(cosine.lr(10_000), 0.0));
        let floored = CosineWithWarmup { min: 0.1, ..cosine };
        assert!(close(floored.lr(60), 0.55));
    }

    #[test]
    fn apply_sets_any_optimizers_rate() {
        let mut adam = Adam::<f32, 3>::new(1.0);
        Constant(0.25).apply(&mut adam, 7);
        assert_eq!(adam.learning_rate(), 0.25);
        let mut lion = Lion::<f64, 3>::new(1.0);
        Exponential {
            base: 2.0,
            gamma: 0.5,
        }
        .apply(&mut lion, 2);
        assert_eq!(lion.lr(), 0.5);
    }
}
