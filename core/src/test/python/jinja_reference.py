"""The reference environment: Python Jinja2 configured exactly as Hugging Face transformers renders chat templates.

ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with jinja2.ext.loopcontrols and the
{% generation %} tag, a raise_exception
global, strftime_now on the fixed date 2024-07-26, and tojson = json.dumps (no ASCII escaping, Python separators).
"""
import datetime
import json

from jinja2 import nodes
from jinja2.exceptions import TemplateError
from jinja2.ext import Extension
from jinja2.sandbox import ImmutableSandboxedEnvironment


class GenerationTag(Extension):
    """transformers' AssistantTracker as it renders when no assistant mask is requested: the body, via a call block."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def make_env():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=["jinja2.ext.loopcontrols", GenerationTag])

    def raise_exception(message):
        raise TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.datetime(2024, 7, 26).strftime(fmt)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(env, source, variables):
    """Returns {"expected": text}, {"error": message} (render-time) or {"compile_error": message}."""
    try:
        template = env.from_string(source)
    except Exception as e:  # noqa: BLE001 - any compile failure is a case outcome
        return {"compile_error": f"{type(e).__name__}: {e}"}
    try:
        return {"expected": template.render(**variables)}
    except Exception as e:  # noqa: BLE001 - any render failure is a case outcome
        return {"error": str(e), "error_type": type(e).__name__}
