"""Trains the demo model in resumable chunks: each run trains for at most --chunk-minutes, then saves a checkpoint
that the next run resumes from, until --total-minutes of training are done. The learning-rate schedule follows the
training time spent so far, so the chunks add up to one run.

    python3 train.py --data DIR --ckpt DIR/ckpt.pt --total-minutes 75 --chunk-minutes 60

A second phase starts from the first one's weights with a fresh optimizer and schedule (--init FIRST_CKPT, with its
own --ckpt).
"""
import argparse
import json
import math
import os
import random
import time

import numpy as np
import torch
import torch.nn.functional as F

import model as m

ROW = 128   # tokens per packed row; a conversation never straddles rows
ROWS = 32   # rows per step


class Data:
    def __init__(self, path, seed):
        d = np.load(path)
        self.ids = d["ids"].astype(np.int64)
        self.offsets = d["offsets"]
        self.starts = d["starts"]
        self.rng = np.random.default_rng(seed)
        self.order = self.rng.permutation(len(self.starts))
        self.cursor = 0

    def state(self):
        return {"cursor": self.cursor, "order": self.order, "rng": self.rng.bit_generator.state}

    def restore(self, s):
        self.cursor, self.order = s["cursor"], s["order"]
        self.rng.bit_generator.state = s["rng"]

    def next_doc(self):
        if self.cursor == len(self.order):
            self.order, self.cursor = self.rng.permutation(len(self.starts)), 0
        i = self.order[self.cursor]
        self.cursor += 1
        if self.offsets[i + 1] - self.offsets[i] > ROW:  # longer than a row: cannot be packed (build_data keeps none)
            return self.next_doc()
        return self.ids[self.offsets[i]:self.offsets[i + 1]], int(self.starts[i])

    def batch(self):
        """ids, targets (-100 = not trained), positions [ROWS, ROW] and a block-diagonal causal mask."""
        ids = torch.zeros(ROWS, ROW, dtype=torch.long)
        tgt = torch.full((ROWS, ROW), -100, dtype=torch.long)
        pos = torch.zeros(ROWS, ROW, dtype=torch.long)
        doc = torch.full((ROWS, ROW), -1, dtype=torch.long)
        pending = None
        for r in range(ROWS):
            at, k = 0, 0
            while True:
                if pending is None:
                    pending = self.next_doc()
                toks, start = pending
                n = len(toks)
                if at + n > ROW:
                    break
                ids[r, at:at + n] = torch.from_numpy(toks)
                t = torch.full((n,), -100, dtype=torch.long)
                t[start - 1:n - 1] = torch.from_numpy(toks[start:])  # predict the reply and its end
                tgt[r, at:at + n] = t
                pos[r, at:at + n] = torch.arange(n)
                doc[r, at:at + n] = k
                at, k, pending = at + n, k + 1, None
        mask = (doc[:, :, None] == doc[:, None, :]) & torch.ones(ROW, ROW, dtype=torch.bool).tril()
        mask |= torch.eye(ROW, dtype=torch.bool)  # padding positions attend to themselves (no NaN rows)
        return ids, tgt, pos, mask


def lr_at(t, total, peak, floor, warmup_steps, step):
    if step < warmup_steps:
        return peak * (step + 1) / warmup_steps
    frac = min(1.0, t / total)
    return floor + 0.5 * (peak - floor) * (1 + math.cos(math.pi * frac))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--total-minutes", type=float, default=75)
    ap.add_argument("--chunk-minutes", type=float, default=60)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--lr-floor", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bias-rate", type=float, default=1e-3)
    ap.add_argument("--init", help="start from this checkpoint's weights (a new phase: fresh optimizer and schedule)")
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--stop-minutes", type=float,
                    help="end the phase after this much training, before the schedule's end (how the demo's phases 1 "
                         "and 2 were cut, see the model card)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)

    cfg = m.Config()
    net = m.Transformer(cfg)
    decay = [p for n, p in net.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in net.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.95), eps=1e-8)
    data = Data(os.path.join(args.data, "train.npz"), args.seed)
    step, trained_s, ema, log = 0, 0.0, None, []
    if os.path.exists(args.ckpt):
        ck = torch.load(args.ckpt, weights_only=False) if "weights_only" in torch.load.__code__.co_varnames else torch.load(args.ckpt)
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        data.restore(ck["data"])
        torch.set_rng_state(ck["torch_rng"])
        step, trained_s, ema, log = ck["step"], ck["trained_s"], ck["ema"], ck["log"]
        print(f"resumed at step {step}, {trained_s / 60:.1f} min trained", flush=True)
    elif args.init:
        net.load_state_dict(torch.load(args.init, map_location="cpu")["model"])
        print(f"phase starts from the weights of {args.init}", flush=True)
    total_s, chunk_end = args.total_minutes * 60, time.time() + args.chunk_minutes * 60
    stop_s = total_s if args.stop_minutes is None else min(total_s, args.stop_minutes * 60)

    def save():
        tmp = args.ckpt + ".tmp"
        torch.save({"model": net.state_dict(), "opt": opt.state_dict(), "data": data.state(),
                    "torch_rng": torch.get_rng_state(), "step": step, "trained_s": trained_s, "ema": ema,
                    "log": log, "config": cfg.to_dict()}, tmp)
        os.replace(tmp, args.ckpt)

    last_save = time.time()
    while trained_s < stop_s and time.time() < chunk_end:
        t0 = time.time()
        lr = lr_at(trained_s, total_s, args.lr, args.lr_floor, args.warmup, step)
        for g in opt.param_groups:
            g["lr"] = lr
        ids, tgt, pos, mask = data.batch()
        logits = net(ids, pos, mask)
        loss = F.cross_entropy(logits.view(-1, cfg.vocab), tgt.view(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        with torch.no_grad():  # auxiliary-loss-free balancing: move the selection bias toward even load
            for moe in net.moe_layers():
                load = moe.last_load.float()
                moe.bias += args.bias_rate * torch.sign(load.mean() - load)
        step += 1
        trained_s += time.time() - t0
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        if step % 20 == 0:
            rec = {"step": step, "min": round(trained_s / 60, 2), "loss": round(ema, 4), "lr": lr, "gn": round(gn.item(), 3)}
            log.append(rec)
            print(json.dumps(rec), flush=True)
        if time.time() - last_save > 300:
            save()
            last_save = time.time()
    save()
    print(f"saved at step {step}, {trained_s / 60:.1f} of {args.total_minutes} min", flush=True)


if __name__ == "__main__":
    main()
