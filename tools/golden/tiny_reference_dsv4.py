#!/usr/bin/env python3
"""An executable statement of llama.cpp's DeepSeek-V4 (`deepseek4`) forward pass: a plain numpy forward (float64)
written from the math in docs/arch-deepseek4.md, compared with the logits llama.cpp wrote for a fixture folder.

    PYTHONPATH=$LLAMA_CPP/gguf-py python3 tiny_reference_dsv4.py core/src/test/golden/deepseek4-tiny-f32 [--ubatch-dir DIR]

It recomputes every position of prompt + generated tokens at once. That is the same math as llama.cpp's cache: a
query at position p sees the raw keys of positions p-window+1..p and the compressed rows of the blocks that are
complete at p (block b of ratio r is complete once position (b+1)*r-1 has been processed), whichever ubatch they came
from; see the notes. --ubatch-dir also compares a second dump of the same model and prompt made with a different
ubatch size (e.g. token by token) against the same reference.

Reported: max |difference| of the prompt's last logits and of every greedy step, the smallest gap at the indexer's
top-k boundary (a near-tie there could make llama.cpp's float32 choose another block), and how often the SwiGLU clamp
was active.
"""
import argparse
import math
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
        if f.types[0] == gguf.GGUFValueType.ARRAY:
            return [f.parts[i][0].item() for i in f.data]
        return f.parts[-1][0].item()

    t, quantized = {}, set()
    for x in r.tensors:
        shape = [int(d) for d in reversed(x.shape)]
        if x.tensor_type == gguf.GGMLQuantizationType.I32:
            t[x.name] = np.array(x.data, dtype=np.int64).reshape(shape)
            continue
        if x.tensor_type == gguf.GGMLQuantizationType.F32:
            a = np.array(x.data)
        else:
            a = gguf.quants.dequantize(x.data, x.tensor_type)
            quantized.add(x.name)
        t[x.name] = np.asarray(a, dtype=np.float64).reshape(shape)
    return arch, kv, t, quantized


def q8_0(x):
    """ggml quantizes the activations of a product with an MXFP4 matrix to Q8_0: blocks of 32, d = max|x|/127 (f16)."""
    b = x.reshape(-1, 32).astype(np.float32)
    d = np.abs(b).max(axis=1, keepdims=True) / 127
    q = np.round(b * np.where(d > 0, 1 / np.where(d > 0, d, 1), 0))
    return (q * d.astype(np.float16).astype(np.float32)).reshape(x.shape).astype(np.float64)


def rms(x, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def silu(x):
    return x / (1 + np.exp(-x))


def softplus(x):
    return np.where(x > 20, x, np.log1p(np.exp(np.minimum(x, 20))))


class Rope:
    """ggml_rope_ext in NORM mode (consecutive pairs) on dims [offs, offs + n_rot) of the last axis, with YaRN. The
    DeepSeek-V4 graph passes attn_factor = 1/(1 + 0.1 ln(1/freq_scale)) whenever ext_factor != 0, which cancels the
    magnitude factor ggml applies, so cos/sin are never scaled here."""

    def __init__(self, n_rot, base, freq_scale=1.0, ext_factor=0.0, n_ctx_orig=0, beta_fast=32.0, beta_slow=1.0):
        k = np.arange(n_rot // 2, dtype=np.float64)
        self.n_rot, self.base, self.fs, self.ext = n_rot, base, freq_scale, ext_factor
        self.inv = base ** (-2 * k / n_rot)
        self.ramp = np.zeros_like(k)
        if ext_factor != 0.0:
            def corr_dim(nr):
                return n_rot * math.log(n_ctx_orig / (nr * 2 * math.pi)) / (2 * math.log(base))
            low = max(0.0, math.floor(corr_dim(beta_fast)))
            high = min(n_rot - 1.0, math.ceil(corr_dim(beta_slow)))
            y = (k - low) / max(0.001, high - low)
            self.ramp = (1 - np.clip(y, 0, 1)) * ext_factor

    def __call__(self, x, pos, inverse=False):
        """x [T, ..., d]; pos [T]. inverse=True is ggml_rope_ext_back (rotation by -theta)."""
        extrap = np.asarray(pos, dtype=np.float64)[:, None] * self.inv[None, :]
        theta = self.fs * extrap * (1 - self.ramp) + extrap * self.ramp
        cos, sin = np.cos(theta), np.sin(theta) * (-1 if inverse else 1)
        shape = (x.shape[0],) + (1,) * (x.ndim - 2) + (self.n_rot // 2,)
        cos, sin = cos.reshape(shape), sin.reshape(shape)
        out = x.copy()
        o = x.shape[-1] - self.n_rot  # rope_set_offset(n_nope): the rotated part is the tail
        x0, x1 = x[..., o:o + self.n_rot:2], x[..., o + 1:o + self.n_rot:2]
        out[..., o:o + self.n_rot:2] = x0 * cos - x1 * sin
        out[..., o + 1:o + self.n_rot:2] = x0 * sin + x1 * cos
        return out


def hc_weights(X, fn, scale, base, eps, hc_eps, iters):
    """X [T, hc, D] -> pre [T, hc], post [T, hc], comb [T, src, dst] (Sinkhorn-normalised)."""
    T, hc, _ = X.shape
    m = rms(X.reshape(T, -1), eps) @ fn.T  # [T, (2+hc)*hc]
    pre = sigmoid(m[:, :hc] * scale[0] + base[:hc]) + hc_eps
    post = 2 * sigmoid(m[:, hc:2 * hc] * scale[1] + base[hc:2 * hc])
    c = (m[:, 2 * hc:] * scale[2] + base[2 * hc:]).reshape(T, hc, hc)  # mixes[2hc + dst + hc*src]
    c = np.exp(c - c.max(axis=2, keepdims=True))
    c = c / c.sum(axis=2, keepdims=True) + hc_eps  # softmax over dst, for each src
    c = c / (c.sum(axis=1, keepdims=True) + hc_eps)  # each dst column over src
    for _ in range(iters - 1):
        c = c / (c.sum(axis=2, keepdims=True) + hc_eps)  # each src row over dst
        c = c / (c.sum(axis=1, keepdims=True) + hc_eps)
    return pre, post, c


def hc_post(f, X, post, comb):
    """new stream d = post_d * f + sum_s comb[s, d] * X_s."""
    return post[:, :, None] * f[:, None, :] + np.einsum("tsd,tse->tde", comb, X)


def compress(h, wkv, wgate, ape, norm, ratio, overlap, eps, rope, n_blocks):
    """The compressor's learned softmax pooling of each complete block, per channel; returns [n_blocks, d]."""
    T = h.shape[0]
    kv = h @ wkv.T  # [T, coff*d]
    sc = h @ wgate.T + ape[np.arange(T) % ratio]  # ape row pos % ratio
    d = norm.shape[0]
    out = np.zeros((n_blocks, d))
    for b in range(n_blocks):
        cur = slice(b * ratio, (b + 1) * ratio)
        if overlap:  # previous block's first half + this block's second half: 2*ratio entries per channel
            v, s = kv[cur, d:], sc[cur, d:]
            if b > 0:
                prev = slice((b - 1) * ratio, b * ratio)
                v, s = np.concatenate([kv[prev, :d], v]), np.concatenate([sc[prev, :d], s])
        else:
            v, s = kv[cur], sc[cur]
        w = np.exp(s - s.max(axis=0))
        out[b] = (w / w.sum(axis=0) * v).sum(axis=0)
    out = rms(out, eps) * norm
    return rope(out, np.arange(n_blocks) * ratio)


class Stats:
    def __init__(self):
        self.topk_gap = math.inf
        self.topk_where = None
        self.clamped = 0
        self.clamp_total = 0


def swiglu_clamp(g, u, limit, st):
    st.clamped += int((g > limit).sum() + (np.abs(u) > limit).sum())
    st.clamp_total += 2 * g.size
    return silu(np.minimum(g, limit)) * np.clip(u, -limit, limit)


def forward(kv, t, tokens, quantized, st):
    eps = kv("attention.layer_norm_rms_epsilon")
    n_layer = kv("block_count") - kv("nextn_predict_layers", 0)
    H, hd, n_rot = kv("attention.head_count"), kv("attention.key_length"), kv("rope.dimension_count")
    hc, iters, hc_eps = kv("hyper_connection.count"), kv("hyper_connection.sinkhorn_iterations"), kv("hyper_connection.epsilon")
    window, ratios = kv("attention.sliding_window"), kv("attention.compress_ratios")
    n_groups, o_lora = kv("attention.output_group_count"), kv("attention.output_lora_rank")
    ih, idim, topk = kv("attention.indexer.head_count"), kv("attention.indexer.key_length"), kv("attention.indexer.top_k")
    k_used, w_scale, w_norm = kv("expert_used_count"), kv("expert_weights_scale"), kv("expert_weights_norm")
    n_hash = kv("hash_layer_count", 0)
    lim_e, lim_s = kv("swiglu_clamp_exp"), kv("swiglu_clamp_shexp", kv("swiglu_clamp_exp"))
    assert kv("expert_gating_func") == 4
    # rope: raw-only layers use rope.freq_base without scaling; layers with a compressor (and the compressors and the
    # indexer) use compress_rope_freq_base with the file's YaRN scaling (beta_fast 32 / beta_slow 1 are llama.cpp's
    # defaults for this arch, the file's keys are not read)
    rope_raw = Rope(n_rot, kv("rope.freq_base", 10000.0))
    yarn = kv("rope.scaling.type", "none") == "yarn"
    factor = kv("rope.scaling.factor", 0.0) or 1.0
    rope_comp = Rope(n_rot, kv("attention.compress_rope_freq_base"), freq_scale=1 / factor if yarn else 1.0,
                     ext_factor=1.0 if yarn else 0.0,
                     n_ctx_orig=kv("rope.scaling.original_context_length", kv("context_length")))

    T = len(tokens)
    pos = np.arange(T)
    X = np.repeat(t["token_embd.weight"][tokens][:, None, :], hc, axis=1)  # [T, hc, D]
    for l in range(n_layer):
        p = f"blk.{l}."
        ratio = ratios[l]
        rope = rope_comp if ratio else rope_raw
        # ---- attention ----
        pre, post, comb = hc_weights(X, t[p + "hc_attn_fn.weight"], t[p + "hc_attn_scale.weight"],
                                     t[p + "hc_attn_base.weight"], eps, hc_eps, iters)
        h = rms(np.einsum("th,thd->td", pre, X), eps) * t[p + "attn_norm.weight"]
        qr = rms(h @ t[p + "attn_q_a.weight"].T, eps) * t[p + "attn_q_a_norm.weight"]
        q = rms((qr @ t[p + "attn_q_b.weight"].T).reshape(T, H, hd), eps)  # per head, no weight
        q = rope(q, pos)
        k = rope(rms(h @ t[p + "attn_kv.weight"].T, eps) * t[p + "attn_kv_a_norm.weight"], pos)  # [T, hd]: K = V
        allow = (pos[None, :] <= pos[:, None]) & (pos[:, None] - pos[None, :] < window)  # [T query, T key]
        keys = k
        if ratio:
            nb = T // ratio
            comp = compress(h, t[p + "attn_compressor_kv.weight"], t[p + "attn_compressor_gate.weight"],
                            t[p + "attn_compressor_ape.weight"], t[p + "attn_compressor_norm.weight"], ratio,
                            ratio == 4, eps, rope_comp, nb)
            visible = np.arange(nb)[None, :] < ((pos + 1) // ratio)[:, None]  # [T, nb]
            if ratio == 4:  # lightning indexer picks top-k of the visible compressed rows
                ik = compress(h, t[p + "indexer_compressor_kv.weight"], t[p + "indexer_compressor_gate.weight"],
                              t[p + "indexer_compressor_ape.weight"], t[p + "indexer_compressor_norm.weight"], ratio,
                              True, eps, rope_comp, nb)
                iq = rope_comp((qr @ t[p + "indexer.attn_q_b.weight"].T).reshape(T, ih, idim), pos)
                iw = (h @ t[p + "indexer.proj.weight"].T) / math.sqrt(idim * ih)
                score = np.einsum("th,thb->tb", iw, np.maximum(np.einsum("thd,bd->thb", iq, ik), 0))
                sel = np.zeros_like(visible)
                for i in range(T):
                    vis = np.flatnonzero(visible[i])
                    if len(vis) <= topk:
                        sel[i, vis] = True
                        continue
                    s = score[i, vis]
                    order = np.argsort(-s, kind="stable")
                    sel[i, vis[order[:topk]]] = True
                    gap = (s[order[topk - 1]] - s[order[topk]]) / max(1e-30, np.abs(s).max())
                    if gap < st.topk_gap:
                        st.topk_gap, st.topk_where = gap, (l, i)
                visible = sel
            keys = np.concatenate([k, comp])
            allow = np.concatenate([allow, visible], axis=1)
        s = np.einsum("thd,nd->thn", q, keys) / math.sqrt(hd)
        s = np.where(allow[:, None, :], s, -np.inf)
        sinks = t[p + "attn_sinks.weight"][None, :, None]
        m = np.maximum(s.max(axis=2, keepdims=True), sinks)
        e = np.exp(s - m)
        a = np.einsum("thn,nd->thd", e / (e.sum(axis=2, keepdims=True) + np.exp(sinks - m)), keys)
        a = rope(a, pos, inverse=True)  # de-rope the output's tail at the query position
        a = a.reshape(T, n_groups, -1)  # group g = heads g*H/G .. (g+1)*H/G-1
        wo_a = t[p + "attn_output_a.weight"].reshape(n_groups, o_lora, -1)
        a = np.einsum("tgi,goi->tgo", a, wo_a).reshape(T, -1) @ t[p + "attn_output_b.weight"].T
        X = hc_post(a, X, post, comb)
        # ---- MoE ----
        pre, post, comb = hc_weights(X, t[p + "hc_ffn_fn.weight"], t[p + "hc_ffn_scale.weight"],
                                     t[p + "hc_ffn_base.weight"], eps, hc_eps, iters)
        y = rms(np.einsum("th,thd->td", pre, X), eps) * t[p + "ffn_norm.weight"]
        probs = np.sqrt(softplus(y @ t[p + "ffn_gate_inp.weight"].T))
        qx = q8_0 if p + "ffn_down_exps.weight" in quantized else (lambda z: z)
        f = np.zeros_like(y)
        for i in range(T):
            if l < n_hash:
                e = t[p + "ffn_gate_tid2eid.weight"][tokens[i]]
            else:
                e = np.argsort(-(probs[i] + t[p + "exp_probs_b.bias"]), kind="stable")[:k_used]
            w = probs[i, e]
            if w_norm:
                w = w / max(w.sum(), 6.103515625e-5)
            w = w * w_scale
            yi = qx(y[i])
            for j, ex in enumerate(e):
                g = t[p + "ffn_gate_exps.weight"][ex] @ yi
                u = t[p + "ffn_up_exps.weight"][ex] @ yi
                f[i] += w[j] * (t[p + "ffn_down_exps.weight"][ex] @ qx(swiglu_clamp(g, u, lim_e[l], st)))
        f += swiglu_clamp(y @ t[p + "ffn_gate_shexp.weight"].T, y @ t[p + "ffn_up_shexp.weight"].T, lim_s[l], st) \
            @ t[p + "ffn_down_shexp.weight"].T
        X = hc_post(f, X, post, comb)
    # ---- head ----
    m = rms(X.reshape(T, -1), eps) @ t["output_hc_fn.weight"].T
    pre = sigmoid(m * t["output_hc_scale.weight"][0] + t["output_hc_base.weight"]) + hc_eps
    y = rms(np.einsum("th,thd->td", pre, X), eps) * t["output_norm.weight"]
    return y @ t["output.weight"].T


def compare(d, logits, n_prompt, label=""):
    gen = [int(s) for s in (d / "generated_tokens.txt").read_text().split()]
    steps = np.load(d / "logits_gen_steps.npy")
    last = np.load(d / "logits_last_prompt.npy")
    ours = logits[n_prompt - 1:n_prompt - 1 + len(gen)]
    d_prompt = np.abs(ours[0] - last).max()
    d_steps = np.abs(ours - steps).max(axis=1)
    same = int((ours.argmax(axis=1) == np.array(gen)).sum())
    top2 = np.sort(steps, axis=1)[:, -2:]
    print(f"{d.name}{label}: prompt logits max|d| {d_prompt:.3g}; steps max|d| {d_steps.max():.3g} "
          f"(mean {d_steps.mean():.3g}); argmax equal {same}/{len(gen)}; "
          f"logit range {steps.min():.2f}..{steps.max():.2f}; min top-2 gap {np.min(top2[:, 1] - top2[:, 0]):.4f}")
    return max(d_prompt, d_steps.max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--ubatch-dir", action="append", default=[],
                    help="another dump_logits output of the same model and prompt (other ubatch size)")
    args = ap.parse_args()
    d = Path(args.folder)
    arch, kv, t, quantized = load(d / "model.gguf")
    assert arch == "deepseek4", arch
    prompt = [int(s) for s in (d / "prompt_tokens.txt").read_text().split()]
    gen = [int(s) for s in (d / "generated_tokens.txt").read_text().split()]
    st = Stats()
    logits = forward(kv, t, np.array(prompt + gen[:-1]), quantized, st)
    compare(d, logits, len(prompt))
    for extra in args.ubatch_dir:
        e = Path(extra)
        assert [int(s) for s in (e / "generated_tokens.txt").read_text().split()] == gen, "other greedy run"
        compare(e, logits, len(prompt), label=" (other ubatch)")
    print(f"  tokens {len(prompt)} prompt + {len(gen)} generated; smallest relative gap at the indexer top-k "
          f"boundary {st.topk_gap:.3g} (layer, position {st.topk_where}); SwiGLU clamp active on "
          f"{st.clamped}/{st.clamp_total} gate/up values")


if __name__ == "__main__":
    main()
