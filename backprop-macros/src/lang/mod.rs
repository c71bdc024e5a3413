//! The graph language (issue 7): any small DAG of named values, compiled like `mlp!`.
//!
//! `parse` (tokens → [`parse::GraphAst`]), `check` (names, widths, losses resolved,
//! every error collected) and `codegen` (every value an array, every op a kernel call,
//! the backward pass summing gradients where the graph fans out). `mlp!` does not go
//! through this path yet: its chains have their own planner, which unrolls small
//! layers.

pub mod check;
pub mod codegen;
pub mod parse;
