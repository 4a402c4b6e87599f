#!/usr/bin/env bash
# The whole test suite: formatting, lints, Rust tests (core, server, bindings, end-to-end),
# schemathesis against the API's OpenAPI description, the Kotlin binding tests with the mobile
# demo, and the dashboard in headless Chromium.
# PostgreSQL tests run when DANVAN_TEST_DATABASE_URL is set (CI sets it; see .ci/run);
# without it they print that they were skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# What the build has to fit in: a full run stores a few GiB of build output (target/, fuzz/target/).
step "disk space"; df -h . | tail -1

step "setup: what the tests need (scripts/setup.sh, idempotent)"
./scripts/setup.sh

# Snapshots are checked, never written: a changed snapshot fails instead of leaving a
# .pending-snap file behind (review changes with `cargo insta review`).
export INSTA_UPDATE=no

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

if [ -n "${DANVAN_TEST_DATABASE_URL:-}" ]; then
  step "PostgreSQL tests enabled: ${DANVAN_TEST_DATABASE_URL%%@*}@…"
else
  step "DANVAN_TEST_DATABASE_URL not set: PostgreSQL tests will be skipped"
fi

# The live JavaScript interop test (core/tests/integration/interop.rs) runs Node with the
# pinned @automerge/automerge of tests/interop; without node and npm it prints that it skipped.
if command -v node >/dev/null && [ -d tests/interop/node_modules/@automerge/automerge ]; then
  export DANVAN_INTEROP_REQUIRE_NODE=1
else
  step "node/npm not found: the live JavaScript interop test will be skipped (its fixtures still run)"
fi

step "cargo test (workspace)"
cargo test --workspace --all-features

# schemathesis against the OpenAPI description, with a fixed seed and a budget of about five
# minutes (two cores): every answer documented, no 500 (scripts/attack-api.sh).
step "schemathesis against the OpenAPI description (scripts/attack-api.sh)"
ATTACK_SEED=20260 ATTACK_EXAMPLES=15 ATTACK_MAX_TIME=90 ./scripts/attack-api.sh

step "Kotlin binding tests and the mobile demo (JVM)"; ./scripts/kotlin-tests.sh

step "browser test of the dashboard (headless Chromium)"; ./scripts/browser-tests.sh

# The committed fuzz seeds through the targets' checks (stable, no libFuzzer): each reaches the
# decision it was kept for (fuzz/tests/seeds.rs).
# Built into the workspace's target directory: the dependencies both workspaces share (same
# versions, features and profile) are compiled and stored once.
step "fuzz seeds replayed (cargo test --manifest-path fuzz/Cargo.toml)"
CARGO_TARGET_DIR="$PWD/target" cargo test --manifest-path fuzz/Cargo.toml

# Each cargo-fuzz target for 45 s (nightly, ASan), so that a regression in the decoders shows;
# the long campaigns are recorded in fuzz/README.md.
step "disk space before the fuzz build"; df -h . | tail -1; du -sh target 2>/dev/null || true
step "fuzz each target briefly (scripts/fuzz.sh)"; FUZZ_SECONDS=${FUZZ_SECONDS:-45} ./scripts/fuzz.sh
