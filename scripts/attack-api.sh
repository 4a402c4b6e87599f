#!/usr/bin/env bash
# Attack our own HTTP API with schemathesis (property-based, from /api/openapi.json): every
# operation is sent generated valid and invalid requests, and every answer must be a documented
# status with the schema's body (an error: the error body with one of the codes listed for that
# status), never a 500; schema-valid requests must not be refused with 400.
#
# Installs schemathesis (pinned, from PyPI) into .cache/schemathesis-venv (once; `--install`
# does only that, scripts/setup.sh calls it), builds and starts `danvan-demo --serve` on a free
# loopback port with a temporary data dir, enrolls a device with the demo's one-time code, logs
# in as the commune officer (thu.hoabinh) and as the city officer (bao.haiphong), and runs
# schemathesis (`--checks all`, every phase) for each officer with the session cookie and CSRF
# header, for the device with its bearer token (the devices' paths), then once without any
# credentials (every operation but the login, the enrollment and the health check must answer
# 401). Per-operation exceptions to the checks, each with its reason, are in
# scripts/attack-api/schemathesis.toml; scripts/attack-api/hooks.py sends the sync frames as
# bytes. Prints a summary, stops the server, exits non-zero when any run failed.
#
# Part of scripts/test.sh with a fixed seed and a small budget; the regressions it found are
# plain tests in server/tests/integration/hostile.rs.
#
# Environment: ATTACK_EXAMPLES (examples per operation and phase, default 40), ATTACK_SEED
# (hypothesis seed, default random), ATTACK_MAX_TIME (seconds per officer run, default 150; the
# device and anonymous runs get a third of it). Reports (JUnit, NDJSON) and the server log go
# to <target>/attack-api/.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
EXAMPLES="${ATTACK_EXAMPLES:-40}"
MAX_TIME="${ATTACK_MAX_TIME:-150}"
venv="$PWD/.cache/schemathesis-venv"
st="$venv/bin/schemathesis"

# --- schemathesis in a project-local venv (idempotent) ------------------------------------
if ! "$st" --version 2>/dev/null | grep -q "version $SCHEMATHESIS_VERSION\$"; then
  echo "==> installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  command -v python3 >/dev/null || { echo "python3 is missing: run scripts/setup.sh" >&2; exit 1; }
  if [ ! -x "$venv/bin/pip" ]; then
    rm -rf "$venv"
    python3 -m venv "$venv" ||
      { echo "python3 -m venv failed (Debian: apt-get install python3-venv; scripts/setup.sh does)" >&2; exit 1; }
  fi
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$st" --version
[ "${1:-}" = "--install" ] && exit 0

# --- the demo server ---------------------------------------------------------------------
echo "==> building danvan-demo"
cargo build --quiet -p danvan-e2e --bin danvan-demo
target_dir="$(scripts/target-dir.sh)"
out="$target_dir/attack-api"
rm -rf "$out"
mkdir -p "$out"
data_dir="$(mktemp -d)"
password="attack-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -INT "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

echo "==> starting the demo server (data dir $data_dir)"
RUST_LOG="${RUST_LOG:-error}" DANVAN_DEMO_DASHBOARD_PASSWORD="$password" \
  "$target_dir/debug/danvan-demo" --lang en --serve --port 0 --data-dir "$data_dir" \
  >"$out/demo.out" 2>"$out/server.log" &
server_pid=$!
url=""
for _ in $(seq 600); do
  url="$(sed -n 's/^DASHBOARD_URL=\(http:\/\/127\.0\.0\.1:[0-9]*\)$/\1/p' "$out/demo.out")"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$out/demo.out" "$out/server.log" >&2; exit 1; }
  sleep 0.2
done
[ -n "$url" ] || { echo "the demo did not print DASHBOARD_URL within 120 s" >&2; exit 1; }
echo "    $url"
enroll_code="$(sed -n 's/^DEVICE_ENROLL_CODE=\([A-Z0-9-]*\)$/\1/p' "$out/demo.out")"

# --- logins --------------------------------------------------------------------------------
# Prints "<session cookie value> <csrf token>".
login() {
  local headers body
  headers="$(mktemp)"
  body="$(curl -sS -D "$headers" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$password\"}" "$url/api/v1/session")"
  local cookie
  cookie="$(sed -n 's/^[Ss]et-[Cc]ookie: danvan_session=\([^;]*\);.*/\1/p' "$headers" | tr -d '\r')"
  rm -f "$headers"
  local csrf
  csrf="$(printf '%s' "$body" | "$venv/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["csrf_token"])')"
  [ -n "$cookie" ] && [ -n "$csrf" ] || { echo "login as $1 failed: $body" >&2; exit 1; }
  echo "$cookie $csrf"
}
read -r commune_cookie commune_csrf < <(login thu.hoabinh)
read -r city_cookie city_csrf < <(login bao.haiphong)
# The device: its bearer token from the one-time code (before any run: failed attempts from
# the fuzzer would rate-limit this address's enrollments).
device_token="$(curl -sS -H 'content-type: application/json' \
  -d "{\"code\":\"$enroll_code\",\"device_label\":\"attack-api\"}" "$url/v1/enroll" |
  "$venv/bin/python" -c 'import json,sys; r=json.load(sys.stdin); print(r["device_id"]+"."+r["device_secret"])')" ||
  { echo "enrolling the device with code '$enroll_code' failed" >&2; exit 1; }

# --- the runs ------------------------------------------------------------------------------
# Checks: all of schemathesis's (`checks.enabled` in scripts/attack-api/schemathesis.toml, which
# turns some off for named operations, each with its reason). Credentials go in each run's copy
# of that file, as the description's security schemes, so that schemathesis knows them and
# leaves them out where it tests their absence.
# One worker: a fixed seed then replays the same run, and hypothesis's source inspection is not
# thread-safe on CPython 3.11 (a run with two workers once stopped with "AST constructor recursion
# depth mismatch").
common=(
  --phases examples,coverage,fuzzing,stateful
  --max-examples "$EXAMPLES" --workers 1
  --request-timeout 30 --continue-on-failure --no-color
  --suppress-health-check all --warnings off
)
[ -n "${ATTACK_SEED:-}" ] && common+=(--seed "$ATTACK_SEED")
export SCHEMATHESIS_HOOKS="$PWD/scripts/attack-api/hooks.py"

declare -A result
runs=()
# run NAME CREDENTIALS-TOML [schemathesis options...]
run() {
  local name="$1" credentials="$2"
  shift 2
  runs+=("$name")
  echo
  echo "==> schemathesis as $name"
  local config="$out/$name.toml"
  { cat scripts/attack-api/schemathesis.toml; printf '\n%s\n' "$credentials"; } >"$config"
  local rc=0
  # From $out: schemathesis keeps its replay cache (.schemathesis/) in the working directory.
  (cd "$out" && "$st" --config-file "$config" run "$url/api/openapi.json" "${common[@]}" \
    --report junit,ndjson --report-dir "$out/$name" "$@") 2>&1 | tee "$out/$name.txt" || rc=$?
  result[$name]=$rc
}
session() {
  printf '[auth.openapi.session]\napi_key = "%s"\n[parameters]\n"header.x-csrf-token" = "%s"\n' "$1" "$2"
}
short=$(( (MAX_TIME + 2) / 3 ))
# Logging out would end the session under test: DELETE /api/v1/session runs unauthenticated.
# The devices' paths answer 401 to officers: the device run covers them.
run commune "$(session "$commune_cookie" "$commune_csrf")" --max-time "$MAX_TIME" \
  --exclude-operation-id delete_session --exclude-path-regex '^/v1/'
run city "$(session "$city_cookie" "$city_csrf")" --max-time "$MAX_TIME" \
  --exclude-operation-id delete_session --exclude-path-regex '^/v1/'
run device "$(printf '[auth.openapi.device]\nbearer = "%s"\n' "$device_token")" \
  --max-time "$short" --include-path-regex '^/(v1/|healthz$|metrics$)'
run anonymous "" --max-examples 10 --max-time "$short"

# --- summary -------------------------------------------------------------------------------
echo
echo "==> summary (reports and server log in $out)"
failed=0
for name in "${runs[@]}"; do
  tested="$(sed -n 's/^  Tested: \([0-9]*\)$/\1/p' "$out/$name.txt" | tail -1)"
  cases="$(grep -A1 '^Test cases:' "$out/$name.txt" | tail -1 | sed 's/^ *//')"
  verdict="$(grep -E '^=+ .* in [0-9.]+s =+$' "$out/$name.txt" | tail -1 | tr -d '=' | sed 's/^ *//;s/ *$//')"
  printf '    %-9s exit %s: %s operations; %s; %s\n' "$name" "${result[$name]}" \
    "${tested:-?}" "${cases:-?}" "${verdict:-?}"
  grep -E '^  ❌ ST[0-9]+ ' "$out/$name.txt" | sed 's/^/              /' || true
  [ "${result[$name]}" = 0 ] || failed=1
done
errors="$(grep -c 'request failed' "$out/server.log" || true)"
panics="$(grep -c 'panicked' "$out/server.log" || true)"
echo "    server log: $errors failed request(s) (500), $panics panic(s)"
if [ "$errors" != 0 ] || [ "$panics" != 0 ]; then
  grep -E 'request failed|panicked' "$out/server.log" | sort | uniq -c | sort -rn | head -20
  failed=1
fi
if [ "$failed" = 0 ]; then
  echo "==> attack-api: no failure"
else
  echo "==> attack-api: FAILURES (see above)" >&2
fi
exit "$failed"
