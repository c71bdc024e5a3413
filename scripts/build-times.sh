#!/usr/bin/env bash
# Measures what a network costs its user at build time: for each spec, a one-file crate
# that uses it (one `train_step` call), with every dependency already built, so that
# only the user's crate is timed. Prints one markdown table row per spec:
#
# - expansion: rustc's `macro_expand_crate` pass (`-Z time-passes`), best of three
#   check builds, in milliseconds: the macro's own cost, in every kind of build;
# - lines: the crate's expansion as `cargo expand` shows it (rustc's
#   `-Z unpretty=expanded`, formatted by rustfmt), the four prelude lines and the
#   calling function left out;
# - release and debug: wall-clock seconds of one build of the crate.
#
# `-Z` flags need a nightly compiler, or, as `cargo expand` does, RUSTC_BOOTSTRAP=1 on
# the stable one; this script sets it for those two measurements only, never for the
# timed builds.
#
#   scripts/build-times.sh                      # the table in BENCHMARKS.md
#   scripts/build-times.sh '32 => relu 64 => relu 64 => identity 4; loss mse'
#   scripts/build-times.sh 'A; loss mse | B; loss mse'   # two networks in one crate
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/src"
cat > "$work/Cargo.toml" <<TOML
[package]
name = "build-time-probe"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
backprop = { path = "$root" }

[workspace]
TOML

specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then
  specs=(
    "2 => relu 2 => sigmoid 1; loss half_sse"
    "32 => relu 64 => relu 64 => identity 4; loss mse"
    "784 => relu 128 => softmax 10; loss cross_entropy"
    "256 => relu 256 => relu 256 => identity 10; loss mse"
    "784 => relu 128 => softmax 10; loss cross_entropy | 256 => relu 256 => relu 256 => identity 10; loss mse"
  )
  for width in 2 4 8 16 32 64 128 256 512 1024; do
    specs+=("$width => relu $width => identity $width; loss mse")
  done
  for width in 2 4 8 16 32 64; do
    specs+=("$width => relu $width => identity $width; loss mse; codegen unrolled")
  done
fi

# Writes the probe crate for `spec`: one network and one function training it for each
# of its `|`-separated parts.
write_spec() {
  local index=0 part
  : > "$work/src/lib.rs"
  IFS='|' read -ra parts <<< "$1"
  for part in "${parts[@]}"; do
    index=$((index + 1))
    part=$(echo "$part" | sed 's/^ *//; s/ *$//')
    printf 'backprop::mlp!(pub Net%d<%s>);\n\npub fn step%d(net: &mut Net%d, x: &[f32; Net%d::INPUTS], t: &[f32; Net%d::OUTPUTS]) -> f32 {\n    let mut opt = backprop::optim::Sgd::new(0.01);\n    net.train_step(x, t, &mut opt)\n}\n\n' \
      "$index" "$part" "$index" "$index" "$index" "$index" >> "$work/src/lib.rs"
  done
}

# Cargo with RUSTC_BOOTSTRAP=1, for the `-Z` measurements, in a target directory of its
# own: the variable is part of what cargo fingerprints, and sharing the timed builds'
# directory would rebuild the dependencies they share with check builds (the macros).
unstable() {
  (cd "$work" && RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR="$work/target-unstable" cargo "$@")
}

# One build of each kind with the first spec brings every dependency up to date.
write_spec "${specs[0]}"
(cd "$work" && cargo build -q --release && cargo build -q)
unstable check -q

# Wall-clock milliseconds of one build of the probe crate, or -1 if it failed.
millis() {
  local start end
  touch "$work/src/lib.rs"
  start=$(date +%s%N)
  if ! (cd "$work" && cargo build -q "$@" 2>"$work/build.log"); then
    echo "build failed: $(grep -m1 -E 'error|overflowed' "$work/build.log")" >&2
    echo -1
    return
  fi
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

# Milliseconds rustc spent expanding macros in a check build of the probe crate, the
# best of three, with one decimal.
expansion_millis() {
  local run
  for run in 1 2 3; do
    touch "$work/src/lib.rs"
    unstable rustc -q --profile check -- -Z time-passes -Z time-passes-format=json 2>&1 |
      sed -n 's/.*"pass":"macro_expand_crate","time":\([0-9.e-]*\).*/\1/p'
  done | awk 'NR == 1 || $1 < best { best = $1 } END { printf "%.1f", best * 1000 }'
}

# Non-blank lines of the probe crate's expansion, formatted, without the prelude and
# the calling functions.
expanded_lines() {
  unstable rustc -q --profile check -- -Z unpretty=expanded > "$work/expanded.rs" 2>/dev/null
  rustfmt --edition 2024 "$work/expanded.rs"
  awk 'NR <= 4 { next } /^pub fn step[0-9]+\(/ { skip = 1 } skip && /^}/ { skip = 0; next }
       !skip && NF { n++ } END { print n }' "$work/expanded.rs"
}

# Seconds with one decimal, or the failure.
seconds() {
  if [ "$1" -lt 0 ]; then echo "rustc failed"; else echo "$(($1 / 1000)).$(($1 % 1000 / 100))"; fi
}

echo "| spec | expansion (ms) | generated lines | release build (s) | debug build (s) |"
echo "|---|---|---|---|---|"
for spec in "${specs[@]}"; do
  write_spec "$spec"
  expansion=$(expansion_millis)
  lines=$(expanded_lines)
  release=$(millis --release)
  debug=$(millis)
  printf '| `%s` | %s | %s | %s | %s |\n' "${spec// | /\` + \`}" "$expansion" "$lines" \
    "$(seconds "$release")" "$(seconds "$debug")"
done
