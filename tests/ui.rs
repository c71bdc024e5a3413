//! Compile-fail tests: every mistake in a spec gives a message that names it and points
//! at it. Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test --test ui`
//! and review the diff as user-facing text.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
}
