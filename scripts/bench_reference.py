"""The Python reference (scripts/reference_llama.py, eager PyTorch) run the way
mm-bench-backbone runs the backbone: prefill tokens/s, decode tokens/s at batch 1 and 8,
peak memory. Prints one JSON object.
Usage: /usr/bin/python3 bench_reference.py BUNDLE THREADS [PROMPT STEPS [DTYPE]]"""

import json
import os
import resource
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference_llama import Reference  # noqa: E402

bundle, threads = sys.argv[1], int(sys.argv[2])
prompt = int(sys.argv[3]) if len(sys.argv) > 3 else 256
steps = int(sys.argv[4]) if len(sys.argv) > 4 else 64
dtype = sys.argv[5] if len(sys.argv) > 5 else "f32"
torch.set_num_threads(threads)
batch, capacity = 8, prompt + steps

ref = Reference(bundle, {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}[dtype])
V = ref.w["model.embed_tokens.weight"].shape[0]
ids = torch.randint(0, V, (capacity,), generator=torch.Generator().manual_seed(1))

with torch.inference_mode():
    ref.forward(ids[None, :16], ref.new_cache(1, capacity))  # warm-up

    # Each phase runs three times and keeps its fastest run, in CPU time, as mm-bench-backbone does.
    prefill_s = decode1_s = decode8_s = float("inf")
    for _ in range(3):
        cache = ref.new_cache(1, capacity)
        t0 = time.process_time()
        ref.forward(ids[None, :prompt], cache)
        prefill_s = min(prefill_s, time.process_time() - t0)
        t0 = time.process_time()
        for i in range(steps):
            ref.forward(ids[None, prompt + i : prompt + i + 1], cache)
        decode1_s = min(decode1_s, time.process_time() - t0)

        cache = ref.new_cache(batch, capacity)
        ref.forward(ids[None, :prompt].expand(batch, prompt), cache)
        t0 = time.process_time()
        for i in range(steps):
            ref.forward(ids[None, prompt + i : prompt + i + 1].expand(batch, 1), cache)
        decode8_s = min(decode8_s, time.process_time() - t0)

print(json.dumps({
    "dtype": dtype,
    "threads": threads,
    "prefill_tps": prompt / prefill_s,
    "decode1_tps": steps / decode1_s,
    "decode8_tps": steps * batch / decode8_s,
    "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
