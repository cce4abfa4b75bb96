#!/usr/bin/env bash
# Reproduces models/default/image-vq.bin, the default image and video codebook, from real
# photos that Debian's opencv-doc ships (scripts/setup.sh installs it). Held out, never fit
# on, for `make bench` (scripts/bench-image.sh): the photos listed in HELD_OUT below.
# Near-duplicate pairs (aloeL/aloeR, leuvenA/leuvenB, left/right, ...) contribute one
# photo each, so the held-out set has no twin in the fit.
# Usage: scripts/fit-image-tokenizer.sh [BINDIR] [OUTPUT]
#   WORLD_SCENES=0 ...: photos alone (the default, 3000, also fits the default model's world; below)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=${1:-$root/build/bin}
output=${2:-$root/models/default/image-vq.bin}
data=/usr/share/doc/opencv-doc/examples/data
# The held-out photos: scripts/bench-image.sh reads this line.
HELD_OUT="baboon.jpg fruits.jpg home.jpg messi5.jpg butterfly.jpg squirrel_cls.jpg building.jpg pca_test1.jpg"
FIT="aero1.jpg aero3.jpg aloeL.jpg apple.jpg blox.jpg board.jpg ela_original.jpg leuvenA.jpg left.jpg
  licenseplate_motion.jpg orange.jpg starry_night.jpg stuff.jpg text_defocus.jpg graf1.png rubberwhale1.png
  smarties.png HappyFish.jpg Blender_Suzanne1.jpg basketball1.png"
files=()
for f in $FIT; do
  for h in $HELD_OUT; do [[ $f != "$h" ]] || { echo "fit-image-tokenizer: $f is held out" >&2; exit 1; }; done
  files+=("$data/$f")
done
# With WORLD_SCENES=N, N of the world's scenes (seed 2: neither the held-out seed 0 nor the
# training seed 1) join the fit at the 64 pixels the default model codes them at, unscaled.
# Photos' varied patches take the codes if the scenes are merely mixed in (at 48% and 71% of
# the patches, 0.71 of 100 held-out scenes survived one level), so 2560 of the first level's
# 4096 codes are fit on the scenes' patches alone, the rest on every patch. With N=3000 and
# --samples 400000 (every patch): held-out scenes through one level pass mm-score 0.93
# (images) and 0.97 (videos) against 0.17 and 0.15 for photos only (2048 codes apart: 0.90,
# 3072: 0.97), and held-out photos lose 0.57, 0.26 and 0.13 dB at one, two and three levels.
# The default model is trained on this codebook (scripts/train-default.sh).
world_scenes=${WORLD_SCENES:-3000}
samples=200000
own=()
if ((world_scenes > 0)); then
  world=$(mktemp -d "${TMPDIR:-/tmp}/mm-fit-world-XXXXXX")
  trap 'rm -rf "$world"' EXIT
  "$bindir/mm-world" --split train --seed 2 --count "$world_scenes" --size 64 --tasks draw_code -q "$world/scenes"
  for f in "$world"/scenes/s2-*/image.png; do own+=(--own-size "$f"); done  # s2-000000 ...: one order
  own+=(--own-size-codes 2560)
  samples=400000
fi
# Each photo at four scales: the codebook sees detail as dense as small images have and as
# smooth as large ones. 8-pixel patches, chroma averaged over 2x2, 3 residual levels of
# 4096 codes, 200000 patches (with the world: every one), seed 1: the same photos give the same bytes.
"$bindir/mm-fit-vq" -v --size 256 --size 384 --size 512 --size 768 --patch 8 --chroma-block 2 --levels 3 \
  --codes 4096 --samples "$samples" --iterations 6 --seed 1 -f -o "$output" "${files[@]}" "${own[@]}"
