#!/usr/bin/env bash
# offload_memcap.sh - the expert-offloading benchmark of docs/PERFORMANCE.md: moe4j `bench` and llama.cpp's
# `llama-bench` (mmap) on one model under the same memory cap (anonymous memory and page cache together, via
# ../shared/bench/memcap), with the model file evicted from the page cache before every run.
#
#   benchmarks/offload_memcap.sh MODEL CAP LLAMA_BENCH [THREADS] [P] [N]
#   benchmarks/offload_memcap.sh /work/models/v2lite-q4_0.gguf 3560M /path/to/llama-bench 2 16 32
#
# Runs: moe4j with no budget (the automatic default must fit itself under the cap) for each cache policy, then
# llama-bench with every tensor in the plain CPU buffer (so it maps the file instead of repacking weights into
# anonymous memory, which would not fit under the cap). Each run prints its JSON line; memcap prints the peak usage.
set -euo pipefail
model=$1 cap=$2 llama=$3 threads=${4:-2} p=${5:-16} n=${6:-32}
here=$(cd "$(dirname "$0")/.." && pwd)
memcap=${MEMCAP:-$here/../shared/bench/memcap}
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$here/examples/cli/target/moe4j.jar
for policy in ${POLICIES:-layered tinylfu lru}; do
  echo "== moe4j, policy $policy, cap $cap" >&2
  "$memcap" --evict "$model" "$cap" "$java" --enable-native-access=ALL-UNNAMED -jar "$jar" bench -m "$model" \
      -p "$p" -n "$n" -r 1 --warmup 0 -t "$threads" --probe-mib 0 --policy "$policy" --json
done
echo "== llama-bench (mmap, no repacking), cap $cap" >&2
"$memcap" --evict "$model" "$cap" "$llama" -m "$model" -p "$p" -n "$n" -r 1 -t "$threads" -ot '.*=CPU' -o json
