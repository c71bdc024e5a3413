//! Builds `tests/no-std`, a `#![no_std]` staticlib that trains networks with its own
//! panic handler and no allocator: the build fails if the macro's output or the runtime
//! pulls in std or alloc anywhere.

use std::path::Path;
use std::process::Command;

#[test]
fn networks_build_without_std_or_an_allocator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO"))
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(root.join("tests/no-std/Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target/no-std-check"))
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the no_std staticlib failed to build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
