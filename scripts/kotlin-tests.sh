#!/usr/bin/env bash
# Kotlin (JVM) tests of the generated bindings and the scripted mobile demo, against a live local
# server. Needs what scripts/setup.sh installs (the Kotlin compiler from npm into .cache/kotlin,
# JNA and JUnit 4 from Debian) and says so when something is missing. Called by scripts/test.sh.
#
#   scripts/kotlin-tests.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

# --- toolchain (installed by scripts/setup.sh; this script only checks) ----------------------
KOTLIN_VERSION=$(cat scripts/kotlin-version)
kotlin_home="$root/.cache/kotlin/node_modules/kotlin-compiler"
need() { echo "missing $1: run scripts/setup.sh" >&2; exit 1; }
[ -x "$kotlin_home/bin/kotlinc" ] && grep -q "\"version\": \"$KOTLIN_VERSION\"" "$kotlin_home/package.json" \
  || need "kotlin-compiler@$KOTLIN_VERSION in .cache/kotlin"
command -v javac >/dev/null 2>&1 || need "a JDK (javac)"
[ -f /usr/share/java/jna.jar ] || need "JNA (Debian libjna-java)"
[ -f /usr/share/java/junit4.jar ] || need "JUnit 4 (Debian junit4)"
target=$(./scripts/target-dir.sh)

hamcrest=/usr/share/java/hamcrest-core.jar
[ -f "$hamcrest" ] || hamcrest=/usr/share/java/hamcrest.jar
libs="/usr/share/java/jna.jar:/usr/share/java/junit4.jar:$hamcrest:$kotlin_home/lib/kotlin-stdlib.jar"

# --- build and generate -----------------------------------------------------------------------
step "building the library and generating the Kotlin bindings"
# The whole workspace with the features `cargo test` used: reuses its compiled dependencies.
cargo build --workspace --all-features --quiet
DANVAN_SKIP_BUILD=1 ./scripts/gen-bindings.sh kotlin

step "compiling bindings, tests and the mobile demo (kotlinc)"
classes="$target/kotlin/classes"
rm -rf "$classes"
mkdir -p "$classes"
start=$(date +%s)
"$kotlin_home/bin/kotlinc" -nowarn -jvm-target 17 -cp "$libs" -d "$classes" \
  bindings/generated/kotlin bindings/tests/kotlin mobile-demo/src 2>&1 \
  | grep -v '^warning:' || true
[ -f "$classes/danvan/tests/DanvanBindingsTest.class" ] || { echo "kotlinc failed" >&2; exit 1; }
echo "compiled in $(( $(date +%s) - start )) s"

# --- a live server per run --------------------------------------------------------------------
tmp=$(mktemp -d)
server_pids=()
cleanup() {
  for p in "${server_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# Start danvan-testserver; its KEY=value lines become environment variables of this shell.
# It serves until its stdin (a fifo this shell holds open) closes or it is killed.
start_server() {
  local name=$1 fifo="$tmp/$1.in" out="$tmp/$1.out"
  shift
  mkfifo "$fifo"
  "$target/debug/danvan-testserver" "$@" <"$fifo" >"$out" 2>"$tmp/$name.log" &
  server_pids+=($!)
  exec {fd}>"$fifo"
  for _ in $(seq 1 300); do
    grep -q '^READY$' "$out" 2>/dev/null && break
    kill -0 "${server_pids[-1]}" 2>/dev/null || { cat "$tmp/$name.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '^READY$' "$out" || { echo "test server did not start" >&2; exit 1; }
  while IFS='=' read -r k v; do
    [ "$k" = READY ] || export "$k=$v"
  done <"$out"
}

jvm=(java -Djna.library.path="$target/debug" -cp "$classes:$libs")

step "Kotlin tests (JUnit 4) against a live server"
# Each test enrolls its own phones: more codes per role than the server's default.
start_server tests --codes 24
start=$(date +%s%N)
"${jvm[@]}" org.junit.runner.JUnitCore danvan.tests.DanvanBindingsTest danvan.tests.TwoPeopleOneCaseTest \
  danvan.tests.CorrectionTest danvan.tests.HistoricalEntryTest danvan.tests.PetitionDialogueTest \
  danvan.tests.EncryptedStoreTest danvan.tests.LogsTest danvan.tests.AttachmentTest danvan.tests.BundleTest
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "Kotlin tests: $ms ms"

step "mobile demo, scripted run (a fresh server)"
start_server demo
"${jvm[@]}" danvan.demo.MainKt --scripted --server "$DANVAN_URL"

step "mobile demo, interactive mode (the menu driven from this script)"
code=$(echo "$DANVAN_CODES_MEDIATOR" | cut -d, -f2)
# enroll · new case (summary, category 2, subtype 1, parties, date) · start mediating · sync · quit
out=$(printf '1\n%s\n2\nTranh chấp ranh giới đất\n2\n1\nNguyễn Văn An\nThôn 1\nPhạm Thị Bình\nThôn 1\n2025-09-02\n5\n1\n1\n7\n0\n' "$code" \
  | "${jvm[@]}" danvan.demo.MainKt --server "$DANVAN_URL" --data-dir "$tmp/interactive" --lang en)
if ! grep -q "Mediation case · Mediating" <<<"$out" || ! grep -q "1 accepted" <<<"$out"; then
  echo "$out"
  echo "interactive run did not record, start and sync a case" >&2
  exit 1
fi
echo "interactive run: enrolled, recorded a case, started mediating, synced"
