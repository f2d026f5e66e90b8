#!/usr/bin/env bash
# Rebuilds the bundled demo model from nothing, one step at a time (each step can be rerun; training resumes).
#
#   tools/demo/pipeline.sh data      fetch countries-list@3.4.1 from npm; the three phases' corpora, the tokenizer and
#                                    the two held-out evaluation sets
#   tools/demo/pipeline.sh train     train for one chunk of at most 60 minutes; rerun until it says "done"
#   tools/demo/pipeline.sh export    write models/demo-countries-q8_0.gguf (and an F32 twin in $WORK for checks)
#   tools/demo/pipeline.sh golden    llama.cpp's ids and logits for the golden chat fixture, and the F32 export check
#   tools/demo/pipeline.sh eval      accuracy on the held-out questions through moe4j: greedy and temperature 0.7
#
# WORK (default ~/moe4j-demo) holds everything that is not committed: the npm package, the corpus, checkpoints.
# LLAMA (default ~/ext/llama.cpp) is a llama.cpp checkout built as tools/golden/README.md says; DUMP is the
# dump_logits binary built there. PyTorch, numpy and regex come from Debian (python3-torch, python3-numpy,
# python3-regex; with libopenblas0-openmp for speed).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
WORK="${WORK:-$HOME/moe4j-demo}"
LLAMA="${LLAMA:-$HOME/ext/llama.cpp}"
DUMP="${DUMP:-$HOME/ext/dump_logits}"
PY="${PY:-/usr/bin/python3}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
model="$repo/models/demo-countries-q8_0.gguf"
fixture="$repo/core/src/test/golden/demo-countries-q8-chat"
# DeepSeek-R1's own chat template (as llama.cpp ships it), from the shared reference material
template="${TEMPLATE:-$repo/../shared/templates/deepseek-ai-DeepSeek-R1-Distill-Llama-8B.jinja}"
mkdir -p "$WORK"
cd "$here"

# run_phase NAME MINUTES ARGS...: one chunk (at most 60 minutes) of training phase NAME, resumed from $WORK/NAME.pt;
# succeeds once the phase has trained MINUTES minutes.
run_phase() {
  local name="$1" minutes="$2"
  shift 2
  if [ ! -f "$WORK/$name.done" ]; then
    "$PY" train.py --ckpt "$WORK/$name.pt" --chunk-minutes 60 --stop-minutes "$minutes" "$@" | tee -a "$WORK/train.log"
    if "$PY" -c 'import sys, torch; c = torch.load(sys.argv[1]); sys.exit(c["trained_s"] < 60 * float(sys.argv[2]) - 1)' \
        "$WORK/$name.pt" "$minutes"; then
      touch "$WORK/$name.done"
    fi
  fi
  [ -f "$WORK/$name.done" ]
}

case "${1:-}" in
  data)
    if [ ! -d "$WORK/countries-list/package" ]; then
      (cd "$WORK" && npm pack countries-list@3.4.1 >/dev/null && mkdir -p countries-list \
        && tar xzf countries-list-3.4.1.tgz -C countries-list)
    fi
    pkg="$WORK/countries-list/package"
    "$PY" build_data.py --countries "$pkg" --out "$WORK/data"                      # phase 1, and the tokenizer
    "$PY" build_data.py --countries "$pkg" --out "$WORK/data2" --widen --seed 4321 --eval-seed 1234 \
      --tokenizer "$WORK/data/tokenizer.json"                                       # phase 2: composed questions
    "$PY" build_data.py --countries "$pkg" --out "$WORK/data3" --salad --seed 777 --eval-seed 1234 \
      --tokenizer "$WORK/data/tokenizer.json"                                       # phase 3: word salad, more typos
    ;;
  train)
    # Three phases (models/MODEL_CARD.md says why): a rerun resumes the unfinished phase from its checkpoint.
    run_phase phase1 60 --data "$WORK/data" --total-minutes 80 --seed 1 || exit 0
    run_phase phase2 15 --data "$WORK/data2" --init "$WORK/phase1.pt" --total-minutes 35 \
      --lr 1e-3 --lr-floor 3e-5 --warmup 20 --seed 2 || exit 0
    run_phase phase3 30 --data "$WORK/data3" --init "$WORK/phase2.pt" --total-minutes 30 \
      --lr 1e-3 --lr-floor 3e-5 --warmup 20 --seed 3 || exit 0
    cp "$WORK/phase3.pt" "$WORK/ckpt.pt" && echo "done: $WORK/ckpt.pt"
    ;;
  export)
    for t in q8_0 f32; do
      out="$WORK/demo-countries-$t.gguf"; [ "$t" = q8_0 ] && out="$model"
      "$PY" export_gguf.py --ckpt "$WORK/ckpt.pt" --tokenizer "$WORK/data/tokenizer.json" --gguf-py "$LLAMA/gguf-py" \
        --template "$template" --type "$t" --out "$out"
    done
    ls -l "$model"
    ;;
  golden)
    prompt=$'<｜User｜>What is the capital of Japan?<｜Assistant｜><think>\n'
    mkdir -p "$fixture" "$WORK/f32-check"
    "$DUMP" -m "$model" -p "$prompt" --parse-special --stop-at-eos -n 64 -t 2 -o "$fixture"
    sed -i "s|^model=.*|model=demo-countries-q8_0.gguf|" "$fixture/meta.txt"
    "$DUMP" -m "$WORK/demo-countries-f32.gguf" -p "$prompt" --parse-special --stop-at-eos -n 64 -t 2 -o "$WORK/f32-check"
    "$PY" verify_export.py --ckpt "$WORK/ckpt.pt" --tokenizer "$WORK/data/tokenizer.json" --dump "$WORK/f32-check" \
      --prompt "$prompt"
    ;;
  eval)
    jar="$repo/examples/cli/target/moe4j.jar"
    [ -f "$jar" ] || (cd "$repo" && mvn -B -ntp -q install -DskipTests)
    for set in eval2 eval; do   # eval2: the held-out set of the card; eval: the development set (see the card)
      "$PY" evaluate.py --eval "$WORK/data/$set.jsonl" --moe4j "$jar" --model "$model" --temp 0 \
        --out "$WORK/$set-greedy.json"
      "$PY" evaluate.py --eval "$WORK/data/$set.jsonl" --moe4j "$jar" --model "$model" --temp 0.7 --seed 1 \
        --out "$WORK/$set-t07.json"
    done
    ;;
  *)
    sed -n '2,16p' "$0"
    exit 2
    ;;
esac
