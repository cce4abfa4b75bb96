#!/usr/bin/env bash
# make bench, text part: BPE encoding speed of mm-tokenize against sentencepiece's
# spm_encode with a BPE model of the same vocabulary size fit on the same corpus, on real
# English (Python's library reference) and real C++ (opencv-doc's samples), neither of
# which either vocabulary was fit on. Both commands run end to end on the same files, best
# of 3, in one run.
# Usage: scripts/bench-text.sh BINDIR WORKDIR
set -euo pipefail
bindir=$(realpath "${1:-build/bin}")
work=${2:-build/bench}
mkdir -p "$work"
work=$(realpath "$work")

find /usr/share/doc/python3.11/html/_sources/library -name '*.txt' | LC_ALL=C sort | xargs cat >"$work/english.txt"
find /usr/share/doc/opencv-doc/examples -name '*.cpp' | LC_ALL=C sort | xargs cat >"$work/cpp.txt"

if [[ ! -f $work/spm-bpe32k.model ]]; then
  { find /usr/share/doc/python3.11/html/_sources -name '*.txt' -not -path '*/_sources/library/*'
    find /usr/share/common-licenses -type f; ls /usr/lib/python3.11/*.py; find /usr/include -maxdepth 1 -name '*.h'
  } | LC_ALL=C sort | xargs cat >"$work/train.txt"
  spm_train --input="$work/train.txt" --model_prefix="$work/spm-bpe32k" --vocab_size=32000 --model_type=bpe \
    --byte_fallback=true --input_sentence_size=2000000 --shuffle_input_sentence=true --max_sentence_length=16384 \
    --num_threads=2 --minloglevel=2 >/dev/null 2>&1
fi

# best_of_3 COMMAND...: the shortest wall time in seconds
best_of_3() {
  local best=
  for _ in 1 2 3; do
    local start end t
    start=$(date +%s%N)
    "$@"
    end=$(date +%s%N)
    t=$(( end - start ))
    [[ -z $best || $t -lt $best ]] && best=$t
  done
  echo "$best"
}
mm_encode() { "$bindir/mm-tokenize" --modality text "$1" >"$work/out.mmt"; }
spm_encode_ids() { spm_encode --model="$work/spm-bpe32k.model" --output_format=id <"$1" >"$work/out.ids"; }

printf '\ntext bench: BPE, 32000 codes, fit on the same corpus; best of 3\n'
printf '%-10s %9s %14s %14s %12s %12s %8s\n' "input" "MB" "mm MB/s" "spm MB/s" "mm tok/B" "spm tok/B" "mm/spm"
for name in english cpp; do
  file=$work/$name.txt
  bytes=$(wc -c <"$file")
  mm_ns=$(best_of_3 mm_encode "$file")
  spm_ns=$(best_of_3 spm_encode_ids "$file")
  mm_tokens=$("$bindir/mm-inspect" --json "$work/out.mmt" | grep -o '"tokens":[0-9]*' | tail -1 | cut -d: -f2)
  spm_tokens=$(wc -w <"$work/out.ids")
  "$bindir/mm-render" "$work/out.mmt" | cmp -s - "$file" || { echo "bench-text: $name did not round-trip" >&2; exit 1; }
  awk -v n="$name" -v b="$bytes" -v m="$mm_ns" -v s="$spm_ns" -v mt="$mm_tokens" -v st="$spm_tokens" 'BEGIN {
    printf "%-10s %9.2f %14.1f %14.1f %12.3f %12.3f %7.2fx\n", n, b/1e6, b/1e6/(m/1e9), b/1e6/(s/1e9), mt/b, st/b, s/m }'
done
echo "(mm round-trips both files byte for byte; spm's default normalisation does not promise that)"
