#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

/// Compiles a network spec into a struct with straight-line `forward` and `backward`.
///
/// See the [crate documentation](crate) for the grammar and the generated API.
pub use backprop_macros::mlp;

/// Compiles a network written as a graph of named values: several inputs, shared and
/// fanned-out values, several outputs, a weighted sum of losses. `mlp!` is sugar for a
/// chain of it. See the [crate documentation](crate) for the language.
///
/// ```
/// backprop::graph!(pub ActorCritic<
///     input obs[8];
///     h  = dense(obs, 16) |> tanh;
///     h2 = dense(h, 16) |> tanh;
///     r  = add(h, h2);
///     pi = dense(r, 4) |> softmax;
///     v  = dense(concat(r, obs), 1);
///     loss cross_entropy(pi) + 0.5 * mse(v);
/// >);
/// let net = ActorCritic::new(1);
/// let out = net.forward(&ActorCriticInput { obs: [0.1; 8] });
/// assert!((out.pi.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// ```
pub use backprop_macros::graph;

pub use backprop_runtime::{
    Array, BatchError, Chain, GradCheck, Layer, Network, Optimizer, ParamArray, STEP_BLOCK, Scalar,
    Storage, Trace, activation, argmax, gradcheck, init, io, kernel, one_hot, optim, storage,
    vector,
};

#[cfg(feature = "alloc")]
pub use backprop_runtime::dot;

#[cfg(feature = "rayon")]
pub use backprop_runtime::{PARALLEL_PART, ParallelNetwork, ParallelTrainer, parallel};

#[doc(hidden)]
pub use backprop_runtime::{__with_alloc, __with_serde};

#[cfg(feature = "serde")]
#[doc(hidden)]
pub use backprop_runtime::__serde;
