//! The compiler behind `backprop::mlp!` and `backprop::graph!`.
//!
//! Use it through the `backprop` crate, which re-exports the macros and the runtime the
//! generated code calls:
//!
//! ```
//! backprop::mlp!(pub Xor<2 => relu 4 => sigmoid 1; loss mse>);
//!
//! let mut net = Xor::new(42);
//! let mut opt = backprop::optim::Sgd::new(0.5);
//! let before = net.loss(&[0.0, 1.0], &[1.0]);
//! for _ in 0..50 {
//!     net.train_step(&[0.0, 1.0], &[1.0], &mut opt);
//! }
//! assert!(net.loss(&[0.0, 1.0], &[1.0]) < before);
//! ```
//!
//! Both macros compile through one graph IR, `graph::Dag` (a petgraph DAG). `graph!`:
//! `lang::parse` (tokens → syntax), `lang::check` (syntax → checked graph spec, every
//! error collected), `graph::lower` (spec → DAG), `lang::codegen` (DAG → Rust). `mlp!`
//! is sugar over it: `parse`, `check` (the chain's own errors), `graph::build` (the chain
//! rewritten into a graph spec and lowered the same way), then `plan` (how each node is
//! written out, and the budgets) and `codegen`, the back end for chains. Joined in
//! `expand`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod check;
mod codegen;
mod dot;
mod error;
mod expand;
mod graph;
mod lang;
mod names;
mod parse;
mod plan;
#[cfg(test)]
mod property_tests;

/// Compiles a network spec, `Name<INPUTS => ACTIVATION WIDTH ...; loss LOSS>`, into a
/// struct with straight-line `forward` and `backward`. Documented in the `backprop` crate.
#[proc_macro]
pub fn mlp(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand(input.into()).into()
}

/// Compiles a graph network, `Name< input x[4]; h = dense(x, 8) |> relu; ...; loss mse(y); >`,
/// into a struct with straight-line `forward` and `backward`. Documented in the
/// `backprop` crate.
#[proc_macro]
pub fn graph(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    expand::expand_graph(input.into()).into()
}
