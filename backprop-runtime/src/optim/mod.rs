//! Optimizers: rules that update parameters in place from their gradients.
//!
//! Each optimizer keeps its state (momentum, moment estimates) in fixed-size arrays
//! sized by the network's parameter count, so stepping never allocates. The count is
//! inferred: `Sgd::new(0.5)` passed to `net.train_step` becomes `Sgd<f32, 17>` for a
//! network of 17 `f32` parameters.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

/// An update rule for a parameter array `P` (`[T; N]` for a network's parameters).
///
/// Implementations update `params` in place from `grads`, the gradient ∂L/∂θ in the
/// same canonical order, and must not allocate.
pub trait Optimizer<P: ?Sized> {
    /// Applies one update to `params` given their gradient `grads`.
    fn step(&mut self, params: &mut P, grads: &P);
}

impl<P: ?Sized, O: Optimizer<P> + ?Sized> Optimizer<P> for &mut O {
    fn step(&mut self, params: &mut P, grads: &P) {
        (**self).step(params, grads);
    }
}
