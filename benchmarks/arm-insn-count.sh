#!/usr/bin/env bash
# Instructions one product takes at each AArch64 level, counted under qemu-user (not a speed: qemu's timing of NEON
# code says nothing about a real ARM core). Every executed instruction is one trace line with -singlestep (one
# instruction per translation block) and -d exec,nochain (every block execution logged); the count of one product is
# (count with 1 + N calls - count with 1 call) / N, so the set-up cancels out. The same binary and inputs always give
# the same count.
#
#   benchmarks/arm-insn-count.sh [BUILD_DIR]   (default native-kernels/target/cmake-linux-aarch64)
#
# Prints one markdown row per format and token count: instructions per product at scalar, neon, neon_dotprod,
# neon_i8mm, and each level's count as a fraction of the scalar one.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-native-kernels/target/cmake-linux-aarch64}
exe=$build/moe4j_insn_count
[ -x "$exe" ] || { echo "no $exe: build native-kernels (cross-build.sh build linux-aarch64 ...) first" >&2; exit 1; }
rows=64 cols=1024 extra=2

count() { # level type tokens reps
  QEMU_CPU=max qemu-aarch64 -L /usr/aarch64-linux-gnu -singlestep -d exec,nochain -D /dev/stderr \
    "$exe" "$1" "$2" "$rows" "$cols" "$3" "$4" 2>&1 > /dev/null | grep -c '^Trace'
}

echo "| format | tokens | scalar | neon | neon_dotprod | neon_i8mm | neon / scalar | dotprod / scalar | i8mm / scalar |"
echo "|---|---|---|---|---|---|---|---|---|"
for spec in Q4_0:2 Q8_0:8 Q4_K:12 Q6_K:14 IQ4_XS:23 IQ2_XXS:16 IQ3_S:21 TQ2_0:35 MXFP4:39 F16:1; do
  name=${spec%%:*} type=${spec##*:}
  for tokens in 1 4; do
    row="| $name | $tokens"
    per=()
    for level in 0 3 4 5; do
      one=$(count "$level" "$type" "$tokens" 1)
      more=$(count "$level" "$type" "$tokens" $((1 + extra)))
      per+=($(( (more - one) / extra )))
      row="$row | ${per[-1]}"
    done
    for i in 1 2 3; do
      row="$row | $(awk -v a="${per[$i]}" -v b="${per[0]}" 'BEGIN { printf "%.3f", a / b }')"
    done
    echo "$row |"
  done
done
echo
echo "($rows x $cols weights, 8-bit activations as llama.cpp quantizes them, one thread; qemu-aarch64 $(qemu-aarch64 --version | head -1 | awk '{print $3}'))"
