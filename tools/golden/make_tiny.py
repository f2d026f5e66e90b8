#!/usr/bin/env python3
"""Writes the tiny random-weight GGUF models of core/src/test/golden/{glm4moe-tiny-f32, gptoss-tiny-f32,
gptoss-tiny-mxfp4, deepseek4-tiny-f32, deepseek4-tiny-mxfp4}: the keys and tensor names llama.cpp's converter writes
for GLM-4.5 (Glm4MoeModel), gpt-oss (GptOssModel) and DeepSeek-V4 (DeepseekV4Model; docs/arch-deepseek4.md), small
dimensions, seeded random weights, and the golden tokenizer of ../shared/golden (byte-level BPE `gpt2`, 512 tokens,
copied from a reference GGUF's tokenizer.* keys).

    PYTHONPATH=$LLAMA_CPP/gguf-py python3 make_tiny.py --arch glm4moe --seed 1 \
        --vocab-from ../shared/golden/qwen3moe-tiny-f32/model.gguf --out glm4moe-tiny-f32.gguf
    ... --arch gpt-oss [--experts-mxfp4] ...
    ... --arch deepseek4 [--experts-mxfp4] ...

The same --arch and --seed give the same weights; --experts-mxfp4 quantizes the routed experts (only) to MXFP4 with
gguf-py's reference quantizer, every other tensor stays F32. Also: --expected-inspect FILE writes the exact counts
(tensors, parameters, active parameters, experts) computed here from the tensor list, independently of moe4j.
"""
import argparse
import json
import re
import zlib

import numpy as np
import gguf

# ---- dimensions ----------------------------------------------------------------------------------------------------
GLM = dict(hidden=64, heads=4, kv_heads=2, head_dim=32, rope_dim=16, main_layers=3, dense_layers=1, nextn=1,
           ffn=128, experts=16, used=4, expert_ffn=32, shared=1, scale=2.5, eps=1e-5, theta=1e6, ctx=131072)
OSS = dict(hidden=64, heads=4, kv_heads=2, head_dim=32, layers=4, experts=16, used=4, expert_ffn=64, window=8,
           eps=1e-5, theta=150000.0, ctx=131072, yarn_factor=32.0, yarn_orig=4096)
# DeepSeek-V4 (deepseek4): every layer kind of the real model (raw sliding window only, CSA = ratio 4 with the lightning
# indexer, HCA = ratio 128), hash routing in the first two layers, one NextN block (not part of the forward). The ratios
# 4 and 128 are fixed by llama.cpp; the indexer head size must be a multiple of 64 (its Hadamard rotation) and differs
# from head_dim so that, as in the real model, only the indexer cache is rotated.
DS4 = dict(hidden=64, hc=4, heads=8, head_dim=32, rope_dim=16, q_lora=32, o_groups=2, o_lora=16, window=8,
           ratios=[0, 4, 128, 4, 128], hash_layers=2, nextn=1, idx_heads=16, idx_dim=64, idx_topk=8,
           experts=16, used=4, expert_ffn=32, shared=1, scale=1.5, swiglu_limit=10.0, eps=1e-6,
           theta=10000.0, compress_theta=160000.0, yarn_factor=16.0, yarn_orig=65536, ctx=1048576,
           sinkhorn_iters=20, hc_eps=1e-6)


class Weights:
    """Seeded random tensors: each tensor's values depend only on the seed and its name."""

    def __init__(self, seed):
        self.seed = seed
        self.tensors = []  # (name, float32 array in numpy order = ne reversed, is_routed_expert)

    def rng(self, name):
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def add(self, name, arr, expert=False):
        self.tensors.append((name, np.ascontiguousarray(arr, dtype=np.float32), expert))

    def matrix(self, name, n_in, n_out, gain=1.0, experts=None):
        """ne = [n_in, n_out(, experts)]: rows of n_in elements of RMS gain/sqrt(n_in)."""
        shape = (n_out, n_in) if experts is None else (experts, n_out, n_in)
        self.add(name, self.rng(name).standard_normal(shape) * (gain / np.sqrt(n_in)), experts is not None)

    def norm(self, name, n, spread=0.1):
        self.add(name, 1.0 + spread * self.rng(name).uniform(-1, 1, n))

    def normal(self, name, shape, std, expert=False):
        self.add(name, self.rng(name).standard_normal(shape) * std, expert)

    def uniform(self, name, shape, lo, hi):
        self.add(name, self.rng(name).uniform(lo, hi, shape))


def glm4moe(w, vocab):
    d = GLM
    D, H, KV, hd, E, F = d["hidden"], d["heads"], d["kv_heads"], d["head_dim"], d["experts"], d["expert_ffn"]
    w.normal("token_embd.weight", (vocab, D), 1.0)
    n_all = d["main_layers"] + d["nextn"]
    for l in range(n_all):
        p = f"blk.{l}."
        w.norm(p + "attn_norm.weight", D)
        w.matrix(p + "attn_q.weight", D, H * hd)
        w.normal(p + "attn_q.bias", H * hd, 0.3)
        w.matrix(p + "attn_k.weight", D, KV * hd)
        w.normal(p + "attn_k.bias", KV * hd, 0.3)
        w.matrix(p + "attn_v.weight", D, KV * hd)
        w.normal(p + "attn_v.bias", KV * hd, 0.3)
        w.norm(p + "attn_q_norm.weight", hd)
        w.norm(p + "attn_k_norm.weight", hd)
        w.matrix(p + "attn_output.weight", H * hd, D)
        w.norm(p + "post_attention_norm.weight", D)
        if l < d["dense_layers"]:
            w.matrix(p + "ffn_gate.weight", D, d["ffn"])
            w.matrix(p + "ffn_up.weight", D, d["ffn"])
            w.matrix(p + "ffn_down.weight", d["ffn"], D)
        else:
            w.matrix(p + "ffn_gate_inp.weight", D, E, gain=1.5)
            w.normal(p + "exp_probs_b.bias", E, 0.15)
            w.matrix(p + "ffn_gate_exps.weight", D, F, experts=E)
            w.matrix(p + "ffn_up_exps.weight", D, F, experts=E)
            w.matrix(p + "ffn_down_exps.weight", F, D, experts=E)
            fs = F * d["shared"]
            w.matrix(p + "ffn_gate_shexp.weight", D, fs)
            w.matrix(p + "ffn_up_shexp.weight", D, fs)
            w.matrix(p + "ffn_down_shexp.weight", fs, D)
        if l >= d["main_layers"]:
            w.matrix(p + "nextn.eh_proj.weight", 2 * D, D)
            w.normal(p + "nextn.embed_tokens.weight", (vocab, D), 1.0)
            w.norm(p + "nextn.enorm.weight", D)
            w.norm(p + "nextn.hnorm.weight", D)
            w.matrix(p + "nextn.shared_head_head.weight", D, vocab, gain=3.0)
            w.norm(p + "nextn.shared_head_norm.weight", D)
    head(w, vocab, D)


def head(w, vocab, D):
    w.norm("output_norm.weight", D)
    w.matrix("output.weight", D, vocab, gain=3.0)


def glm4moe_keys(g):
    d, a = GLM, "glm4moe."
    g.add_uint32(a + "block_count", d["main_layers"] + d["nextn"])
    g.add_uint32(a + "context_length", d["ctx"])
    g.add_uint32(a + "embedding_length", d["hidden"])
    g.add_uint32(a + "feed_forward_length", d["ffn"])
    g.add_uint32(a + "attention.head_count", d["heads"])
    g.add_uint32(a + "attention.head_count_kv", d["kv_heads"])
    g.add_float32(a + "rope.freq_base", d["theta"])
    g.add_float32(a + "attention.layer_norm_rms_epsilon", d["eps"])
    g.add_uint32(a + "expert_count", d["experts"])
    g.add_uint32(a + "expert_used_count", d["used"])
    g.add_uint32(a + "expert_group_count", 1)
    g.add_uint32(a + "expert_group_used_count", 1)
    g.add_uint32(a + "attention.key_length", d["head_dim"])
    g.add_uint32(a + "attention.value_length", d["head_dim"])
    g.add_uint32(a + "rope.dimension_count", d["rope_dim"])
    g.add_uint32(a + "expert_feed_forward_length", d["expert_ffn"])
    g.add_uint32(a + "expert_shared_count", d["shared"])
    g.add_uint32(a + "leading_dense_block_count", d["dense_layers"])
    g.add_uint32(a + "expert_gating_func", 2)  # sigmoid
    g.add_float32(a + "expert_weights_scale", d["scale"])
    g.add_bool(a + "expert_weights_norm", True)
    g.add_uint32(a + "nextn_predict_layers", d["nextn"])


def gptoss(w, vocab):
    d = OSS
    D, H, KV, hd, E, F = d["hidden"], d["heads"], d["kv_heads"], d["head_dim"], d["experts"], d["expert_ffn"]
    w.normal("token_embd.weight", (vocab, D), 1.0)
    for l in range(d["layers"]):
        p = f"blk.{l}."
        w.norm(p + "attn_norm.weight", D)
        w.matrix(p + "attn_q.weight", D, H * hd)
        w.normal(p + "attn_q.bias", H * hd, 0.5)
        w.matrix(p + "attn_k.weight", D, KV * hd)
        w.normal(p + "attn_k.bias", KV * hd, 0.5)
        w.matrix(p + "attn_v.weight", D, KV * hd)
        w.normal(p + "attn_v.bias", KV * hd, 0.5)
        w.matrix(p + "attn_output.weight", H * hd, D)
        w.normal(p + "attn_output.bias", D, 0.3)
        w.uniform(p + "attn_sinks.weight", H, -1.0, 2.0)
        w.norm(p + "post_attention_norm.weight", D)
        w.matrix(p + "ffn_gate_inp.weight", D, E, gain=1.5)
        w.normal(p + "ffn_gate_inp.bias", E, 0.5)
        # gate/up 3x wider than unit RMS so that some pre-activations pass swiglu_oai's limit of 7
        w.matrix(p + "ffn_gate_exps.weight", D, F, gain=3.0, experts=E)
        w.normal(p + "ffn_gate_exps.bias", (E, F), 0.5, expert=True)
        w.matrix(p + "ffn_up_exps.weight", D, F, gain=3.0, experts=E)
        w.normal(p + "ffn_up_exps.bias", (E, F), 0.5, expert=True)
        w.matrix(p + "ffn_down_exps.weight", F, D, gain=0.3, experts=E)
        w.normal(p + "ffn_down_exps.bias", (E, D), 0.3, expert=True)
    head(w, vocab, D)


def gptoss_keys(g):
    d, a = OSS, "gpt-oss."
    g.add_uint32(a + "block_count", d["layers"])
    g.add_uint32(a + "context_length", d["ctx"])
    g.add_uint32(a + "embedding_length", d["hidden"])
    g.add_uint32(a + "feed_forward_length", d["expert_ffn"])
    g.add_uint32(a + "attention.head_count", d["heads"])
    g.add_uint32(a + "attention.head_count_kv", d["kv_heads"])
    g.add_string(a + "rope.scaling.type", "yarn")
    g.add_float32(a + "rope.scaling.factor", d["yarn_factor"])
    g.add_uint32(a + "rope.scaling.original_context_length", d["yarn_orig"])
    g.add_float32(a + "rope.scaling.yarn_beta_fast", 32.0)
    g.add_float32(a + "rope.scaling.yarn_beta_slow", 1.0)
    g.add_float32(a + "rope.freq_base", d["theta"])
    g.add_float32(a + "attention.layer_norm_rms_epsilon", d["eps"])
    g.add_uint32(a + "expert_count", d["experts"])
    g.add_uint32(a + "expert_used_count", d["used"])
    g.add_uint32(a + "attention.key_length", d["head_dim"])
    g.add_uint32(a + "attention.value_length", d["head_dim"])
    g.add_uint32(a + "attention.sliding_window", d["window"])
    g.add_uint32(a + "expert_feed_forward_length", d["expert_ffn"])


def deepseek4(w, vocab):
    d = DS4
    D, hc, H, hd, E, F = d["hidden"], d["hc"], d["heads"], d["head_dim"], d["experts"], d["expert_ffn"]
    mix = (2 + hc) * hc
    w.normal("token_embd.weight", (vocab, D), 1.0)
    ratios = d["ratios"] + [0] * d["nextn"]
    for l, ratio in enumerate(ratios):
        p = f"blk.{l}."
        for site in ("attn", "ffn"):  # hyper-connection mixers: ne {hc*D, 24}, {24}, {3}
            w.matrix(p + f"hc_{site}_fn.weight", hc * D, mix)
            w.normal(p + f"hc_{site}_base.weight", mix, 0.5)
            w.uniform(p + f"hc_{site}_scale.weight", 3, 0.5, 1.5)
        w.norm(p + "attn_norm.weight", D)
        w.uniform(p + "attn_sinks.weight", H, -1.0, 2.0)
        w.matrix(p + "attn_q_a.weight", D, d["q_lora"])
        w.norm(p + "attn_q_a_norm.weight", d["q_lora"])
        w.matrix(p + "attn_q_b.weight", d["q_lora"], H * hd)
        w.matrix(p + "attn_kv.weight", D, hd)
        w.norm(p + "attn_kv_a_norm.weight", hd)
        # file shape ne {H*hd/o_groups, o_lora*o_groups}: row g*o_lora + r is output r of group g
        w.matrix(p + "attn_output_a.weight", H * hd // d["o_groups"], d["o_lora"] * d["o_groups"])
        w.matrix(p + "attn_output_b.weight", d["o_lora"] * d["o_groups"], D)
        if ratio:
            coff = 2 if ratio == 4 else 1  # the ratio-4 compressor keeps two halves (overlapping windows)
            w.matrix(p + "attn_compressor_kv.weight", D, coff * hd)
            w.matrix(p + "attn_compressor_gate.weight", D, coff * hd, gain=1.5)
            w.normal(p + "attn_compressor_ape.weight", (ratio, coff * hd), 0.5)
            w.norm(p + "attn_compressor_norm.weight", hd)
            if ratio == 4:
                w.matrix(p + "indexer.proj.weight", D, d["idx_heads"])
                w.matrix(p + "indexer.attn_q_b.weight", d["q_lora"], d["idx_heads"] * d["idx_dim"])
                w.matrix(p + "indexer_compressor_kv.weight", D, 2 * d["idx_dim"])
                w.matrix(p + "indexer_compressor_gate.weight", D, 2 * d["idx_dim"], gain=1.5)
                w.normal(p + "indexer_compressor_ape.weight", (ratio, 2 * d["idx_dim"]), 0.5)
                w.norm(p + "indexer_compressor_norm.weight", d["idx_dim"])
        w.norm(p + "ffn_norm.weight", D)
        w.matrix(p + "ffn_gate_inp.weight", D, E, gain=1.5)
        if l < d["hash_layers"]:
            # token id -> the experts it uses (distinct), I32 ne {used, vocab}
            r = w.rng(p + "ffn_gate_tid2eid.weight")
            tab = np.stack([r.permutation(E)[:d["used"]] for _ in range(vocab)]).astype(np.int32)
            w.tensors.append((p + "ffn_gate_tid2eid.weight", tab, False))
        else:
            w.normal(p + "exp_probs_b.bias", E, 0.15)
        # gate/up 4x wider than unit RMS so that some pre-activations pass the SwiGLU clamp of 10
        w.matrix(p + "ffn_gate_exps.weight", D, F, gain=4.0, experts=E)
        w.matrix(p + "ffn_up_exps.weight", D, F, gain=4.0, experts=E)
        w.matrix(p + "ffn_down_exps.weight", F, D, gain=0.3, experts=E)
        fs = F * d["shared"]
        w.matrix(p + "ffn_gate_shexp.weight", D, fs, gain=4.0)
        w.matrix(p + "ffn_up_shexp.weight", D, fs, gain=4.0)
        w.matrix(p + "ffn_down_shexp.weight", fs, D, gain=0.3)
        if l >= len(d["ratios"]):
            w.matrix(p + "nextn.eh_proj.weight", 2 * D, D)
            w.norm(p + "nextn.enorm.weight", D)
            w.norm(p + "nextn.hnorm.weight", D)
            w.norm(p + "nextn.shared_head_norm.weight", D)
    w.matrix("output_hc_fn.weight", hc * D, hc)
    w.normal("output_hc_base.weight", hc, 0.5)
    w.uniform("output_hc_scale.weight", 1, 0.5, 1.5)
    head(w, vocab, D)


def deepseek4_keys(g):
    d, a = DS4, "deepseek4."
    n_all = len(d["ratios"]) + d["nextn"]
    g.add_uint32(a + "block_count", n_all)
    g.add_uint32(a + "context_length", d["ctx"])
    g.add_uint32(a + "embedding_length", d["hidden"])
    g.add_uint32(a + "attention.head_count", d["heads"])
    g.add_uint32(a + "attention.head_count_kv", 1)
    g.add_string(a + "rope.scaling.type", "yarn")
    g.add_float32(a + "rope.scaling.factor", d["yarn_factor"])
    g.add_uint32(a + "rope.scaling.original_context_length", d["yarn_orig"])
    g.add_float32(a + "rope.scaling.yarn_beta_fast", 32.0)
    g.add_float32(a + "rope.scaling.yarn_beta_slow", 1.0)
    g.add_float32(a + "rope.freq_base", d["theta"])
    g.add_float32(a + "attention.layer_norm_rms_epsilon", d["eps"])
    g.add_uint32(a + "expert_count", d["experts"])
    g.add_uint32(a + "expert_used_count", d["used"])
    g.add_uint32(a + "expert_gating_func", 4)  # sqrt(softplus)
    g.add_uint32(a + "attention.key_length", d["head_dim"])
    g.add_uint32(a + "attention.value_length", d["head_dim"])
    g.add_uint32(a + "rope.dimension_count", d["rope_dim"])
    g.add_uint32(a + "attention.q_lora_rank", d["q_lora"])
    g.add_uint32(a + "attention.sliding_window", d["window"])
    g.add_uint32(a + "expert_feed_forward_length", d["expert_ffn"])
    g.add_uint32(a + "expert_shared_count", d["shared"])
    g.add_float32(a + "expert_weights_scale", d["scale"])
    g.add_bool(a + "expert_weights_norm", True)
    g.add_array(a + "swiglu_clamp_exp", [d["swiglu_limit"]] * n_all)
    g.add_array(a + "swiglu_clamp_shexp", [d["swiglu_limit"]] * n_all)
    g.add_uint32(a + "attention.indexer.head_count", d["idx_heads"])
    g.add_uint32(a + "attention.indexer.key_length", d["idx_dim"])
    g.add_uint32(a + "attention.indexer.top_k", d["idx_topk"])
    g.add_uint32(a + "attention.output_group_count", d["o_groups"])
    g.add_uint32(a + "attention.output_lora_rank", d["o_lora"])
    g.add_array(a + "attention.compress_ratios", d["ratios"] + [0] * d["nextn"])
    g.add_float32(a + "attention.compress_rope_freq_base", d["compress_theta"])
    g.add_uint32(a + "hyper_connection.count", d["hc"])
    g.add_uint32(a + "hyper_connection.sinkhorn_iterations", d["sinkhorn_iters"])
    g.add_float32(a + "hyper_connection.epsilon", d["hc_eps"])
    g.add_uint32(a + "hash_layer_count", d["hash_layers"])
    g.add_uint32(a + "embedding_length_out", d["hidden"] * d["hc"])
    g.add_uint32(a + "nextn_predict_layers", d["nextn"])


ARCHS = {"glm4moe": (glm4moe, glm4moe_keys), "gpt-oss": (gptoss, gptoss_keys), "deepseek4": (deepseek4, deepseek4_keys)}


def copy_tokenizer(g, ref_path):
    r = gguf.GGUFReader(ref_path)
    n = None
    for name, f in r.fields.items():
        if not name.startswith("tokenizer."):
            continue
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            sub = f.types[1]
            if sub == gguf.GGUFValueType.STRING:
                vals = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
            else:
                vals = [f.parts[i][0].item() for i in f.data]
            g.add_key_value(name, vals, t, sub_type=sub)
            if name == "tokenizer.ggml.tokens":
                n = len(vals)
        elif t == gguf.GGUFValueType.STRING:
            g.add_key_value(name, bytes(f.parts[f.data[0]]).decode("utf-8"), t)
        else:
            g.add_key_value(name, f.parts[f.data[0]][0].item(), t)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", choices=["glm4moe", "gpt-oss", "deepseek4"], required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--vocab-from", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--experts-mxfp4", action="store_true")
    ap.add_argument("--expected-inspect")
    ap.add_argument("--dump", help="also write the gguf_dump.txt of the file here")
    ap.add_argument("--dequant", help="also write dequant/ (first rows of the first quantized tensor) here")
    args = ap.parse_args()

    vocab = len(gguf.GGUFReader(args.vocab_from).fields["tokenizer.ggml.tokens"].data)
    w = Weights(args.seed)
    ARCHS[args.arch][0](w, vocab)

    g = gguf.GGUFWriter(args.out, args.arch)
    mx = args.experts_mxfp4
    g.add_string("general.name", f"random-{args.arch}-tiny-seed{args.seed}" + ("-mxfp4" if mx else ""))
    g.add_uint32("general.file_type", 38 if mx else 0)  # LLAMA_FTYPE_MOSTLY_MXFP4_MOE / ALL_F32
    g.add_uint32("general.quantization_version", 2)
    ARCHS[args.arch][1](g)
    copy_tokenizer(g, args.vocab_from)

    for name, arr, expert in w.tensors:
        if mx and expert and name.endswith(".weight"):
            q = gguf.quants.quantize(arr, gguf.GGMLQuantizationType.MXFP4)
            g.add_tensor(name, q, raw_dtype=gguf.GGMLQuantizationType.MXFP4)
        else:
            g.add_tensor(name, arr)
    g.write_header_to_file()
    g.write_kv_data_to_file()
    g.write_tensors_to_file()
    g.close()

    if args.expected_inspect:
        with open(args.expected_inspect, "w") as f:
            json.dump(inspect_counts(args.out), f, indent=1)
    if args.dump:
        with open(args.dump, "w", encoding="utf-8") as f:
            f.write(dump(args.out))
    if args.dequant:
        write_dequant(args.out, args.dequant)


def dump(path):
    """Every metadata key (name TYPE value) and tensor (name TYPE [ne0, ...] offset N bytes M), as ../shared/golden's
    gguf_dump.txt files have them."""
    r = gguf.GGUFReader(path)
    lines = []
    for name, f in r.fields.items():
        if name.startswith("GGUF."):
            continue
        t = f.types[0]
        if t == gguf.GGUFValueType.ARRAY:
            sub = f.types[1]
            if sub == gguf.GGUFValueType.STRING:
                vals = [bytes(f.parts[i]).decode("utf-8") for i in f.data]
            else:
                vals = [f.parts[i][0].item() for i in f.data]
            lines.append(f"{name} ARRAY[{sub.name}] n={len(vals)} first={vals[:8]}")
        elif t == gguf.GGUFValueType.STRING:
            lines.append(f"{name} STRING {bytes(f.parts[f.data[0]]).decode('utf-8')}")
        else:
            v = f.parts[f.data[0]][0].item()
            lines.append(f"{name} {t.name} {bool(v) if t == gguf.GGUFValueType.BOOL else v}")
    lines.append("")
    for x in r.tensors:
        lines.append(f"{x.name} {x.tensor_type.name} {[int(d) for d in x.shape]} offset {x.data_offset} "
                     f"bytes {x.n_bytes}")
    return "\n".join(lines) + "\n"


def write_dequant(path, out):
    """dequant/: the first 32 rows of the first tensor of each quantized type, dequantized by gguf-py, and index.json."""
    import os
    os.makedirs(out, exist_ok=True)
    r = gguf.GGUFReader(path)
    index, seen = {}, set()
    for x in r.tensors:
        if x.tensor_type in (gguf.GGMLQuantizationType.F32, gguf.GGMLQuantizationType.F16,
                             gguf.GGMLQuantizationType.I32) or x.tensor_type in seen:
            continue
        seen.add(x.tensor_type)
        row_len = int(x.shape[0])
        rows = np.asarray(x.data).reshape(-1, np.asarray(x.data).shape[-1])[:32]
        deq = gguf.quants.dequantize(rows, x.tensor_type).reshape(-1, row_len).astype(np.float32)
        np.save(os.path.join(out, x.name + ".npy"), deq)
        index[x.name] = {"type": x.tensor_type.name, "ne": [int(d) for d in x.shape], "rows": int(deq.shape[0]),
                         "row_len": row_len}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


def inspect_counts(path):
    """expected_inspect.json's counts, read back from the file with gguf-py: every tensor's elements; routed experts
    are the blk.N.*_exps.* tensors (weights and biases, last dimension = expert_count), of which a token uses
    expert_used_count / expert_count."""
    r = gguf.GGUFReader(path)
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    experts = int(r.fields[arch + ".expert_count"].parts[-1][0])
    used = int(r.fields[arch + ".expert_used_count"].parts[-1][0])
    total = routed = 0
    for t in r.tensors:
        n = int(np.prod([int(x) for x in t.shape]))
        total += n
        if re.fullmatch(r"blk\.\d+\.\w+_exps\.\w+", t.name):
            assert int(t.shape[-1]) == experts, t.name
            routed += n
    return {"architecture": arch, "tensor_count": len(r.tensors), "parameters_total": total,
            "parameters_active": total - (experts - used) * (routed // experts), "expert_count": experts,
            "expert_used_count": used}

if __name__ == "__main__":
    main()
