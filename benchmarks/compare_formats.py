#!/usr/bin/env python3
"""Per-format matrix x vector speed, moe4j beside llama.cpp, on one shape (docs/PERFORMANCE.md, "Formats").

moe4j: the JMH MatvecBenchmark with 8-bit activations (what a model runs) at 1 and 2 threads.
llama.cpp: `test-backend-ops perf -o MUL_MAT` on the same shape with n = 1 (one token). test-backend-ops gives the CPU
backend hardware_concurrency/2 threads, so on a 2-core machine its figure is a one-thread figure.
Both are reported as GB/s of weights streamed (bytes of the m x k matrix in its format / time per product).

  JAVA=$JAVA_HOME/bin/java python3 benchmarks/compare_formats.py --test-backend-ops $LLAMA/test-backend-ops \
      --types Q4_0,Q2_K,IQ2_XXS --rows 4096 --cols 14336
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# (elements per block, bytes per block) of the formats compared; mirrors GgmlType.
GEOMETRY = {
    "Q4_0": (32, 18), "Q8_0": (32, 34), "Q2_K": (256, 84), "Q4_K": (256, 144), "IQ4_XS": (256, 136),
    "IQ1_S": (256, 50), "IQ1_M": (256, 56), "IQ2_XXS": (256, 66), "IQ2_XS": (256, 74), "IQ2_S": (256, 82),
    "IQ3_XXS": (256, 98), "IQ3_S": (256, 110), "TQ1_0": (256, 54), "TQ2_0": (256, 66), "MXFP4": (32, 17),
}


def weight_bytes(t, rows, cols):
    e, b = GEOMETRY[t]
    return rows * cols // e * b


def llama_gbs(tbo, t, rows, cols):
    pattern = "type_a=%s,type_b=f32,m=%d,n=1,k=%d," % (t.lower(), rows, cols)
    out = subprocess.run([tbo, "perf", "-o", "MUL_MAT", "-b", "CPU", "-p", re.escape(pattern)],
                         capture_output=True, text=True, check=False).stdout
    m = re.search(r"([\d.]+) us/run", out)
    if not m:
        # test-backend-ops only has its own list of perf shapes; say so instead of guessing
        return None
    return weight_bytes(t, rows, cols) / (float(m.group(1)) * 1e-6) / 1e9


def moe4j_gbs(java, jar, types, rows, cols, threads, iterations):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    cmd = [java, "-jar", jar, "MatvecBenchmark", "-wi", "2", "-i", str(iterations), "-w", "1s", "-r", "1s", "-f", "1",
           "-p", "type=" + ",".join(types), "-p", "rows=%d" % rows, "-p", "cols=%d" % cols,
           "-p", "threads=" + ",".join(str(t) for t in threads), "-p", "activations=q8", "-rf", "json", "-rff", path]
    subprocess.run(cmd, check=True, stdout=sys.stderr)
    res = {}
    for r in json.load(open(path)):
        p = r["params"]
        m = r["secondaryMetrics"]["weightBytes"]
        res[(p["type"], int(p["threads"]))] = (m["score"] / 1e9, m["scoreError"] / 1e9)
    os.unlink(path)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--test-backend-ops", required=True)
    ap.add_argument("--jar", default="benchmarks/target/benchmarks.jar")
    ap.add_argument("--types", default="Q4_0,Q2_K,IQ1_S,IQ1_M,IQ2_XXS,IQ2_XS,IQ2_S,IQ3_XXS,IQ3_S,TQ1_0,TQ2_0,MXFP4")
    ap.add_argument("--rows", type=int, default=4096)
    ap.add_argument("--cols", type=int, default=14336)
    ap.add_argument("--iterations", type=int, default=4)
    a = ap.parse_args()
    java = os.environ.get("JAVA", "java")
    types = a.types.split(",")
    moe = moe4j_gbs(java, a.jar, types, a.rows, a.cols, [1, 2], a.iterations)
    q4 = moe[("Q4_0", 2)][0] if ("Q4_0", 2) in moe else None
    print("| format | moe4j 1 thread GB/s | llama.cpp 1 thread GB/s | moe4j / llama.cpp | moe4j 2 threads GB/s | "
          "share of Q4_0 (2 threads) |")
    print("|---|---|---|---|---|---|")
    for t in types:
        l = llama_gbs(a.test_backend_ops, t, a.rows, a.cols)
        m1, e1 = moe[(t, 1)]
        m2, e2 = moe[(t, 2)]
        ratio = "%.2fx" % (m1 / l) if l else "n/a"
        share = "%.0f %%" % (100 * m2 / q4) if q4 else "n/a"
        print("| %s | %.1f ± %.1f | %s | %s | %.1f ± %.1f | %s |" % (
            t, m1, e1, "%.1f" % l if l else "n/a", ratio, m2, e2, share))


if __name__ == "__main__":
    main()
