"""Accuracy of the demo model on the held-out questions (eval.jsonl from build_data.py), per question kind.

Two ways to run it:
  python3 evaluate.py --eval eval.jsonl --moe4j examples/cli/target/moe4j.jar --model models/demo-countries-q8_0.gguf \
      [--temp 0.7 --seed 1] [--out results.json]
      The shipped GGUF through moe4j's own `chat -p ... --json` (the R1 chat template, sampling as given).
  python3 evaluate.py --eval eval.jsonl --ckpt ckpt.pt --tokenizer tokenizer.json
      A PyTorch checkpoint, greedy, by teacher forcing: a reply counts as right when the model's argmax equals the
      expected reply at every position, which is exactly "greedy decoding writes the expected reply". Fast enough to
      watch a training run; the figures in the model card come from the moe4j run.

A reply is correct when its answer (the text after the reasoning) names every expected fact (the capital, the
continent, the currency, each main language, or the country or countries of a capital) and, for questions about a
country, the country's name; an out-of-domain question must get the refusal. "exact" counts answers identical to
the trained sentence.
"""
import argparse
import collections
import glob
import os
import json
import subprocess
import sys


def correct(item, answer):
    a = answer.strip()
    if item["kind"] == "out_of_domain":
        return all(f in a for f in item["facts"])
    ok = all(f in a for f in item["facts"])
    if item["kind"] != "country_of_capital":
        ok = ok and item["country"] in a
    return ok


def java_command():
    """JDK 25's java: $JAVA_HOME's, else the first Temurin 25 under /usr/lib/jvm, else the one on the PATH."""
    home = os.environ.get("JAVA_HOME") or next(iter(sorted(glob.glob("/usr/lib/jvm/temurin-25*"))), None)
    return os.path.join(home, "bin", "java") if home else "java"


def run_moe4j(items, jar, model, temp, seed, threads, batch):
    replies = []
    for i in range(0, len(items), batch):
        chunk = items[i:i + batch]
        cmd = [java_command(), "--enable-native-access=ALL-UNNAMED", "-jar", jar, "chat", "-m", model, "--json",
               "--temp", str(temp), "-n", "96", "-t", str(threads), "--no-progress"]
        if seed is not None:
            cmd += ["--seed", str(seed)]
        for it in chunk:
            cmd += ["-p", it["question"]]
        run = subprocess.run(cmd, capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"moe4j failed ({run.returncode}): {run.stderr.strip()}")
        out = run.stdout
        lines = [json.loads(x) for x in out.splitlines() if x.strip()]
        assert len(lines) == len(chunk), (len(lines), len(chunk))
        replies += [(x["reasoning"], x["answer"]) for x in lines]
        print(f"  {len(replies)}/{len(items)}", file=sys.stderr, flush=True)
    return replies


def run_torch(items, ckpt, tokenizer):
    import torch
    import bpe
    import build_data
    import model as m
    ck = torch.load(ckpt, map_location="cpu")
    net = m.Transformer(m.Config(**ck["config"]))
    net.load_state_dict(ck["model"])
    net.eval()
    tok = bpe.Tokenizer.load(tokenizer)
    replies = []
    with torch.no_grad():
        for i in range(0, len(items), 64):
            chunk = items[i:i + 64]
            seqs, starts = [], []
            for it in chunk:
                p = tok.encode(build_data.prompt_text([], it["question"]), parse_special=True)
                c = tok.encode(build_data.completion_text(it["reasoning"], it["answer"]), parse_special=True)
                seqs.append(p + c)
                starts.append(len(p))
            T = max(len(s) for s in seqs)
            ids = torch.zeros(len(seqs), T, dtype=torch.long)
            for r, s in enumerate(seqs):
                ids[r, :len(s)] = torch.tensor(s)
            pos = torch.arange(T)[None].expand(len(seqs), T)
            pred = net(ids, pos, m.causal_mask(T)).argmax(-1)
            for r, s in enumerate(seqs):
                ok = bool((pred[r, starts[r] - 1:len(s) - 1] == ids[r, starts[r]:len(s)]).all())
                replies.append(("", chunk[r]["answer"] if ok else ""))
    return replies


def report(items, replies, label):
    by_kind = collections.defaultdict(lambda: [0, 0, 0])
    by_style = collections.defaultdict(lambda: [0, 0])
    wrong = []
    for it, (reasoning, answer) in zip(items, replies):
        ok = correct(it, answer)
        k = by_kind[it["kind"]]
        k[0] += ok
        k[1] += 1
        k[2] += answer.strip() == it["answer"]
        by_style[it["style"]][0] += ok
        by_style[it["style"]][1] += 1
        if not ok:
            wrong.append({"question": it["question"], "expected": it["answer"], "got": answer, "reasoning": reasoning})
    print(f"\n{label}")
    print("| kind | correct | exact | n |\n|---|---|---|---|")
    total = [0, 0]
    for kind, (ok, n, exact) in by_kind.items():
        print(f"| {kind} | {ok / n * 100:.1f}% | {exact / n * 100:.1f}% | {n} |")
        if kind != "out_of_domain":
            total[0] += ok
            total[1] += n
    print(f"| all in-domain | {total[0] / total[1] * 100:.1f}% | | {total[1]} |")
    print("by style: " + ", ".join(f"{s} {ok / n * 100:.1f}%" for s, (ok, n) in by_style.items()))
    return {"by_kind": {k: {"correct": v[0], "exact": v[2], "n": v[1]} for k, v in by_kind.items()},
            "in_domain": {"correct": total[0], "n": total[1]},
            "by_style": {s: {"correct": v[0], "n": v[1]} for s, v in by_style.items()}, "wrong": wrong}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--eval", required=True)
    ap.add_argument("--moe4j")
    ap.add_argument("--model")
    ap.add_argument("--ckpt")
    ap.add_argument("--tokenizer")
    ap.add_argument("--temp", type=float, default=0.0)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=300)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--out")
    args = ap.parse_args()
    items = [json.loads(x) for x in open(args.eval, encoding="utf-8")]
    if args.limit:
        items = items[::max(1, len(items) // args.limit)]
    if args.moe4j:
        replies = run_moe4j(items, args.moe4j, args.model, args.temp, args.seed, args.threads, args.batch)
        label = f"moe4j {args.model}, temperature {args.temp}" + (f", seed {args.seed}" if args.seed is not None else "")
    else:
        replies = run_torch(items, args.ckpt, args.tokenizer)
        label = f"PyTorch {args.ckpt}, greedy by teacher forcing (correct = exact)"
    res = report(items, replies, label)
    if args.out:
        res["label"] = label
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
