#!/usr/bin/env bash
# Generate the Kotlin, Swift and Python bindings of danvan-bindings from the built library
# (uniffi library mode) into bindings/generated/<language>/, with the names of
# bindings/uniffi.toml: Kotlin package vn.danvan.core (vn/danvan/core/danvan.kt), Swift module
# DanvanCore (DanvanCore.swift, danvanFFI.h, danvanFFI.modulemap). uniffi-bindgen finds that file
# itself: library mode asks `cargo metadata` for each component crate's directory and reads its
# uniffi.toml (uniffi 0.32's --config takes a global [defaults]/[crates.<name>] file instead,
# and ignores a crate-style file with a warning, so it is not passed here).
#
#   scripts/gen-bindings.sh [--release] [kotlin|swift|python ...]   (default: all three)
#
# Generated code is not committed (bindings/generated/ is git-ignored): it is regenerated from
# the library every time the Kotlin tests run, so it can never be stale. See
# docs/adr/0006-bindings.md.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=debug
flags=()
langs=()
for a in "$@"; do
  case "$a" in
    --release) profile=release; flags=(--release) ;;
    kotlin|swift|python) langs+=("$a") ;;
    *) echo "usage: $0 [--release] [kotlin|swift|python ...]" >&2; exit 2 ;;
  esac
done
[ ${#langs[@]} -gt 0 ] || langs=(kotlin swift python)

target=$(./scripts/target-dir.sh)
case "$(uname -s)" in
  Darwin) lib="$target/$profile/libdanvan_bindings.dylib" ;;
  *) lib="$target/$profile/libdanvan_bindings.so" ;;
esac

# DANVAN_SKIP_BUILD=1: the caller has just built the workspace (scripts/kotlin-tests.sh does,
# with the same features as `cargo test`, so nothing is compiled twice).
if [ -z "${DANVAN_SKIP_BUILD:-}" ]; then
  cargo build ${flags[@]+"${flags[@]}"} -p danvan-bindings -p uniffi-bindgen --quiet
fi
for lang in "${langs[@]}"; do
  out="bindings/generated/$lang"
  rm -rf "$out"
  mkdir -p "$out"
  "$target/$profile/uniffi-bindgen" generate --library "$lib" --language "$lang" \
    --out-dir "$out" --no-format
  echo "generated $lang bindings in $out"
done
