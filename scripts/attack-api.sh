#!/usr/bin/env bash
# Attack our own HTTP API with schemathesis (property-based, from /api/openapi.json): every
# operation is sent generated valid and invalid requests, and every answer must be a 4xx with
# the schema's error body or a documented success, never a 500, always matching the schema.
#
# Installs schemathesis (pinned, from PyPI) into .cache/schemathesis-venv (once), builds and
# starts `danvan-demo --serve` on a free loopback port with a temporary data dir, logs in as the
# commune officer (thu.hoabinh) and as the city officer (bao.haiphong), and runs schemathesis
# for each with the session cookie and CSRF header, then once without any cookie (every
# operation but the login and the schema must answer 401). Prints a summary, stops the server,
# exits non-zero when any run failed. Not part of scripts/test.sh (minutes of fuzzing); the
# regressions it found are plain tests in server/tests/integration/hostile.rs.
#
# Environment: ATTACK_EXAMPLES (examples per operation and phase, default 40), ATTACK_SEED
# (hypothesis seed, default random), ATTACK_MAX_TIME (seconds per run, default 150). Reports
# (JUnit, NDJSON) and the server log go to <target>/attack-api/.
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
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
"$st" --version

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

# --- the runs ------------------------------------------------------------------------------
# Checks: all of schemathesis's, less those that judge business rules schemathesis cannot
# know (positive_data_acceptance: a schema-valid body may still name another commune's
# village, an unknown id or a date outside a team's lifetime).
common=(
  --checks all --exclude-checks positive_data_acceptance
  --phases examples,coverage,fuzzing,stateful
  --max-examples "$EXAMPLES" --max-time "$MAX_TIME" --workers 2
  --request-timeout 30 --continue-on-failure --no-color
  --suppress-health-check all --warnings off
)
[ -n "${ATTACK_SEED:-}" ] && common+=(--seed "$ATTACK_SEED")

declare -A result
run() {
  local name="$1"
  shift
  echo
  echo "==> schemathesis as $name"
  local rc=0
  # From $out: schemathesis keeps its replay cache (.schemathesis/) in the working directory.
  (cd "$out" && "$st" run "$url/api/openapi.json" "${common[@]}" \
    --report junit,ndjson --report-dir "$out/$name" "$@") 2>&1 | tee "$out/$name.txt" || rc=$?
  result[$name]=$rc
}
# Logging out would end the session under test: DELETE /api/v1/session runs unauthenticated.
run commune -H "Cookie: danvan_session=$commune_cookie" -H "x-csrf-token: $commune_csrf" \
  --exclude-operation-id delete_session
run city -H "Cookie: danvan_session=$city_cookie" -H "x-csrf-token: $city_csrf" \
  --exclude-operation-id delete_session
run anonymous --max-examples 10 --max-time 60

# --- summary -------------------------------------------------------------------------------
echo
echo "==> summary (reports and server log in $out)"
failed=0
for name in commune city anonymous; do
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
