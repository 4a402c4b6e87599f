#!/usr/bin/env bash
# The binary part and the Swift of the Swift package (Package.swift), on a Mac with Xcode:
#   1. libdanvan_bindings.a for aarch64-apple-ios (devices), aarch64-apple-ios-sim and
#      x86_64-apple-ios (simulators; joined into one library with lipo);
#   2. the Swift bindings generated with the names of bindings/uniffi.toml (scripts/
#      gen-bindings.sh): DanvanCore.swift into Sources/DanvanCore/, danvanFFI.h and the module
#      map (as headers/danvanFFI/module.modulemap, with a `link` line for each system library
#      rustc says the static library needs);
#   3. danvanFFI.xcframework with xcodebuild -create-xcframework.
#
#   bindings/swift/build-xcframework.sh [--zip]
#       --zip: also danvanFFI.xcframework.zip and its SwiftPM checksum, for a release's
#              .binaryTarget(url:checksum:)
#
# Needs macOS, Xcode (xcodebuild, lipo) and `rustup target add aarch64-apple-ios
# aarch64-apple-ios-sim x86_64-apple-ios`. Not run on the project's CI machines (Linux).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# Names checked against the generated code and Package.swift by bindings/tests/packaging.rs.
LIB=danvan_bindings            # [lib] name in bindings/Cargo.toml
MODULE=DanvanCore              # uniffi.toml [bindings.swift] module_name; the Swift target
FFI_MODULE=danvanFFI           # ffi_module_name; the binary target, danvanFFI.xcframework
DEVICE_TARGET=aarch64-apple-ios
SIM_TARGETS=(aarch64-apple-ios-sim x86_64-apple-ios)
export IPHONEOS_DEPLOYMENT_TARGET=15.0   # Package.swift: .iOS(.v15)

zip=
case "${1:-}" in
  --zip) zip=1 ;;
  "") ;;
  *) echo "usage: $0 [--zip]" >&2; exit 2 ;;
esac
[ "$(uname -s)" = Darwin ] || { echo "needs macOS with Xcode (xcodebuild, lipo)" >&2; exit 1; }
for t in "$DEVICE_TARGET" "${SIM_TARGETS[@]}"; do
  rustup target list --installed | grep -qx "$t" || { echo "missing Rust target: rustup target add $t" >&2; exit 1; }
done

cd "$root"
target=$(./scripts/target-dir.sh)
build="$here/build"
rm -rf "$build" "$here/$FFI_MODULE.xcframework" "$here/$FFI_MODULE.xcframework.zip"
mkdir -p "$build/headers/$FFI_MODULE" "$build/ios-sim"

# 1. The static library per target. rustc prints the system libraries and frameworks a static
#    library needs (`native-static-libs`); the app links them through the module map.
for t in "$DEVICE_TARGET" "${SIM_TARGETS[@]}"; do
  cargo rustc --release -p danvan-bindings --lib --crate-type staticlib --target "$t" \
    -- --print native-static-libs 2>"$build/$t.log" || { cat "$build/$t.log" >&2; exit 1; }
done
native=$(grep -o 'native-static-libs: .*' "$build/$DEVICE_TARGET.log" | head -1 | cut -d' ' -f2- || true)
[ -n "$native" ] || { echo "rustc did not list the native libraries (see $build/$DEVICE_TARGET.log)" >&2; exit 1; }
sim_libs=()
for t in "${SIM_TARGETS[@]}"; do sim_libs+=("$target/$t/release/lib$LIB.a"); done
lipo -create "${sim_libs[@]}" -output "$build/ios-sim/lib$LIB.a"

# 2. Swift, header and module map. The module map goes in a directory named after the module:
#    two XCFrameworks with a module.modulemap at the top of their headers collide in an app.
./scripts/gen-bindings.sh --release swift
gen=bindings/generated/swift
cp "$gen/$MODULE.swift" "$here/Sources/$MODULE/$MODULE.swift"
cp "$gen/$FFI_MODULE.h" "$build/headers/$FFI_MODULE/"
links=()
set -- $native
while [ $# -gt 0 ]; do
  case "$1" in
    -framework) links+=("    link framework \"$2\""); shift 2 ;;
    -l*) links+=("    link \"${1#-l}\""); shift ;;
    *) shift ;;
  esac
done
# The generated module map with the link lines before its closing brace.
tail -n 1 "$gen/$FFI_MODULE.modulemap" | grep -qx '}' \
  || { echo "unexpected end of $gen/$FFI_MODULE.modulemap" >&2; exit 1; }
{
  sed '$d' "$gen/$FFI_MODULE.modulemap"
  printf '%s\n' "${links[@]}"
  echo "}"
} >"$build/headers/$FFI_MODULE/module.modulemap"

# 3. The XCFramework.
xcodebuild -create-xcframework \
  -library "$target/$DEVICE_TARGET/release/lib$LIB.a" -headers "$build/headers" \
  -library "$build/ios-sim/lib$LIB.a" -headers "$build/headers" \
  -output "$here/$FFI_MODULE.xcframework"
echo "made $here/$FFI_MODULE.xcframework and $here/Sources/$MODULE/$MODULE.swift"

if [ -n "$zip" ]; then
  (cd "$here" && ditto -c -k --sequesterRsrc --keepParent "$FFI_MODULE.xcframework" "$FFI_MODULE.xcframework.zip")
  echo "checksum for .binaryTarget(url:checksum:): $(cd "$here" && swift package compute-checksum "$FFI_MODULE.xcframework.zip")"
fi
