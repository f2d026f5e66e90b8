#!/bin/sh
# Makes core/src/test/golden/{glm4moe-tiny-f32, gptoss-tiny-f32, gptoss-tiny-mxfp4, deepseek4-tiny-f32,
# deepseek4-tiny-mxfp4}: the model (make_tiny.py), then
# llama.cpp's ids and logits for the golden prompt (dump_logits), the gguf_dump.txt, expected_inspect.json (gguf-py's
# counts) and, for the MXFP4 model, dequant/.
#
#   tools/golden/make_glm_gptoss_fixtures.sh LLAMA_CPP_DIR DUMP_LOGITS SHARED_DIR OUT_DIR
#   e.g. tools/golden/make_glm_gptoss_fixtures.sh ~/ext/llama.cpp ~/ext/dump_logits ../shared core/src/test/golden
#
# Seeds: chosen among 1..30 for varied greedy runs whose top-2 logit gaps stay above 0.01 (see the README there).
set -eu
LLAMA=$(cd "$1" && pwd)
DUMP=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
VOCAB=$(cd "$3" && pwd)/golden/qwen3moe-tiny-f32/model.gguf
OUT=$4
HERE=$(cd "$(dirname "$0")" && pwd)
PROMPT="The quick brown fox jumps over the lazy dog. Once upon a time"
P=$PROMPT  # the prompt of the next fixture() calls
export PYTHONPATH="$LLAMA/gguf-py"
COMMIT=$(git -C "$LLAMA" rev-parse --short HEAD 2>/dev/null || echo unknown)

fixture() { # name arch seed [mxfp4]
    name=$1 arch=$2 seed=$3 mx=${4:-}
    d="$OUT/$name"
    rm -rf "$d" && mkdir -p "$d"
    quant=false extra=""
    if [ "$mx" = mxfp4 ]; then
        quant=true extra=" --experts-mxfp4"
        set -- --experts-mxfp4 --dequant "$d/dequant"
    else
        set --
    fi
    python3 "$HERE/make_tiny.py" --arch "$arch" --seed "$seed" --vocab-from "$VOCAB" --out "$d/model.gguf" \
        --expected-inspect "$d/expected_inspect.json" --dump "$d/gguf_dump.txt" "$@"
    (cd "$d" && "$DUMP" -m model.gguf -p "$P" -o . -n 32 -t 2 > /dev/null 2>&1)
    cat > "$d/fixture.json" <<EOF
{
 "arch": "$arch",
 "quant": $quant,
 "prompt": "$P",
 "n_vocab": 512,
 "n_gen": 32,
 "add_special": "true parse_special=false",
 "made_by": "tools/golden/make_tiny.py --arch $arch --seed $seed$extra, tools/golden/dump_logits (llama.cpp $COMMIT, CPU, f32 KV cache, 2 threads); see tools/golden/make_glm_gptoss_fixtures.sh"
}
EOF
}

fixture glm4moe-tiny-f32 glm4moe 9
fixture gptoss-tiny-f32 gpt-oss 26
fixture gptoss-tiny-mxfp4 gpt-oss 26 mxfp4

# DeepSeek-V4 (deepseek4-tiny-{f32,mxfp4}): the golden prompt ten times (321 tokens), longer than the window (8), than
# many ratio-4 blocks and than two ratio-128 blocks, so that every compressed path is taken. Seeds: among 1..30, top-2
# logit gaps above 0.01 and no near-tie at the indexer's top-k boundary; for MXFP4 also one whose Q8_0 activation
# rounding does not flip between float32 and float64 (tools/golden/tiny_reference_dsv4.py agrees to ~2e-5).
P=$PROMPT; for _ in 2 3 4 5 6 7 8 9 10; do P="$P $PROMPT"; done
fixture deepseek4-tiny-f32 deepseek4 14
fixture deepseek4-tiny-mxfp4 deepseek4 8 mxfp4
