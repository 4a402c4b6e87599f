#!/usr/bin/env bash
# The native part and the Kotlin of the Android library (build.gradle.kts runs this as task
# `buildRust`; it also runs by hand):
#   1. libdanvan_bindings.so for each ABI with cargo-ndk, into JNI_LIBS/<abi>/;
#   2. the Kotlin bindings generated from the arm64 library (uniffi library mode, names from
#      bindings/uniffi.toml: package vn.danvan.core) into KOTLIN_OUT/.
#
#   bindings/android/build-android.sh [JNI_LIBS [KOTLIN_OUT]]
#       (default bindings/android/build/generated/danvan/{jniLibs,kotlin}, where Gradle looks)
#
# Needs: rustup targets aarch64-linux-android armv7-linux-androideabi x86_64-linux-android,
# cargo-ndk (`cargo install cargo-ndk`), and the NDK (ANDROID_NDK_HOME, or ANDROID_HOME with
# an ndk/ directory). Not run on the project's CI machines (no NDK there).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Names checked against the generated code and build.gradle.kts by bindings/tests/packaging.rs.
LIB=danvan_bindings                   # [lib] name in bindings/Cargo.toml; what JNA loads
ABIS=(arm64-v8a armeabi-v7a x86_64)   # android.defaultConfig.ndk.abiFilters
MIN_SDK=24                            # android.defaultConfig.minSdk

jni_libs=${1:-$here/build/generated/danvan/jniLibs}
kotlin_out=${2:-$here/build/generated/danvan/kotlin}

command -v cargo-ndk >/dev/null 2>&1 || { echo "cargo-ndk is missing: cargo install cargo-ndk" >&2; exit 1; }
if [ -z "${ANDROID_NDK_HOME:-}" ] && [ ! -d "${ANDROID_HOME:-/nonexistent}/ndk" ]; then
  echo "no NDK: set ANDROID_NDK_HOME (or ANDROID_HOME with an ndk/ directory)" >&2
  exit 1
fi

# The encrypted store (SQLCipher, ADR 0013) needs OpenSSL's libcrypto for each ABI: Android
# has none for apps. libsqlite3-sys takes it from <RUST_TARGET>_OPENSSL_DIR (include/ and
# lib/libcrypto.a): a static OpenSSL per ABI (`./Configure android-arm64 no-shared` …, with the
# NDK's clang), linked into libdanvan_bindings.so. (The alternative, rusqlite's
# `bundled-sqlcipher-vendored-openssl` for target_os = "android" in bindings/Cargo.toml, builds
# OpenSSL from source with perl and make; not chosen here because it cannot be built or locked
# on the project's machines.)
declare -A rust_target=([arm64-v8a]=aarch64-linux-android [armeabi-v7a]=armv7-linux-androideabi
  [x86_64]=x86_64-linux-android)
for abi in "${ABIS[@]}"; do
  var="$(echo "${rust_target[$abi]}" | tr 'a-z-' 'A-Z_')_OPENSSL_DIR"
  dir=${!var:-}
  if [ -z "$dir" ] || ! [ -f "$dir/lib/libcrypto.a" -o -f "$dir/lib64/libcrypto.a" ]; then
    echo "$abi: set $var to a static OpenSSL for ${rust_target[$abi]} (include/, lib/libcrypto.a)" >&2
    exit 1
  fi
done

cd "$root"
targets=()
for abi in "${ABIS[@]}"; do targets+=(-t "$abi"); done
rm -rf "$jni_libs"
cargo ndk "${targets[@]}" --platform "$MIN_SDK" -o "$jni_libs" build --release -p danvan-bindings
for abi in "${ABIS[@]}"; do
  [ -f "$jni_libs/$abi/lib$LIB.so" ] || { echo "cargo-ndk gave no $jni_libs/$abi/lib$LIB.so" >&2; exit 1; }
done

# The generator runs on the build machine; it reads the metadata of any target's library.
cargo build --release -p uniffi-bindgen --quiet
target=$(./scripts/target-dir.sh)
rm -rf "$kotlin_out"
mkdir -p "$kotlin_out"
"$target/release/uniffi-bindgen" generate --library "$jni_libs/arm64-v8a/lib$LIB.so" \
  --language kotlin --out-dir "$kotlin_out" --no-format
echo "jniLibs in $jni_libs, Kotlin in $kotlin_out"
