//! Generated code does not trip its user's lints: runs clippy on `tests/lints`, a crate
//! that uses `mlp!` in every form (unrolled, kernels, mixed, f64, exact math, private)
//! under `#![deny(clippy::all, clippy::pedantic, clippy::nursery, missing_docs,
//! unreachable_pub, warnings)]`.

use std::path::Path;
use std::process::Command;

#[test]
fn generated_code_passes_the_strictest_lints() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO"))
        .args(["clippy", "--quiet", "--manifest-path"])
        .arg(root.join("tests/lints/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/lints-check"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "clippy found lints in generated code (or is not installed: `rustup component add clippy`):\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
