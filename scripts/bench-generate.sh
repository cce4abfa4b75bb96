#!/usr/bin/env bash
# Generation on a small random bundle (about 24M parameters, the default tokenizers):
# decode ids/s of mm-generate at batch 1, 2 (guidance) and 8 (4 guided samples), and what a
# second conversation turn costs with and without --state, as ratios, in one run.
# Rates are per CPU second of the whole process (the machine may be shared: waiting for a
# core is not counted), with wall-clock rates beside them.
# Usage: scripts/bench-generate.sh BINDIR   (THREADS=N to set the backbone's threads; default 1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "$1" && pwd)
threads=${THREADS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export PATH=$bin:$PATH
cat > bench.json <<'JSON'
{"name": "bench-24m", "backbone": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 8,
  "num_key_value_heads": 4, "intermediate_size": 768, "max_position_embeddings": 8192}}
JSON
mm-bundle init -q --seed 1 --config bench.json --tokenizers "$root/models/default" bundle
export MM_BUNDLE=$work/bundle
params=$(mm-bundle info --json bundle | python3 -c 'import json,sys; print(json.load(sys.stdin)["parameters"])' 2>/dev/null || echo "?")
mm-tokenize --role user --text "A red circle above a blue square, on a white background." -o prompt.mmt

# ids/s of the decode loop as mm-generate -v reports it (forced row breaks included): "WALL CPU"
rate() {
  mm-generate -v --threads "$threads" --seed 1 --only-new "$@" prompt.mmt 2>&1 >/dev/null |
    sed -E 's/.*: ([0-9.]+) ids\/s, ([0-9.]+) ids per CPU second$/\1 \2/'
}
echo "generate bench: random bundle of $params parameters, $threads threads; an image of 48x16 codes with the default image tokenizer"
read -r w1 c1 <<<"$(rate --image 48x16 --cfg 1)"
read -r w2 c2 <<<"$(rate --image 48x16 --cfg 3)"
read -r w8 c8 <<<"$(rate --image 48x16 --cfg 3 -n 4)"
# ids: generated ids over all samples; row-ids: ids run through the backbone over all rows
printf '%-40s %6s %14s %12s %16s\n' "" "rows" "ids/CPU s" "ids/s" "row-ids/CPU s"
printf '%-40s %6d %14.1f %12.1f %16.1f\n' "batch 1 (one sample, no guidance)" 1 "$c1" "$w1" "$c1"
printf '%-40s %6d %14.1f %12.1f %16.1f\n' "batch 2 (one sample with guidance)" 2 "$c2" "$w2" "$(python3 -c "print(2 * $c2)")"
printf '%-40s %6d %14.1f %12.1f %16.1f\n' "batch 8 (4 samples with guidance)" 8 "$c8" "$w8" "$(python3 -c "print(2 * $c8)")"
python3 -c "print('%-40s %6s %14s %12s %15.2fx' % ('row-ids per CPU s, batch 2 / batch 1', '', '', '', 2 * $c2 / $c1))"
python3 -c "print('%-40s %6s %14s %12s %15.2fx' % ('row-ids per CPU s, batch 8 / batch 1', '', '', '', 2 * $c8 / $c1))"

# a second turn about a long document: with the first turn's state, only its own ids run
head -c 8000 /usr/share/common-licenses/GPL-3 | mm-tokenize --role user -o doc.mmt
describe() { mm-describe --threads "$threads" --seed 1 --max-tokens 24 --json "$@"; }
describe doc.mmt -p "What is this about?" --save-state t1.state --conversation t1.mmt > turn1.json
timed() {  # prints the wall seconds, the JSON to $1
  local out=$1
  shift
  local start end
  start=$(date +%s.%N)
  describe "$@" > "$out"
  end=$(date +%s.%N)
  python3 -c "print($end - $start)"
}
wall_without=$(timed without.json t1.mmt -p "Who may copy it?")
wall_with=$(timed with.json t1.mmt -p "Who may copy it?" --state t1.state)
python3 - "$wall_without" "$wall_with" <<'PY'
import json, sys
wo, w = json.load(open("without.json")), json.load(open("with.json"))
wall_wo, wall_w = float(sys.argv[1]), float(sys.argv[2])
print("second turn of mm-describe after a %d-id first turn (8 kB of the GPL)" % w["tokens"]["cached"])
print("%-20s %14s %14s %14s %14s" % ("", "prefilled ids", "prefill CPU s", "prefill s", "process s"))
print("%-20s %14d %14.3f %14.3f %14.2f" % ("without --state", wo["tokens"]["prefilled"], wo["cpu_seconds"]["prefill"],
      wo["seconds"]["prefill"], wall_wo))
print("%-20s %14d %14.3f %14.3f %14.2f" % ("with --state", w["tokens"]["prefilled"], w["cpu_seconds"]["prefill"],
      w["seconds"]["prefill"], wall_w))
print("%-20s %13.1fx %13.1fx %13.1fx %13.2fx" % ("without / with", wo["tokens"]["prefilled"] / w["tokens"]["prefilled"],
      wo["cpu_seconds"]["prefill"] / w["cpu_seconds"]["prefill"], wo["seconds"]["prefill"] / w["seconds"]["prefill"],
      wall_wo / wall_w))
print("same answer with and without the state:", "yes" if w["answer"] == wo["answer"] else "NO")
PY
