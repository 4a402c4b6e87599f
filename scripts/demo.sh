#!/usr/bin/env bash
# The main job on the embedded default: a danvan server on SQLite with the sample Hải Phòng
# units, and phones recording offline and syncing into it. Extra arguments go to the demo:
#   --lang en          English output
#   --data-dir DIR     keep the server's database in DIR
#   --serve            keep the server running afterwards (Ctrl-C to stop)
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p danvan-e2e --bin danvan-demo -- "$@"
