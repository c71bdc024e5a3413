//! Running cargo on the crates under `tests/` that are workspaces of their own (they set
//! profiles, which only a workspace root may), shared by the tests that build them.

use std::path::Path;
use std::process::{Command, Output};

/// `cargo <subcommand> --quiet` on the crate in `tests/<name>`, in a target directory of
/// its own under the project's (`target/<name>-check`), so that its profile's builds
/// never replace the project's.
pub fn cargo_on(name: &str, subcommand: &str) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::new(env!("CARGO"))
        .args([subcommand, "--quiet", "--manifest-path"])
        .arg(root.join("tests").join(name).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(root.join("target").join(format!("{name}-check")))
        .output()
        .expect("cargo runs")
}
