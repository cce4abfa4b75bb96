#!/usr/bin/env bash
# make bench, audio part, in one run: the default audio tokenizer beside codec2 at its
# nearest bitrate (1200 bit/s, through FFmpeg's libcodec2) and Opus at its lowest (6 kbit/s,
# libopus), on real recordings that scripts/fit-audio-tokenizer.sh holds out of the fit:
#   speech: alsa-utils' Rear_Center, Rear_Right, Side_Right and sound-theme-freedesktop's
#           audio-channel-rear-right and audio-channel-side-right (people saying the words)
#   music:  sound-theme-freedesktop's alarm-clock-elapsed, phone-incoming-call and
#           service-login (recorded chimes and melodies)
# Each class is joined into one 16 kHz mono file; every codec's output is heard back as
# mono 16 kHz and measured by tokenize/audio_quality.h (mm-bench-audio metrics): the
# log-spectral distance over 0-8 kHz (wide) and 0-4 kHz (narrow: all that codec2 codes),
# SNR, and loudness. Bits per second: mm's 100 codes x 12 bits, and the .mmt actually
# written; the codecs' files. Speed: mm-tokenize and mm-render on one core (taskset -c 0)
# on a minute of the held-out sound, as multiples of real time, and the tokenizer alone
# in-process (mm-bench-audio codec).
# Usage: scripts/bench-audio.sh BINDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-$root/build/bin}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
alsa=/usr/share/sounds/alsa
fd=/usr/share/sounds/freedesktop/stereo
speech=("$alsa/Rear_Center.wav" "$alsa/Rear_Right.wav" "$alsa/Side_Right.wav" "$fd/audio-channel-rear-right.oga" "$fd/audio-channel-side-right.oga")
music=("$fd/alarm-clock-elapsed.oga" "$fd/phone-incoming-call.oga" "$fd/service-login.oga")

join() {  # join OUTPUT FILE...: 16 kHz mono, one after the other
  local out=$1 i=0 parts=()
  shift
  for f in "$@"; do
    ffmpeg -nostdin -v error -y -i "$f" -ac 1 -ar 16000 -c:a pcm_s16le "$work/part-$i.wav"
    parts+=("$work/part-$i.wav")
    i=$((i + 1))
  done
  sox "${parts[@]}" "$out"
}
join "$work/speech.wav" "${speech[@]}"
join "$work/music.wav" "${music[@]}"

seconds() { soxi -D "$1"; }
metrics() { "$bindir/mm-bench-audio" metrics "$1" "$2" | sed 's/^[^ ]* //'; }
field() { sed -n "s/.*$1=\([-0-9.]*\).*/\1/p"; }

echo "audio bench: held-out real recordings, heard as 16 kHz mono; LSD in dB (lower is better)"
printf '%-7s %-16s %8s %8s %9s %9s %8s %8s\n' class codec tok/s bit/s lsd-wide lsd-narrow snr-dB loud-dB
for class in speech music; do
  ref=$work/$class.wav
  dur=$(seconds "$ref")
  # mm: tokens per second, nominal bits (12 per code) and what the .mmt takes
  "$bindir/mm-tokenize" "$ref" -o "$work/$class.mmt"
  "$bindir/mm-render" "$work/$class.mmt" -o "$work/$class-mm.wav"
  tokens=$("$bindir/mm-inspect" --json "$work/$class.mmt" | python3 -c 'import json,sys; print(sum(s["tokens"] for s in json.load(sys.stdin)["segments"]))')
  m=$(metrics "$ref" "$work/$class-mm.wav")
  printf '%-7s %-16s %8.1f %8.0f %9s %9s %8s %8s\n' "$class" "mm (nominal)" "$(echo "$tokens / $dur" | bc -l)" \
    "$(echo "$tokens * 12 / $dur" | bc -l)" "$(field lsd_wide <<<"$m")" "$(field lsd_narrow <<<"$m")" "$(field snr <<<"$m")" "$(field loudness <<<"$m")"
  printf '%-7s %-16s %8s %8.0f\n' "$class" "mm (.mmt file)" - "$(echo "$(stat -c %s "$work/$class.mmt") * 8 / $dur" | bc -l)"
  # codec2 1200 (8 kHz mono, as codec2 takes) and Opus at its lowest bitrate
  ffmpeg -nostdin -v error -y -i "$ref" -ac 1 -ar 8000 -c:a libcodec2 -mode 1200 "$work/$class.c2"
  ffmpeg -nostdin -v error -y -i "$work/$class.c2" "$work/$class-c2.wav"
  m=$(metrics "$ref" "$work/$class-c2.wav")
  printf '%-7s %-16s %8s %8.0f %9s %9s %8s %8s\n' "$class" "codec2 1200" - "$(echo "$(stat -c %s "$work/$class.c2") * 8 / $dur" | bc -l)" \
    "$(field lsd_wide <<<"$m")" "$(field lsd_narrow <<<"$m")" "$(field snr <<<"$m")" "$(field loudness <<<"$m")"
  ffmpeg -nostdin -v error -y -i "$ref" -ac 1 -c:a libopus -b:a 6000 "$work/$class.ogg"
  ffmpeg -nostdin -v error -y -i "$work/$class.ogg" "$work/$class-opus.wav"
  m=$(metrics "$ref" "$work/$class-opus.wav")
  printf '%-7s %-16s %8s %8.0f %9s %9s %8s %8s\n' "$class" "opus 6k" - "$(echo "$(stat -c %s "$work/$class.ogg") * 8 / $dur" | bc -l)" \
    "$(field lsd_wide <<<"$m")" "$(field lsd_narrow <<<"$m")" "$(field snr <<<"$m")" "$(field loudness <<<"$m")"
done

# Speed: a minute of held-out sound (speech and music, repeated), at 48 kHz as most
# recordings are, on one core; best of 3. Includes decoding, resampling and process start.
reps=()
for _ in $(seq 1 5); do reps+=("$work/speech.wav" "$work/music.wav"); done
sox "${reps[@]}" -r 48000 "$work/minute.wav"
dur=$(seconds "$work/minute.wav")
best_of_3() {
  local best=0
  for _ in 1 2 3; do
    local start end
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    (( best == 0 || end - start < best )) && best=$(( end - start ))
  done
  echo "$best"
}
enc=$(best_of_3 taskset -c 0 "$bindir/mm-tokenize" "$work/minute.wav" -f -o "$work/minute.mmt")
dec=$(best_of_3 taskset -c 0 "$bindir/mm-render" "$work/minute.mmt" -f -o "$work/minute-back.wav")
printf 'audio speed, one core, %.1f s of 48 kHz sound: mm-tokenize %.0fx real time, mm-render %.0fx real time\n' "$dur" \
  "$(echo "$dur * 1000000000 / $enc" | bc -l)" "$(echo "$dur * 1000000000 / $dec" | bc -l)"
taskset -c 0 "$bindir/mm-bench-audio" codec "$root/models/default/audio-env.bin" "$work/minute.wav" |
  sed -n 's/.*encode_x=\([0-9]*\) decode_x=\([0-9]*\).*/audio speed, one core, tokenizer alone at 16 kHz: encode \1x, decode \2x real time/p'
