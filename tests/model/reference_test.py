"""The backbone against an independent reference (scripts/reference_llama.py): bundles
made by mm-bundle init with small configs covering grouped-query attention, both kinds of
QK normalisation, tied and untied heads and sharded bf16 weights; the logits of the
training forward, the cache path (prefill + steps), a batch of rows of different lengths
and a saved-and-loaded state must all equal the reference's within float32 tolerance.
Usage: /usr/bin/python3 reference_test.py BINDIR   (exit 77: skipped)"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: /usr/bin/python3 lacks torch or numpy ({e}); apt-get install python3-torch python3-numpy")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
from reference_llama import Reference  # noqa: E402

BIN = sys.argv[1]
torch.manual_seed(0)

CASES = [
    # name, backbone, init options, dtype run
    ("gqa-rmsnorm-untied", {"num_attention_heads": 4, "num_key_value_heads": 2, "qk_norm": "rmsnorm"}, [], "f32"),
    ("mha-layernorm-tied", {"num_attention_heads": 4, "qk_norm": "layernorm", "tie_word_embeddings": True}, [], "f32"),
    ("mqa-none-theta", {"num_attention_heads": 8, "num_key_value_heads": 1, "rope_theta": 500000.0}, ["--shards", "3"], "f32"),
    ("gqa-bf16-weights", {"num_attention_heads": 4, "num_key_value_heads": 2, "qk_norm": "rmsnorm"}, ["--dtype", "bf16"], "f32"),
    # A prompt longer than the blocks in which a prefill's queries attend (64).
    ("gqa-long-prompt", {"num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 192}, [], "f32"),
]
# ids and how many of them the prefill takes; the rest are decoded one by one.
LENGTHS = {"gqa-long-prompt": (150, 141)}

failures = 0


def compare(what, ours, theirs, atol=2e-5, rtol=1e-4):
    global failures
    diff = np.max(np.abs(ours - theirs))
    scale = np.max(np.abs(theirs))
    ok = np.allclose(ours, theirs, atol=atol, rtol=rtol)
    print(f"  {what}: max |diff| {diff:.3g} (logits up to {scale:.3g}) {'ok' if ok else 'FAIL'}")
    if not ok:
        failures += 1


with tempfile.TemporaryDirectory() as tmp:
    for name, overrides, init_options, dtype in CASES:
        backbone = {
            "vocab_size": 97,
            "hidden_size": 64,
            "num_hidden_layers": 3,
            "intermediate_size": 96,
            "max_position_embeddings": 64,
        }
        backbone.update(overrides)
        config_path = os.path.join(tmp, name + ".json")
        with open(config_path, "w") as f:
            json.dump({"name": name, "backbone": backbone}, f)
        bundle = os.path.join(tmp, name)
        subprocess.run([os.path.join(BIN, "mm-bundle"), "init", "-q", "--seed", "7", "--config", config_path, bundle]
                       + init_options, check=True)
        length, split = LENGTHS.get(name, (19, 11))
        ids = torch.randint(0, backbone["vocab_size"], (length,)).tolist()
        out = os.path.join(tmp, name + ".out")
        os.makedirs(out)
        subprocess.run([os.path.join(BIN, "mm-model-probe"), bundle, out, dtype, str(split)] + [str(i) for i in ids],
                       check=True)
        V, T = backbone["vocab_size"], len(ids)
        load = lambda f: np.fromfile(os.path.join(out, f), dtype=np.float32).reshape(-1, V)

        ref = Reference(bundle)
        with torch.no_grad():
            full = ref.forward(torch.tensor([ids])).numpy()[0]  # [T, V]
            # the reference's own cache path must agree with its full forward, too
            cache = ref.new_cache(1, T)
            steps = [ref.forward(torch.tensor([ids[:split]]), cache)[0, -1]]
            for i in range(split, T):
                steps.append(ref.forward(torch.tensor([[ids[i]]]), cache)[0, -1])
            ref_cached = torch.stack(steps).numpy()
        print(f"{name}: {backbone}")
        compare("reference cache path vs reference forward", ref_cached, full[split - 1 :])
        compare("forward (training path) vs reference", load("forward.f32"), full)
        compare("prefill + steps vs reference", load("cached.f32"), full[split - 1 :])
        batch = load("batch.f32").reshape(T - split, 2, V)
        compare("batch row 0 vs reference", batch[:, 0], full[split:])
        compare("batch row 1 (one id behind) vs reference", batch[:, 1], full[split - 1 : T - 1])
        equal = load("equal.f32").reshape(T - split, 3, V)
        for r in range(3):
            compare(f"equal-length batch row {r} vs reference", equal[:, r], full[split:])
        compare("steps after save_state/load_state vs reference", load("state.f32"), full[split:])

print("FAIL" if failures else "all equal within float32 tolerance")
sys.exit(1 if failures else 0)
