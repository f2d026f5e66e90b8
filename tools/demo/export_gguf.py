"""Writes a trained checkpoint as a llama.cpp deepseek2 GGUF file, with the tokenizer and DeepSeek-R1's chat template.

    python3 export_gguf.py --ckpt ckpt.pt --tokenizer DIR/tokenizer.json --gguf-py LLAMA_CPP/gguf-py \
        --template R1.jinja --type q8_0 --out demo-countries-q8_0.gguf

gguf-py is llama.cpp's own GGUF writer and quantizer (the llama.cpp source in the npm package node-llama-cpp has it
under llama/gguf-py after cloning its git bundle). Tensor names and layouts are llama.cpp's: kv_b is split per head
into attn_k_b (transposed) and attn_v_b as convert_hf_to_gguf.py does; 2-D and 3-D weights are Q8_0 (or F32) except
the routers, which stay F32 as in llama.cpp's own conversions.
"""
import argparse
import sys

import numpy as np
import torch

import bpe
import model as m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--gguf-py", required=True)
    ap.add_argument("--template", required=True)
    ap.add_argument("--type", choices=["f32", "q8_0"], default="q8_0")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="moe4j demo: world countries (DeepSeek-V3 architecture, 15.5M)")
    args = ap.parse_args()
    sys.path.insert(0, args.gguf_py)
    import gguf

    ck = torch.load(args.ckpt, map_location="cpu")
    cfg = m.Config(**ck["config"])
    sd = {k: v.float().numpy() for k, v in ck["model"].items()}
    tok = bpe.Tokenizer.load(args.tokenizer)
    assert len(tok.tokens) == cfg.vocab, (len(tok.tokens), cfg.vocab)

    w = gguf.GGUFWriter(args.out, "deepseek2")
    w.add_name(args.name)
    a = "deepseek2"
    w.add_uint32(f"{a}.context_length", cfg.context)
    w.add_uint32(f"{a}.embedding_length", cfg.dim)
    w.add_uint32(f"{a}.block_count", cfg.layers)
    w.add_uint32(f"{a}.attention.head_count", cfg.heads)
    w.add_uint32(f"{a}.attention.head_count_kv", 1)
    w.add_float32(f"{a}.attention.layer_norm_rms_epsilon", cfg.eps)
    w.add_float32(f"{a}.rope.freq_base", cfg.rope_theta)
    w.add_uint32(f"{a}.rope.dimension_count", cfg.rope)
    w.add_uint32(f"{a}.expert_count", cfg.experts)
    w.add_uint32(f"{a}.expert_used_count", cfg.top_k)
    w.add_uint32(f"{a}.vocab_size", cfg.vocab)
    w.add_uint32(f"{a}.feed_forward_length", cfg.dense_ffn)
    w.add_uint32(f"{a}.leading_dense_block_count", cfg.dense_layers)
    w.add_uint32(f"{a}.attention.q_lora_rank", cfg.q_lora)
    w.add_uint32(f"{a}.attention.kv_lora_rank", cfg.kv_lora)
    w.add_uint32(f"{a}.attention.key_length", cfg.kv_lora + cfg.rope)      # the MQA view of absorbed MLA
    w.add_uint32(f"{a}.attention.value_length", cfg.kv_lora)
    w.add_uint32(f"{a}.attention.key_length_mla", cfg.nope + cfg.rope)
    w.add_uint32(f"{a}.attention.value_length_mla", cfg.v_dim)
    w.add_uint32(f"{a}.expert_feed_forward_length", cfg.expert_ffn)
    w.add_uint32(f"{a}.expert_shared_count", cfg.shared_experts)
    w.add_float32(f"{a}.expert_weights_scale", cfg.route_scale)
    w.add_bool(f"{a}.expert_weights_norm", True)
    w.add_uint32(f"{a}.expert_gating_func", 2)                               # sigmoid
    w.add_uint32(f"{a}.expert_group_count", cfg.groups)
    w.add_uint32(f"{a}.expert_group_used_count", cfg.groups_used)
    qtype = gguf.GGMLQuantizationType.Q8_0 if args.type == "q8_0" else gguf.GGMLQuantizationType.F32
    w.add_uint32("general.file_type", 7 if args.type == "q8_0" else 0)
    w.add_quantization_version(2)

    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "deepseek-v3")
    w.add_array("tokenizer.ggml.tokens", tok.tokens)
    w.add_array("tokenizer.ggml.token_type", bpe.SPECIAL_TYPES + [1] * (len(tok.tokens) - len(bpe.SPECIALS)))
    w.add_array("tokenizer.ggml.merges", [x + " " + y for x, y in tok.merges])
    w.add_uint32("tokenizer.ggml.bos_token_id", bpe.BOS)
    w.add_uint32("tokenizer.ggml.eos_token_id", bpe.EOS)
    w.add_uint32("tokenizer.ggml.padding_token_id", bpe.PAD)
    w.add_bool("tokenizer.ggml.add_bos_token", True)
    w.add_bool("tokenizer.ggml.add_eos_token", False)
    with open(args.template, encoding="utf-8") as f:
        w.add_string("tokenizer.chat_template", f.read())

    def put(name, arr, quantize=True):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if quantize and qtype == gguf.GGMLQuantizationType.Q8_0 and arr.ndim >= 2:
            data = gguf.quants.quantize(arr, qtype)
            w.add_tensor(name, data, raw_shape=data.shape, raw_dtype=qtype)
        else:
            w.add_tensor(name, arr)

    put("token_embd.weight", sd["embed.weight"])
    H = cfg.heads
    for i in range(cfg.layers):
        p, b = f"blocks.{i}.", f"blk.{i}."
        put(b + "attn_norm.weight", sd[p + "attn_norm.weight"])
        put(b + "attn_q_a_norm.weight", sd[p + "attn.q_a_norm.weight"])
        put(b + "attn_kv_a_norm.weight", sd[p + "attn.kv_a_norm.weight"])
        put(b + "attn_q_a.weight", sd[p + "attn.q_a.weight"])
        put(b + "attn_q_b.weight", sd[p + "attn.q_b.weight"])
        put(b + "attn_kv_a_mqa.weight", sd[p + "attn.kv_a.weight"])
        kv_b = sd[p + "attn.kv_b.weight"].reshape(H, cfg.nope + cfg.v_dim, cfg.kv_lora)
        put(b + "attn_k_b.weight", kv_b[:, :cfg.nope, :].transpose(0, 2, 1))   # [H, kv_lora, nope]
        put(b + "attn_v_b.weight", kv_b[:, cfg.nope:, :])                       # [H, v, kv_lora]
        put(b + "attn_output.weight", sd[p + "attn.out.weight"])
        put(b + "ffn_norm.weight", sd[p + "ffn_norm.weight"])
        if i < cfg.dense_layers:
            for n in ("gate", "up", "down"):
                put(b + f"ffn_{n}.weight", sd[p + f"ffn.{n}.weight"])
        else:
            put(b + "ffn_gate_inp.weight", sd[p + "ffn.router.weight"], quantize=False)
            put(b + "exp_probs_b.bias", sd[p + "ffn.bias"])
            for n in ("gate", "up", "down"):
                put(b + f"ffn_{n}_exps.weight", sd[p + f"ffn.w_{n}"])
                put(b + f"ffn_{n}_shexp.weight", sd[p + f"ffn.shared.{n}.weight"])
    put("output_norm.weight", sd["norm.weight"])
    put("output.weight", sd["head.weight"])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


if __name__ == "__main__":
    main()
