"""Differential fuzzing of moe4j's Jinja interpreter against Python Jinja2 (not run by the build).

    mvn -B -ntp -q -pl native-kernels,core test-compile
    python3 core/src/test/python/fuzz_jinja.py [expressions|whitespace|statements] [seed] [count]

Generates random templates of the chosen kind, renders them with the reference environment (jinja_reference.py) and
with JinjaFuzzRunner, and prints every case where the outputs differ or only one side fails. Reprs that contain a
memory address (generators, iterators) are compared without it; a generator's repr turned into a string and then
iterated character by character still shows the address, so such reports are expected noise. Needs jinja2 3.1.x and
the jars in ~/.m2.
"""
import copy
import glob
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from jinja_reference import make_env, render  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[4]
KIND = sys.argv[1] if len(sys.argv) > 1 else "expressions"
R = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
N = int(sys.argv[3]) if len(sys.argv) > 3 else 2000

# ---- expressions ----
STRS = ["''", "'a'", "'Hello World'", "' x '", "'é🦙'", "'a,b,,c'", "'<think>x</think>y'", "'\\n'", "\"it's\"", "'3'",
        "'2.5'", "'%s!'"]
NUMS = ["0", "1", "2", "-1", "3", "10", "0.5", "2.0", "-2.5", "1e20", "7", "true", "false"]
NAMES = ["s", "n", "f", "l", "d", "m", "u", "nn", "e", "ms"]
EXPR_VARS = {"s": "Hello, World", "n": 3, "f": 1.5, "l": [3, 1, 2], "d": {"a": 1, "b": "x", "c": None},
             "m": {"role": "user", "content": "hi there"}, "nn": None, "e": [],
             "ms": [{"role": "user", "content": "a"}, {"role": "assistant", "content": None}]}
FILTERS = ["length", "upper", "lower", "trim", "string", "first", "last", "list", "tojson", "title", "capitalize",
           "reverse", "sort", "unique", "abs", "int", "float", "join(',')", "default('D')", "replace('a','b')", "items",
           "round", "sum", "min", "max", "map('string')", "select", "reject", "selectattr('role')",
           "map(attribute='role')", "count", "wordcount", "e", "safe", "indent(2)", "center(9)", "batch(2)", "dictsort",
           "tojson(indent=1)", "join", "format(1)"]
TESTS = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
         "callable", "odd", "even", "true", "false", "boolean", "lower", "upper", "eq 1", "in [1, 'a']",
         "divisibleby 2", "gt 1", "sameas none"]
METHODS = ["upper()", "lower()", "strip()", "split()", "split(',')", "startswith('H')", "endswith('d')",
           "replace('l', 'L')", "title()", "items()", "keys()", "values()", "get('a')", "get('zz', 5)", "count('l')",
           "find('o')", "rsplit(',', 1)", "lstrip('H')", "join(['x', 'y'])", "capitalize()", "index(1)",
           "splitlines()", "isdigit()"]
OPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "and", "or", "in", "not in", "**"]


def atom(depth):
    r = R.random()
    if r < 0.2:
        return R.choice(STRS)
    if r < 0.4:
        return R.choice(NUMS)
    if r < 0.62:
        return R.choice(NAMES)
    if r < 0.67:
        return R.choice(["none", "undefined_x", "[]", "{}", "()", "range(3)"])
    if r < 0.77 and depth > 0:
        return "[" + ", ".join(expr(depth - 1) for _ in range(R.randint(0, 3))) + "]"
    if r < 0.82 and depth > 0:
        return "{" + ", ".join(f"{R.choice(STRS)}: {expr(depth - 1)}" for _ in range(R.randint(0, 2))) + "}"
    if depth > 0:
        return "(" + expr(depth - 1) + ")"
    return R.choice(NAMES)


def postfix(e):
    r = R.random()
    if r < 0.15:
        return f"{e}|{R.choice(FILTERS)}"
    if r < 0.25:
        return f"{e} is {R.choice(['', 'not '])}{R.choice(TESTS)}"
    if r < 0.35:
        return f"{e}.{R.choice(METHODS)}"
    if r < 0.45:
        return e + "[" + R.choice(['0', '-1', '1:', '::-1', ':2', '"a"', '"role"', '5', '1:3:2']) + "]"
    if r < 0.5:
        return f"{e}.{R.choice(['role', 'content', 'a', 'zz', '0'])}"
    return e


def expr(depth=2):
    r = R.random()
    e = postfix(atom(depth))
    if depth > 0 and r < 0.4:
        e = f"{e} {R.choice(OPS)} {expr(depth - 1)}"
    elif depth > 0 and r < 0.5:
        e = f"{expr(depth - 1)} if {expr(depth - 1)} else {expr(depth - 1)}"
    elif depth > 0 and r < 0.55:
        e = f"not {e}"
    elif depth > 0 and r < 0.6:
        e = f"-{e}"
    return e


def expression_case():
    def stmt():
        r = R.random()
        if r < 0.6:
            return "{{ " + expr() + " }}"
        if r < 0.75:
            return "{% for x in " + expr(1) + " %}[{{ x }}{{ loop.index }}]{% else %}E{% endfor %}"
        if r < 0.85:
            return "{% if " + expr(1) + " %}Y{% else %}N{% endif %}"
        return "{% set v = " + expr(1) + " %}{{ v }}"
    return {"template": "|".join(stmt() for _ in range(R.randint(1, 3))), "variables": EXPR_VARS}


# ---- whitespace control ----
WS = [" ", "  ", "\t", "\n", "\n\n", " \n", "\n  ", "\r\n", "\u00a0", "\n\t ", ""]
TEXT = ["a", "b c", "x\n", "  y", "{", "}", "%", "#", "{ {", "-", "+"]


def sign():
    return R.choice(["", "", "-", "+"])


def ws_piece(depth):
    r = R.random()
    if r < 0.3:
        return R.choice(TEXT) + R.choice(WS)
    if r < 0.45:
        return R.choice(WS)
    if r < 0.6:
        return "{{" + R.choice(["", "", "-"]) + R.choice([" 'v' ", " n ", "1", " x "]) + R.choice(["", "", "-"]) + "}}"
    if r < 0.7:
        return "{#" + sign() + R.choice([" c ", "\n", "{{ x }}", ""]) + sign() + "#}"
    if r < 0.75:
        return ("{%" + sign() + " raw " + sign() + "%}" + R.choice(["{{ x }}", " \n r ", "{% if %}"]) + R.choice(WS)
                + "{%" + sign() + " endraw " + sign() + "%}")
    if depth > 0 and r < 0.9:
        other = "{%" + sign() + " else " + sign() + "%}" + ws_body(depth - 1) if R.random() < 0.4 else ""
        return ("{%" + sign() + " if n " + sign() + "%}" + ws_body(depth - 1) + other + "{%" + sign() + " endif "
                + sign() + "%}")
    if depth > 0:
        return ("{%" + sign() + " for i in [1, 2] " + sign() + "%}" + ws_body(depth - 1) + "{%" + sign()
                + " endfor " + sign() + "%}")
    return R.choice(WS)


def ws_body(depth):
    return "".join(ws_piece(depth) + R.choice(WS) for _ in range(R.randint(1, 4)))


def whitespace_case():
    return {"template": ws_body(2), "variables": {"n": R.choice([0, 1]), "x": "X"}}


# ---- statements: scoping, macros, call blocks, loop controls ----
PRE = ("{% set ns = namespace(v=0) %}{% macro m(p, q=5) %}({{ p }},{{ q }},{{ varargs }},{{ kwargs }},{{ a }})"
       "{% endmacro %}{% macro m2(z) %}[{{ caller(z) }}|{{ caller('w') }}]{% endmacro %}{% set a = 1 %}{% set b = 'B' %}")
SHOWN = ["a", "b", "ns.v", "loop.index", "loop.first", "loop.last", "loop.previtem", "loop.nextitem", "loop.length",
         "i", "k", "x"]


def value():
    return R.choice(["a", "b", "i", "1", "'s'", "ns.v", "a + 1", "b ~ 'z'", "[a, b]", "loop.index0", "m(1)",
                     "m(b=2)", "m(1, 2, 3)", "x|default(0)", "none", "i * 2", "k"])


def statement(depth, in_loop):
    r = R.random()
    if r < 0.25:
        return "{{ " + R.choice(SHOWN) + " }}"
    if r < 0.4:
        rhs = value() if R.random() < 0.8 else value() + ", " + value()
        return "{% set " + R.choice(["a", "b", "ns.v", "a, b"]) + " = " + rhs + " %}"
    if r < 0.45 and in_loop:
        return R.choice(["{% break %}", "{% continue %}"])
    if depth > 0 and r < 0.6:
        other = "{% else %}" + block(depth - 1, in_loop) if R.random() < 0.5 else ""
        return ("{% for i in " + R.choice(["[1, 2, 3]", "[]", "'ab'", "range(3)", "[1, 2] if a else []"])
                + R.choice(["", " if i != 2"]) + " %}" + block(depth - 1, True) + other + "{% endfor %}")
    if depth > 0 and r < 0.72:
        return ("{% if " + value() + " %}" + block(depth - 1, in_loop)
                + R.choice(["", "{% elif " + value() + " %}" + block(depth - 1, in_loop)])
                + R.choice(["", "{% else %}" + block(depth - 1, in_loop)]) + "{% endif %}")
    if depth > 0 and r < 0.8:
        return "{% set x %}" + block(depth - 1, in_loop) + "{% endset %}[{{ x }}]"
    if depth > 0 and r < 0.86:
        return "{% with k = " + value() + " %}" + block(depth - 1, in_loop) + "{% endwith %}"
    if depth > 0 and r < 0.92:
        return "{% call(p) m2(" + value() + ") %}<{{ p }}>" + block(depth - 1, False) + "{% endcall %}"
    if depth > 0:
        return "{% filter upper %}" + block(depth - 1, in_loop) + "{% endfilter %}"
    return "{{ " + value() + " }}"


def block(depth, in_loop):
    return "".join(statement(depth, in_loop) + R.choice(["", " ", "|"]) for _ in range(R.randint(1, 3)))


def statement_case():
    return {"template": PRE + block(3, False) + "|{{ a }}{{ b }}{{ ns.v }}", "variables": {}}


def classpath():
    """core's classes plus the Jackson version the build uses (jackson.version in the parent pom)."""
    version = re.search(r"<jackson.version>([^<]+)</jackson.version>", (ROOT / "pom.xml").read_text()).group(1)
    repo = os.path.expanduser("~/.m2/repository/com/fasterxml/jackson/core")
    jars = [f"{repo}/jackson-databind/{version}/jackson-databind-{version}.jar",
            f"{repo}/jackson-core/{version}/jackson-core-{version}.jar"]
    minor = ".".join(version.split(".")[:2])
    annotations = sorted(glob.glob(f"{repo}/jackson-annotations/{minor}*/*.jar"))
    return ":".join([str(ROOT / "core/target/classes"), str(ROOT / "core/target/test-classes")] + jars
                    + annotations[-1:])


def main():
    warnings.filterwarnings("ignore", category=SyntaxWarning)  # Python's compiler on templates like {{ 1[0] }}
    make = {"expressions": expression_case, "whitespace": whitespace_case, "statements": statement_case}[KIND]
    cases = [make() for _ in range(N)]
    env = make_env()
    reference = [render(env, c["template"], copy.deepcopy(c["variables"])) for c in cases]
    with tempfile.TemporaryDirectory() as tmp:
        cases_file, ours_file = os.path.join(tmp, "cases.json"), os.path.join(tmp, "ours.json")
        with open(cases_file, "w") as f:
            json.dump(cases, f)
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if "JAVA_HOME" in os.environ else "java"
        subprocess.run([java, "-cp", classpath(), "dev.moe4j.internal.template.JinjaFuzzRunner", cases_file,
                        ours_file], check=True)
        with open(ours_file) as f:
            ours = json.load(f)
    differences = 0
    for case, a, b in zip(cases, reference, ours):
        kind_a = next(k for k in ("expected", "error", "compile_error") if k in a)
        kind_b = next(k for k in ("expected", "error", "compile_error", "crash") if k in b)
        same = kind_a == kind_b and (kind_a != "expected"
                                     or re.sub(r" at 0x[0-9a-f]+>", ">", a["expected"]) == b["expected"])
        if not same:
            differences += 1
            print("TEMPLATE:", repr(case["template"]))
            print("  jinja2:", kind_a, repr(a[kind_a])[:300])
            print("  moe4j :", kind_b, repr(b[kind_b])[:300])
    print(f"{differences} differences in {N} {KIND} cases")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
