#!/usr/bin/env bash
# Reproduces models/default/audio-env.bin, the default audio tokenizer's codebooks, from
# sound that Debian packages ship or make: espeak-ng speaking Debian's licence texts in
# several voices and pitches, alsa-utils' and sound-theme-freedesktop's real recordings
# (speech, chimes, bells, noise), and music-like signals sox synthesises (plucked and
# bowed-like notes, chords, drums, noises). Held out for `make bench` (never fit on):
# alsa's Rear_Center, Rear_Right and Side_Right, freedesktop's audio-channel-rear-right,
# audio-channel-side-right, alarm-clock-elapsed, phone-incoming-call and service-login.
# Deterministic: the same packages give byte-identical codebooks.
# Usage: scripts/fit-audio-tokenizer.sh [BINDIR] [OUTPUT]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=${1:-$root/build/bin}
output=${2:-$root/models/default/audio-env.bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Speech: each voice reads a different stretch of text, at its own pitch.
text=/usr/share/common-licenses/GPL-3
i=0
for voice in en en-us en-gb-scotland en-gb-x-rp en-029 en-gb-x-gbclan en-us+f2 en+f3 en-gb+f4 en+m3 en-us+m7 en+klatt; do
  pitch=$((30 + (i * 7) % 40))
  speed=$((150 + (i * 13) % 60))
  sed -n "$((40 + i * 25)),$((64 + i * 25))p" "$text" >"$work/text-$i.txt"
  espeak-ng -v "$voice" -p "$pitch" -s "$speed" -f "$work/text-$i.txt" -w "$work/speech-$i.wav"
  i=$((i + 1))
done

# Music-like: notes of several timbres over a seeded melody, chords, a drum pattern, noises.
notes=(C3 D3 E3 G3 A3 C4 D4 E4 G4 A4 C5 E5)
for timbre in pluck sine square triangle sawtooth trapezium; do
  args=()
  for n in $(seq 0 23); do args+=("|sox -R -n -p synth 0.25 $timbre ${notes[$(((n * 7 + ${#timbre}) % 12))]} fade 0 0.25 0.05"); done
  sox -R -V1 "${args[@]}" -r 16000 "$work/melody-$timbre.wav"
done
sox -R -V1 -n -r 16000 "$work/chords.wav" synth 3 pluck C3 pluck E3 pluck G3 pluck C4 : synth 3 pluck A2 pluck E3 pluck A3 pluck C4 : synth 3 sine F3 sine A3 sine C4 tremolo 5 40 : synth 3 square G2 square D3 square G3 gain -12 lowpass 2000
sox -R -V1 -n -r 16000 "$work/drums.wav" synth 0.12 brownnoise fade 0 0.12 0.1 : synth 0.12 whitenoise fade 0 0.12 0.11 highpass 3000 : synth 0.25 sine 60 fade 0 0.25 0.2 repeat 15
sox -R -V1 -n -r 16000 "$work/noises.wav" synth 3 whitenoise gain -20 : synth 3 pinknoise gain -10 : synth 3 brownnoise gain -6 : synth 3 sine 200-4000 gain -8
# Chimes and bells: inharmonic partials from 200 Hz to 7 kHz, decaying (seeded by the loop).
args=()
for n in $(seq 0 59); do
  f=$((200 + (n * 977) % 6000))
  args+=("|sox -R -n -p synth 0.6 sine $f sine $((f * 276 / 100 % 7600 + 100)) sine $((f * 54 / 10 % 7800 + 100)) remix - fade 0 0.6 0.55 gain -$((n % 4 * 6 + 3))")
done
sox -R -V1 "${args[@]}" -r 16000 "$work/chimes.wav"
sox -R -V1 -n -r 16000 "$work/organ.wav" synth 6 sine 220 sine 330 sine 440 sine 660 remix 1-4 tremolo 6 30 gain -6

{
  ls "$work"/*.wav
  for f in Front_Center Front_Left Front_Right Rear_Left Side_Left Noise; do echo "/usr/share/sounds/alsa/$f.wav"; done
  find /usr/share/sounds/freedesktop/stereo -name '*.oga' -type f \
    ! -name audio-channel-rear-right.oga ! -name audio-channel-side-right.oga \
    ! -name alarm-clock-elapsed.oga ! -name phone-incoming-call.oga ! -name service-login.oga
} | LC_ALL=C sort >"$work/list"
echo "fit-audio-tokenizer: $(wc -l <"$work/list") recordings" >&2
xargs "$bindir/mm-fit-audio" -v --seed 1 -f -o "$output" <"$work/list"
