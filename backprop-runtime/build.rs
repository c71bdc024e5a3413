//! Tells the runtime whether it is built without optimization (`opt-level = 0`), which
//! `cfg(debug_assertions)` alone does not: a profile may turn debug assertions off
//! without optimizing. Unoptimized, forcing the batch kernels inline would sum their
//! frames over a network's layers (see `kernel`'s docs), so they are forced inline only
//! in builds that optimize and have no debug assertions.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(backprop_unoptimized)");
    // Cargo gives a build script the opt-level of the crate it builds for.
    if std::env::var("OPT_LEVEL").is_ok_and(|level| level == "0") {
        println!("cargo::rustc-cfg=backprop_unoptimized");
    }
}
