#!/usr/bin/env bash
# The main job on the embedded default: a danvan server on SQLite with the sample Hải Phòng
# units, and phones recording offline and syncing into it. Extra arguments go to the demo:
#   --lang en          English output
#   --data-dir DIR     keep the server's database in DIR
#   --serve            keep the server running afterwards (Ctrl-C to stop), with the officers'
#                      dashboard: prints its address and two logins (commune and city officer)
#   --port N           listen on 127.0.0.1:N (default: any free port)
#   --dashboard-password PW   password of the dashboard logins (default: random, printed)
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --quiet -p danvan-e2e --bin danvan-demo -- "$@"
