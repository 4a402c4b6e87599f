#!/usr/bin/env bash
# Browser test of the officers' dashboard: Debian's headless Chromium driven by playwright-core
# against `danvan-demo --serve` (see tests/browser/dashboard.test.mjs). Installs what it needs
# when missing (the chromium Debian package, the pinned npm packages), builds the demo, runs the
# test. Screenshots are kept in target/browser-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (Debian package)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "==> installing nodejs and npm (Debian packages)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi

if [ ! -d tests/browser/node_modules/playwright-core ] \
  || [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "==> npm ci (tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "==> building danvan-demo"
cargo build --quiet -p danvan-e2e --bin danvan-demo
target_dir="$(cargo metadata --format-version 1 --no-deps | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).target_directory))')"

echo "==> browser test (headless Chromium)"
start=$(date +%s)
node tests/browser/dashboard.test.mjs "$target_dir/debug/danvan-demo" "$target_dir/browser-artifacts"
echo "==> browser test passed in $(( $(date +%s) - start )) s; screenshots in $target_dir/browser-artifacts/"
