#!/usr/bin/env bash
# Scores a bundle on held-out scenes of the world (seed 0, never trained on): mm-world writes
# the scenes, scripts/world-corpus.py --prompts makes each task's user turn, the bundle
# answers (mm-describe for text, mm-generate for drawing code and images, greedy or top-k 20
# with fixed seeds; DRAW_SAMPLING="--temperature 0" draws greedily; BEST_OF=N keeps the best
# of N drawings by the model's own judge, mm-generate --best-of; CAPTION_BEST_OF=N answers
# caption_image with the best of N captions sampled from the top 20, mm-describe --best-of)
# and mm-score grades the answers with its classical detectors. A two-turn edit (edit_image)
# is answered as a user would: the model edits the image, then gets the second instruction
# after its own first edit, and both turns must be right. copy_image (answer with the image given; not in the
# default TASKS) is drawn as an edit is.
#
#   scripts/eval-default.sh [BINDIR [BUNDLE [SCENES]]]    (defaults: build/bin, models/default, 50)
#   TASKS=caption_image,transcribe_speech scripts/eval-default.sh ...   # only these tasks
#
# Work goes to $WORK (default /tmp/mm-eval-default); the table is printed and kept there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
bundle=$(cd "${2:-$here/models/default}" && pwd)
scenes=${3:-50}
work=${WORK:-/tmp/mm-eval-default}
first=${FIRST:-0}   # held-out scenes: seed 0, indices 0..9999
tasks=${TASKS:-caption_image,code_image,answer_question,draw_caption,draw_code,describe_motion,transcribe_speech,edit_image}
threads=${THREADS:-1}
device=${DEVICE:-cpu}   # cuda on a GPU host (a CUDA libtorch build; DEVELOPERS.md)
read -r -a draw_sampling <<< "${DRAW_SAMPLING:---top-k 20 --seed 1}"  # how images are drawn
read -r -a edit_sampling <<< "${EDIT_SAMPLING:---top-k 20 --seed 1}"  # how edited images are drawn
best_of=${BEST_OF:-0}  # N > 1: each drawing is the best of N samples by the model's own judge (mm-generate --best-of)
caption_best_of=${CAPTION_BEST_OF:-0}  # N > 1: each caption likewise (mm-describe --best-of)

rm -rf "$work" && mkdir -p "$work/answers"
"$bin/mm-world" --split eval --first "$first" --count "$scenes" --size 64 --tasks "$tasks" -q "$work/world"
python3 "$here/scripts/world-corpus.py" --bindir "$bin" --bundle "$bundle" --size 64 --levels 1 --fps 1 --max-frames 2 \
  --tasks "$tasks" --held-out --prompts "$work/world/manifest.jsonl" "$work/prompts"

common=(--bundle "$bundle" --threads "$threads" --device "$device" -q)
mkdir -p "$work/judge"
python3 - "$work/world/manifest.jsonl" "$work/judge" <<'PY' > "$work/jobs"
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["task"] == "draw_caption":  # --best-of's judge: the caption, without "draw"
        open(sys.argv[2] + "/" + t["id"], "w").write(t["turns"][0]["user"][0]["text"].removeprefix("draw "))
    # A second turn: its output and instruction (the rest of the line).
    second = [t["turns"][1]["output"], t["turns"][1]["user"][0]["text"]] if len(t["turns"]) > 1 else []
    print(" ".join([t["id"], t["task"], t["turns"][0]["output"]] + second))
PY
start=$(date +%s)
while read -r id task output second_output second_instruction; do
  prompt=$work/prompts/$id.mmt out=$work/answers/$output
  case $task in
    caption_image|answer_question|describe_motion|transcribe_speech)
      answer=(--temperature 0)
      [ "$task" = caption_image ] && [ "$caption_best_of" -gt 1 ] &&
        answer=(--best-of "$caption_best_of" --temperature 1 --top-k 20 --seed 1)
      "$bin/mm-describe" "${common[@]}" "${answer[@]}" --max-tokens 48 "$prompt" > "$out" || true ;;
    code_image)
      "$bin/mm-generate" "${common[@]}" --code --temperature 0 --max-tokens 64 --only-new "$prompt" |
        "$bin/mm-render" --bundle "$bundle" -q -f -o "$out" || true ;;  # the bundle's own BPE
    draw_caption|draw_code)
      best=()
      if [ "$best_of" -gt 1 ]; then
        best=(--best-of "$best_of")
        [ -f "$work/judge/$id" ] && best+=(--judge "$(cat "$work/judge/$id")")  # draw_code: the code, as it is
      fi
      "$bin/mm-generate" "${common[@]}" --image 8x8 "${draw_sampling[@]}" "${best[@]}" --only-new "$prompt" |
        "$bin/mm-render" --bundle "$bundle" -q -f -o "$out" || true ;;  # the bundle's own codebook
    copy_image)  # drawn as an edit's turns are
      "$bin/mm-generate" "${common[@]}" --image 8x8 "${edit_sampling[@]}" --only-new "$prompt" |
        "$bin/mm-render" --bundle "$bundle" -q -f -o "$out" || true ;;
    edit_image)  # the first edit, then the second instruction after it (mm-generate --prompt)
      "$bin/mm-generate" "${common[@]}" --image 8x8 "${edit_sampling[@]}" -f -o "$work/turn-1.mmt" "$prompt" &&
        "$bin/mm-render" --bundle "$bundle" -q -f --segment 2 -o "$out" "$work/turn-1.mmt" &&
        "$bin/mm-generate" "${common[@]}" --image 8x8 "${edit_sampling[@]}" -p "$second_instruction" --only-new \
          "$work/turn-1.mmt" | "$bin/mm-render" --bundle "$bundle" -q -f -o "$work/answers/$second_output" || true ;;
  esac
done < "$work/jobs"
echo "answered $(wc -l < "$work/jobs") tasks in $(( $(date +%s) - start )) s" >&2
"$bin/mm-score" --tasks "$tasks" "$work/world/manifest.jsonl" "$work/answers" | tee "$work/score.txt"
