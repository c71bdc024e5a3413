//! Optimizers: rules that update parameters in place from their gradients.
//!
//! Each optimizer keeps its state (momentum, moment estimates) in fixed-size arrays
//! sized by the network's parameter count, so stepping never allocates. The count is
//! inferred: `Sgd::new(0.5)` passed to `net.train_step` becomes `Sgd<f32, 17>` for a
//! network of 17 `f32` parameters.

use crate::Scalar;

/// An optimizer's state struct with what every one derives: `Clone`, `Debug`, and with
/// the `serde` feature `Serialize` and `Deserialize`, bounded on the scalar `T` and the
/// storage `S` (whose arrays go through `io::serde::storage`).
macro_rules! optimizer_state {
    ($state:item) => {
        #[derive(Clone, Debug)]
        #[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
        #[cfg_attr(
            feature = "serde",
            serde(bound(
                serialize = "T: Scalar + serde::Serialize, S: Storage<T, N>",
                deserialize = "T: Scalar + serde::Deserialize<'de>, S: Storage<T, N>"
            ))
        )]
        $state
    };
}
use optimizer_state;

/// The constructors and accessors every optimizer here shares: `new` (state inline),
/// `new_boxed` (state on the heap, feature `alloc`), `STATE_BYTES`, `lr`, `set_lr` and
/// [`LearningRate`]. Each optimizer writes `new_in`, which builds its state in any
/// storage, and keeps its learning rate in a field `lr`.
macro_rules! shared_api {
    ($optimizer:ident) => {
        impl<T: $crate::Scalar, const N: usize> $optimizer<T, N> {
            /// The optimizer with learning rate `lr` and its defaults (see the type's
            /// docs), its state inline in the struct, sized at compile time: nothing
            /// is allocated. The parameter count `N` is inferred from the network the
            /// optimizer is first used with.
            pub fn new(lr: T) -> Self {
                Self::new_in(lr)
            }
        }

        #[cfg(feature = "alloc")]
        impl<T: $crate::Scalar, const N: usize> $optimizer<T, N, alloc::boxed::Box<[T; N]>> {
            /// The optimizer as `new` builds it, its state allocated on the heap and
            /// filled in place, never on the stack: for networks whose state would not
            /// fit a thread's stack.
            pub fn new_boxed(lr: T) -> Self {
                Self::new_in(lr)
            }
        }

        impl<T: $crate::Scalar, const N: usize, S: $crate::Storage<T, N>> $optimizer<T, N, S> {
            /// The bytes this optimizer takes, its state included when inline, for
            /// budgets checked at compile time:
            /// `const _: () = assert!(Adam::<f32, { Net::PARAMS }>::STATE_BYTES < 8192);`.
            pub const STATE_BYTES: usize = core::mem::size_of::<Self>();

            /// The learning rate.
            pub fn lr(&self) -> T {
                self.lr
            }

            /// Changes the learning rate, for schedules; the optimizer's state is kept.
            pub fn set_lr(&mut self, lr: T) {
                self.lr = lr;
            }
        }

        impl<T: $crate::Scalar, const N: usize, S: $crate::Storage<T, N>>
            $crate::optim::LearningRate<T> for $optimizer<T, N, S>
        {
            fn learning_rate(&self) -> T {
                self.lr
            }

            fn set_learning_rate(&mut self, lr: T) {
                self.lr = lr;
            }
        }
    };
}

use shared_api;

mod adagrad;
mod adam;
mod adamw;
mod clip;
mod lion;
mod rmsprop;
mod schedule;
mod sgd;

pub use adagrad::Adagrad;
pub use adam::Adam;
pub use adamw::AdamW;
pub use clip::{clip_grad_norm, clip_grad_value};
pub use lion::Lion;
pub use rmsprop::RmsProp;
pub use schedule::{Constant, CosineWithWarmup, Exponential, LearningRate, Schedule, Step};
pub use sgd::Sgd;
pub(crate) use sgd::descend;

/// An element-wise update rule for a parameter array `P` (`[T; N]` for a network's
/// parameters): each parameter's new value depends only on itself, its gradient and
/// its own state, as for SGD, Adam and every optimizer in this module.
///
/// A step is [`begin_step`](Self::begin_step) followed by [`update`](Self::update)s
/// that together cover every parameter once. Being element-wise is what lets a
/// network's `train_step` hand each layer's gradient to the optimizer as soon as the
/// backward pass has it, with no gradient buffer the size of the network. Updating
/// from a whole gradient at once is [`step`](Self::step). Implementations must not
/// allocate.
pub trait Optimizer<P: ?Sized + ParamArray> {
    /// Starts one step: called once before the `update`s that make it up (Adam
    /// advances its step count here). The default does nothing.
    fn begin_step(&mut self) {}

    /// Updates `params`, the parameters at `offset..offset + params.len()` of the
    /// array, from their gradients `grads` (of the same length).
    fn update(&mut self, offset: usize, params: &mut [P::Scalar], grads: &[P::Scalar]);

    /// Updates `params` (at `offset`, as in [`update`](Self::update)) from the gradient
    /// `scale · x`: the form a dense layer's weight row has, `∂L/∂z · input`. The
    /// default hands `update` the products in chunks; SGD overrides it with one pass.
    #[inline]
    fn update_scaled(
        &mut self,
        offset: usize,
        params: &mut [P::Scalar],
        scale: P::Scalar,
        x: &[P::Scalar],
    ) {
        update_scaled_in_chunks::<P, Self>(self, offset, params, scale, x);
    }

    /// Applies one whole step to `params` given their gradient `grads`.
    fn step(&mut self, params: &mut P, grads: &P) {
        self.begin_step();
        self.update(0, params.as_mut_slice(), grads.as_slice());
    }

    /// `Some(lr)` when this step is plain gradient descent: [`update`](Self::update)
    /// sets every parameter θ to `Scalar::mul_add(−lr, g, θ)` and keeps no state. The
    /// kernels then apply the step themselves rather than calling `update` strip by
    /// strip: the batch kernels add `−lr` times the block's gradient into the
    /// parameters as they would into a gradient array, and written-out layers fold
    /// `−lr` into their inputs: the same step up to rounding (`−lr` meets `dz` or the
    /// input before the product is summed or rounded, not after). The default,
    /// `None`, always goes through `update`; an implementation that returns `Some` must
    /// keep that promise.
    #[inline]
    fn plain_rate(&self) -> Option<P::Scalar> {
        None
    }
}

impl<P: ?Sized + ParamArray, O: Optimizer<P> + ?Sized> Optimizer<P> for &mut O {
    fn begin_step(&mut self) {
        (**self).begin_step();
    }

    fn update(&mut self, offset: usize, params: &mut [P::Scalar], grads: &[P::Scalar]) {
        (**self).update(offset, params, grads);
    }

    fn update_scaled(
        &mut self,
        offset: usize,
        params: &mut [P::Scalar],
        scale: P::Scalar,
        x: &[P::Scalar],
    ) {
        (**self).update_scaled(offset, params, scale, x);
    }

    fn plain_rate(&self) -> Option<P::Scalar> {
        (**self).plain_rate()
    }
}

/// A flat array of parameters, `[T; N]`, as optimizers see it: it names the element
/// type the optimizer's `update` works on.
pub trait ParamArray {
    /// The element type.
    type Scalar: Scalar;
    /// The elements, in canonical order.
    fn as_slice(&self) -> &[Self::Scalar];
    /// The elements, in canonical order, for changing in place.
    fn as_mut_slice(&mut self) -> &mut [Self::Scalar];
}

impl<T: Scalar, const N: usize> ParamArray for [T; N] {
    type Scalar = T;

    fn as_slice(&self) -> &[T] {
        self
    }

    fn as_mut_slice(&mut self) -> &mut [T] {
        self
    }
}

/// The gradients [`update_scaled_in_chunks`] forms at a time: bounds the stack whatever
/// the row's length.
const CHUNK: usize = 64;

/// [`Optimizer::update_scaled`] through [`Optimizer::update`]: the gradient `scale · x`
/// formed 64 values at a time and handed over chunk by chunk.
#[inline]
pub fn update_scaled_in_chunks<P, O>(
    optimizer: &mut O,
    offset: usize,
    params: &mut [P::Scalar],
    scale: P::Scalar,
    x: &[P::Scalar],
) where
    P: ?Sized + ParamArray,
    O: Optimizer<P> + ?Sized,
{
    let mut grads = [<P::Scalar as Scalar>::ZERO; CHUNK];
    for (start, (params, x)) in params.chunks_mut(CHUNK).zip(x.chunks(CHUNK)).enumerate() {
        let grads = &mut grads[..x.len()];
        for (grad, &x) in grads.iter_mut().zip(x) {
            *grad = scale * x;
        }
        optimizer.update(offset + start * CHUNK, params, grads);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::Optimizer;

    /// Five steps on f(θ) = ½(θ₀² + 10 θ₁²) from θ = (1, −2): the problem of
    /// `scripts/reference_optimizers.py`, whose numbers the optimizers' tests hold.
    pub(crate) fn quadratic_trajectory<O: Optimizer<[f64; 2]>>(opt: &mut O) -> [[f64; 2]; 5] {
        let mut theta = [1.0, -2.0];
        core::array::from_fn(|_| {
            let grad = [theta[0], 10.0 * theta[1]];
            opt.step(&mut theta, &grad);
            theta
        })
    }

    /// Every step within 1e-12 of the reference (relative, floored at 1).
    pub(crate) fn assert_trajectory(got: &[[f64; 2]; 5], want: &[[f64; 2]; 5]) {
        for (step, (got, want)) in got.iter().zip(want).enumerate() {
            for (g, w) in got.iter().zip(want) {
                assert!(
                    (g - w).abs() <= 1e-12 * w.abs().max(1.0),
                    "step {}: {got:?} vs {want:?}",
                    step + 1
                );
            }
        }
    }
}
