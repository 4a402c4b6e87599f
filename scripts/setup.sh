#!/usr/bin/env bash
# Install what the test suite needs, idempotently, and say what it installs. scripts/test.sh
# calls it first; the test scripts themselves only check (and point here when something is
# missing). Safe to run again: each step is skipped when its result is already there.
#
#   scripts/setup.sh
#
# - Debian packages: libssl-dev (the encrypted phone store's SQLCipher uses OpenSSL's libcrypto),
#   a JDK (when `javac` is missing), libjna-java and junit4 (Kotlin binding
#   tests), chromium (browser test), nodejs and npm (when missing), python3 and python3-venv
#   (when `python3 -m venv` cannot work);
# - npm: kotlin-compiler (pinned) into .cache/kotlin; `npm ci` in tests/browser (playwright-core)
#   and tests/interop (JavaScript Automerge client) when their lock files changed;
# - PyPI: schemathesis (pinned in scripts/attack-api.sh) into .cache/schemathesis-venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> setup: %s\n' "$*"; }

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
apt_updated=""
apt_install() {
  step "installing $* (apt)"
  if [ -z "$apt_updated" ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
# OpenSSL's headers and libcrypto: the phone store's SQLCipher links them (ADR 0013).
{ dpkg -s libssl-dev >/dev/null 2>&1 && [ -f /usr/include/openssl/evp.h ]; } || missing+=(libssl-dev)
command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
{ dpkg -s libjna-java >/dev/null 2>&1 && [ -f /usr/share/java/jna.jar ]; } || missing+=(libjna-java)
{ dpkg -s junit4 >/dev/null 2>&1 && [ -f /usr/share/java/junit4.jar ]; } || missing+=(junit4)
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ command -v node >/dev/null && command -v npm >/dev/null; } || missing+=(nodejs npm)
# `python3 -m venv` needs ensurepip, which Debian ships apart (python3-venv).
if ! command -v python3 >/dev/null; then
  missing+=(python3 python3-venv)
elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  apt_install "${missing[@]}"
fi

KOTLIN_VERSION=$(cat scripts/kotlin-version)
kotlin_home="$root/.cache/kotlin/node_modules/kotlin-compiler"
if [ ! -x "$kotlin_home/bin/kotlinc" ] || ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$kotlin_home/package.json"; then
  step "installing kotlin-compiler@$KOTLIN_VERSION (npm) into .cache/kotlin"
  npm install --no-audit --no-fund --loglevel=error --prefix "$root/.cache/kotlin" "kotlin-compiler@$KOTLIN_VERSION"
fi

for dir in tests/browser tests/interop; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci ($dir)"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
step "schemathesis (scripts/attack-api.sh --install)"
./scripts/attack-api.sh --install
step "everything the tests need is installed"
