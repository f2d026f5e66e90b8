#!/usr/bin/env python3
"""Whole-model speed of moe4j next to llama.cpp, as in docs/PERFORMANCE.md.

For each model and thread count, runs `moe4j bench --json` and `llama-bench -o json` with the same -p/-n/-r, the two
engines alternating (ROUNDS times each, so machine noise hits both alike), and prints one Markdown table row per model
and thread count: the mean over rounds of each engine's pp and tg (tokens/s), the moe4j/llama.cpp ratios, and the
decode bound from moe4j's weight bytes per token and its memory-bandwidth probe.

usage: compare_llama.py --llama-bench PATH [--moe4j JAR] [-p 512] [-n 128] [-r 3] [-t 1,2] [--rounds 2] MODEL...
"""
import argparse
import json
import os
import statistics
import subprocess
import sys


def moe4j(jar, model, p, n, r, t):
    out = subprocess.run([os.environ.get("JAVA", "java"), "--enable-native-access=ALL-UNNAMED", "-jar", jar, "bench",
                          "-m", model, "-p", str(p), "-n", str(n), "-r", str(r), "-t", str(t), "--json"],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return {"pp": j.get("pp_tokens_per_s"), "tg": j.get("tg_tokens_per_s"),
            "active": j["active_weight_bytes_per_token"], "bw": j.get("memory_read_bytes_per_s")}


def llama(binary, model, p, n, r, t):
    out = subprocess.run([binary, "-m", model, "-p", str(p), "-n", str(n), "-r", str(r), "-t", str(t), "-o", "json"],
                         check=True, capture_output=True, text=True).stdout
    res = {"pp": None, "tg": None}
    for test in json.loads(out):
        key = "pp" if test["n_prompt"] > 0 and test["n_gen"] == 0 else "tg"
        res[key] = test["avg_ts"]
    return res


def mean(rows, key):
    vals = [row[key] for row in rows if row.get(key)]
    return statistics.mean(vals) if vals else None


def fmt(v):
    return "–" if v is None else f"{v:.1f}"


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("--moe4j", default="examples/cli/target/moe4j.jar")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("-t", default="1,2")
    ap.add_argument("--rounds", type=int, default=2)
    a = ap.parse_args()
    print("| model | threads | moe4j pp | moe4j tg | llama.cpp pp | llama.cpp tg | pp ratio | tg ratio "
          "| weights/token | decode bound |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for model in a.models:
        for t in [int(x) for x in a.t.split(",")]:
            ours, theirs = [], []
            for _ in range(a.rounds):
                ours.append(moe4j(a.moe4j, model, a.p, a.n, a.r, t))
                theirs.append(llama(a.llama_bench, model, a.p, a.n, a.r, t))
                print(f"  round: moe4j {ours[-1]}, llama.cpp {theirs[-1]}", file=sys.stderr)
            mp, mt = mean(ours, "pp"), mean(ours, "tg")
            lp, lt = mean(theirs, "pp"), mean(theirs, "tg")
            active = ours[0]["active"]
            bw = mean(ours, "bw")
            bound = "–" if not bw else f"{bw / active:.1f} t/s ({bw / 1e9:.0f} GB/s)"
            print(f"| {os.path.basename(model)} | {t} | {fmt(mp)} | {fmt(mt)} | {fmt(lp)} | {fmt(lt)} "
                  f"| {ratio(mp, lp)} | {ratio(mt, lt)} | {active / 2**20:.0f} MiB | {bound} |", flush=True)


if __name__ == "__main__":
    main()
