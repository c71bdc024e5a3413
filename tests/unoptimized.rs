//! The batch methods keep within `BATCH_STACK_BYTES` in a build without debug
//! assertions that does not optimize: runs `tests/unoptimized`, a binary whose dev
//! profile turns debug assertions off, which puts two networks' batch methods on threads
//! of exactly their bound.

#[path = "support/nested.rs"]
mod nested;

#[test]
fn batch_methods_fit_their_bound_unoptimized_without_debug_assertions() {
    let output = nested::cargo_on("unoptimized", "run");
    assert!(
        output.status.success(),
        "the batch methods outgrew BATCH_STACK_BYTES ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let report = String::from_utf8_lossy(&output.stdout);
    assert_eq!(report.lines().count(), 2, "both networks ran:\n{report}");
}
