#!/usr/bin/env python3
"""Time to first token of llama-server's /infill, cold and after a one-line edit: the llama.cpp side of
`moe4j infill-bench` (same generated file, same cursor, same edits, same model file).

llama-server is asked as llama.vscode asks it: input_prefix = the lines before the cursor's line, prompt = the cursor
line up to the cursor (what was typed), input_suffix = the rest. Its prompt cache (cache_prompt, on by default) reuses
the longest common prefix; with --cache-reuse N it also reuses shifted chunks of N+ tokens (KV shifting).

usage: infill_llama_server.py --server PATH/llama-server -m MODEL.gguf [-t 2] [--file-tokens 2000] [-r 3]
                              [--lines-above 10] [--cache-reuse N]
"""
import argparse
import json
import statistics
import subprocess
import time
import urllib.request


def post(port, path, body):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=3600) as r:
        return json.loads(r.read())


def wait_ready(port, proc):
    for _ in range(1200):
        if proc.poll() is not None:
            raise SystemExit("llama-server exited")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.5)
    raise SystemExit("llama-server did not become ready")


def synthetic_lines(port, tokens):
    """The same lines as InfillBenchCommand.SyntheticCode: Java-like code of at least `tokens` tokens."""
    out = ["// header"]
    i = 0
    while len(post(port, "/tokenize", {"content": "\n".join(out)})["tokens"]) < tokens:
        k = i % 6
        if k == 0:
            out.append(f"    /** Returns the value of field {i}, or its default. */")
        elif k == 1:
            out.append(f"    public int value{i}(int x, int y) {{")
        elif k == 2:
            out.append(f"        int total = x * {i % 17 + 2} + y - {i % 5};")
        elif k == 3:
            out.append(f"        if (total > {i * 7 % 100}) {{ return total / 2; }}")
        elif k == 4:
            out.append(f"        return total + field{i};")
        else:
            out.append("    }")
        i += 1
    return out


def complete(port, lines, cursor, typed):
    line = lines[cursor]
    col = len(line) // 2
    prefix = "".join(l + "\n" for l in lines[:cursor])
    suffix = line[col:] + "\n" + "".join(l + "\n" for l in lines[cursor + 1:])
    body = {"input_prefix": prefix, "input_suffix": suffix, "prompt": line[:col] + typed, "n_predict": 4,
            "temperature": 0, "cache_prompt": True, "ignore_eos": True}
    start = time.perf_counter()
    r = post(port, "/infill", body)
    wall_ms = (time.perf_counter() - start) * 1e3
    t = r["timings"]
    # time to first token: everything but the decode of the tokens after the first
    ttft = wall_ms - t["predicted_ms"] * max(0, t["predicted_n"] - 1) / max(1, t["predicted_n"])
    return ttft, r["tokens_evaluated"], r.get("tokens_cached", 0), t["prompt_n"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("-m", "--model", required=True)
    ap.add_argument("-t", "--threads", type=int, default=2)
    ap.add_argument("--file-tokens", type=int, default=2000)
    ap.add_argument("-r", "--reps", type=int, default=3)
    ap.add_argument("--lines-above", type=int, default=10)
    ap.add_argument("--cache-reuse", type=int, default=0)
    ap.add_argument("--port", type=int, default=18089)
    a = ap.parse_args()
    cmd = [a.server, "-m", a.model, "-t", str(a.threads), "-tb", str(a.threads), "-c", "4096", "-np", "1",
           "--port", str(a.port), "--no-warmup"]
    if a.cache_reuse:
        cmd += ["--cache-reuse", str(a.cache_reuse)]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(a.port, proc)
        lines = synthetic_lines(a.port, a.file_tokens)
        cursor = len(lines) // 2
        cold = []
        for r in range(a.reps):
            f = list(lines)
            f[0] = f"// revision {r} of the file, cold run"
            cold.append(complete(a.port, f, cursor, ""))
        f = list(lines)
        f[0] = "// the file being edited"
        complete(a.port, f, cursor, "")
        typed = ""
        typing = []
        for r in range(a.reps):
            typed += chr(ord("a") + r)
            typing.append(complete(a.port, f, cursor, typed))
        above = []
        for r in range(a.reps):
            f[cursor - a.lines_above] += f" // edit {r}"
            above.append(complete(a.port, f, cursor, typed))

        def row(name, xs):
            ms = [x[0] for x in xs]
            sd = statistics.stdev(ms) if len(ms) > 1 else 0.0
            return f"  {name:<40} {statistics.mean(ms):9.1f} ms   (sd {sd:.1f})  prompt {xs[-1][1]}, " \
                   f"evaluated {xs[-1][3]}"
        c = statistics.mean(x[0] for x in cold)
        print(f"llama-server{' --cache-reuse ' + str(a.cache_reuse) if a.cache_reuse else ''}, {a.threads} threads,"
              f" time to first token (mean of {a.reps}):")
        print(row("cold (new file head)", cold))
        print(row("typing on the cursor's line", typing) + f"  {c / statistics.mean(x[0] for x in typing):.1f}x")
        print(row(f"one-line edit {a.lines_above} lines above the cursor", above)
              + f"  {c / statistics.mean(x[0] for x in above):.1f}x")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
