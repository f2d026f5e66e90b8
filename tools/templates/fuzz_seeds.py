"""Writes the seed corpus of ChatTemplateFuzzTest (the template engine's Jazzer target).

    python3 tools/templates/fuzz_seeds.py

Seeds are template sources, one per file, in
core/src/test/resources/dev/moe4j/internal/template/ChatTemplateFuzzTestInputs/compilesAndRendersOrRaisesTemplateException/:
the real templates of the family fixtures (families/*/*.jinja) and of ../shared/templates, and every snippet of
snippet-cases.json (one construct each: filters, tests, methods, macros, loop controls, namespace, tojson options...).
A normal test run replays them all; fuzzing starts from them. Only seed-* files are rewritten: Jazzer's findings
(crash-*, renamed finding-* once fixed) stay as regression inputs.
"""
import hashlib
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "core/src/test/resources/dev/moe4j/internal/template"
OUT = TEMPLATES / "ChatTemplateFuzzTestInputs/compilesAndRendersOrRaisesTemplateException"
SHARED = ROOT.parent / "shared/templates"


def safe(name):
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("seed-*"):
        old.unlink()
    seeds = {}
    for path in sorted(TEMPLATES.glob("families/*/*.jinja")):
        seeds[f"seed-{path.parent.name}-{path.stem}"] = path.read_bytes()
    for path in sorted(SHARED.glob("*.jinja")):
        seeds[f"seed-shared-{path.stem}"] = path.read_bytes()
    for case in json.loads((TEMPLATES / "snippet-cases.json").read_text(encoding="utf-8")):
        data = case["template"].encode("utf-8")
        # a snippet's name is unique, but keep names short and stable if two differ only in unsafe characters
        seeds[f"seed-snippet-{safe(case['name'])[:60]}-{hashlib.sha1(data).hexdigest()[:6]}"] = data
    for name, data in seeds.items():
        (OUT / name).write_bytes(data)
    print(f"{OUT.relative_to(ROOT)}: {len(seeds)} seeds")


if __name__ == "__main__":
    main()
