#!/usr/bin/env bash
# make bench, image and video part, in one run:
#  - images: the default codebook's PSNR and SSIM against codes per image (and bits per
#    pixel) at 1, 2 and 3 residual levels, on the 8 opencv-doc photos that
#    scripts/fit-image-tokenizer.sh holds out of the fit, beside JPEG through FFmpeg at the
#    same bits per pixel (mm-bench-image);
#  - video: frames per second of mm-tokenize on a real video (opencv-doc's vtest.avi,
#    768x576, 795 frames) at 256x256 and 4 fps against `ffmpeg -vf fps=4,scale=256:256
#    -f null -` on the same file (decoding is the floor), best of 3 each, as a ratio.
# Usage: scripts/bench-image.sh BINDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-$root/build/bin}")
data=/usr/share/doc/opencv-doc/examples/data
held_out=$(sed -n 's/^HELD_OUT="\(.*\)"$/\1/p' "$root/scripts/fit-image-tokenizer.sh")
photos=()
for f in $held_out; do photos+=("$data/$f"); done
"$bindir/mm-bench-image" "$root/models/default/image-vq.bin" 256 "${photos[@]}"

video=$data/vtest.avi
best_of_3() {  # best_of_3 COMMAND...: the shortest wall time in nanoseconds
  local best=
  for _ in 1 2 3; do
    local start end
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    (( best == 0 || end - start < best )) && best=$(( end - start ))
  done
  echo "$best"
}
once() {
  local start end
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  echo $(( end - start ))
}
ffmpeg_run() { ffmpeg -nostdin -loglevel error -threads 0 -i "$video" -vf fps=4,scale=256:256 -f null -; }
mm_run() { "$bindir/mm-tokenize" --no-audio --fps 4 --size 256x256 "$@" "$video" >/dev/null; }
frames=$("$bindir/mm-tokenize" --no-audio -v --fps 4 --size 256x256 "$video" 2>&1 >/dev/null |
  sed -n 's/.*: \([0-9]*\) frames in.*/\1/p')
reuse=$("$bindir/mm-tokenize" --no-audio -v --fps 4 --size 256x256 "$video" 2>&1 >/dev/null |
  sed -n 's/.* \([0-9]*\) of \([0-9]*\) patches kept.*/\1 \2/p')
t_ffmpeg=$(best_of_3 ffmpeg_run)
t_default=$(best_of_3 mm_run)
t_one=$(best_of_3 mm_run --levels 1)
t_search=$(once mm_run --reuse-below -1)  # slow: once is enough
echo
echo "video bench: vtest.avi (768x576, 795 frames, 79.5 s) -> $frames frames at 4 fps, 256x256; best of 3"
awk -v f="$frames" -v a="$t_ffmpeg" -v b="$t_default" -v c="$t_one" -v d="$t_search" -v r="$reuse" 'BEGIN {
  split(r, u, " ")
  printf "%-52s %8s %10s %9s\n", "command", "seconds", "frames/s", "/ ffmpeg"
  printf "%-52s %8.2f %10.1f %9s\n", "ffmpeg -vf fps=4,scale=256:256 -f null -", a / 1e9, f / (a / 1e9), "1.00x"
  printf "%-52s %8.2f %10.1f %8.2fx\n", "mm-tokenize --fps 4 --size 256x256 (3 levels)", b / 1e9, f / (b / 1e9), b / a
  printf "%-52s %8.2f %10.1f %8.2fx\n", "mm-tokenize ... --levels 1", c / 1e9, f / (c / 1e9), c / a
  printf "%-52s %8.2f %10.1f %8.2fx\n", "mm-tokenize ... --reuse-below -1 (every patch; once)", d / 1e9, f / (d / 1e9), d / a
  if (u[2] > 0) printf "still patches: %d of %d (%.1f%%) kept the codes of the frame before (--reuse-below 4)\n", u[1], u[2], 100 * u[1] / u[2]
}'
