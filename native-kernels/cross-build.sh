#!/usr/bin/env bash
# Builds libmoe4j for another platform with a cross compiler, and runs its self-tests under an emulator.
#
#   cross-build.sh build PLATFORM OUT_DIR BUILD_DIR   configure + build; the library goes to OUT_DIR
#   cross-build.sh test  PLATFORM BUILD_DIR           ctest through qemu-user / Wine
#
# PLATFORM: linux-aarch64 (gcc-aarch64-linux-gnu, tests under qemu-user) or windows-x86_64 (gcc-mingw-w64-x86-64,
# tests under Wine). A missing compiler or emulator skips with a message, unless MOE4J_CROSS=require (what .ci/run
# sets after installing them), where it is an error. MOE4J_CROSS=off skips everything.
set -euo pipefail
mode=$1 platform=$2
# paths from the caller's directory, made absolute before moving to the sources (Wine needs an absolute prefix)
abs3=$(realpath -m "${3:-.}") abs4=$(realpath -m "${4:-.}")
cd "$(dirname "$0")"
policy=${MOE4J_CROSS:-auto}

case "$platform" in
  linux-aarch64) toolchain=cmake/aarch64-linux-gnu.cmake compiler=aarch64-linux-gnu-gcc emulator=qemu-aarch64 ;;
  windows-x86_64) toolchain=cmake/x86_64-w64-mingw32.cmake compiler=x86_64-w64-mingw32-gcc-posix
    emulator=$(command -v wine64 || command -v wine || { [ -x /usr/lib/wine/wine64 ] && echo /usr/lib/wine/wine64; } || true) ;;
  *) echo "cross-build.sh: unknown platform $platform" >&2; exit 2 ;;
esac

skip() {
  if [ "$policy" = require ]; then
    echo "cross-build.sh: $platform: $1 (MOE4J_CROSS=require)" >&2
    exit 1
  fi
  echo "cross-build.sh: $platform: $1, skipped (install it, or MOE4J_CROSS=require to make this an error)"
  exit 0
}

[ "$policy" = off ] && { echo "cross-build.sh: MOE4J_CROSS=off, $platform skipped"; exit 0; }
command -v "$compiler" > /dev/null || skip "no $compiler"

if [ "$mode" = build ]; then
  out=$abs3 build=$abs4
  cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release -DMOE_CUDA=OFF \
    -DMOE_OUTPUT_DIR="$out" > "$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 1; }
  cmake --build "$build" --parallel "${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}"
elif [ "$mode" = test ]; then
  build=$abs3
  [ -n "$emulator" ] && command -v "$emulator" > /dev/null || skip "no emulator ($platform self-tests)"
  # Wine keeps its state in a prefix of its own here, not in the user's home; its own chatter is silenced.
  export WINEPREFIX="${WINEPREFIX:-$build/wineprefix}" WINEDEBUG=-all
  if [ "$platform" = windows-x86_64 ]; then
    # Make the prefix and start one lasting server before the tests run in parallel: two first Wine processes at
    # once race on the prefix and on the server's directory ("chdir to /tmp/wine-*/server-*: No such file").
    "$emulator" wineboot --init > /dev/null 2>&1 || true
    server=$(command -v wineserver || ls /usr/lib/wine/wineserver64 /usr/lib/wine/wineserver 2> /dev/null | head -1 || true)
    if [ -n "$server" ]; then "$server" -p 60 || true; fi
  fi
  # qemu-user emulates the newest ARM CPU it knows, so every NEON level (dotprod, i8mm) runs and is compared with
  # the scalar one. Then a CPU without dotprod (Cortex-A53) must be detected as plain NEON and run its levels.
  QEMU_CPU=max ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)"
  if [ "$platform" = linux-aarch64 ]; then
    out=$(cd "$build" && QEMU_CPU=cortex-a53 qemu-aarch64 -L /usr/aarch64-linux-gnu ./moe4j_ops_selftest 2>&1)
    echo "$out" | tail -1
    echo "$out" | grep -q "all levels up to neon pass" || { echo "Cortex-A53: expected the plain NEON level" >&2; exit 1; }
  fi
else
  echo "cross-build.sh: mode must be build or test" >&2
  exit 2
fi
