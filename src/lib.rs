#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Compiles a network spec into a struct with straight-line `forward` and `backward`.
///
/// See the [crate documentation](crate) for the grammar and the generated API.
pub use backprop_macros::mlp;

pub use backprop_runtime::{
    Array, BatchError, GradCheck, Layer, Network, Optimizer, ParamArray, Scalar, Storage, Trace,
    activation, argmax, gradcheck, init, io, kernel, one_hot, optim, storage,
};

#[doc(hidden)]
pub use backprop_runtime::{__with_alloc, __with_serde};

#[cfg(feature = "serde")]
#[doc(hidden)]
pub use backprop_runtime::__serde;
