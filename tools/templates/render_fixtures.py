"""Renders the chat-template family fixtures with Python Jinja2, the reference moe4j's template engine must match.

    python3 tools/templates/render_fixtures.py            # every family
    python3 tools/templates/render_fixtures.py glm        # one family

A family folder (core/src/test/resources/dev/moe4j/internal/template/families/<family>/) holds the real templates
(*.jinja) and conversations.json: {"now", "bos_token", "eos_token", "conversations": [{"name", "messages",
"add_generation_prompt", "variables"?}]}. This script renders every conversation with every template and writes
expected.json: {"<template file>": {"<conversation name>": {"expected": text} or {"error": message}}}.
FamilyTemplateCasesTest renders the same with moe4j and compares byte for byte.

The environment is Hugging Face transformers' apply_chat_template (what llama.cpp's --jinja mimics):
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with loop controls, the globals
raise_exception(message) and strftime_now(format), and tojson = json.dumps without ASCII escaping. strftime_now reads
the conversations file's fixed "now" instead of the wall clock, so the renderings do not depend on the day they were
made. Variables: messages, add_generation_prompt, tools and documents (None unless the conversation sets them), the
family's bos_token/eos_token, then the conversation's "variables". Needs jinja2 3.1.x (tested with 3.1.6).
"""
import datetime
import json
import pathlib
import sys

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

ROOT = pathlib.Path(__file__).resolve().parents[2]
FAMILIES = ROOT / "core/src/test/resources/dev/moe4j/internal/template/families"


def make_env(now):
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return now.strftime(fmt)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render_family(folder):
    spec = json.loads((folder / "conversations.json").read_text(encoding="utf-8"))
    env = make_env(datetime.datetime.fromisoformat(spec["now"]))
    out = {}
    for path in sorted(folder.glob("*.jinja")):
        template = env.from_string(path.read_text(encoding="utf-8"))
        results = {}
        for c in spec["conversations"]:
            variables = {"messages": c["messages"], "add_generation_prompt": c["add_generation_prompt"],
                         "tools": None, "documents": None,
                         "bos_token": spec["bos_token"], "eos_token": spec["eos_token"]}
            variables.update(c.get("variables", {}))
            try:
                results[c["name"]] = {"expected": template.render(**variables)}
            except Exception as e:  # noqa: BLE001 - raise_exception, undefined attributes, Python's TypeError
                results[c["name"]] = {"error": str(e)}
        out[path.name] = results
    target = folder / "expected.json"
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{target.relative_to(ROOT)}: {len(out)} templates x {len(spec['conversations'])} conversations")


def main():
    names = sys.argv[1:] or sorted(p.name for p in FAMILIES.iterdir() if p.is_dir())
    for name in names:
        render_family(FAMILIES / name)


if __name__ == "__main__":
    main()
