#!/usr/bin/env bash
# Fuzz danvan's decoders with cargo-fuzz (libFuzzer, nightly): every target in fuzz/, one after
# the other, each for FUZZ_SECONDS (default 60) or for FUZZ_RUNS executions. Exits non-zero on
# the first crash (the input is saved in fuzz/artifacts/<target>/); prints the executions and
# executions per second of each target. See fuzz/README.md.
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=45 scripts/fuzz.sh          # what scripts/test.sh runs
#   FUZZ_RUNS=10000000 scripts/fuzz.sh units_csv   # a long campaign of one target
#   scripts/fuzz.sh --seed                   # rewrite fuzz/seeds/ from the tests' data
#
# FUZZ_SANITIZER: address (default) or none. FUZZ_JOBS: cargo build jobs. FUZZ_MAX_LEN: largest
# input libFuzzer makes (default 4096 bytes; longer seeds are read cut to it). The grown corpus is
# fuzz/corpus/<target>/ (not committed); the committed seeds, fuzz/seeds/<target>/, are read too.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CARGO_FUZZ_VERSION=0.13.1
TOOLCHAIN=${FUZZ_TOOLCHAIN:-nightly}
SANITIZER=${FUZZ_SANITIZER:-address}
# Its own target directory whatever the environment says: the nightly, instrumented build
# never mixes with the workspace's.
export CARGO_TARGET_DIR="$root/fuzz/target"

step() { printf '\n==> fuzz: %s\n' "$*"; }

if [ "${1:-}" = "--seed" ]; then
  step "writing fuzz/seeds/ (examples/seed.rs)"
  cargo run --quiet --manifest-path fuzz/Cargo.toml --example seed
  exit 0
fi

if ! rustup run "$TOOLCHAIN" rustc --version >/dev/null 2>&1; then
  echo "fuzz: the $TOOLCHAIN toolchain is missing (cargo-fuzz needs nightly: rustup toolchain install nightly)" >&2
  exit 1
fi
installed=$(cargo fuzz --version 2>/dev/null | awk '{print $2}' || true)
if [ "$installed" != "$CARGO_FUZZ_VERSION" ]; then
  step "installing cargo-fuzz $CARGO_FUZZ_VERSION (found: ${installed:-none})"
  cargo install --locked "cargo-fuzz@$CARGO_FUZZ_VERSION"
fi

if [ $# -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
fi

if [ -n "${FUZZ_RUNS:-}" ]; then
  limit=(-runs="$FUZZ_RUNS")
  what="$FUZZ_RUNS executions"
else
  limit=(-max_total_time="${FUZZ_SECONDS:-60}")
  what="${FUZZ_SECONDS:-60} s"
fi
build=(-O --sanitizer "$SANITIZER" --fuzz-dir fuzz)
[ -n "${FUZZ_JOBS:-}" ] && build+=(--jobs "$FUZZ_JOBS")

step "building ${targets[*]} (cargo +$TOOLCHAIN fuzz build, sanitizer $SANITIZER)"
start=$(date +%s)
for t in "${targets[@]}"; do
  cargo "+$TOOLCHAIN" fuzz build "${build[@]}" "$t"
done
echo "built in $(( $(date +%s) - start )) s"

mkdir -p fuzz/logs
summary=()
status=0
for t in "${targets[@]}"; do
  step "$t for $what"
  mkdir -p "fuzz/corpus/$t"
  log="fuzz/logs/$t.log"
  start=$(date +%s)
  rc=0
  # -timeout: an input taking 10 s is a hang, reported as a crash. The grown corpus comes
  # first (new inputs are written there), the committed seeds second.
  cargo "+$TOOLCHAIN" fuzz run "${build[@]}" "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
    "${limit[@]}" -timeout=10 -max_len="${FUZZ_MAX_LEN:-4096}" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  secs=$(( $(date +%s) - start ))
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  if [ "$rc" -ne 0 ]; then
    status=1
    tail -n 60 "$log"
    summary+=("$(printf '%-12s CRASH (exit %s) after %s s; input in fuzz/artifacts/%s/, log %s' "$t" "$rc" "$secs" "$t" "$log")")
  else
    summary+=("$(printf '%-12s %12s executions  %8s exec/s  %5s s  0 crashes' "$t" "${runs:-?}" "${speed:-?}" "$secs")")
  fi
done

step "summary"
printf '%s\n' "${summary[@]}"
exit "$status"
