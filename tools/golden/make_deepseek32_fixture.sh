#!/bin/sh
# Makes core/src/test/golden/deepseek32-tiny-f32: a random DeepSeek-V3.2 (deepseek32) model from moe4j's own synth,
# whose lightning indexer keeps 8 positions per query (the 62-token prompt and the 32 generated tokens go far past
# that, so the sparse path is what runs), then llama.cpp's ids and logits for the golden prompt (dump_logits).
#
#   tools/golden/make_deepseek32_fixture.sh MOE4J_JAR DUMP_LOGITS OUT_DIR
#   e.g. tools/golden/make_deepseek32_fixture.sh examples/cli/target/moe4j.jar ~/ext/dump_logits core/src/test/golden
#
# The indexer head size must be a multiple of 64: llama.cpp rotates indexer queries and keys by a Hadamard matrix of
# at least 64 × 64.
set -eu
JAR=$1
DUMP=$2
d=$3/deepseek32-tiny-f32
PROMPT="The quick brown fox jumps over the lazy dog. Once upon a time"
SYNTH="--arch deepseek32 --layers 3 --dense-layers 1 --hidden 128 --heads 4 --experts 8 --top-k 2 --expert-ffn 64 \
--ffn 256 --q-lora-rank 64 --kv-lora-rank 64 --nope-dim 32 --rope-dim 16 --v-head-dim 32 --indexer-heads 8 \
--indexer-dim 64 --indexer-top-k 8 --vocab 512 --type F32 --seed 3"
rm -rf "$d" && mkdir -p "$d"
# shellcheck disable=SC2086
"${JAVA_HOME:-/usr}/bin/java" -jar "$JAR" synth $SYNTH "$d/model.gguf" > /dev/null
(cd "$d" && "$DUMP" -m model.gguf -p "$PROMPT" -o . -n 32 -t 2 > /dev/null 2>&1)
cat > "$d/fixture.json" <<JSON
{
 "arch": "deepseek32",
 "quant": false,
 "prompt": "$PROMPT",
 "n_vocab": 512,
 "n_gen": 32,
 "add_special": "true parse_special=false",
 "made_by": "moe4j synth $SYNTH, tools/golden/dump_logits (CPU, f32 KV cache, 2 threads); see tools/golden/make_deepseek32_fixture.sh"
}
JSON
