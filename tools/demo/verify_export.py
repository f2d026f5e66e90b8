"""Checks an exported GGUF against the PyTorch model it came from: llama.cpp's logits (a dump_logits folder, see
tools/golden/README.md) against the PyTorch forward pass on the same token ids, and llama.cpp's prompt ids against
this tokenizer.

    python3 verify_export.py --ckpt ckpt.pt --tokenizer tokenizer.json --dump DIR --prompt TEXT
"""
import argparse

import numpy as np
import torch

import bpe
import model as m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--dump", required=True)
    ap.add_argument("--prompt", required=True)
    args = ap.parse_args()
    ck = torch.load(args.ckpt, map_location="cpu")
    net = m.Transformer(m.Config(**ck["config"]))
    net.load_state_dict(ck["model"])
    net.eval()
    tok = bpe.Tokenizer.load(args.tokenizer)
    prompt = [int(x) for x in open(f"{args.dump}/prompt_tokens.txt").read().split()]
    gen = [int(x) for x in open(f"{args.dump}/generated_tokens.txt").read().split()]
    ours = [bpe.BOS] + tok.encode(args.prompt, parse_special=True)
    print("prompt ids identical to llama.cpp:", ours == prompt)
    steps = np.load(f"{args.dump}/logits_gen_steps.npy")
    ids = torch.tensor(prompt + gen[:-1])[None]
    T = ids.shape[1]
    with torch.no_grad():
        logits = net(ids, torch.arange(T)[None], m.causal_mask(T))[0].numpy()
    ref = logits[len(prompt) - 1:]
    cos = [float(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)) for a, b in zip(ref, steps)]
    print(f"steps {len(cos)}: min cosine {min(cos):.7f}, max |diff| {np.abs(ref - steps).max():.3g}, "
          f"argmax agree {np.mean(ref.argmax(-1) == steps.argmax(-1)) * 100:.0f}%")
    print("llama.cpp text:", repr(tok.decode(gen)))


if __name__ == "__main__":
    main()
