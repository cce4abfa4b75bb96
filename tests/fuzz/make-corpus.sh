#!/usr/bin/env bash
# Seeds the fuzz corpora: valid streams of every record type, and truncated, bit-flipped,
# concatenated and mixed-tokenizer variants. Re-run after a format change; libFuzzer adds
# its own finds beside these (make fuzz).
# Usage: tests/fuzz/make-corpus.sh [BINDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bindir=${1:-$here/../../build/bin}
pack() { "$bindir/mm-inspect" --pack -f -o "$1"; }
reader=$here/corpus/reader
texts=$here/corpus/pack
mkdir -p "$reader" "$texts"

cat >"$texts/seed-text.txt" <<'TXT'
stream 1.0 level=3
segment {"modality":"text","role":"user","source":"hello.txt","tokenizer":"bytes","vocab_size":256}
tokens 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32 104 101 108 108 111 32
tokens 33
segment-end
end
TXT
cat >"$texts/seed-all-records.txt" <<'TXT'
stream 1.0 level=1
tensor state.k bf16 2x2 0000803f00000040
segment {"modality":"image","grid":[2,2],"tokenizer":"vq-8k","vocab_size":8192}
tokens 8191 0 17 17
tensor embedding f32 2 0000803f00000040
segment-end
record 200 7 0102030405
segment {"modality":"video","grid":[1,1],"frames":2,"fps":25,"tokenizer":"vq-8k-v","vocab_size":70000}
tokens 69999 1
segment-end
segment {"modality":"audio","sample_rate":24000,"tokenizer":"mdct","vocab_size":16777217}
tokens 16777216 0 5
segment-end
segment {"modality":"code","language":"c++","tokenizer":"bytes-c","vocab_size":4294967296}
tokens 4294967295
segment-end
end
stream 1.0 level=19
end
TXT
printf 'stream 1.0\nend\n' >"$texts/seed-empty.txt"

for t in "$texts"/seed-*.txt; do pack "$reader/$(basename "${t%.txt}").mmt" <"$t"; done
cat "$reader/seed-text.mmt" "$reader/seed-all-records.mmt" >"$reader/seed-concatenated.mmt"
sed 's/"bytes"/"other"/' "$texts/seed-text.txt" | pack "$reader/seed-other-tokenizer.mmt"
cat "$reader/seed-text.mmt" "$reader/seed-other-tokenizer.mmt" >"$reader/seed-mixed-tokenizers.mmt"

src=$reader/seed-all-records.mmt
size=$(wc -c <"$src")
for n in 0 7 15 16 30 39 100 $((size / 2)) $((size - 1)); do
  head -c "$n" "$src" >"$reader/cut-$n.mmt"
done
for at in 3 10 12 17 20 35 60 $((size / 2)) $((size - 5)); do
  cp "$src" "$reader/flip-$at.mmt"
  byte=$(od -An -tu1 -j "$at" -N1 "$src" | tr -d ' ')
  printf "$(printf '\\%03o' $((byte ^ 0x10)))" | dd of="$reader/flip-$at.mmt" bs=1 seek="$at" conv=notrunc status=none
done
printf 'garbage' | cat "$reader/seed-text.mmt" - >"$reader/trailing-garbage.mmt"
echo "corpus: $(ls "$reader" | wc -l) streams, $(ls "$texts" | wc -l) texts"
