#!/usr/bin/env bash
# Training and evaluation numbers for `make bench`: the recipe of scripts/train-default.sh
# (the default model's size, batch and context) for 30 steps on 200 scenes, with one thread
# and with two, as steps and ids per second; then, when models/default has weights, the
# held-out accuracy of the shipped bundle (scripts/eval-default.sh on EVAL_SCENES scenes; its
# drawings and captions again as the best of BEST_OF, default 8) and its caption/image
# retrieval through mm-encode --embeddings (scripts/retrieval-default.py), also against each
# scene's placement twin (--twins).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
work=$(mktemp -d /tmp/mm-bench-train-XXXXXX)
trap 'rm -rf "$work"' EXIT
for threads in 1 2; do
  WORK=$work/t$threads SCENES=200 STEPS=30 STEPS2=0 THREADS=$threads "$here/scripts/train-default.sh" "$bin" > "$work/log$threads" 2>&1 ||
    { cat "$work/log$threads" >&2; exit 1; }
  python3 - "$work/t$threads/train/loss.csv" "$threads" <<'PY'
import csv, sys, os
rows = list(csv.DictReader(open(sys.argv[1])))[5:]  # past the first steps' start-up
seconds = sum(float(r["seconds"]) for r in rows)
ids = sum(int(r["ids"]) for r in rows)
print("train bench: default model, batch 8, context 320, threads %s: %.2f steps/s, %.0f ids/s (wall, steps 6-30), loss %s -> %s"
      % (sys.argv[2], len(rows) / seconds, ids / seconds, rows[0]["loss"], rows[-1]["loss"]))
PY
done
if [ -f "$here/models/default/model.safetensors" ]; then
  WORK=$work/eval "$here/scripts/eval-default.sh" "$bin" "$here/models/default" "${EVAL_SCENES:-20}"
  echo "train bench: the same scenes' drawings and captions as the best of ${BEST_OF:-8} by the model's own judge" \
    "(mm-generate --best-of, mm-describe --best-of):"
  WORK=$work/eval-best BEST_OF=${BEST_OF:-8} CAPTION_BEST_OF=${BEST_OF:-8} TASKS=caption_image,draw_caption,draw_code \
    "$here/scripts/eval-default.sh" "$bin" "$here/models/default" "${EVAL_SCENES:-20}"
  python3 "$here/scripts/retrieval-default.py" --bindir "$bin" --bundle "$here/models/default" --scenes "${RETRIEVAL_SCENES:-100}"
  # whether the space knows where things are: each scene against its placement twin
  python3 "$here/scripts/retrieval-default.py" --bindir "$bin" --bundle "$here/models/default" --twins \
    --scenes "${TWIN_SCENES:-50}"
else
  echo "train bench: models/default has no weights yet; no held-out accuracy"
fi
