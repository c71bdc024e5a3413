//! The batch methods keep within `BATCH_STACK_BYTES` in a build without debug
//! assertions that does not optimize: runs `tests/unoptimized`, a binary whose dev
//! profile turns debug assertions off, which puts two networks' batch methods on threads
//! of exactly their bound.

use std::path::Path;
use std::process::Command;

#[test]
fn batch_methods_fit_their_bound_unoptimized_without_debug_assertions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--manifest-path"])
        .arg(root.join("tests/unoptimized/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/unoptimized-check"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the batch methods outgrew BATCH_STACK_BYTES ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(report.lines().count(), 2, "both networks ran:\n{report}");
}
