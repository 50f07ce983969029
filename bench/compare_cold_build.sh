#!/usr/bin/env bash
# Cold debug build of a minimal application on the SDK of each given
# checkout, back to back on one machine (sources already downloaded), to
# compare what two versions of the SDK cost a new project's first build.
# Usage: bench/compare_cold_build.sh OLD_CHECKOUT NEW_CHECKOUT
set -euo pipefail
for tree in "$@"; do
  tree=$(cd "$tree" && pwd)
  dir=$(mktemp -d)
  mkdir -p "$dir/src"
  printf '[package]\nname = "cold-app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nupstox-login-sdk = { path = "%s/upstox-login-sdk" }\n\n[workspace]\n' "$tree" >"$dir/Cargo.toml"
  printf 'use upstox_login_sdk as _;\n\nfn main() {}\n' >"$dir/src/main.rs"
  cp "$tree/Cargo.lock" "$dir/Cargo.lock"
  (cd "$dir" && cargo fetch -q)
  start=$(date +%s.%N)
  (cd "$dir" && CARGO_TARGET_DIR="$dir/target" cargo build -q)
  end=$(date +%s.%N)
  printf '%s (git %s): %.1f s\n' "$tree" "$(git -C "$tree" rev-parse --short HEAD)" "$(echo "$end - $start" | bc)"
  rm -rf "$dir"
done
