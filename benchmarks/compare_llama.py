#!/usr/bin/env python3
"""Whole-model speed of moe4j next to llama.cpp, as in docs/PERFORMANCE.md.

For each model and thread count, runs `moe4j bench --json` and `llama-bench -o json` with the same -p/-n/-r, the two
engines alternating for ROUNDS rounds, and prints one Markdown table row per model and thread count: each engine's pp
and tg (tokens/s), the moe4j/llama.cpp ratios, and the decode bound from moe4j's weight bytes per token and its
memory-bandwidth probe.

Shared machines are noisy. Every run records how much CPU other processes used while it ran (from /proc/stat, minus
the run's own CPU time): a run during which others used more than --max-foreign of the machine counts as disturbed.
Figures are the best (highest) undisturbed round of each engine; with --wait-idle a round first waits (up to that many
seconds) until the machine looks idle. Every run is also printed to stderr as a JSON line for the record.

With -d D both engines run their tests after D tokens of context (prefilled once per run, untimed: llama-bench's -d).

usage: compare_llama.py --llama-bench PATH [--moe4j JAR] [-p 512] [-n 128] [-d 0] [-r 3] [-t 1,2] [--rounds 3]
                        [--wait-idle S] [--max-foreign 0.1] MODEL...
"""
import argparse
import json
import os
import subprocess
import sys
import time


def cpu_jiffies():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def run(cmd):
    """Runs cmd; returns (stdout, fraction of the machine's CPU that other processes used meanwhile)."""
    b0, t0 = cpu_jiffies()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"failed ({status}): {' '.join(cmd)}")
    b1, t1 = cpu_jiffies()
    hz = os.sysconf("SC_CLK_TCK")
    own = (usage.ru_utime + usage.ru_stime) * hz
    foreign = max(0.0, (b1 - b0) - own) / max(1, t1 - t0)
    return out, foreign


def wait_idle(limit):
    deadline = time.time() + limit
    while time.time() < deadline:
        b0, t0 = cpu_jiffies()
        time.sleep(2)
        b1, t1 = cpu_jiffies()
        if (b1 - b0) / max(1, t1 - t0) < 0.05:
            return


def moe4j(a, model, t):
    out, foreign = run([os.environ.get("JAVA", "java"), "--enable-native-access=ALL-UNNAMED", "-jar", a.moe4j,
                        "bench", "-m", model, "-p", str(a.p), "-n", str(a.n), "-d", str(a.d), "-r", str(a.r), "-t", str(t),
                        "--json"])
    j = json.loads(out)
    return {"engine": "moe4j", "pp": j.get("pp_tokens_per_s"), "tg": j.get("tg_tokens_per_s"),
            "active": j["active_weight_bytes_per_token"], "bw": j.get("memory_read_bytes_per_s"), "foreign": foreign}


def llama(a, model, t):
    out, foreign = run([a.llama_bench, "-m", model, "-p", str(a.p), "-n", str(a.n), "-d", str(a.d), "-r", str(a.r),
                        "-t", str(t), "-o", "json"])
    res = {"engine": "llama.cpp", "pp": None, "tg": None, "foreign": foreign}
    for test in json.loads(out):
        res["pp" if test["n_gen"] == 0 else "tg"] = test["avg_ts"]
    return res


def best(rows, key, max_foreign):
    clean = [r[key] for r in rows if r.get(key) and r["foreign"] <= max_foreign]
    return (max(clean), len(clean)) if clean else (None, 0)


def fmt(v):
    return "–" if v[0] is None else f"{v[0]:.1f}"


def ratio(a, b):
    return "–" if a[0] is None or b[0] is None else f"{a[0] / b[0]:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="+")
    ap.add_argument("--llama-bench", required=True)
    ap.add_argument("--moe4j", default="examples/cli/target/moe4j.jar")
    ap.add_argument("-p", type=int, default=512)
    ap.add_argument("-n", type=int, default=128)
    ap.add_argument("-d", type=int, default=0)
    ap.add_argument("-r", type=int, default=3)
    ap.add_argument("-t", default="1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--wait-idle", type=float, default=0)
    ap.add_argument("--max-foreign", type=float, default=0.1)
    a = ap.parse_args()
    print("| model | threads | moe4j pp | moe4j tg | llama.cpp pp | llama.cpp tg | pp ratio | tg ratio "
          "| weights/token | decode bound | clean rounds |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for model in a.models:
        for t in [int(x) for x in a.t.split(",")]:
            ours, theirs = [], []
            for _ in range(a.rounds):
                for engine, rows in ((moe4j, ours), (llama, theirs)):
                    if a.wait_idle:
                        wait_idle(a.wait_idle)
                    rows.append(engine(a, model, t))
                    print(json.dumps({"model": model, "threads": t, **rows[-1]}), file=sys.stderr, flush=True)
            mp, mt = best(ours, "pp", a.max_foreign), best(ours, "tg", a.max_foreign)
            lp, lt = best(theirs, "pp", a.max_foreign), best(theirs, "tg", a.max_foreign)
            active = ours[0]["active"]
            bws = [r["bw"] for r in ours if r.get("bw") and r["foreign"] <= a.max_foreign]
            bound = "–" if not bws else f"{max(bws) / active:.1f} t/s ({max(bws) / 1e9:.0f} GB/s)"
            clean = f"{sum(r['foreign'] <= a.max_foreign for r in ours)}/{sum(r['foreign'] <= a.max_foreign for r in theirs)}"
            print(f"| {os.path.basename(model)} | {t} | {fmt(mp)} | {fmt(mt)} | {fmt(lp)} | {fmt(lt)} "
                  f"| {ratio(mp, lp)} | {ratio(mt, lt)} | {active / 2**20:.0f} MiB | {bound} | {clean} |", flush=True)


if __name__ == "__main__":
    main()
