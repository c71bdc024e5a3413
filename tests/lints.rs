//! Generated code does not trip its user's lints: runs clippy on `tests/lints`, a crate
//! that uses `mlp!` in every form (unrolled, kernels, mixed, f64, exact math, private)
//! under `#![deny(clippy::all, clippy::pedantic, clippy::nursery, missing_docs,
//! unreachable_pub, warnings)]`.

#[path = "support/nested.rs"]
mod nested;

#[test]
fn generated_code_passes_the_strictest_lints() {
    let output = nested::cargo_on("lints", "clippy");
    assert!(
        output.status.success(),
        "clippy found lints in generated code (or is not installed: `rustup component add clippy`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
