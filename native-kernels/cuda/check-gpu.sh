#!/usr/bin/env bash
# check-gpu.sh - the GPU check of libmoe4j_cuda, for a machine with an NVIDIA GPU (written for one H200; the whole run
# takes about 3 minutes there and at most ~7 with every time limit hit). Run from anywhere:
#
#     native-kernels/cuda/check-gpu.sh            # log to $OUT/check-gpu.log when OUT is set, and to stdout
#
# Steps (each timed; a failed step does not stop the later ones, the exit status says whether any required one failed):
#   1. device      nvidia-smi's view of the GPU and driver (informational)
#   2. build       CPU + CUDA libraries, tests and benchmark with MOE_CUDA=ON (no nvcc = failure), Release, all cores
#   3. tests       ctest: the CPU self-tests, the host-only CUDA test, the CPU-emulation run of the CUDA self-test, and
#                  cuda_selftest ON THE GPU with MOE_CUDA_REQUIRE_DEVICE=1 (so it cannot pass by skipping): every CUDA
#                  op against libmoe4j on random inputs, all formats, odd/even sizes (tolerances: cuda_selftest.c)
#   4. sanitizers  compute-sanitizer memcheck and racecheck on cuda_selftest, when the tool runs on this machine
#                  (it refuses the device on gVisor hosts: reported as "unavailable", not as a failure)
#   5. bench       cuda_bench: matvec GB/s per format on ~1 GiB weights beside the H200's ~4800 GB/s, a 512-token
#                  prefill matmul, and a DeepSeek-V2-Lite MoE layer at decode and prefill
#
# Environment: BUILD (build directory, default /tmp/moe4j-cuda-build), OUT (where the log goes), BENCH_MIB (matvec weight
# size, default 1024), SANITIZER_TIMEOUT (seconds per sanitizer tool, default 150).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/.." && pwd)" # native-kernels
build="${BUILD:-/tmp/moe4j-cuda-build}"
log="${OUT:+$OUT/check-gpu.log}"
log="${log:-/dev/null}"
[ -n "${OUT:-}" ] && mkdir -p "$OUT"
: >"$log"

say() { echo "$*" | tee -a "$log"; }
failed=()
results=()

# step NAME REQUIRED(1|0) COMMAND...: runs COMMAND with its output to stdout and the log, records status and seconds.
step() {
  local name="$1" required="$2"
  shift 2
  say ""
  say "=== $name: $*"
  local t0=$SECONDS
  "$@" 2>&1 | tee -a "$log"
  local rc=${PIPESTATUS[0]}
  local dt=$((SECONDS - t0))
  results+=("$(printf '%-11s rc=%-3s %4ss' "$name" "$rc" "$dt")")
  if [ "$rc" -ne 0 ] && [ "$required" = 1 ]; then
    failed+=("$name")
  fi
  return "$rc"
}

device() {
  if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
  else
    echo "nvidia-smi not found"
  fi
  nvcc --version | tail -2
}

build_all() {
  cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DMOE_CUDA=ON ${GENERATOR:+-G "$GENERATOR"} &&
    cmake --build "$build" --parallel "$(nproc)"
}

tests() {
  MOE_CUDA_REQUIRE_DEVICE=1 ctest --test-dir "$build" --output-on-failure --timeout 240 &&
    # ctest hides a passing test's output: show what the GPU run compared, on which device
    MOE_CUDA_REQUIRE_DEVICE=1 "$build/cuda/moe4j_cuda_selftest"
}

sanitizers() {
  if ! command -v compute-sanitizer >/dev/null; then
    echo "compute-sanitizer not installed: unavailable"
    return 0
  fi
  local limit="${SANITIZER_TIMEOUT:-150}" rc=0 tool out
  for tool in memcheck racecheck; do
    out="$(mktemp)"
    MOE_CUDA_REQUIRE_DEVICE=1 timeout "$limit" compute-sanitizer --tool "$tool" --error-exitcode 9 \
      "$build/cuda/moe4j_cuda_selftest" >"$out" 2>&1
    local st=$?
    tail -25 "$out"
    if grep -qiE "device not supported|not supported on this|Unable to initialize|unknown error" "$out" && [ $st -ne 9 ]; then
      echo "--- $tool: unavailable on this machine (exit $st)"
    elif [ $st -eq 124 ]; then
      echo "--- $tool: ran past ${limit}s, stopped (not counted as a failure)"
    elif [ $st -ne 0 ]; then
      echo "--- $tool: FAILED (exit $st)"
      rc=1
    else
      echo "--- $tool: clean"
    fi
    rm -f "$out"
  done
  return $rc
}

bench() {
  local copy=/dev/null
  [ -n "${OUT:-}" ] && copy="$OUT/bench.txt"
  "$build/cuda/moe4j_cuda_bench" "${BENCH_MIB:-1024}" | tee "$copy"
}

say "moe4j check-gpu.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), source $src, build $build"
step device 0 device
step build 1 build_all
if [ ! -x "$build/cuda/moe4j_cuda_selftest" ]; then
  say "build failed: nothing to test"
else
  step tests 1 tests
  step sanitizers 1 sanitizers
  step bench 1 bench
fi

say ""
say "=== summary"
for r in "${results[@]}"; do say "$r"; done
if [ ${#failed[@]} -eq 0 ]; then
  say "check-gpu: PASS"
  exit 0
fi
say "check-gpu: FAIL (${failed[*]})"
exit 1
