#!/usr/bin/env bash
# Reproduces models/default/image-vq.bin, the default image and video codebook, from real
# photos that Debian's opencv-doc ships (scripts/setup.sh installs it). Held out, never fit
# on, for `make bench` (scripts/bench-image.sh): the photos listed in HELD_OUT below.
# Near-duplicate pairs (aloeL/aloeR, leuvenA/leuvenB, left/right, ...) contribute one
# photo each, so the held-out set has no twin in the fit.
# Usage: scripts/fit-image-tokenizer.sh [BINDIR] [OUTPUT]
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
# Each photo at four scales: the codebook sees detail as dense as small images have and as
# smooth as large ones. 8-pixel patches, chroma averaged over 2x2, 3 residual levels of
# 4096 codes, 200000 patches, seed 1: the same photos give the same bytes.
"$bindir/mm-fit-vq" -v --size 256 --size 384 --size 512 --size 768 --patch 8 --chroma-block 2 --levels 3 \
  --codes 4096 --samples 200000 --iterations 6 --seed 1 -f -o "$output" "${files[@]}"
