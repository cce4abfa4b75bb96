"""An independent reference for mm's backbone: the same Llama-family decoder written in
eager PyTorch the way Hugging Face's modeling code writes it (repeat_kv, rotate_half,
RMSNorm in float32), reading a bundle's config.json and safetensors by hand (json + numpy;
Debian has no safetensors package). Used by tests/model/reference_test.py (logits) and by
scripts/bench-model.sh (speed). Run with /usr/bin/python3 (Debian's torch and numpy)."""

import json
import os
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "F16": np.float16, "BF16": "bf16"}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        kind = DTYPES[entry["dtype"]]
        if kind == "bf16":  # numpy has no bfloat16: widen the 16 bits to float32's top half
            bits = np.frombuffer(data[begin:end], dtype="<u2").astype(np.uint32) << 16
            array = bits.view(np.float32)
        else:
            array = np.frombuffer(data[begin:end], dtype=kind).astype(np.float32)
        out[name] = torch.from_numpy(array.reshape(entry["shape"]).copy())
    return out


def load_bundle(directory):
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    weights_name = config.get("weights", "model.safetensors")
    path = os.path.join(directory, weights_name)
    tensors = {}
    if weights_name.endswith(".index.json"):
        with open(path) as f:
            files = sorted(set(json.load(f)["weight_map"].values()))
        for name in files:
            tensors.update(read_safetensors(os.path.join(directory, name)))
    else:
        tensors = read_safetensors(path)
    return config["backbone"], tensors


class Reference:
    def __init__(self, directory, dtype=torch.float32):
        c, w = load_bundle(directory)
        self.w = {k: v.to(dtype) for k, v in w.items()}
        self.dtype = dtype
        self.hidden = c["hidden_size"]
        self.layers = c["num_hidden_layers"]
        self.heads = c["num_attention_heads"]
        self.kv_heads = c.get("num_key_value_heads", self.heads)
        self.head_dim = self.hidden // self.heads
        self.eps = c.get("rms_norm_eps", 1e-5)
        self.theta = c.get("rope_theta", 10000.0)
        self.qk_norm = c.get("qk_norm", "none")
        self.tied = c.get("tie_word_embeddings", False)
        d = self.head_dim
        self.inv_freq = 1.0 / (self.theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))

    def rms(self, x, weight):
        h = x.to(torch.float32)
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * h.to(x.dtype)

    def head_layernorm(self, x, weight, bias):  # Chameleon: over head_dim, then per-head affine
        h = torch.nn.functional.layer_norm(x.float(), (x.shape[-1],), None, None, self.eps).to(x.dtype)
        return h * weight + bias

    @staticmethod
    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
        return torch.cat((-x2, x1), dim=-1)

    def rope(self, positions):  # positions: [B, T]
        freqs = positions.float()[..., None] * self.inv_freq[None, None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        return emb.cos().to(self.dtype)[:, None], emb.sin().to(self.dtype)[:, None]

    def forward(self, ids, cache=None):
        """ids: LongTensor [B, T]. cache: None (full causal forward) or a dict holding per
        layer keys/values [B, kv, L, d] and "length" (all rows equal). Returns logits [B, T, V]."""
        w, B, T = self.w, ids.shape[0], ids.shape[1]
        start = cache["length"] if cache is not None else 0
        positions = torch.arange(start, start + T)[None].expand(B, T)
        cos, sin = self.rope(positions)
        x = w["model.embed_tokens.weight"][ids]
        L = start + T
        mask = torch.full((T, L), float("-inf")).triu(start + 1).to(self.dtype)
        group = self.heads // self.kv_heads
        for l in range(self.layers):
            p = f"model.layers.{l}."
            h = self.rms(x, w[p + "input_layernorm.weight"])
            q = (h @ w[p + "self_attn.q_proj.weight"].T).view(B, T, self.heads, self.head_dim)
            k = (h @ w[p + "self_attn.k_proj.weight"].T).view(B, T, self.kv_heads, self.head_dim)
            v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, T, self.kv_heads, self.head_dim)
            if self.qk_norm == "rmsnorm":
                q = self.rms(q, w[p + "self_attn.q_norm.weight"])
                k = self.rms(k, w[p + "self_attn.k_norm.weight"])
            elif self.qk_norm == "layernorm":
                q = self.head_layernorm(q, w[p + "self_attn.q_norm.weight"], w[p + "self_attn.q_norm.bias"])
                k = self.head_layernorm(k, w[p + "self_attn.k_norm.weight"], w[p + "self_attn.k_norm.bias"])
            q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
            q = q * cos + self.rotate_half(q) * sin
            k = k * cos + self.rotate_half(k) * sin
            if cache is not None:
                kc, vc = cache["k"][l], cache["v"][l]
                kc[:, :, start:L] = k
                vc[:, :, start:L] = v
                k, v = kc[:, :, :L], vc[:, :, :L]
            # repeat_kv, as Hugging Face does
            k = k[:, :, None].expand(B, self.kv_heads, group, L, self.head_dim).reshape(B, self.heads, L, self.head_dim)
            v = v[:, :, None].expand(B, self.kv_heads, group, L, self.head_dim).reshape(B, self.heads, L, self.head_dim)
            scores = (q @ k.transpose(2, 3)) / (self.head_dim**0.5) + mask
            probs = torch.softmax(scores, dim=-1, dtype=torch.float32).to(q.dtype)
            out = (probs @ v).transpose(1, 2).reshape(B, T, self.hidden)
            x = x + out @ w[p + "self_attn.o_proj.weight"].T
            h = self.rms(x, w[p + "post_attention_layernorm.weight"])
            gate = h @ w[p + "mlp.gate_proj.weight"].T
            up = h @ w[p + "mlp.up_proj.weight"].T
            x = x + (torch.nn.functional.silu(gate) * up) @ w[p + "mlp.down_proj.weight"].T
        x = self.rms(x, w["model.norm.weight"])
        head = w["model.embed_tokens.weight"] if self.tied else w["lm_head.weight"]
        if cache is not None:
            cache["length"] = L
        return x @ head.T

    def new_cache(self, rows, capacity):
        shape = (rows, self.kv_heads, capacity, self.head_dim)
        return {
            "k": [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)],
            "v": [torch.zeros(shape, dtype=self.dtype) for _ in range(self.layers)],
            "length": 0,
        }
