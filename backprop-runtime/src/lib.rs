//! Runtime of `backprop`: everything that does not depend on a network's shape.
//!
//! The `mlp!` macro (in `backprop-macros`, re-exported by the `backprop` facade) writes
//! each network's forward and backward passes as straight-line code; this crate supplies
//! the pieces that code calls and the pieces users combine it with:
//!
//! - [`Scalar`]: the element type (f32, f64; fixed-point later) and its math;
//! - [`activation`]: each activation function next to its derivative;
//! - [`Network`]: the trait every generated network implements, for generic code,
//!   and [`Trace`], the values of one forward pass;
//! - [`optim`]: optimizers ([`optim::Sgd`], [`optim::Adam`]) behind [`Optimizer`];
//! - [`init`]: deterministic, platform-independent parameter initialization;
//! - [`mod@gradcheck`]: finite-difference checks of a network's `backward`.
//!
//! - [`ParallelTrainer`] (feature `rayon`): a batch's gradient summed on many threads,
//!   reproducibly.
//! - [`Storage`]: where parameters and optimizer state live, inline or (feature
//!   `alloc`) boxed for networks too big for a thread's stack.
//!
//! For example, an optimizer and a schedule on a parameter array of their own:
//!
//! ```
//! use backprop_runtime::Optimizer;
//! use backprop_runtime::optim::{Adam, Schedule, Step};
//!
//! // Minimize (θ − 3)² from θ = 0.
//! let mut theta = [0.0f64];
//! let mut opt = Adam::new(0.1);
//! let schedule = Step { base: 0.1, every: 200, gamma: 0.5 };
//! for step in 0..600 {
//!     schedule.apply(&mut opt, step);
//!     let grad = [2.0 * (theta[0] - 3.0)];
//!     opt.step(&mut theta, &grad);
//! }
//! assert!((theta[0] - 3.0).abs() < 1e-3, "{theta:?}");
//! ```
//!
//! It is `#![no_std]` and has no `unsafe` code. Nothing allocates except the `new_boxed`
//! constructors of the `alloc` feature, once, when a network or optimizer is built.
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod activation;
mod array;
mod batch;
#[cfg(feature = "alloc")]
pub mod dot;
pub mod fastmath;
pub mod gradcheck;
pub mod init;
pub mod io;
pub mod kernel;
mod layer;
mod network;
pub mod optim;
#[cfg(feature = "rayon")]
pub mod parallel;
mod scalar;
pub mod storage;
mod trace;
pub mod vector;

pub use array::Array;
pub use batch::{BatchError, argmax, one_hot};
pub use gradcheck::{GradCheck, gradcheck};
pub use layer::Layer;
pub use network::{Chain, Network, STEP_BLOCK};
pub use optim::{Optimizer, ParamArray};
#[cfg(feature = "rayon")]
pub use parallel::{PARALLEL_PART, ParallelNetwork, ParallelTrainer};
pub use scalar::Scalar;
pub use storage::Storage;
pub use trace::Trace;

/// The serde crate, for the impls generated networks make under the `serde` feature.
#[cfg(feature = "serde")]
#[doc(hidden)]
pub use serde as __serde;

/// Expands to its items when the `serde` feature is on and to nothing otherwise: where
/// generated networks put their serde impls.
#[cfg(feature = "serde")]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_serde {
    ($($item:item)*) => { $($item)* };
}

/// Expands to its items when the `serde` feature is on and to nothing otherwise.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_serde {
    ($($item:item)*) => {};
}

/// Expands to its items when the `alloc` feature is on and to nothing otherwise: generated
/// networks put their `new_boxed` constructor in it, since a macro's output cannot test
/// the features of the crate it calls.
#[cfg(feature = "alloc")]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_alloc {
    ($($item:item)*) => { $($item)* };
}

/// Expands to its items when the `alloc` feature is on and to nothing otherwise.
#[cfg(not(feature = "alloc"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __with_alloc {
    ($($item:item)*) => {};
}
