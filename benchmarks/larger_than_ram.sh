#!/usr/bin/env bash
# larger_than_ram.sh - the formats issue's scale benchmark (docs/PERFORMANCE.md, "Larger than RAM"): decode on a model
# file bigger than the machine's memory, moe4j with its automatic memory budget (no flags) against llama.cpp with its
# default mmap, same threads, the file evicted from the page cache before each run; then moe4j's greedy tokens with the
# automatic budget against moe4j with every expert memory-mapped (an uncapped run), which must be identical.
#
#   benchmarks/larger_than_ram.sh MODEL LLAMA_BENCH [THREADS] [N]
#
# Make MODEL with `synth --shape deepseek-v3` (see docs/PERFORMANCE.md); delete it afterwards, never commit it.
# Prints: the disk's direct-read bandwidth, moe4j's `bench --json` line (hit rate, bytes read, stall), llama-bench's
# JSON, and the two token lists.
set -euo pipefail
model=$1 llama_bench=$2 threads=${3:-2} n=${4:-16}
here=$(cd "$(dirname "$0")/.." && pwd)
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
jar=$here/examples/cli/target/moe4j.jar
evict() { dd if="$model" iflag=nocache count=0 status=none; }
moe4j() { "$java" --enable-native-access=ALL-UNNAMED -jar "$jar" "$@"; }

echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB RAM; model $(du -h --apparent-size "$model" | cut -f1)" >&2
evict
echo "== disk: direct reads of 4 MiB" >&2
dd if="$model" of=/dev/null bs=4M count=1024 iflag=direct 2>&1 | tail -1 >&2

evict
echo "== moe4j bench, automatic budget, $threads threads, tg$n" >&2
moe4j bench -m "$model" -p 0 -n "$n" -r 1 --warmup 0 -t "$threads" --probe-mib 1024 --json

evict
echo "== llama.cpp llama-bench, default mmap, $threads threads, tg$n" >&2
"$llama_bench" -m "$model" -p 0 -n "$n" -r 1 -t "$threads" -o json

prompt="one two three four five six seven eight"
evict
echo "== moe4j greedy tokens, automatic budget" >&2
moe4j generate -m "$model" -p "$prompt" -n "$n" --temp 0 --ignore-eos -t "$threads" --no-progress --json
evict
echo "== moe4j greedy tokens, every expert memory-mapped (uncapped)" >&2
moe4j generate -m "$model" -p "$prompt" -n "$n" --temp 0 --ignore-eos -t "$threads" --no-progress --json \
    --memory-budget 1TiB
