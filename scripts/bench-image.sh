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
# best_of_3 COMMAND...: "WALL CPU", each the least of 3 runs in seconds (CPU: user + system
# of the command and its threads; the machine is shared, so both are shown)
best_of_3() {
  local wall= cpu=
  for _ in 1 2 3; do
    local out
    out=$(/usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1)
    read -r w u s <<<"$out"
    wall=$(awk -v a="$wall" -v b="$w" 'BEGIN { print (a == "" || b < a) ? b : a }')
    cpu=$(awk -v a="$cpu" -v b="$u" -v c="$s" 'BEGIN { t = b + c; print (a == "" || t < a) ? t : a }')
  done
  echo "$wall $cpu"
}
once() {
  local out
  out=$(/usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1)
  read -r w u s <<<"$out"
  echo "$w $(awk -v b="$u" -v c="$s" 'BEGIN { print b + c }')"
}
ffmpeg_run=(ffmpeg -nostdin -loglevel error -threads 0 -i "$video" -vf fps=4,scale=256:256 -f null -)
mm_run=("$bindir/mm-tokenize" --no-audio --fps 4 --size 256x256 "$video")
frames=$("$bindir/mm-tokenize" --no-audio -v --fps 4 --size 256x256 "$video" 2>&1 >/dev/null |
  sed -n 's/.*: \([0-9]*\) frames in.*/\1/p')
reuse=$("$bindir/mm-tokenize" --no-audio -v --fps 4 --size 256x256 "$video" 2>&1 >/dev/null |
  sed -n 's/.* \([0-9]*\) of \([0-9]*\) patches kept.*/\1 \2/p')
t_ffmpeg=$(best_of_3 "${ffmpeg_run[@]}")
t_default=$(best_of_3 "${mm_run[@]}")
t_three=$(best_of_3 "${mm_run[@]}" --levels 3)
t_search=$(once "${mm_run[@]}" --reuse-below -1)  # slow: once is enough
echo
echo "video bench: vtest.avi (768x576, 795 frames, 79.5 s) -> $frames frames at 4 fps, 256x256; best of 3"
awk -v f="$frames" -v a="$t_ffmpeg" -v b="$t_default" -v c="$t_three" -v d="$t_search" -v r="$reuse" 'BEGIN {
  split(a, A, " "); split(b, B, " "); split(c, C, " "); split(d, D, " "); split(r, u, " ")
  printf "%-52s %7s %9s %8s %7s %8s\n", "command", "wall s", "frames/s", "/ ffmpeg", "CPU s", "/ ffmpeg"
  printf "%-52s %7.2f %9.1f %8s %7.2f %8s\n", "ffmpeg -vf fps=4,scale=256:256 -f null -", A[1], f / A[1], "1.00x", A[2], "1.00x"
  printf "%-52s %7.2f %9.1f %7.2fx %7.2f %7.2fx\n", "mm-tokenize --fps 4 --size 256x256 (1 level: default)", B[1], f / B[1], B[1] / A[1], B[2], B[2] / A[2]
  printf "%-52s %7.2f %9.1f %7.2fx %7.2f %7.2fx\n", "mm-tokenize ... --levels 3", C[1], f / C[1], C[1] / A[1], C[2], C[2] / A[2]
  printf "%-52s %7.2f %9.1f %7.2fx %7.2f %7.2fx\n", "mm-tokenize ... --reuse-below -1 (every patch; once)", D[1], f / D[1], D[1] / A[1], D[2], D[2] / A[2]
  if (u[2] > 0) printf "still patches: %d of %d (%.1f%%) kept the codes of the frame before (--reuse-below 4)\n", u[1], u[2], 100 * u[1] / u[2]
}'
