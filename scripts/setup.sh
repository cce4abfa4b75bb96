#!/usr/bin/env bash
# Installs the Debian 12 packages mm needs, and nothing when all are present.
# Usage: scripts/setup.sh [--check]   (--check: list what is missing, exit 1 if anything is)
set -euo pipefail

packages=(
  # build
  cmake make g++ pkg-config ccache clang libclang-rt-14-dev
  # core libraries
  libcli11-dev libfmt-dev libzstd-dev zstd libxxhash-dev nlohmann-json3-dev doctest-dev
  # media
  libpng-dev libsndfile1-dev libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
  libswresample-dev ffmpeg
  # text tokenizers (PCRE2: the pre-tokenizer patterns of real checkpoints need lookahead)
  libpcre2-dev libsentencepiece-dev sentencepiece
  # the backbone; without an optimised BLAS libtorch on the CPU is about 20x slower
  libtorch-dev libopenblas0-openmp
  # reference checks and fixtures: real photos, videos and C++ (opencv-doc), English prose
  # and Python (python3.11-doc), speech and sound (espeak-ng, sox, alsa-utils;
  # sound-theme-freedesktop: real recorded chimes and bells for the audio tokenizer)
  python3-torch python3-numpy espeak-ng sox alsa-utils opencv-doc python3.11-doc sound-theme-freedesktop
  # benchmarks (time -v for peak memory)
  time
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$p")
done

if [[ ${1:-} == --check ]]; then
  ((${#missing[@]} == 0)) && exit 0
  printf '%s\n' "${missing[@]}"
  exit 1
fi

((${#missing[@]} == 0)) && exit 0

sudo=()
if [[ $(id -u) != 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
