//! The graph language (issue 7): any small DAG of named values.
//!
//! `parse` (tokens → [`parse::GraphAst`]), `check` (names, widths, losses resolved,
//! nested calls made values of their own, every error collected) and `codegen` (the
//! back end for any DAG: every value an array, small dense layers written out, every
//! other op a kernel call, the backward pass summing gradients where the graph fans
//! out). Between `check` and `codegen` the spec is lowered to the IR both macros share,
//! `crate::graph::Dag`; `mlp!` rewrites its chains into the same spec.

pub mod check;
pub mod codegen;
pub mod parse;
