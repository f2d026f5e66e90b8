"""Regenerates the differential test data for moe4j's Jinja interpreter from Python Jinja2 (the reference).

    python3 core/src/test/python/generate_jinja_conformance.py

writes core/src/test/resources/dev/moe4j/internal/template/snippet-cases.json (small templates exercising one feature
each) and real-template-cases.json (more conversations for the real templates in ../shared/templates: tools, tool calls,
reasoning, errors). The Java tests (JinjaSnippetConformanceTest, RealTemplateExtraCasesTest) check that moe4j renders
every case identically, or fails where Jinja2 fails. Needs jinja2 3.1.x.
"""
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from jinja_reference import make_env, render  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[4]
OUT = ROOT / "core/src/test/resources/dev/moe4j/internal/template"
SHARED = ROOT.parent / "shared" / "templates"

MSG = {"role": "user", "content": "Hi"}
DICT = {"a": 1, "b": [1, 2], "c": None, "role": "user", "keys": "k-value", "n": {"x": {"y": 5}}}
LIST = [3, 1, 2, 5, 4]
PEOPLE = [
    {"name": "bob", "age": 31, "role": "user", "tag": None},
    {"name": "Alice", "age": 25, "role": "assistant"},
    {"name": "carol", "age": 31, "role": "user", "tag": "x"},
]

# (name, template, variables)
SNIPPETS = [
    # ---- whitespace control, trim_blocks, lstrip_blocks ----
    ("ws_lstrip_trim", "  {% if true %}\n    x\n  {% endif %}\nafter", {}),
    ("ws_minus_both", "a  {%- if true -%}  b  {%- endif -%}  c", {}),
    ("ws_variable_minus", "a \n {{- ' x ' -}} \n b", {}),
    ("ws_variable_no_lstrip", "a\n    {{ 'x' }}\n    {% if true %}y{% endif %}", {}),
    ("ws_comment_line", "line1\n    {# comment #}\nline2", {}),
    ("ws_comment_minus", "a {#- c -#} b", {}),
    ("ws_comment_plus", "a {#+ c +#}\nb", {}),
    ("ws_raw", "{% raw %}{{ x }}{% if %}{% endraw %}|{%- raw -%}  keep {{ y }}  {%- endraw -%}|", {}),
    ("ws_plus_disables_lstrip", "  {%+ if true %}x{% endif %}", {}),
    ("ws_plus_disables_trim", "{% if true +%}\nx{% endif %}", {}),
    ("ws_for_lines", "x\n{% for i in [1,2] %}\n  {{ i }}\n{% endfor %}\ny", {}),
    ("ws_crlf", "a\r\n{% if true %}\r\nb\r\n{% endif %}\r\nc\r\n", {}),
    ("ws_cr", "a\r{% if true %}\rb\r{% endif %}\r", {}),
    ("ws_trailing_newline_once", "abc\n\n", {}),
    ("ws_tabs", "\t{% if true %}x{% endif %}\n\t \t{% if true %}\ny\n\t{% endif %}", {}),
    ("ws_no_lstrip_after_text", "ab {% if true %}x{% endif %} cd", {}),
    ("ws_nbsp_minus", "x\u00a0\u3000{%- if true %}y{% endif %}", {}),
    ("ws_nbsp_not_lstripped", "x\n\u00a0{% if true %}y{% endif %}", {}),
    ("ws_start_of_template", "   {% if true %}a{% endif %}", {}),
    ("ws_after_minus_block", "{% if true -%}\n   \n  {% if true %}b{% endif %}{% endif %}", {}),
    ("ws_nested_blocks",
     "{% for m in msgs %}\n    {% if m.role == 'user' %}\n        U:{{ m.content }}\n    {% else %}\n"
     "        A:{{ m.content }}\n    {% endif %}\n{% endfor %}", {"msgs": [MSG, {"role": "a", "content": "yo"}]}),
    ("ws_variable_end_minus_newlines", "{{ 'a' -}}\n\n   \n{{ 'b' }}", {}),
    ("ws_block_end_minus_then_comment", "{% if true -%}   {# c #}\n  x{% endif %}", {}),
    ("ws_only_data", "plain text with { braces } and {x} and %} and #}", {}),
    ("ws_brace_in_string", "{{ '}}' }}{{ \"%}\" }}{% if '%}' %}ok{% endif %}", {}),
    ("ws_dict_literal_in_var", "{{ {'a': {'b': 1}} }}", {}),

    # ---- literals and printing (Python str/repr) ----
    ("lit_numbers", "{{ 1 }} {{ 1.0 }} {{ 1.5e10 }} {{ 1e16 }} {{ 1e15 }} {{ 1e-5 }} {{ 0.0001 }} {{ 0.1 + 0.2 }} "
                    "{{ -0.0 }} {{ 123456789.123 }} {{ 1e22 }} {{ 2.5e-7 }} {{ 1_000 }} {{ 0x1F }} {{ 0o17 }} "
                    "{{ 0b101 }} {{ 1_0.5 }} {{ 3.14159 }}", {}),
    ("lit_arith", "{{ 10/4 }} {{ 6/3 }} {{ 1/3 }} {{ 10//4 }} {{ -7//2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2**10 }} "
                  "{{ 2**-1 }} {{ 2**3**2 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} "
                  "{{ -2 ** 2 }} {{ true + 1 }} {{ 1.5 + 1 }} {{ 3 - 5 }} {{ 2 * 2.5 }}", {}),
    ("lit_consts", "{{ true }} {{ True }} {{ false }} {{ none }} {{ None }} {{ [1, 'a', none, true, 1.5] }} "
                   "{{ {'a': 1, 'b': [1, 2], 3: 'x', none: false} }} {{ (1,) }} {{ (1, 2) }} {{ () }} {{ [] }} {{ {} }}",
     {}),
    ("lit_string_escapes", "{{ 'a\\nb\\tc\\\\d\\'e\"f\\x41\\u00e9\\U0001F999\\N{BULLET}\\101\\q\\\nz' }}", {}),
    ("lit_string_dq", "{{ \"it's \\\"quoted\\\"\" }}", {}),
    ("lit_repr_quotes", "{{ [\"it's\", 'say \"hi\"', \"both ' \\\"\", '\\\\'] }}", {}),
    ("lit_repr_controls", "{{ ['\\n\\t\\r\\x00\\x7f\\x85\\xa0\\u200b é 🦙 \\u2028'] }}", {}),
    ("lit_adjacent_strings", "{{ 'a' \"b\" 'c' }}", {}),
    ("lit_tuple_print", "{{ 1, 'two' }}", {}),
    ("lit_multiline_string", "{{ 'line1\nline2' }}", {}),
    ("lit_unicode_literal", "{{ '<｜User｜>' + '数学 ✓ 🦙' }}", {}),
    ("print_values", "{{ v }}|{{ v|string }}|{{ [v] }}",
     {"v": {"k": [1, 2.5, None, True, "s", {"n": "it's"}], "e": {}, "l": []}}),
    ("print_float_values", "{{ f }} {{ [f, g, h] }}", {"f": 2.0, "g": 1e100, "h": -1.5e-10}),
    ("print_big_int", "{{ n }} {{ n + 1 }} {{ -n }}", {"n": 9007199254740993}),

    # ---- operators ----
    ("op_concat", "{{ 'a' ~ 1 ~ none ~ true ~ undefined_var ~ [1] ~ 1.5 }}", {}),
    ("op_repeat", "{{ 'ab' * 3 }} {{ [1] * 2 }} {{ 3 * 'x' }} {{ [1,2] + [3] }} {{ 'x' * 0 }} {{ 'x' * -1 }}", {}),
    ("op_compare", "{{ 1 < 2 < 3 }} {{ 1 < 3 < 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' < 'b' }} {{ [1,2] < [1,3] }} "
                   "{{ (1,2) == [1,2] }} {{ 'B' < 'a' }} {{ none == none }} {{ {'a':1} == {'a':1} }} {{ 2 >= 2 }} "
                   "{{ 1 != 1.0 }} {{ '🦙' > 'z' }} {{ [1, [2]] == [1, [2]] }}", {}),
    ("op_in", "{{ 'a' in 'cat' }} {{ 1 in [1,2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ 'x' in undefined_var }} "
              "{{ 1.0 in [1] }} {{ 'role' in m }} {{ 'nope' in m }} {{ '' in 'abc' }}", {"m": MSG}),
    ("op_and_or", "{{ none or 'x' }} {{ 0 and 1 }} {{ '' or [] }} {{ 'a' and 'b' }} {{ not 1 == 2 }} {{ not none }} "
                  "{{ 1 and 0 or 'z' }} {{ not not 'q' }}", {}),
    ("op_ternary", "{{ 'y' if 1 else 'n' }}|{{ 'y' if 0 }}|{{ 'a' if false else 'b' if true else 'c' }}", {}),
    ("op_filter_precedence", "{{ 'a' + 'b' | upper }} {{ [1,2,3] | length - 1 }} {{ -3|abs }} {{ -x|abs }} "
                             "{{ not 'x' is string }} {{ 1 + 2 | string ~ 3 }}", {"x": 4}),
    ("op_unary_chain", "{{ - - 3 }} {{ +-3 }} {{ -(2) }}", {}),

    # ---- undefined ----
    ("undef_print", "[{{ x }}]|{{ x is defined }}|{{ x is undefined }}|{{ d.missing }}|{{ d['missing'] }}|"
                    "{{ d.missing is defined }}|{{ none.attr }}|{{ x == x }}|{{ x == none }}",
     {"d": DICT}),
    ("undef_default", "{{ x | default('dflt') }} {{ none | default('d') }} {{ '' | default('d', true) }} "
                      "{{ 0 | d('zero', boolean=true) }} {{ x | d }}|", {}),
    ("undef_filters", "{{ u | length }} {{ u | list }} {{ u | join(',') }}[{{ u | trim }}] {{ u | first }}"
                      "{{ u | string }}{{ u|upper }}{{ u|map('upper')|list }}{{ u|count }}", {}),
    ("undef_for_else", "{% for i in u %}x{% else %}empty{% endfor %}", {}),
    ("undef_add_error", "{{ x + 1 }}", {}),
    ("undef_attr_error", "{{ x.y }}", {}),
    ("undef_call_error", "{{ x() }}", {}),
    ("undef_chain_error", "{{ d.a.b.c }}", {"d": DICT}),
    ("undef_in_concat_plus", "{{ 'a' + d.nope }}", {"d": DICT}),
    ("undef_compare_error", "{{ x < 1 }}", {}),
    ("undef_iterate_string_attr", "{{ d.n.x.y }} {{ d['n']['x']['y'] }} {{ d.n.x.z }}|", {"d": DICT}),

    # ---- attribute and item access ----
    ("access_dict", "{{ m.role }} {{ m['role'] }} {{ m.get('role') }} {{ m.get('nope', 'dflt') }} {{ m.get('nope') }} "
                    "{{ m.items() | list }} {{ m.keys() | list }} {{ m.values() | list }} {{ m.items() }} {{ m.keys() }}",
     {"m": MSG}),
    ("access_dict_method_vs_key", "{{ d['keys'] }} {{ d.keys is defined }} {{ d.update is defined }} {{ d.__class__ }}|"
                                  "{{ d._x }}", {"d": dict(DICT, _x="underscore")}),
    ("access_list", "{{ l[0] }} {{ l[-1] }} [{{ l[5] }}] {{ l[1:] }} {{ l[::-1] }} {{ l[:-1] }} {{ l[::2] }} {{ l[-2:] }} "
                    "{{ l.0 }} {{ l[1:4:2] }} {{ l[10:] }} {{ l[-10:2] }} {{ l[true] }} {{ l[3:1:-1] }}", {"l": LIST}),
    ("access_string_codepoints", "{{ s[0] }} {{ s[1] }} {{ s[-1] }} {{ s[::-1] }} {{ s|length }} {{ s[1:3] }} "
                                 "{{ s|list }} {{ s[:-1] }}", {"s": "a🦙bé"}),
    ("access_list_methods", "{{ l.append is defined }} {{ l.count(1) }} {{ l.index(2) }} {{ l.pop is defined }}",
     {"l": LIST}),
    ("access_nested_loop_var", "{% for m in ms %}{{ m['content'] }}{{ m.content }}{% endfor %}", {"ms": [MSG, MSG]}),
    ("access_int_attr", "{{ d.n.x.y.z }}|{{ 5.real is defined }}", {"d": DICT}),

    # ---- string methods ----
    ("str_split", "{{ s.split() }} {{ s.split(' ') }} {{ s.split(' ', 1) }} {{ s.rsplit(None, 1) }} "
                  "{{ s.rsplit(' ', 1) }} {{ 'a,b,,c'.split(',') }} {{ ''.split() }} {{ ''.split(',') }} "
                  "{{ s.split(maxsplit=1) }} {{ 'a\\tb\\nc'.split() }}", {"s": "  hello big  world  "}),
    ("str_strip", "[{{ s.strip() }}] [{{ s.lstrip() }}] [{{ s.rstrip() }}] {{ 'xxhixx'.strip('x') }} "
                  "{{ '\\n\\nabc\\n'.lstrip('\\n') }} {{ 'abcba'.strip('ab') }}", {"s": " \t hi \n "}),
    ("str_affix", "{{ s.startswith('he') }} {{ s.endswith('lo') }} {{ s.startswith(('x', 'h')) }} "
                  "{{ s.endswith(('x', 'y')) }} {{ s.startswith('l', 2) }} {{ s.startswith('') }}", {"s": "hello"}),
    ("str_replace", "{{ s.replace('l', 'L') }} {{ s.replace('l', 'L', 1) }} {{ 'ab'.replace('', '-') }} "
                    "{{ s.replace('zz', 'y') }}", {"s": "hello"}),
    ("str_case", "{{ s.upper() }} {{ s.lower() }} {{ s.title() }} {{ s.capitalize() }} {{ s.swapcase() }} "
                 "{{ s|title }} {{ s|capitalize }} {{ 'ß'.upper() }}", {"s": "hELLo wORLD-foo o'neil 3rd (x)"}),
    ("str_find", "{{ s.find('l') }} {{ s.rfind('l') }} {{ s.find('z') }} {{ s.index('e') }} {{ s.count('l') }} "
                 "{{ '🦙x🦙x'.find('x') }}", {"s": "hello"}),
    ("str_join", "{{ ', '.join(['a', 'b']) }} {{ '-'.join('abc') }} {{ ''.join([]) }}", {}),
    ("str_misc", "{{ 'a\\r\\nb\\nc'.splitlines() }} {{ 'k=v=w'.partition('=') }} {{ 'k=v=w'.rpartition('=') }} "
                 "[{{ 'ab'.center(6) }}] [{{ 'ab'.ljust(4, '*') }}] [{{ 'ab'.rjust(4) }}] {{ '42'.zfill(5) }} "
                 "{{ '-4'.zfill(4) }} {{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ ' '.isspace() }} "
                 "{{ 'abc'.islower() }} {{ 'ABC'.isupper() }} {{ 'prefix_x'.removeprefix('prefix_') }} "
                 "{{ 'x.json'.removesuffix('.json') }}", {}),
    ("str_split_empty_sep_error", "{{ 'abc'.split('') }}", {}),
    ("str_unknown_method_error", "{{ 'abc'.nope() }}", {}),
    ("str_join_non_str_error", "{{ ', '.join([1, 2]) }}", {}),

    # ---- filters ----
    ("f_trim_length", "[{{ s|trim }}] [{{ 'xxyxx'|trim('x') }}] {{ s|length }} {{ [1,2]|count }} {{ m|length }}",
     {"s": "  a b \n", "m": MSG}),
    ("f_tojson", "{{ v|tojson }}\n{{ v|tojson(indent=2) }}\n{{ v|tojson(indent=4, sort_keys=true) }}\n"
                 "{{ v|tojson(ensure_ascii=true) }}\n{{ v|tojson(separators=(',', ':')) }}\n{{ [[], {}]|tojson(indent=2) }}"
                 "\n{{ 'é\"\\\\\\n\\t\\x01\\x7f'|tojson }} {{ none|tojson }} {{ true|tojson }} {{ 1.5|tojson }} "
                 "{{ 1e16|tojson }} {{ (1, 'a')|tojson }} {{ {1: 'int key', none: 'n', true: 't'}|tojson }}",
     {"v": {"name": "get_weather", "desc": "Météo 🌦 <b>&'", "params": {"type": "object", "n": [1, 2.5, None, False]},
            "empty": {}}}),
    ("f_tojson_indent_string", "{{ v|tojson(indent='\\t') }}|{{ v|tojson(indent=0) }}", {"v": {"a": [1, {"b": 2}]}}),
    ("f_tojson_positional_is_ensure_ascii", "{{ 'é'|tojson(2) }}", {}),
    ("f_tojson_undefined_error", "{{ nope|tojson }}", {}),
    ("f_string", "{{ [1]|string }} {{ none|string }} {{ true|string }} {{ {'a': 'b'}|string }} {{ 1.0|string }}", {}),
    ("f_case_non_string", "{{ 123|upper }} {{ none|lower }} {{ [1, 'a']|upper }} {{ 'hello world'|title }} "
                          "{{ 'hello-world (foo) [bar] <baz>'|title }} {{ 'ÉCOLE élève'|lower }} {{ 'mIxEd'|capitalize }}",
     {}),
    ("f_replace", "{{ 'hello'|replace('l', 'L') }} {{ 'hello'|replace('l', 'L', 1) }} {{ 123|replace(2, 9) }}", {}),
    ("f_join", "{{ [1, 2, 3]|join(', ') }} {{ people|join(',', attribute='name') }} {{ 'abc'|join('.') }} "
               "{{ [none, true]|join }}", {"people": PEOPLE}),
    ("f_first_last", "{{ [1,2]|first }} {{ [1,2]|last }} {{ 'abc'|first }} {{ 'abc'|last }} {{ m|first }} "
                     "[{{ []|first }}] [{{ []|last }}]", {"m": MSG}),
    ("f_items_list", "{{ m|items|list }} {% for k, v in m|items %}{{ k }}={{ v }};{% endfor %} {{ m|list }} "
                     "{{ 'ab'|list }} {{ (1,2)|list }}", {"m": MSG}),
    ("f_select", "{{ people|selectattr('role', 'equalto', 'user')|list }} "
                 "{{ people|rejectattr('role', 'equalto', 'user')|map(attribute='name')|list }} "
                 "{{ people|selectattr('tag')|map(attribute='name')|list }} "
                 "{{ people|selectattr('tag', 'none')|map(attribute='name')|list }} "
                 "{{ people|selectattr('tag', 'defined')|map(attribute='name')|list }} "
                 "{{ [1,2,3,4]|select('odd')|list }} {{ [1,2,3,4]|reject('even')|list }} {{ [0,1,'',none,'a']|select|list }} "
                 "{{ [1,5,10]|select('gt', 3)|list }} {{ [1,5,10]|select('lessthan', 6)|list }} "
                 "{{ ['a','b']|select('in', ['b', 'c'])|list }}", {"people": PEOPLE}),
    ("f_map", "{{ people|map(attribute='name')|list }} {{ ['a','b']|map('upper')|list }} "
              "{{ people|map(attribute='tag', default='-')|list }} {{ ['x y']|map('replace', ' ', '_')|list }} "
              "{{ [{'a': {'b': 1}}]|map(attribute='a.b')|list }} {{ [[1, 2]]|map(attribute='1')|list }}",
     {"people": PEOPLE}),
    ("f_generator_semantics", "{% if []|select %}truthy{% endif %} {% set g = [1,2]|map('string') %}"
                              "{% for x in g %}{{ x }}{% endfor %}|{% for x in g %}{{ x }}{% endfor %}|"
                              "{{ 2 in [1,2,3]|select }}", {}),
    ("f_generator_length_error", "{{ people|selectattr('role', 'equalto', 'user')|length }}", {"people": PEOPLE}),
    ("f_generator_last_error", "{{ people|selectattr('role')|last }}", {"people": PEOPLE}),
    ("f_int_float", "{{ '42'|int }} {{ '3.7'|int }} {{ 'abc'|int }} {{ 'abc'|int(7) }} {{ '1A'|int(base=16) }} "
                    "{{ '0x1A'|int(0, 16) }} {{ 4.9|int }} {{ -4.9|int }} {{ true|int }} {{ none|int }} {{ ' 12 '|int }} "
                    "{{ '1_000'|int }} {{ '42'|float }} {{ 'x'|float }} {{ '1e3'|float }} {{ 3|float }} "
                    "{{ ' -2.5 '|float }} {{ 'inf'|float }} {{ 'nan'|float }}", {}),
    ("f_round_abs", "{{ 2.5|round }} {{ 3.5|round }} {{ 2.675|round(2) }} {{ 2.1|round(0, 'ceil') }} "
                    "{{ 2.9|round(method='floor') }} {{ 3|round }} {{ -2.5|abs }} {{ -3|abs }} {{ 1234.5678|round(-2) }}",
     {}),
    ("f_sort", "{{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3,1,2]|sort(true) }} "
               "{{ people|sort(attribute='age')|map(attribute='name')|list }} "
               "{{ people|sort(attribute='age,name')|map(attribute='name')|list }} "
               "{{ people|sort(attribute='age', reverse=true)|map(attribute='name')|list }}", {"people": PEOPLE}),
    ("f_dictsort_unique_minmax", "{{ {'b': 1, 'A': 2, 'c': 0}|dictsort }} {{ {'b': 1, 'A': 2}|dictsort(by='value') }} "
                                 "{{ ['a', 'A', 'b', 'a']|unique|list }} {{ ['a', 'A']|unique(true)|list }} "
                                 "{{ [3, 1, 2]|min }} {{ [3, 1, 2]|max }} {{ ['b', 'A']|min }} "
                                 "{{ people|max(attribute='age')|attr('name') }} {{ people|min(attribute='age') }} "
                                 "{{ [1, 2.5]|sum }} {{ people|sum(attribute='age') }} {{ [[1], [2]]|sum(start=[]) }} "
                                 "[{{ []|min }}]", {"people": PEOPLE}),
    ("f_reverse_misc", "{{ 'abc🦙'|reverse }} {{ [1,2,3]|reverse|list }} {{ {'a': 1, 'b': 2}|reverse|list }} "
                       "{{ 'a b  c'|wordcount }} [{{ 'ab'|center(6) }}] {{ [1,2,3,4,5]|batch(2)|list }} "
                       "{{ [1,2,3]|batch(2, 'x')|list }} {{ '<a href=\"x\">&\\'</a>'|e }} {{ '<b>'|escape }} "
                       "{{ '<b>'|safe }} {{ 5|safe }}", {}),
    ("f_indent", "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|"
                 "{{ 'a\\nb'|indent('> ') }}|{{ 'x\\n'|indent(first=true) }}", {}),
    ("f_attr", "{{ m|attr('role') }}| {{ 'abc'|attr('upper') is callable }} {{ m|attr('items') is defined }}",
     {"m": MSG}),
    ("f_attr_of_undefined_error", "{{ nope|attr('x') }}", {}),
    ("f_filter_chain_args", "{{ '  Hello World  '|trim|lower|replace('world', 'there')|title }}", {}),

    # ---- tests ----
    ("tests_table",
     "{% for v in values %}{{ loop.index0 }}:"
     "{{ v is none }}{{ v is boolean }}{{ v is true }}{{ v is false }}{{ v is integer }}{{ v is float }}"
     "{{ v is number }}{{ v is string }}{{ v is mapping }}{{ v is iterable }}{{ v is sequence }}{{ v is callable }}"
     "{{ v is defined }}{{ v is undefined }}\n{% endfor %}"
     "{{ u is iterable }}{{ u is sequence }}{{ u is callable }}{{ u is mapping }}",
     {"values": [None, True, False, 0, 1, 1.5, "", "s", [], [1], {}, {"a": 1}]}),
    ("tests_compare", "{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} "
                      "{{ 'a' is eq 'a' }} {{ 'a' is equalto('b') }} {{ 1 is ne 2 }} {{ 3 is gt 2 }} {{ 3 is ge 3 }} "
                      "{{ 2 is lt 3 }} {{ 2 is le 1 }} {{ 2 is greaterthan 1 }} {{ 'abc' is lower }} {{ 'ABC' is upper }} "
                      "{{ 'x' is in ['x'] }} {{ 1 is sameas 1 }} {{ none is sameas none }} {{ 'upper' is filter }} "
                      "{{ 'odd' is test }} {{ 'nofilter' is filter }} {{ 3.0 is odd }} {{ 'x' is not none }} "
                      "{{ 'x' is not string }}", {}),
    ("tests_defined_chain", "{{ m.tool_calls is defined }} {{ m.content is not none }} {{ m['x'] is undefined }} "
                            "{{ not m.x is defined }}", {"m": MSG}),

    # ---- loops ----
    ("loop_vars", "{% for x in 'abc' %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}"
                  "{{ loop.first }}{{ loop.last }}{{ loop.length }}[{{ loop.previtem }}|{{ loop.nextitem }}]"
                  "{{ loop.cycle('o', 'e') }}{{ loop.depth }}{{ loop.depth0 }}\n{% endfor %}", {}),
    ("loop_changed", "{% for x in [1, 1, 2, 2, 1] %}{% if loop.changed(x) %}{{ x }}{% endif %}{% endfor %}", {}),
    ("loop_else_filter", "{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }}/{{ loop.index }} "
                         "{% else %}none{% endfor %}|{% for x in [1] if x > 5 %}{{ x }}{% else %}none{% endfor %}", {}),
    ("loop_unpack", "{% for k, v in m.items() %}{{ k }}={{ v }};{% endfor %}{% for a, b in [[1, 2], (3, 4), 'xy'] %}"
                    "{{ a }}{{ b }}{% endfor %}{% for (a, b) in [[5, 6]] %}{{ a + b }}{% endfor %}", {"m": MSG}),
    ("loop_unpack_error", "{% for a, b in [[1, 2, 3]] %}{{ a }}{% endfor %}", {}),
    ("loop_nested", "{% for i in [1, 2] %}{% for j in 'ab' %}{{ loop.index }}{{ j }}{% endfor %}{{ loop.index }};"
                    "{% endfor %}", {}),
    ("loop_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}"
                            "{% break %}{% endif %}{{ i }}{% endfor %}", {}),
    ("loop_break_skips_else", "{% for i in [1] %}{% break %}{% else %}else{% endfor %}done", {}),
    ("loop_dict_string_tuple", "{% for k in m %}{{ k }},{% endfor %}{% for c in 'h🦙' %}[{{ c }}]{% endfor %}"
                               "{% for t in (1, 2) %}{{ t }}{% endfor %}", {"m": MSG}),
    ("loop_over_none_error", "{% for x in none %}{% endfor %}", {}),
    ("loop_over_int_error", "{% for x in 5 %}{% endfor %}", {}),
    ("loop_scoping", "{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}|"
                     "{% set y = 1 %}{% if true %}{% set y = 2 %}{% endif %}{{ y }}|"
                     "{% for i in [1] %}{% set inner = 5 %}{% endfor %}{{ inner is defined }}|"
                     "{% for i in [1, 2] %}{% if i == 1 %}{% set z = 'set' %}{% endif %}[{{ z }}]{% endfor %}", {}),
    ("loop_reassign_loop_var", "{% for t in ts %}{% if t.function is defined %}{% set t = t.function %}{% endif %}"
                               "{{ t.name }};{% endfor %}", {"ts": [{"function": {"name": "f"}}, {"name": "g"}]}),
    ("loop_messages_reverse", "{% for m in ms[::-1] %}{{ (ms|length - 1) - loop.index0 }}{{ m.content }}{% endfor %}",
     {"ms": [{"content": "a"}, {"content": "b"}, {"content": "c"}]}),
    ("loop_range", "{{ range(3)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }}", {}),
    ("range_object", "{{ range(3) }} {{ range(1, 10, 3) }} {{ range(3) == [0, 1, 2] }} {{ range(3)|list == [0, 1, 2] }} "
                     "{{ range(0) == range(2, 2) }} {{ range(5)[1] }} [{{ range(5)[9] }}] {{ range(10)[::3] }} "
                     "{{ range(10)[::-1] }} {{ range(10)[2:4] }} {{ range(4)|length }} {{ 2 in range(3) }} "
                     "{{ range(3) is sequence }} {{ [range(2)] }} {{ range(3).index(2) }}", {}),
    ("range_tojson_error", "{{ range(3)|tojson }}", {}),
    ("loop_range_too_big", "{{ range(200000)|length }}", {}),

    # ---- set / namespace ----
    ("set_forms", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = 1, 2 %}{{ t }}{% set x %}hello {{ a }}{% endset %}"
                  "[{{ x }}]{% set y | upper %}shout{% endset %}{{ y }}{% set z | trim | upper %}  pad  {% endset %}"
                  "[{{ z }}]", {}),
    ("set_namespace", "{% set ns = namespace(count=0, flag=false) %}{% for i in [1, 2, 3] %}"
                      "{% set ns.count = ns.count + i %}{% if i == 2 %}{% set ns.flag = true %}{% endif %}{% endfor %}"
                      "{{ ns.count }} {{ ns.flag }} {{ ns.missing is defined }} {{ ns }}", {}),
    ("set_namespace_empty", "{% set ns = namespace() %}{% set ns.index = 0 %}{% set ns.index = ns.index + 1 %}"
                            "{{ ns.index }} {{ ns['index'] }}", {}),
    ("set_namespace_from_dict", "{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}", {}),
    ("set_non_namespace_error", "{% set d = {} %}{% set d.x = 1 %}", {}),
    ("set_messages_shadow", "{% set messages = messages[1:] %}{{ messages|length }}{{ messages[0].content }}",
     {"messages": [MSG, {"role": "user", "content": "second"}]}),
    ("set_dict_global", "{% set d = dict(a=1, b=2) %}{{ d }} {{ dict([('x', 1)]) }}", {}),

    # ---- macros, call, filter, with ----
    ("macro_basic", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
                    "{{ greet('Ann') }} {{ greet('Bob', 'Hi') }} {{ greet(greeting='Yo', name='Cy') }} [{{ greet() }}]",
     {}),
    ("macro_varargs_kwargs", "{% macro m(a) %}{{ a }}|{{ varargs }}|{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, x=4) }}", {}),
    ("macro_too_many_args_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}", {}),
    ("macro_unknown_kwarg_error", "{% macro m(a) %}{{ a }}{% endmacro %}{{ m(b=2) }}", {}),
    ("macro_caller", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
                     "{% call wrap('b') %}bold {{ 1 + 1 }}{% endcall %}"
                     "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}"
                     "{% call(x) each([1, 2]) %}[{{ x }}]{% endcall %}", {}),
    ("macro_namespace_state", "{% set ns = namespace(on=false) %}{% macro flush() %}{% if ns.on %}FLUSH"
                              "{% set ns.on = false %}{% endif %}{% endmacro %}{{ flush() }}{% set ns.on = true %}"
                              "{{ flush() }}{{ flush() }}", {}),
    ("macro_recursion", "{% macro count(n) %}{{ n }}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{% endmacro %}"
                        "{{ count(5) }}", {}),
    ("macro_default_refers_earlier", "{% macro m(a, b=a * 2) %}{{ a }}{{ b }}{% endmacro %}{{ m(3) }}", {}),
    ("macro_whitespace", "{%- macro m() -%}\n    {{- 'x' -}}\n{%- endmacro -%}\n[{{ m() }}]\n{{ m() }}", {}),
    ("macro_undefined_before_def_error", "{{ later() }}{% macro later() %}x{% endmacro %}", {}),
    ("filter_block", "{% filter upper %}abc {{ 'd' }}{% endfilter %}|{% filter replace('a', 'b')|upper %}aaa"
                     "{% endfilter %}", {}),
    ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]", {}),
    ("print_tag", "{% print 'p', 1 %}", {}),
    ("generation_tag", "{% generation %}gen {{ 1 }}{% set inside = 1 %}{% endgeneration %}[{{ inside }}]", {}),

    # ---- globals ----
    ("globals_strftime", "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%A %B %-d %H:%M:%S %j %y %m %a %p %I') }}|"
                         "{{ strftime_now('%Y-%m-%d %w %u %U %W %e %%') }}", {}),
    ("globals_raise", "{{ raise_exception('custom failure: ' ~ 42) }}", {}),
    ("globals_raise_in_branch", "{% if messages|length == 0 %}{{ raise_exception('No messages!') }}{% endif %}ok",
     {"messages": []}),

    # ---- idioms seen in published chat templates (written fresh here) ----
    ("idiom_string_line_continuation", "{%- set s = \"first line.\\\nsecond \\\"q\\\"\" %}[{{ s }}]", {}),
    ("idiom_list_accumulate_in_loop", "{% set acc = [] %}{% for m in ms %}{% if m.role != 'tool' %}"
                                      "{% set acc = acc + [m] %}{% endif %}{{ acc|length }}{% endfor %}/{{ acc|length }}",
     {"ms": [MSG, {"role": "tool", "content": "t"}, MSG]}),
    ("idiom_get_default", "{{ m.get('content', '') }}|{{ m.get('reasoning_content', 'none') }}|"
                          "{{ m.get('tool_calls', [])|length }}", {"m": MSG}),
    ("idiom_append_refused", "{% set ns = namespace(v=[]) %}{% set _ = ns.v.append(1) %}{{ ns.v }}", {}),
    ("idiom_visible_text",
     "{%- macro visible_text(content) -%}\n    {%- if content is string -%}\n        {{- content }}\n"
     "    {%- elif content is iterable and content is not mapping -%}\n        {%- for item in content -%}\n"
     "            {%- if item is mapping and item.type == 'text' -%}\n                {{- item.text }}\n"
     "            {%- elif item is string -%}\n                {{- item }}\n            {%- endif -%}\n"
     "        {%- endfor -%}\n    {%- else -%}\n        {{- content }}\n    {%- endif -%}\n{%- endmacro -%}\n"
     "{% for m in ms %}<{{ visible_text(m.content) }}>\n{% endfor %}",
     {"ms": [MSG, {"content": [{"type": "text", "text": "part1 "}, {"type": "image"}, "raw"]}, {"content": None},
             {"content": {"k": 1}}]}),
    ("idiom_args_or_empty", "{% for tc in tcs %}{% set a = tc.arguments or {} %}{% for k, v in a.items() %}"
                            "<{{ k }}={{ v | tojson(ensure_ascii=False) if v is not string else v }}>{% endfor %};"
                            "{% endfor %}", {"tcs": [{"arguments": {"city": "Zürich", "n": 2, "l": [1, "a"]}},
                                                     {"arguments": None}, {}]}),
    ("idiom_tojson_string_chain", "{% for v in vs %}{{ v | tojson | string if v is not string else v }};{% endfor %}",
     {"vs": ["s", 1, {"a": [True]}, None]}),
    ("idiom_negative_slice_id", "{{ id[-9:] }}|{{ id[:9] }}|{{ id|length < 9 }}", {"id": "call_abcdefghijkl"}),
    ("idiom_range_backwards", "{% for i in range(n - 1, -1, -1) %}{{ i }}{% endfor %}", {"n": 4}),
    ("idiom_split_last", "{{ ('a<think>b<think>c'.split('<think>')|last) }}|{{ 'x</think>\n\ny'.split('</think>')[-1]"
                         ".lstrip('\n') }}|{{ 'no tags'.split('</think>')[0] }}", {}),
    ("idiom_role_in_list", "{% for m in ms %}{{ m.role in ['user', 'developer'] }}{% endfor %}",
     {"ms": [MSG, {"role": "developer"}, {"role": "assistant"}]}),
    ("idiom_whitespace_heavy",
     "{%- set ns = namespace(last=-1) %}\n{% for m in ms %}\n    {%- if m.role == 'user' %}\n"
     "        {% set ns.last = loop.index0 -%}\n    {%- endif %}\n{%- endfor %}\n{% for m in ms %}\n"
     "{%- if m.role == 'user' -%}<|user|>\n{{ m.content }}\n{%- elif m.role == 'assistant' -%}\n<|assistant|>\n"
     "{% if m.tool_calls %}\n{% for tc in m.tool_calls %}\n{{ '\\n<call>' + tc.name }}\n"
     "{% for k, v in tc.arguments.items() %}\n<k>{{ k }}</k>\n<v>{{ v }}</v>\n{% endfor %}\n</call>{% endfor %}\n"
     "{% endif %}\n{%- endif -%}\n{%- endfor -%}\n{{ ns.last }}",
     {"ms": [MSG, {"role": "assistant", "tool_calls": [{"name": "f", "arguments": {"a": 1, "b": "x"}}]}, MSG]}),
    ("idiom_content_string_or_parts", "{% for m in ms %}{% if m['content'] is string %}{{ m['content'] }}"
                                      "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' or 'image' in c "
                                      "%}[IMG]{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}|{% endfor %}",
     {"ms": [MSG, {"content": [{"type": "text", "text": "hi"}, {"image": "x.png"}, {"type": "image"}]}]}),
    ("idiom_default_true_then_set", "{%- set add_generation_prompt = add_generation_prompt | default(true) -%}"
                                    "{%- set flag = flag | default(true) -%}{{ add_generation_prompt }} {{ flag }}",
     {"add_generation_prompt": False}),
    ("idiom_message_equality", "{% set users = ms | selectattr('role', 'equalto', 'user') | list %}"
                               "{% for m in ms %}{{ m == users[-1] }}{% endfor %}",
     {"ms": [MSG, {"role": "assistant", "content": "a"}, {"role": "user", "content": "Hi"}]}),
    ("idiom_tools_in_system", "{% if tools is not none %}{% for t in tools %}{{ t | tojson(indent=4) }}\n\n"
                              "{% endfor %}{% endif %}",
     {"tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]}),

    # ---- behaviours found by differential fuzzing ----
    ("fuzz_break_in_filter_block", "{% for i in [1, 2, 3] %}{% filter upper %}a{{ i }}{% if i == 2 %}{% continue %}"
                                   "{% endif %}{% endfilter %};{% endfor %}", {}),
    ("fuzz_break_in_set_block", "{% set x = 'old' %}{% for i in [1] %}{% set x %}new{% break %}{% endset %}{% endfor %}"
                                "{{ x }}", {}),
    ("fuzz_break_in_for_else", "{% for i in 'ab' %}{{ i }}{% for j in [] %}{% else %}{% break %}{% endfor %}!{% endfor %}"
                               "|{% for i in 'ab' %}{% for j in [] %}{% else %}{% continue %}{% endfor %}!{% endfor %}", {}),
    ("fuzz_continue_every_iteration_runs_else", "{% for i in [1, 2] %}{% continue %}{% else %}else{% endfor %}", {}),
    ("fuzz_constant_slice_folding", "{{ 5[1:] }}|{{ true[:2] ~ 'x' }}|{{ ('a' if 3[1:] else 'b')[:1] }}|"
                                    "{% set v = none[1:] or 'folded' %}{{ v }}|{{ {}[1:] }}", {}),
    ("fuzz_runtime_slice_error", "{% set v = n[1:] %}", {"n": 5}),
    ("fuzz_runtime_slice_error_dict", "{{ d[1:] }}", {"d": {}}),
    ("fuzz_lazy_generators", "{% set g = 5|map('upper') %}{{ g is iterable }}{% if 7|select %}truthy{% endif %}"
                             "{{ (3|items) is defined }}", {}),
    ("fuzz_lazy_generator_error_on_use", "{{ 5|map('upper')|list }}", {}),
    ("fuzz_percent_format", "{{ '%s and %r' % ('a', 'b') }}|{{ '%d%%' % 42 }}|{{ '%5.2f|%-6s|%03d' % (3.14159, 'ab', 7) }}"
                            "|{{ '%(name)s=%(v)x' % {'name': 'n', 'v': 255} }}|{{ '%e %g %G' % (12345.678, 0.00001234, 1e20) }}"
                            "|{{ 'no specs' % d }}|{{ '%s' % none }}|{{ '%c%c' % (72, 'i') }}|{{ '%+d % d %#x %#o' % (5, 5, 255, 8) }}"
                            "|{{ '%s'|format('via filter') }}|{{ '%(a)s'|format(a='kw') }}|{{ '%.3s' % 'abcdef' }}",
     {"d": {"a": 1}}),
    ("fuzz_percent_format_errors", "{{ '%d' % 'x' }}", {}),
    ("fuzz_percent_format_too_many", "{{ '%s' % (1, 2) }}", {}),
    # found by ChatTemplateFuzzTest: widths and precisions past 2**63 - 1, and digits other than ASCII ones
    ("fuzz_percent_width_too_big", "{{ '%99999999999999999999d' % 5 }}", {}),
    ("fuzz_percent_precision_too_big", "{{ '%.99999999999999999999f' % 5 }}", {}),
    ("fuzz_percent_width_arabic_digit", "{{ '%\u0663d' % 5 }}", {}),
    ("fuzz_percent_unknown_conversion_astral", "{{ 'ab%\U0001F999' % 5 }}", {}),
    ("fuzz_percent_unknown_conversion_ascii", "{{ '%s %y' % (1, 2) }}", {}),
    ("fuzz_percent_format_undefined", "{{ 'x%sy' % nope }}|{{ '%s' % (nope,) }}", {}),
    ("fuzz_markup", "{% set m = '<b>'|safe %}{{ m + '<i>' }}|{{ '<i>' + m }}|{{ m ~ '<i>' }}|{{ [m] }}|{{ m|e }}|"
                    "{{ m|forceescape }}|{{ '<'|e }}|{{ (m * 2) }}|{{ m|upper }}|{{ m|length }}|{{ m == '<b>' }}|"
                    "{{ m.replace('b', '<u>') }}|{{ m.split('b') }}|{{ m is string }}|{{ m is escaped }}|"
                    "{{ m|tojson }}|{{ m[1] }}|{{ m[::-1] }}|{{ '%s' % m }}|{{ m % '<' if false else (('<%s>'|safe) % '&') }}|"
                    "{{ m|trim|string }}|{{ m|title }}|{{ m|replace('b', 'c') }}|{{ [m]|join }}", {}),
    ("fuzz_pow_overflow", "{{ 2 ** 1e20 }}", {}),
    ("fuzz_pow_values", "{{ 2 ** 0.5 }} {{ 4 ** -1 }} {{ (-8) ** 2 }} {{ 2.0 ** 3 }} {{ 0 ** 0 }}", {}),

    # ---- runtime errors that must also be errors here ----
    ("err_str_plus_int", "{{ 'a' + 1 }}", {}),
    ("err_int_plus_str", "{{ 1 + 'a' }}", {}),
    ("err_none_plus_str", "{{ m.content + 'x' }}", {"m": {"content": None}}),
    ("err_str_plus_none", "{{ 'x' + m.content }}", {"m": {"content": None}}),
    ("err_list_plus_str", "{{ [1] + 'a' }}", {}),
    ("err_div_zero", "{{ 1 / 0 }}", {}),
    ("err_floordiv_zero", "{{ 1 // 0 }}", {}),
    ("err_order_types", "{{ 'a' < 1 }}", {}),
    ("err_not_callable", "{{ 5() }}", {}),
    ("err_in_none", "{{ 'a' in m.content }}", {"m": {"content": None}}),
    ("err_items_non_mapping", "{{ [1]|items|list }}", {}),
    ("err_len_int", "{{ 5|length }}", {}),
    ("err_unhashable", "{{ {[1]: 2} }}", {}),

    # ---- syntax errors (compile time) ----
    ("syntax_empty_if", "{% if %}x{% endif %}", {}),
    ("syntax_empty_print", "{{ }}", {}),
    ("syntax_for_no_iter", "{% for x in %}{% endfor %}", {}),
    ("syntax_stray_endif", "{% endif %}", {}),
    ("syntax_unclosed_if", "{% if true %}x", {}),
    ("syntax_unclosed_for", "{% for x in y %}x{% if true %}{% endif %}", {}),
    ("syntax_dangling_operator", "{{ 1 + }}", {}),
    ("syntax_unknown_tag", "{% frobnicate %}", {}),
    ("syntax_unknown_filter", "{{ x | nosuchfilter }}", {}),
    ("syntax_unknown_test", "{{ x is nosuchtest }}", {}),
    # an unknown filter or test in an if-block or conditional expression (Jinja's soft frames) fails only if reached
    ("unknown_filter_in_if_not_reached", "{% if x %}{{ y | nof }}{% elif not x %}ok{% else %}{% set a = y | nof %}{% endif %}",
     {"x": False}),
    ("unknown_filter_in_if_reached", "{% if x %}{{ 'a' | nof }}{% endif %}", {"x": True}),
    ("unknown_filter_args_first", "{% if x %}{{ 'a' | nof(z.q) }}{% endif %}", {"x": True}),
    ("unknown_test_in_if_test", "{% if x %}{% elif y is not nosuchtest %}b{% endif %}ok", {"x": True}),
    ("unknown_test_in_if_test_reached", "{% if y is nosuchtest %}b{% endif %}", {"y": 1}),
    ("unknown_filter_in_condexpr", "{{ y | nof if x else 'ok' }}{{ 'a' | default(y | nof if x else 'b') }}",
     {"x": False}),
    ("unknown_filter_in_condexpr_test", "{{ 'a' if y | nof else 'b' }}", {}),
    ("unknown_filter_after_condexpr", "{{ (y if x else 'ok') | nof }}", {}),
    ("unknown_filter_in_for_in_if", "{% if x %}{% for a in [1] %}{{ a | nof }}{% endfor %}{% endif %}", {}),
    ("unknown_filter_in_for_iter_in_if", "{% if x %}{% for a in y | nof %}{% endfor %}{% endif %}ok", {}),
    ("unknown_filter_in_loop_filter_in_if", "{% if x %}{% for a in [1] if a | nof %}{% endfor %}{% endif %}", {}),
    ("unknown_filter_in_macro_in_if", "{% if x %}{% macro m(a=1 | nof) %}{% endmacro %}{% endif %}", {}),
    ("unknown_filter_in_with_in_if", "{% if x %}{% with a = 1 | nof %}{{ a }}{% endwith %}{% endif %}ok", {}),
    ("unknown_filter_in_with_body_in_if", "{% if x %}{% with a = 1 %}{{ a | nof }}{% endwith %}{% endif %}", {}),
    ("unknown_filter_in_set_block_in_if", "{% if x %}{% set a | nof %}b{% endset %}{% endif %}", {}),
    ("unknown_filter_in_filter_block_in_if", "{% if x %}{% filter upper %}{{ 1 | nof }}{% endfilter %}{% endif %}",
     {}),
    ("unknown_filter_in_call_in_if",
     "{% macro m(a) %}{{ caller() }}{% endmacro %}{% if x %}{% call m(1 | nof) %}{% endcall %}{% endif %}ok", {}),
    ("unknown_filter_in_call_body_in_if",
     "{% macro m() %}{{ caller() }}{% endmacro %}{% if x %}{% call m() %}{{ 1 | nof }}{% endcall %}{% endif %}", {}),
    ("unknown_filter_guarded_by_is_filter", "{% if 'nof' is filter %}{{ 1 | nof }}{% endif %}ok", {}),
    ("unknown_filter_then_syntax_error", "{{ 1 | nof }}{{ 1 + }}", {}),
    ("syntax_unclosed_string", "{{ 'abc }}", {}),
    ("syntax_unclosed_comment", "{# never closed", {}),
    ("syntax_unbalanced_paren", "{{ (1 + 2 }}", {}),
    ("syntax_break_outside_loop", "{% break %}", {}),
    ("syntax_elif_after_else", "{% if a %}{% else %}{% elif b %}{% endif %}", {}),
    ("syntax_assign_to_const", "{% set true = 1 %}", {}),
    ("syntax_bad_escape", "{{ '\\x4' }}", {}),
    ("syntax_unclosed_variable", "{{ x ", {}),
    ("syntax_macro_default_order", "{% macro m(a=1, b) %}{% endmacro %}", {}),
]


def snippet_cases(env):
    out = []
    seen = set()
    for name, source, variables in SNIPPETS:
        assert name not in seen, name
        seen.add(name)
        case = {"name": name, "template": source, "variables": variables}
        case.update(render(env, source, variables))
        out.append(case)
    return out


# ---------- more conversations for the real templates ----------

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current weather in a city (°C)",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "City name, e.g. Paris"},
                           "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "required": ["city"],
        },
    },
}
SEARCH_TOOL = {
    "type": "function",
    "function": {"name": "search", "description": "Search the web", "return": {"type": "string"},
                 "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}},
}


def tool_call(args, call_id="call12345", name="get_weather"):
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


SYSTEM = {"role": "system", "content": "You are a helpful assistant."}
ASK = {"role": "user", "content": "What's the weather in Paris?"}
ANSWER = {"role": "assistant", "content": "It is 21 °C in Paris."}
TOOL_RESULT = {"role": "tool", "tool_call_id": "call12345", "name": "get_weather", "content": "{\"temp\": 21}"}

CONVERSATIONS = [
    ("tool_call_dict_args", [SYSTEM, ASK, {"role": "assistant", "content": None,
                                           "tool_calls": [tool_call({"city": "Paris", "unit": "celsius"})]},
                             TOOL_RESULT, ANSWER], True, {}),
    ("tool_call_string_args", [ASK, {"role": "assistant", "content": None,
                                     "tool_calls": [tool_call("{\"city\": \"Paris\"}")]},
                               TOOL_RESULT, ANSWER, {"role": "user", "content": "Thanks!"}], True, {}),
    ("tool_call_empty_content_dict_args", [SYSTEM, ASK, {"role": "assistant", "content": "",
                                                         "tool_calls": [tool_call({"city": "Paris", "unit": "celsius"})]},
                                           TOOL_RESULT, ANSWER], True, {"tools": [WEATHER_TOOL]}),
    ("tool_call_empty_content_string_args", [ASK, {"role": "assistant", "content": "",
                                                   "tool_calls": [tool_call("{\"city\": \"Paris\"}"),
                                                                  tool_call("{\"city\": \"Lyon\"}", "call67890")]},
                                             TOOL_RESULT, dict(TOOL_RESULT, tool_call_id="call67890"),
                                             {"role": "user", "content": "Thanks!"}], True, {}),
    ("tool_call_bare_function", [ASK, {"role": "assistant", "content": "",
                                       "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}],
     False, {}),
    ("tool_call_with_content", [ASK, {"role": "assistant", "content": "Let me check.",
                                      "tool_calls": [tool_call({"city": "Paris"})]}, TOOL_RESULT], True, {}),
    ("two_tool_calls", [ASK, {"role": "assistant", "content": None,
                              "tool_calls": [tool_call({"city": "Paris"}), tool_call({"city": "Lyon"}, "call67890")]},
                        TOOL_RESULT, dict(TOOL_RESULT, tool_call_id="call67890", content="{\"temp\": 25}")], True, {}),
    ("tools_given", [SYSTEM, ASK], True, {"tools": [WEATHER_TOOL, SEARCH_TOOL]}),
    ("tools_given_no_system", [ASK], True, {"tools": [WEATHER_TOOL]}),
    ("tools_given_full_exchange", [ASK, {"role": "assistant", "content": None,
                                         "tool_calls": [tool_call({"city": "Paris"})]}, TOOL_RESULT], False,
     {"tools": [WEATHER_TOOL]}),
    ("reasoning_content", [ASK, {"role": "assistant", "content": "Sunny.", "reasoning_content": "Check weather."},
                           {"role": "user", "content": "And tomorrow?"}], True, {}),
    ("think_in_last_assistant", [ASK, {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nSunny."}], False, {}),
    ("enable_thinking_false", [ASK], True, {"enable_thinking": False}),
    ("enable_thinking_true", [ASK], True, {"enable_thinking": True, "thinking": True}),
    ("assistant_content_none", [ASK, {"role": "assistant", "content": None}], False, {}),
    ("two_users_in_a_row", [ASK, {"role": "user", "content": "Hello?"}], True, {}),
    ("empty_messages", [], True, {}),
    ("multiple_systems", [SYSTEM, {"role": "system", "content": "Answer briefly."}, ASK], True, {}),
    ("tool_content_mapping", [ASK, {"role": "assistant", "content": None,
                                    "tool_calls": [tool_call({"city": "Paris"})]},
                              dict(TOOL_RESULT, content={"temp": 21, "sky": "clear"})], True, {}),
    ("named_messages", [{"role": "user", "name": "ann", "content": "Hi 👋"},
                        {"role": "assistant", "content": "Hello Ann"}], True, {}),
    ("long_multi_turn", [SYSTEM, {"role": "user", "content": "q1"}, {"role": "assistant", "content": "<think>r1</think>a1"},
                         {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"},
                         {"role": "user", "content": "<tool_response>x</tool_response>"},
                         {"role": "assistant", "content": "a3"}], True, {}),
    ("wrong_tool_call_id", [ASK, {"role": "assistant", "content": None,
                                  "tool_calls": [tool_call({"city": "Paris"}, "short")]}, TOOL_RESULT], True, {}),
    ("whitespace_content", [{"role": "system", "content": "  padded system  \n"},
                            {"role": "user", "content": "\n  spaced question \t"}], True, {}),
    ("last_assistant_prefill", [ASK, {"role": "assistant", "content": "The weather is"}], False, {}),
    ("prefix_flag", [ASK, {"role": "assistant", "content": "Partial", "prefix": True}], False, {"thinking": True}),
]


def real_template_cases(env):
    out = {}
    for meta_path in sorted(SHARED.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        source = (SHARED / meta["template"]).read_text()
        cases = []
        for name, messages, add_generation_prompt, extra in CONVERSATIONS:
            variables = {"messages": messages, "add_generation_prompt": add_generation_prompt,
                         "tools": None, "documents": None}
            for token in ("bos_token", "eos_token"):
                if meta.get(token) is not None:
                    variables[token] = meta[token]
            variables.update(extra)
            case = {"name": name, "messages": messages, "add_generation_prompt": add_generation_prompt,
                    "extra": extra}
            result = render(env, source, variables)
            assert "compile_error" not in result, (meta_path, result)
            case.update(result)
            cases.append(case)
        out[meta_path.name] = {"template": meta["template"], "bos_token": meta.get("bos_token"),
                               "eos_token": meta.get("eos_token"), "cases": cases}
    return out


def main():
    env = make_env()
    OUT.mkdir(parents=True, exist_ok=True)
    snippets = snippet_cases(env)
    (OUT / "snippet-cases.json").write_text(json.dumps(snippets, ensure_ascii=False, indent=1) + "\n")
    real = real_template_cases(env)
    (OUT / "real-template-cases.json").write_text(json.dumps(real, ensure_ascii=False, indent=1) + "\n")
    errors = sum(1 for c in snippets if "error" in c or "compile_error" in c)
    print(f"{len(snippets)} snippet cases ({errors} errors), "
          f"{sum(len(v['cases']) for v in real.values())} real-template cases")


if __name__ == "__main__":
    main()
