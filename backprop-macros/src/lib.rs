//! The compiler behind `backprop::mlp!`.
//!
//! Use it through the `backprop` crate, which re-exports the macro and the runtime the
//! generated code calls. The stages, one module each: `parse` (tokens → spec syntax),
//! `check` (syntax → validated spec, every error collected), `graph` (spec → petgraph
//! DAG), `plan` (DAG → how each node is written out, and the budgets), `codegen`
//! (DAG and plan → Rust), joined in `expand`.
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
