#!/usr/bin/env bash
# Does a model copy the image it was given, and does aligning images' positions let a copy
# skill carry over to edits? A small experiment, measured by mm-model-copy-loss: a small
# Llama (128 wide, 4 layers, 5.9M parameters) learns to copy images from scratch, then
# trains on two-turn edits with the copies mixed in, once with positions counted plainly
# and once with mm-train --align-visual 128 (ARMS below), for 1000 steps and 3000 more.
# Then the held-out two-turn edits, drawn greedily (scripts/eval-default.sh). About 50
# minutes with one thread on this project's 2-core machine.
#
#   scripts/copy-probe.sh [BINDIR]     (work in $WORK, default /tmp/mm-copy-probe)
#   ARMS="places rope" LONGER_STEPS=0 scripts/copy-probe.sh    # the other two place options
#
# The copy conversations are the edit corpus's first images, each given with "copy the
# image" and answered with itself. Numbers a run printed are in docs/training.md.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
work=${WORK:-/tmp/mm-copy-probe}
copy_steps=${COPY_STEPS:-1500}
edit_steps=${EDIT_STEPS:-1000}
longer_steps=${LONGER_STEPS:-3000}
threads=${THREADS:-1}
mkdir -p "$work"

# The model of scripts/train-default.sh at a quarter of the width's cost, over the default
# bundle's tokenizers (which also tokenize the corpora).
tokenizers=$here/models/default
cat > "$work/model.json" <<'JSON'
{"name": "mm-copy-probe",
 "backbone": {"hidden_size": 128, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
              "intermediate_size": 384, "max_position_embeddings": 1024, "rope_theta": 10000, "tie_word_embeddings": true}}
JSON
[ -d "$work/start" ] ||
  "$bin/mm-bundle" init -q --config "$work/model.json" --tokenizers "$tokenizers" --seed 7 --embed-codebook "$work/start"

# edits NAME FIRST COUNT: two-turn edit conversations of COUNT training scenes (seed 1) from FIRST.
edits() {
  [ -f "$work/$1.mmt" ] && return 0
  "$bin/mm-world" --split train --seed 1 --first "$2" --count "$3" --size 64 --tasks edit_image --threads 2 -q "$work/$1"
  python3 "$here/scripts/world-corpus.py" --bindir "$bin" --bundle "$tokenizers" --size 64 --levels 1 --fps 1 \
    --max-frames 2 --tasks edit_image "$work/$1/manifest.jsonl" "$work/$1.mmt"
}
# copies IN OUT COUNT: the first COUNT conversations of IN, each reduced to its first image,
# "copy the image", and the same image as the answer.
copies() {
  [ -f "$2" ] && return 0
  local instruction
  instruction=$("$bin/mm-tokenize" --role user --text "copy the image" | "$bin/mm-inspect" --dump | grep -A1 '^segment {' | tr '\n' '\t')
  "$bin/mm-inspect" --dump "$1" | python3 -c '
import sys
instruction = sys.argv[1].replace("\t", "\n").replace("--\n", "")
out, image = [], None
lines = sys.stdin.read().split("\n")
for i, line in enumerate(lines):
    if line.startswith("stream "):
        out.append(line)
    elif line.startswith("segment ") and image is None and "\"modality\":\"image\"" in line:
        image = line + "\n" + lines[i + 1] + "\nsegment-end\n"
    elif line == "end":
        answer = image.replace("\"role\":\"user\"", "\"role\":\"assistant\"")
        out.append(image + instruction + "segment-end\n" + answer + "end")
        image = None
        if len(out) == 2 * int(sys.argv[2]):
            break
print("\n".join(out))' "$instruction" "$3" | "$bin/mm-inspect" --pack -o "$2"
}
edits edits 20000 20000                    # the recipe's phase-4 corpus (scenes 20000-39999)
edits held-out 40000 300                   # scenes no phase trains on
copies "$work/edits.mmt" "$work/copies.mmt" 8000
copies "$work/held-out.mmt" "$work/held-out-copies.mmt" 300

train() {  # OUT FROM STEPS LR MIN_LR WARMUP SEED OPTION... STREAM...
  local out=$1 from=$2 steps=$3 lr=$4 min_lr=$5 warmup=$6 seed=$7
  shift 7
  [ -f "$work/$out/training.json" ] && return 0
  "$bin/mm-train" --bundle "$from" --example member -o "$work/$out" --batch 8 --context 320 --weight-decay 0.1 \
    --clip 1.0 --softmax seen --threads "$threads" -q --steps "$steps" --lr "$lr" --min-lr "$min_lr" \
    --warmup "$warmup" --seed "$seed" "$@"
}
# ARMS: how the model knows where a code sits (the option is in the bundle's config from the
# first phase on): counted (positions along one line), aligned (--align-visual 128),
# places (--grid-places 16), rope (--grid-rope).
for arm in ${ARMS:-counted aligned}; do
  case $arm in
    counted) places=() ;;
    aligned) places=(--align-visual 128) ;;
    places) places=(--grid-places 16) ;;
    rope) places=(--grid-rope) ;;
    *) echo "copy-probe: unknown arm $arm" >&2; exit 2 ;;
  esac
  train copy-$arm "$work/start" "$copy_steps" 2e-3 1e-4 50 21 "${places[@]}" "$work/copies.mmt"
  train edit-$arm "$work/copy-$arm" "$edit_steps" 1e-3 1e-4 20 22 "$work/copies.mmt" "$work/edits.mmt"
  models=(copy-$arm edit-$arm)
  if [ "$longer_steps" -gt 0 ]; then
    train longer-$arm "$work/edit-$arm" "$longer_steps" 1e-3 5e-5 20 23 "$work/copies.mmt" "$work/edits.mmt"
    models+=(longer-$arm)
  fi
  for model in "${models[@]}"; do
    echo "== $model: held-out edits (150 conversations' second and third images, by class)"
    "$bin/mm-model-copy-loss" "$work/$model" "$work/held-out.mmt" 150
    echo "== $model: held-out copies (100)"
    "$bin/mm-model-copy-loss" "$work/$model" "$work/held-out-copies.mmt" 100
  done
  for model in "${models[@]:1}"; do
    echo "== $model: held-out two-turn edits, greedy"
    WORK=$work/eval-$model TASKS=edit_image EDIT_SAMPLING="--temperature 0" "$here/scripts/eval-default.sh" "$bin" \
      "$work/$model" 50 2>/dev/null | tail -1
    echo "first turns wrong (of 50): $("$bin/mm-score" -v --tasks edit_image "$work/eval-$model/world/manifest.jsonl" \
      "$work/eval-$model/answers" 2>&1 | grep -c "turn 1:" || true)"
  done
done
