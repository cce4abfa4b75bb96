#!/usr/bin/env bash
# make bench, backbone part: on the CPU, a bundle of about 25M parameters made by
# mm-bundle init (8 layers, width 384, 6 heads over 2 key/value heads, RMS QK-norm, a
# 16k vocabulary, untied head), run by mm's backbone (mm-bench-backbone) and by the Python
# reference in eager PyTorch (scripts/reference_llama.py) with the same threads, f32 and
# bf16 weights: prefill and decode tokens per second of CPU time (the machine may be shared;
# waiting for a core is not counted) at batch 1 and 8, each the best of 3, peak memory beside
# weights + KV cache, and the ratios.
# Usage: scripts/bench-model.sh BINDIR WORKDIR   (THREADS=N, default 1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bindir=$(realpath "${1:-build/bin}")
work=${2:-build/bench}
threads=${THREADS:-1}
prompt=256 steps=64
mkdir -p "$work"
work=$(realpath "$work")
if ! /usr/bin/python3 -c 'import torch, numpy' 2>/dev/null; then
  echo "bench-model: skipped (/usr/bin/python3 lacks torch or numpy)"
  exit 0
fi

cat >"$work/model-25m.json" <<'JSON'
{"name": "bench-25m", "backbone": {"vocab_size": 16384, "hidden_size": 384, "num_hidden_layers": 8,
 "num_attention_heads": 6, "num_key_value_heads": 2, "intermediate_size": 1024,
 "max_position_embeddings": 1024, "qk_norm": "rmsnorm"}}
JSON
for dtype in f32 bf16; do
  [[ -f $work/model-25m-$dtype/config.json ]] ||
    "$bindir/mm-bundle" init -q --seed 1 --dtype "$dtype" --config "$work/model-25m.json" "$work/model-25m-$dtype"
done

echo "backbone on the CPU, $threads thread(s), tokens per CPU second: prompt $prompt ids, $steps decode steps; mm / Python eager reference"
for dtype in f32 bf16; do
  bundle=$work/model-25m-$dtype
  ours=$("$bindir/mm-bench-backbone" "$bundle" "$threads" $prompt $steps $dtype)
  theirs=$(/usr/bin/python3 "$root/scripts/bench_reference.py" "$bundle" "$threads" $prompt $steps $dtype)
  /usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
mib = lambda n: n / 2**20
print(f"  {a['dtype']} weights, {a['parameters'] / 1e6:.1f}M parameters:")
for key, name in (("prefill_tps", "prefill"), ("decode1_tps", "decode, batch 1"), ("decode8_tps", "decode, batch 8")):
    print(f"    {name:16} {a[key]:9.1f} tok/s  reference {b[key]:9.1f} tok/s  ratio {a[key] / b[key]:.2f}x"
          + ("  (target >= 1.5x)" if key != "prefill_tps" else ""))
need = a["weight_bytes"] + a["kv_bytes"]
grown = a["peak_rss"] - a["rss_before_load"]
print(f"    peak memory      {mib(a['peak_rss']):7.1f} MiB  reference {mib(b['peak_rss']):7.1f} MiB  ratio {a['peak_rss'] / b['peak_rss']:.2f}x")
print(f"      weights {mib(a['weight_bytes']):.1f} MiB + KV cache {mib(a['kv_bytes']):.1f} MiB = {mib(need):.1f} MiB; "
      f"peak {a['peak_rss'] / need:.2f}x of that, {grown / need:.2f}x counting only the growth over the "
      f"{mib(a['rss_before_load']):.1f} MiB the process holds before loading the bundle (libtorch itself); target <= 1.25x")
PY
done
