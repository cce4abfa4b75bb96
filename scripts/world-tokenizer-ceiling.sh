#!/usr/bin/env bash
# The most a model can score on the world's image and video tasks with a given tokenizer:
# held-out scenes' reference images and videos go through mm-tokenize | mm-render and
# mm-score grades the reconstructions (draw_code: objects, sizes and positions; animate_caption:
# the motion). A model that predicts every code right still scores no more than this.
# Usage: scripts/world-tokenizer-ceiling.sh [BINDIR] [SIZE] [COUNT] [BUNDLE] [LEVELS]
#   (defaults: build/bin, 64 pixels, 100 scenes, the default bundle, all the codebook's levels
#   for images; videos are coded at 1 level unless LEVELS is given. The default model uses 1.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-$root/build/bin}")
size=${2:-64}
count=${3:-100}
bundle=(${4:+--bundle "$(realpath "$4")"})
levels=(${5:+--levels "$5"})
work=$(mktemp -d "${TMPDIR:-/tmp}/mm-ceiling-XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bindir/mm-world" --split eval --count "$count" --size "$size" --tasks draw_code,animate_caption "$work/corpus"
mkdir "$work/out"
for scene in "$work"/corpus/s0-*; do
  id=$(basename "$scene")
  "$bindir/mm-tokenize" "${bundle[@]}" "${levels[@]}" --size "$size" "$scene/image.png" |
    "$bindir/mm-render" "${bundle[@]}" -o "$work/out/$id.draw_code.png"
  "$bindir/mm-tokenize" "${bundle[@]}" "${levels[@]}" --size "$size" --fps 0 "$scene/video.mp4" |
    "$bindir/mm-render" "${bundle[@]}" -o "$work/out/$id.animate_caption.mp4"
done
tokens=$("$bindir/mm-tokenize" "${bundle[@]}" "${levels[@]}" --size "$size" "$work/corpus/s0-000000/image.png" | "$bindir/mm-inspect" --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["segments"][0]["tokens"])')
echo "tokenizer round trip of $count held-out scenes at ${size}x${size} ($tokens tokens per image):"
"$bindir/mm-score" "$work/corpus/manifest.jsonl" "$work/out"
