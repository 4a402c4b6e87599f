#!/usr/bin/env bash
# Browser test of the officers' dashboard: Debian's headless Chromium driven by playwright-core
# against `danvan-demo --serve` (see tests/browser/dashboard.test.mjs). Needs what
# scripts/setup.sh installs (the chromium Debian package, the pinned npm packages); builds the
# demo and runs the test. Screenshots are kept in <target>/browser-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { echo "missing $1: run scripts/setup.sh" >&2; exit 1; }
[ -x /usr/bin/chromium ] || need "chromium (Debian package)"
command -v node >/dev/null || need "node"
[ -d tests/browser/node_modules/playwright-core ] || need "tests/browser/node_modules (npm ci)"

echo "==> building danvan-demo"
cargo build --quiet -p danvan-e2e --bin danvan-demo
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

echo "==> browser test (headless Chromium)"
start=$(date +%s)
node tests/browser/dashboard.test.mjs "$target_dir/debug/danvan-demo" "$target_dir/browser-artifacts"
echo "==> browser test passed in $(( $(date +%s) - start )) s; screenshots in $target_dir/browser-artifacts/"
