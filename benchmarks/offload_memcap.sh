#!/usr/bin/env bash
# offload_memcap.sh - the expert-offloading benchmark of docs/PERFORMANCE.md: moe4j `bench` and llama.cpp on one
# model under the same memory cap (anonymous memory and page cache together, via ../shared/bench/memcap), with the
# model file evicted from the page cache before every run.
#
#   benchmarks/offload_memcap.sh MODEL CAP LLAMA_COMPLETION [THREADS] [P] [N]
#   benchmarks/offload_memcap.sh /work/models/v2lite-q4_0.gguf 3625M /path/to/llama-completion 2 16 32
#
# Runs: moe4j `bench` with no budget (the automatic default must fit itself under the cap) for each cache policy
# (POLICIES, default "layered tinylfu lru"); then llama.cpp with its default mmap. llama-bench cannot run there: it
# always repacks Q4_0 weights into anonymous memory (8 GiB here, killed by the cap, also with -ot '.*=CPU'), so
# llama.cpp runs as `llama-completion --no-repack` and its own timings (prompt eval, eval) are the figures.
# Skip it with LLAMA=none. Each moe4j run prints its JSON line; memcap prints the peak usage.
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
[ "$llama" = none ] && exit 0
echo "== llama.cpp (llama-completion, mmap, no repacking), cap $cap" >&2
prompt="one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
"$memcap" --evict "$model" "$cap" "$llama" -m "$model" -p "$prompt" -n "$n" -t "$threads" -c 256 -no-cnv \
    --ignore-eos --no-repack 2>&1 | grep -E "prompt eval time|eval time" >&2
