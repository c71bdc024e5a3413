#!/usr/bin/env bash
# Measures what a network costs its user at build time: for each spec, the release
# and debug build of a one-file crate that uses it, with every dependency already
# built, so that only the user's crate (the macro's expansion and rustc's work on it)
# is timed. Prints one markdown table row per spec.
#
#   scripts/build-times.sh                      # the table in BENCHMARKS.md
#   scripts/build-times.sh '32 => relu 64 => relu 64 => identity 4; loss mse'
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
    "784 => relu 128 => sigmoid 10; loss mse"
    "256 => relu 256 => relu 256 => identity 10; loss mse"
    "8 => relu 8 => identity 8; loss mse"
    "16 => relu 16 => identity 16; loss mse"
    "32 => relu 32 => identity 32; loss mse"
    "64 => relu 64 => identity 64; loss mse"
    "128 => relu 128 => identity 128; loss mse"
    "256 => relu 256 => identity 256; loss mse"
    "512 => relu 512 => identity 512; loss mse"
    "1024 => relu 1024 => identity 1024; loss mse"
    "8 => relu 8 => identity 8; loss mse; codegen unrolled"
    "16 => relu 16 => identity 16; loss mse; codegen unrolled"
    "32 => relu 32 => identity 32; loss mse; codegen unrolled"
    "64 => relu 64 => identity 64; loss mse; codegen unrolled"
  )
fi

write_spec() {
  printf 'backprop::mlp!(pub Net<%s>);\n\npub fn step(net: &mut Net, x: &[f32; Net::INPUTS], t: &[f32; Net::OUTPUTS]) -> f32 {\n    let mut opt = backprop::optim::Sgd::new(0.01);\n    net.train_step(x, t, &mut opt)\n}\n' "$1" > "$work/src/lib.rs"
}

# One build of each profile with the first spec brings every dependency up to date.
write_spec "${specs[0]}"
(cd "$work" && cargo build -q --release && cargo build -q)

# Wall-clock milliseconds of one build of the probe crate.
millis() {
  local start end
  start=$(date +%s%N)
  if ! (cd "$work" && cargo build -q "$@" 2>"$work/build.log"); then
    echo "build failed: $(grep -m1 -E 'error|overflowed' "$work/build.log")" >&2
    echo -1
    return
  fi
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}

echo "| spec | release build (s) | debug build (s) |"
echo "|---|---|---|"
for spec in "${specs[@]}"; do
  write_spec "$spec"
  release=$(millis --release)
  debug=$(millis)
  if [ "$release" -lt 0 ] || [ "$debug" -lt 0 ]; then
    printf '| `%s` | %s | %s |\n' "$spec" "$( [ "$release" -lt 0 ] && echo 'rustc failed' || echo "$((release / 1000)).$((release % 1000 / 100))")" \
      "$( [ "$debug" -lt 0 ] && echo 'rustc failed' || echo "$((debug / 1000)).$((debug % 1000 / 100))")"
    continue
  fi
  printf '| `%s` | %d.%d | %d.%d |\n' "$spec" $((release / 1000)) $((release % 1000 / 100)) \
    $((debug / 1000)) $((debug % 1000 / 100))
done
