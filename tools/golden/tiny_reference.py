#!/usr/bin/env python3
"""An executable statement of llama.cpp's forward graph for the glm4moe and gpt-oss golden models: a plain numpy
forward pass (float64) written from the notes in core/src/test/golden/README.md, compared with the logits
llama.cpp wrote for a fixture folder. Agreement to ~1e-4 on the f32 models says those notes are complete and exact.

    PYTHONPATH=$LLAMA_CPP/gguf-py python3 tiny_reference.py core/src/test/golden/gptoss-tiny-f32

It recomputes every position of prompt + generated tokens at once (causal attention makes row i depend on tokens
0..i only), so it checks the graph, not llama.cpp's batching or KV cache.
"""
import sys
from pathlib import Path

import numpy as np
import gguf


def load(path):
    r = gguf.GGUFReader(str(path))
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()

    def kv(key, default=None):
        f = r.fields.get(arch + "." + key)
        if f is None:
            return default
        if f.types[0] == gguf.GGUFValueType.STRING:
            return bytes(f.parts[-1]).decode()
        return f.parts[-1][0].item()

    t = {}
    quantized = set()
    for x in r.tensors:
        if x.tensor_type == gguf.GGMLQuantizationType.F32:
            a = np.array(x.data)
        else:
            a = gguf.quants.dequantize(x.data, x.tensor_type)
            quantized.add(x.name)
        t[x.name] = np.asarray(a, dtype=np.float64).reshape([int(d) for d in reversed(x.shape)])
    return arch, kv, t, quantized


def q8_0(x):
    """What ggml does to the activations of a product with a quantized matrix (MXFP4's vec_dot_type is Q8_0): blocks
    of 32, d = max|x|/127 stored as f16, q = round(x/d)."""
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1, keepdims=True) / 127
    q = np.round(b * np.where(d > 0, 1 / np.where(d > 0, d, 1), 0))
    return (q * d.astype(np.float16).astype(np.float32)).reshape(x.shape).astype(np.float64)


def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def rope_neox(x, pos, n_rot, base, freq_scale=1.0, ext_factor=0.0, attn_factor=1.0, n_ctx_orig=0, beta_fast=32.0,
              beta_slow=1.0):
    """ggml_rope_ext, NEOX mode: rotates the first n_rot dims of each head as pairs (i, i + n_rot/2); x [T, H, hd]."""
    i0 = np.arange(0, n_rot, 2, dtype=np.float64)
    theta_extrap = pos[:, None] * base ** (-i0 / n_rot)[None, :]
    theta = freq_scale * theta_extrap
    mscale = attn_factor
    if ext_factor != 0.0:
        def corr_dim(n_r):
            return n_rot * np.log(n_ctx_orig / (n_r * 2 * np.pi)) / (2 * np.log(base))
        low = max(0.0, np.floor(corr_dim(beta_fast)))
        high = min(n_rot - 1.0, np.ceil(corr_dim(beta_slow)))
        y = (i0 / 2 - low) / max(0.001, high - low)
        ramp = (1 - np.clip(y, 0, 1)) * ext_factor
        theta = theta * (1 - ramp)[None, :] + theta_extrap * ramp[None, :]
        mscale = attn_factor * (1.0 + 0.1 * np.log(1.0 / freq_scale))
    cos = (np.cos(theta) * mscale)[:, None, :]
    sin = (np.sin(theta) * mscale)[:, None, :]
    h = n_rot // 2
    out = x.copy()
    x0, x1 = x[..., :h], x[..., h:n_rot]
    out[..., :h] = x0 * cos - x1 * sin
    out[..., h:n_rot] = x0 * sin + x1 * cos
    return out


def attention(q, k, v, scale, window=0, sinks=None):
    """q [T, H, d], k/v [T, KV, d]; head h reads kv head h // (H/KV); causal; with window > 0 a query at p sees keys
    p-window+1..p; sinks [H] join the softmax's denominator only."""
    T, H, _ = q.shape
    r = H // k.shape[1]
    out = np.zeros((T, H, v.shape[2]))
    p = np.arange(T)
    masked = p[None, :] > p[:, None]
    if window > 0:
        masked |= (p[:, None] - p[None, :]) >= window
    for h in range(H):
        s = q[:, h, :] @ k[:, h // r, :].T * scale
        s = np.where(masked, -np.inf, s)
        m = s.max(axis=1, keepdims=True)
        if sinks is not None:
            m = np.maximum(m, sinks[h])
        e = np.exp(s - m)
        den = e.sum(axis=1, keepdims=True)
        if sinks is not None:
            den = den + np.exp(sinks[h] - m)
        out[:, h, :] = (e / den) @ v[:, h // r, :]
    return out.reshape(T, -1)


def silu(x):
    return x / (1 + np.exp(-x))


def glm4moe(kv, t, tokens):
    eps = kv("attention.layer_norm_rms_epsilon")
    n_layer = kv("block_count") - kv("nextn_predict_layers", 0)  # the NextN block is not part of the forward
    H, KV, hd = kv("attention.head_count"), kv("attention.head_count_kv"), kv("attention.key_length")
    n_rot, base = kv("rope.dimension_count"), kv("rope.freq_base")
    k_used, dense = kv("expert_used_count"), kv("leading_dense_block_count")
    scale, norm_w = kv("expert_weights_scale"), kv("expert_weights_norm")
    assert kv("expert_gating_func") == 2 and kv("expert_group_count", 1) <= 1
    T = len(tokens)
    pos = np.arange(T, dtype=np.float64)
    x = t["token_embd.weight"][tokens]
    for l in range(n_layer):
        p = f"blk.{l}."
        y = rms_norm(x, t[p + "attn_norm.weight"], eps)
        q = (y @ t[p + "attn_q.weight"].T + t[p + "attn_q.bias"]).reshape(T, H, hd)
        k = (y @ t[p + "attn_k.weight"].T + t[p + "attn_k.bias"]).reshape(T, KV, hd)
        v = (y @ t[p + "attn_v.weight"].T + t[p + "attn_v.bias"]).reshape(T, KV, hd)
        if p + "attn_q_norm.weight" in t:  # per head, over head_dim
            q = rms_norm(q, t[p + "attn_q_norm.weight"], eps)
            k = rms_norm(k, t[p + "attn_k_norm.weight"], eps)
        q = rope_neox(q, pos, n_rot, base)
        k = rope_neox(k, pos, n_rot, base)
        h = x + attention(q, k, v, 1 / np.sqrt(hd)) @ t[p + "attn_output.weight"].T
        y = rms_norm(h, t[p + "post_attention_norm.weight"], eps)
        if l < dense:
            f = (silu(y @ t[p + "ffn_gate.weight"].T) * (y @ t[p + "ffn_up.weight"].T)) @ t[p + "ffn_down.weight"].T
        else:
            probs = 1 / (1 + np.exp(-(y @ t[p + "ffn_gate_inp.weight"].T)))
            sel = probs + t[p + "exp_probs_b.bias"]  # the bias picks the experts, the weights stay unbiased
            f = np.zeros_like(h)
            for i in range(T):
                e = np.argsort(-sel[i], kind="stable")[:k_used]
                w = probs[i, e]
                if norm_w:
                    w = w / max(w.sum(), 6.103515625e-5)
                w = w * scale
                for j, ex in enumerate(e):
                    g = t[p + "ffn_gate_exps.weight"][ex] @ y[i]
                    u = t[p + "ffn_up_exps.weight"][ex] @ y[i]
                    f[i] += w[j] * (t[p + "ffn_down_exps.weight"][ex] @ (silu(g) * u))
            f += (silu(y @ t[p + "ffn_gate_shexp.weight"].T) * (y @ t[p + "ffn_up_shexp.weight"].T)) \
                @ t[p + "ffn_down_shexp.weight"].T
        x = h + f
    return rms_norm(x, t["output_norm.weight"], eps) @ t["output.weight"].T


def swiglu_oai(g, u, alpha=1.702, limit=7.0):
    x = np.minimum(g, limit)
    return x / (1 + np.exp(-alpha * x)) * (np.clip(u, -limit, limit) + 1)


def gptoss(kv, t, tokens, quantized=frozenset()):
    eps = kv("attention.layer_norm_rms_epsilon")
    n_layer, window = kv("block_count"), kv("attention.sliding_window")
    H, KV, hd = kv("attention.head_count"), kv("attention.head_count_kv"), kv("attention.key_length")
    n_rot = kv("rope.dimension_count", hd)
    base, k_used = kv("rope.freq_base"), kv("expert_used_count")
    factor, n_orig = kv("rope.scaling.factor"), kv("rope.scaling.original_context_length")
    # llama.cpp: yarn_attn_factor = mscale(32) / (1 + 0.1 ln 32) = 1, and ggml multiplies by 1 + 0.1 ln 32 again
    rope = dict(freq_scale=1 / factor, ext_factor=1.0, attn_factor=1.0, n_ctx_orig=n_orig,
                beta_fast=kv("rope.scaling.yarn_beta_fast", 32.0), beta_slow=kv("rope.scaling.yarn_beta_slow", 1.0))
    T = len(tokens)
    pos = np.arange(T, dtype=np.float64)
    x = t["token_embd.weight"][tokens]
    for l in range(n_layer):
        p = f"blk.{l}."
        y = rms_norm(x, t[p + "attn_norm.weight"], eps)
        q = (y @ t[p + "attn_q.weight"].T + t[p + "attn_q.bias"]).reshape(T, H, hd)
        k = (y @ t[p + "attn_k.weight"].T + t[p + "attn_k.bias"]).reshape(T, KV, hd)
        v = (y @ t[p + "attn_v.weight"].T + t[p + "attn_v.bias"]).reshape(T, KV, hd)
        q = rope_neox(q, pos, n_rot, base, **rope)
        k = rope_neox(k, pos, n_rot, base, **rope)
        a = attention(q, k, v, 1 / np.sqrt(n_rot), window if l % 2 == 0 else 0, t[p + "attn_sinks.weight"])
        h = x + a @ t[p + "attn_output.weight"].T + t[p + "attn_output.bias"]
        y = rms_norm(h, t[p + "post_attention_norm.weight"], eps)
        logits = y @ t[p + "ffn_gate_inp.weight"].T + t[p + "ffn_gate_inp.bias"]
        f = np.zeros_like(h)
        qx = q8_0 if p + "ffn_down_exps.weight" in quantized else (lambda z: z)
        for i in range(T):
            e = np.argsort(-logits[i], kind="stable")[:k_used]
            w = np.exp(logits[i, e] - logits[i, e].max())
            w /= w.sum()
            yi = qx(y[i])
            for j, ex in enumerate(e):
                g = t[p + "ffn_gate_exps.weight"][ex] @ yi + t[p + "ffn_gate_exps.bias"][ex]
                u = t[p + "ffn_up_exps.weight"][ex] @ yi + t[p + "ffn_up_exps.bias"][ex]
                d = t[p + "ffn_down_exps.weight"][ex] @ qx(swiglu_oai(g, u)) + t[p + "ffn_down_exps.bias"][ex]
                f[i] += w[j] * d
        x = h + f
    return rms_norm(x, t["output_norm.weight"], eps) @ t["output.weight"].T


def main():
    d = Path(sys.argv[1])
    arch, kv, t, quantized = load(d / "model.gguf")
    prompt = [int(s) for s in (d / "prompt_tokens.txt").read_text().split()]
    gen = [int(s) for s in (d / "generated_tokens.txt").read_text().split()]
    steps = np.load(d / "logits_gen_steps.npy")
    tokens = np.array(prompt + gen[:-1])
    logits = glm4moe(kv, t, tokens) if arch == "glm4moe" else gptoss(kv, t, tokens, quantized)
    ours = logits[len(prompt) - 1:]
    diff = np.abs(ours - steps).max()
    cos = min(float(a @ b / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(ours, steps))
    same = int((ours.argmax(axis=1) == np.array(gen)).sum())
    print(f"{d.name}: max|d| {diff:.3g}, min cosine {cos:.9f}, argmax equal {same}/{len(gen)}")


if __name__ == "__main__":
    main()
