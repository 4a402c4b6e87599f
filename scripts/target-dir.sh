#!/usr/bin/env bash
# Print cargo's target directory (honours CARGO_TARGET_DIR and .cargo/config): the scripts ask
# cargo instead of assuming ./target.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4
