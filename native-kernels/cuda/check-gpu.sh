#!/usr/bin/env bash
# check-gpu.sh - the GPU check of libmoe4j_cuda and of the model's GPU path, for a machine with an NVIDIA GPU (written
# for one H200; steps 1-5 take about 3 minutes there, the Java steps an estimated 3 more; every step has a time limit).
# Run from anywhere:
#
#     native-kernels/cuda/check-gpu.sh            # log to $OUT/check-gpu.log when OUT is set, and to stdout
#
# Steps (each timed; a failed step does not stop the later ones, the exit status says whether any required one failed):
#   1. device      nvidia-smi's view of the GPU and driver (informational)
#   2. build       CPU + CUDA libraries, tests and benchmark with MOE_CUDA=ON (no nvcc = failure), Release, all cores
#   3. tests       ctest: the CPU self-tests, the host-only CUDA test, the CPU-emulation run of the CUDA self-test, and
#                  cuda_selftest ON THE GPU with MOE_CUDA_REQUIRE_DEVICE=1 (so it cannot pass by skipping): every CUDA
#                  op against libmoe4j on random inputs, odd/even sizes (tolerances: cuda_selftest.c), every format of
#                  src/cuda_formats.def (the i-quants IQ1_S..IQ3_S, TQ1_0/TQ2_0 and MXFP4 included; each must report
#                  its "done" line with 0 failures)
#   4. sanitizers  compute-sanitizer memcheck and racecheck on cuda_selftest, when the tool runs on this machine
#                  (it refuses the device on gVisor hosts: reported as "unavailable", not as a failure)
#   5. bench       cuda_bench: matvec GB/s per format (all of them) on ~1 GiB weights beside the H200's ~4800 GB/s,
#                  512-token prefill matmuls (Q4_K, IQ2_XXS, MXFP4), and a DeepSeek-V2-Lite MoE layer at decode and
#                  prefill
#   6. java-build  the whole Maven build with -Dmoe4j.cuda=ON (JDK 25 and Maven needed; MVN_FLAGS=-o offline)
#   7. java-gpu    the Java tests of the GPU path on the real libmoe4j_cuda.so with -Dmoe4j.backend=cuda: the golden
#                  deepseek2 models through the hybrid kernels against the CPU path and llama.cpp
#                  (CudaEmulationGoldenTest, which runs on the emulation elsewhere), one product per weight type, the
#                  new formats included (CudaModelKernelsTest), the planner's GPU types against the library
#                  (GpuInventoryTest), the loader's plan (ModelLoaderGpuTest) and Model.builder().gpuMemoryBudget
#                  on the GPU (GpuBudgetApiTest); none may be skipped but GpuBudgetApiTest's CPU-only case
#   8. java-bench  a DeepSeek-V2-Lite-shaped random model with $SYNTH_LAYERS layers (CLI `synth`), `moe4j bench` prefill
#                  and decode on the CPU, then on the hybrid GPU path with everything placed and with a 2 GiB budget;
#                  then the same shape as an i-quant mix (IQ1_S experts, IQ2_XXS down projections) on the CPU and GPU
#
# Without a JDK, Maven or network (the project's device machines have CUDA, CMake and Python only), the Java steps use
# <repo>/.gpu-bundle made beforehand by gpu-bundle.sh (a jlinked JDK 25 runtime, the CLI jar, the compiled tests, the
# JUnit console launcher, the golden models) and the libraries of step 2's CMake build; carry .gpu-bundle along.
#
# Environment: BUILD (build directory, default /tmp/moe4j-cuda-build), OUT (where the log goes), BENCH_MIB (matvec weight
# size, default 1024), SANITIZER_TIMEOUT (seconds per sanitizer tool, default 150), MVN_FLAGS (extra Maven flags, e.g.
# -o), SYNTH_LAYERS (default 6), JAVA_STEP_TIMEOUT (seconds per Java step, default 200), SKIP_JAVA=1 (steps 1-5 only),
# ONLY_JAVA=1 (steps 6-8 only), BUNDLE=1 (use .gpu-bundle even where Maven exists).
set -uo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "$here/.." && pwd)" # native-kernels
repo="$(cd "$src/.." && pwd)"
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
  local out
  out="$(mktemp)"
  MOE_CUDA_REQUIRE_DEVICE=1 ctest --test-dir "$build" --output-on-failure --timeout 240 &&
    # ctest hides a passing test's output: show what the GPU run compared, on which device
    MOE_CUDA_REQUIRE_DEVICE=1 "$build/cuda/moe4j_cuda_selftest" | tee "$out" &&
    every_format_ran "$out"
  local rc=$?
  rm -f "$out"
  return $rc
}

# Every row of cuda_formats.def went through the GPU self-test without a failure.
every_format_ran() {
  local name missing=()
  for name in $(sed -nE 's/^MOE_CUDA_FORMAT\(([A-Z0-9_]+),.*/\1/p' "$here/src/cuda_formats.def"); do
    grep -q "^cuda_selftest: $name done (0 failures so far)" "$1" || missing+=("$name")
  done
  if [ ${#missing[@]} -ne 0 ]; then
    echo "formats not tested cleanly on the GPU: ${missing[*]}"
    return 1
  fi
  echo "all $(grep -c '^MOE_CUDA_FORMAT(' "$here/src/cuda_formats.def") formats of cuda_formats.def tested on the GPU"
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

# ---- the Java side: the model on the GPU through the hybrid kernels ----

bundle="$repo/.gpu-bundle"
# 1 when the Java steps run from .gpu-bundle (no Maven here, or BUNDLE=1), else 0
use_bundle() { [ -f "$bundle/jre.tar.xz" ] && { [ "${BUNDLE:-0}" = 1 ] || ! command -v mvn >/dev/null; }; }

java_env() {
  if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
    unset JAVA_HOME
    for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25*; do
      if [ -x "$d/bin/java" ]; then export JAVA_HOME="$d"; break; fi
    done
  fi
  if [ -z "${JAVA_HOME:-}" ] && use_bundle; then
    [ -x /tmp/moe4j-jre/jre/bin/java ] || { mkdir -p /tmp/moe4j-jre && tar -xJf "$bundle/jre.tar.xz" -C /tmp/moe4j-jre; }
    export JAVA_HOME=/tmp/moe4j-jre/jre
  fi
  [ -n "${JAVA_HOME:-}" ] && export PATH="$JAVA_HOME/bin:$PATH"
  command -v java >/dev/null && { use_bundle || command -v mvn >/dev/null; }
}

# the real CUDA library and the CPU kernels of this very tree: from the Maven build, or with the bundle from step 2
cuda_lib() {
  if use_bundle; then find "$build" -maxdepth 2 -name libmoe4j_cuda.so 2>/dev/null | head -1 # lib-cuda/
  else find "$repo/native-kernels/target/cuda-classes" -name libmoe4j_cuda.so 2>/dev/null | head -1; fi
}
cpu_lib() {
  if use_bundle; then find "$build" -maxdepth 2 -name libmoe4j.so 2>/dev/null | head -1 # lib/
  else find "$repo/native-kernels/target/classes/META-INF/native" -name libmoe4j.so 2>/dev/null | head -1; fi
}
cli_jar() { if use_bundle; then echo "$bundle/lib/moe4j.jar"; else echo "$repo/examples/cli/target/moe4j.jar"; fi; }

java_build() {
  java_env || { echo "JDK 25 or Maven not found (and no .gpu-bundle: see gpu-bundle.sh)"; return 1; }
  if use_bundle; then
    echo "no Maven build: .gpu-bundle's jars with the CMake build's libraries, $(cpu_lib) and $(cuda_lib)"
    java -version 2>&1 | head -1
    [ -n "$(cuda_lib)" ] && [ -n "$(cpu_lib)" ]
    return
  fi
  (cd "$repo" && timeout "${JAVA_STEP_TIMEOUT:-200}" mvn -B -ntp -q ${MVN_FLAGS:-} install -DskipTests -Dmoe4j.cuda=ON) &&
    [ -n "$(cuda_lib)" ] && echo "built $(cuda_lib)"
}

java_gpu() {
  java_env || return 1
  local lib cpu reports=$repo/core/target/surefire-reports
  lib="$(cuda_lib)" cpu="$(cpu_lib)"
  [ -n "$lib" ] || { echo "no libmoe4j_cuda.so from java-build"; return 1; }
  if use_bundle; then
    java_gpu_bundle "$lib" "$cpu"
    return
  fi
  rm -rf "$reports"
  (cd "$repo" && timeout "${JAVA_STEP_TIMEOUT:-200}" mvn -B -ntp ${MVN_FLAGS:-} -pl core test \
    -Dtest='CudaEmulationGoldenTest,CudaModelKernelsTest,GpuInventoryTest,ModelLoaderGpuTest,GpuBudgetApiTest' \
    -Dsurefire.failIfNoSpecifiedTests=false -Dmoe4j.test.cudaGpuLibrary="$lib" -Dmoe4j.cuda.library="$lib" \
    -Dmoe4j.backend=cuda -Dmoe4j.native.library="$cpu") | grep -vE '^\[INFO\] (Download|---|$)' | tail -60
  local rc=${PIPESTATUS[0]}
  # a GPU test that skipped would pass without having run: only GpuBudgetApiTest's CPU-only case may skip
  local skipped
  skipped="$(cat "$reports"/*.txt 2>/dev/null | grep -E 'Tests run' | sed -E 's/.*Skipped: ([0-9]+).* in (.*)/\2 \1/')"
  echo "skipped per class: ${skipped:-none (no reports)}"
  echo "$skipped" | awk '($1 ~ /GpuBudgetApiTest$/ && $2 > 1) || ($1 !~ /GpuBudgetApiTest$/ && $2 > 0) {bad=1} END {exit bad}' ||
    { echo "a GPU test was skipped"; rc=1; }
  [ -n "$skipped" ] || rc=1
  return $rc
}

# The same tests through the JUnit console launcher, from .gpu-bundle. Only GpuBudgetApiTest's CPU-only case may skip.
java_gpu_bundle() {
  local lib=$1 cpu=$2 log
  log="$(mktemp)"
  timeout "${JAVA_STEP_TIMEOUT:-200}" java --enable-native-access=ALL-UNNAMED -Dmoe4j.shared="$bundle/shared" \
    -Dmoe4j.test.cudaGpuLibrary="$lib" -Dmoe4j.cuda.library="$lib" -Dmoe4j.backend=cuda -Dmoe4j.native.library="$cpu" \
    -jar "$bundle/lib/junit-console.jar" execute --disable-banner --details=tree \
    -cp "$bundle/lib/moe4j.jar:$bundle/lib/core-tests.jar" \
    --select-class dev.moe4j.internal.model.CudaEmulationGoldenTest \
    --select-class dev.moe4j.internal.model.CudaModelKernelsTest \
    --select-class dev.moe4j.internal.gpu.GpuInventoryTest \
    --select-class dev.moe4j.internal.generate.ModelLoaderGpuTest \
    --select-class dev.moe4j.GpuBudgetApiTest >"$log" 2>&1
  local rc=$?
  grep -vE '^\[main\] INFO' "$log" | tail -70
  local skipped aborted succeeded
  skipped="$(sed -nE 's/.*\[ *([0-9]+) tests skipped *\].*/\1/p' "$log" | tail -1)"
  aborted="$(sed -nE 's/.*\[ *([0-9]+) tests aborted *\].*/\1/p' "$log" | tail -1)" # a failed assumption
  skipped=$((${skipped:-9} + ${aborted:-0}))
  succeeded="$(sed -nE 's/.*\[ *([0-9]+) tests successful *\].*/\1/p' "$log" | tail -1)"
  rm -f "$log"
  echo "successful ${succeeded:-?}, skipped or aborted (assumption not met) $skipped"
  if [ "$skipped" -gt 1 ] || [ "${succeeded:-0}" -lt 1 ]; then
    echo "a GPU test was skipped, or none ran"
    rc=1
  fi
  return $rc
}

java_bench() {
  java_env || return 1
  local lib jar model=${BUILD:-/tmp/moe4j-cuda-build}/v2lite-synth.gguf
  lib="$(cuda_lib)" jar="$(cli_jar)"
  [ -f "$jar" ] && [ -n "$lib" ] || { echo "no CLI jar or CUDA library from java-build"; return 1; }
  local java=(timeout "${JAVA_STEP_TIMEOUT:-200}" java --enable-native-access=ALL-UNNAMED)
  local bench=(bench -m "$model" -p 128 -n 16 -r 2 --warmup 0.5 --probe-mib 0 -t "$(nproc)")
  "${java[@]}" -jar "$jar" synth "$model" --shape deepseek-v2-lite --layers "${SYNTH_LAYERS:-6}" || return 1
  echo "--- CPU"
  "${java[@]}" -Dmoe4j.backend=cpu -jar "$jar" "${bench[@]}" || return 1
  echo "--- GPU, everything placed"
  "${java[@]}" -Dmoe4j.backend=cuda -Dmoe4j.cuda.library="$lib" -jar "$jar" "${bench[@]}" --gpu-budget 100GiB || return 1
  echo "--- GPU, 2 GiB budget (hybrid: some experts on the CPU)"
  "${java[@]}" -Dmoe4j.backend=cuda -Dmoe4j.cuda.library="$lib" -jar "$jar" "${bench[@]}" --gpu-budget 2GiB
  local rc=$?
  rm -f "$model"
  # the same shape as a DeepSeek "dynamic" i-quant mix: IQ1_S experts, IQ2_XXS expert down projections, Q4_K elsewhere
  local iq=${BUILD:-/tmp/moe4j-cuda-build}/v2lite-iq-synth.gguf
  local iq_bench=(bench -m "$iq" -p 128 -n 16 -r 2 --warmup 0.5 --probe-mib 0 -t "$(nproc)")
  "${java[@]}" -jar "$jar" synth "$iq" --shape deepseek-v2-lite --layers "${SYNTH_LAYERS:-6}" --type Q4_K \
    --expert-type IQ1_S --tensor-type ffn_down_exps=IQ2_XXS || return 1
  echo "--- CPU, i-quant mix"
  "${java[@]}" -Dmoe4j.backend=cpu -jar "$jar" "${iq_bench[@]}" || rc=1
  echo "--- GPU, i-quant mix, everything placed"
  "${java[@]}" -Dmoe4j.backend=cuda -Dmoe4j.cuda.library="$lib" -jar "$jar" "${iq_bench[@]}" --gpu-budget 100GiB || rc=1
  rm -f "$iq"
  return $rc
}

say "moe4j check-gpu.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), source $src, build $build"
if [ "${ONLY_JAVA:-0}" != 1 ]; then # ONLY_JAVA=1: the Java steps alone, over libraries already in $BUILD
  step device 0 device
  step build 1 build_all
  if [ ! -x "$build/cuda/moe4j_cuda_selftest" ]; then
    say "build failed: nothing to test"
  else
    step tests 1 tests
    step sanitizers 1 sanitizers
    step bench 1 bench
  fi
fi
if [ "${SKIP_JAVA:-0}" != 1 ]; then
  step java-build 1 java_build
  step java-gpu 1 java_gpu
  step java-bench 1 java_bench
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
