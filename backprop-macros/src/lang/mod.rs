//! The graph language (issue 7): any small DAG of named values, compiled like `mlp!`.
//!
//! Work in progress, not yet exported: `parse` (tokens → [`parse::GraphAst`]) and
//! `check` (names, widths, losses resolved, every error collected) are here and tested;
//! lowering to the `graph` stage's DAG and the code generator's support for several
//! inputs, outputs and losses come next.

pub mod check;
pub mod parse;
