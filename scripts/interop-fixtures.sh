#!/usr/bin/env bash
# Regenerate core/tests/fixtures/js/: a base mediation case made by danvan (base.automerge),
# the changes JavaScript's Automerge (default API: strings are text objects) makes to it in
# tests/interop/edit.mjs (js-changes.automerge), and what that script wrote (js-edits.json).
# core/tests/integration/interop.rs reads them. Needs node and npm (installs the pinned npm
# packages of tests/interop with `npm ci`, nothing system-wide).
set -euo pipefail
cd "$(dirname "$0")/.."

out=core/tests/fixtures/js
mkdir -p "$out"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "interop-fixtures: needs node and npm" >&2
  exit 1
fi
if [ ! -d tests/interop/node_modules/@automerge/automerge ] \
  || [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
  echo "==> npm ci (tests/interop)"
  (cd tests/interop && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "==> base document (danvan)"
DANVAN_INTEROP_BASE="$PWD/$out/base.automerge" \
  cargo test --quiet -p danvan-core --test integration interop::write_fixture_base \
  -- --ignored --exact

echo "==> JavaScript client edits (@automerge/automerge $(node -p 'require("./tests/interop/node_modules/@automerge/automerge/package.json").version'))"
# A fixed device id, so regenerating changes only the ids and times made fresh.
DANVAN_INTEROP_DEVICE=0199a0c0-0000-7000-8000-00000000a5a5 \
  node tests/interop/edit.mjs "$out/base.automerge" "$out/js-changes.automerge" "$out/js-edits.json"

echo "==> checking them"
cargo test --quiet -p danvan-core --test integration interop
ls -l "$out"
