//! Builds `tests/no-std`, a `#![no_std]` staticlib that trains networks with its own
//! panic handler and no allocator: the build fails if the macro's output or the runtime
//! pulls in std or alloc anywhere.

#[path = "support/nested.rs"]
mod nested;

#[test]
fn networks_build_without_std_or_an_allocator() {
    let output = nested::cargo_on("no-std", "build");
    assert!(
        output.status.success(),
        "the no_std staticlib failed to build:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
