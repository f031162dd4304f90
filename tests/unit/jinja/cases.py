"""Cases for saturn's Jinja interpreter, rendered by Python's jinja2 as
transformers configures it for chat templates (ImmutableSandboxedEnvironment,
trim_blocks, lstrip_blocks, loop controls, its tojson, raise_exception and
namespace). Writes OUT.json: a list of {"template", "vars", "out"} or
{"template", "vars", "error"} (jinja2 refused it).

Usage: cases.py OUT.json [--random N] [--seed S]

The hand-written cases cover the statements, whitespace control, and every
filter and test saturn supports; the random ones are expressions generated
over the grammar (literals, operators, comparisons, filters, tests,
conditionals, subscripts and slices) on the variables below.
"""
import argparse
import copy
import json
import random

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols])

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["namespace"] = jinja2.utils.Namespace
    return env


VARS = {
    "s": "  Hello, World!  ",
    "u": "héllo wörld ✓",
    "e": "",
    "n": 7,
    "m": -3,
    "f": 2.5,
    "z": 0,
    "t": True,
    "no": None,
    "xs": [3, 1, 2],
    "ws": ["b", "a", "c"],
    "d": {"role": "user", "content": "hi", "n": 2},
    "ms": [
        {"role": "system", "content": " Be brief. "},
        {"role": "user", "content": "What is 2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "user", "content": "And 3+3?\n"},
    ],
    "tools": [{"type": "function", "function": {"name": "add", "description": "Adds.", "parameters": {"type": "object", "properties": {"a": {"type": "number"}}}}}],
}

HAND = [
    # text, whitespace control, trim_blocks and lstrip_blocks
    "a\n  {% if t %}\n  b\n  {% endif %}\nc",
    "a {%- if t -%} b {%- endif -%} c",
    "a {{- n -}} b",
    "x\n    {%+ if t %}y{% endif %}\nz",
    "x {% if t +%}\ny{% endif %}",
    "{# a comment #}\nafter",
    "  {# indented comment #}\nafter",
    "a {#- trimmed -#} b",
    "{% raw %}{{ not evaluated }}{% endraw %}",
    "{{ n }}\n{{ n }}\n",
    "line1\n\t{% for x in xs %}\n\t{{ x }}\n\t{% endfor %}\nend",
    # loops
    "{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }} {% endfor %}",
    "{% for x in xs %}{{ loop.previtem }}-{{ loop.nextitem }} {% endfor %}",
    "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}",
    "{% for x in [] %}no{% else %}empty{% endfor %}",
    "{% for x in xs if x > 1 %}{{ x }}{{ loop.length }}{% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}",
    "{% for x in xs %}{% if x == 1 %}{% break %}{% endif %}{{ x }}{% endfor %}",
    "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
    "{% for k in d %}{{ k }},{% endfor %}",
    "{% for c in 'abc' %}{{ c }}.{% endfor %}",
    "{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}",
    "{% for x in xs %}{% for y in ws %}{{ x }}{{ y }}{{ loop.index }} {% endfor %}{% endfor %}",
    "{% set x = 1 %}{% for i in xs %}{{ x }}{% set x = x + 1 %}{{ x }},{% endfor %}|{{ x }}",
    # set, namespace, with
    "{% set a, b = 1, 2 %}{{ a }}{{ b }}",
    "{% set ns = namespace(found=false, n=0) %}{% for x in xs %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.found }} {{ ns.n }}",
    "{% set block %}inner {{ n }}{% endset %}[{{ block }}]",
    "{% set block | upper %}inner {{ n }}{% endset %}[{{ block }}]",
    "{% with a = 1, b = n %}{{ a + b }}{% endwith %}",
    # if/elif/else
    "{% if n > 10 %}big{% elif n > 5 %}mid{% else %}small{% endif %}",
    "{% if no %}a{% elif e %}b{% else %}c{% endif %}",
    "{% if not t %}a{% endif %}{% if t and n %}b{% endif %}{% if z or e %}c{% endif %}",
    # macros, call blocks, filter blocks
    "{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }} {{ greet('b', '?') }} {{ greet(name='c') }}",
    "{% macro f(a, b=2) %}{{ a }}-{{ b }}-{{ varargs }}-{{ kwargs }}{% endmacro %}{{ f(1) }} {{ f(1, 3, 4, z=5) }}",
    "{% macro wrap() %}<{{ caller() }}>{% endmacro %}{% call wrap() %}inside {{ n }}{% endcall %}",
    "{% macro row(x) %}[{{ caller(x) }}]{% endmacro %}{% call(v) row(5) %}v={{ v }}{% endcall %}",
    "{% filter upper %}shout {{ n }}{% endfilter %}",
    "{% filter trim | replace('a', 'b') %}  banana  {% endfilter %}",
    "{% macro rec(k) %}{% if k > 0 %}{{ k }}{{ rec(k - 1) }}{% endif %}{% endmacro %}{{ rec(5) }}",
    # expressions
    "{{ 1 + 2 * 3 - 4 / 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }}",
    "{{ 1e16 }} {{ 1e15 }} {{ 0.1 + 0.2 }} {{ 10 / 5 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789.125 }} {{ -0.0 }} {{ 3.0e2 }}",
    "{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ 'x' + 'y' }} {{ [1] + [2] }}",
    "{{ [1, 'a', none, true, 1.5, {'k': [1]}] }} {{ (1,) }} {{ ('a', 2) }} {{ {'a': 1, 2: 'b'} }} {{ \"it's\" }}",
    "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 == 1.0 }} {{ 'a' != 'a' }}",
    "{{ 2 in xs }} {{ 5 not in xs }} {{ 'ell' in s }} {{ 'role' in d }} {{ 'x' in d }}",
    "{{ 'yes' if t else 'no' }} {{ 'yes' if no else 'no' }} [{{ 'only' if no }}]",
    "{{ s[2:7] }}|{{ s[-4:] }}|{{ xs[::-1] }}|{{ xs[1:] }}|{{ u[1] }}|{{ u[-1] }}|{{ u[::2] }}|{{ xs[-1] }}|{{ xs[9] }}",
    "{{ d.role }} {{ d['content'] }} {{ d.missing }} {{ d.get('role') }} {{ d.get('x', 'dflt') }} {{ d.get('x') }}",
    "{{ ms[0].content }}|{{ ms[-1]['role'] }}|{{ ms|length }}",
    "{{ xs.0 }} {{ xs.index(2) }} {{ ws.count('a') }}",
    "{{ not no }} {{ -n }} {{ +n }} {{ -f }}",
    "{{ t and 'x' }} {{ no or 'y' }} {{ e or z or 'last' }} {{ 0 and 1 }}",
    "{{ 'a' 'b' }} {{ \"q\\\"uote\" }} {{ 'tab\\there' }} {{ '\\u00e9\\x41' }}",
    # string methods
    "[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxaxx'.strip('x') }}]",
    "{{ 'a,b,,c'.split(',') }} {{ s.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ u.split('ö') }}",
    "{{ s.upper() }} {{ u.upper() }} {{ 'HeLLo'.lower() }} {{ 'hello world'.title() }} {{ 'hello World'.capitalize() }}",
    "{{ s.startswith('  H') }} {{ s.endswith('!  ') }} {{ s.startswith(('x', '  ')) }} {{ 'abc'.find('c') }} {{ 'abc'.find('z') }} {{ u.find('w') }}",
    "{{ 'a-b-c'.replace('-', '+') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ ', '.join(ws) }} {{ 'abab'.count('ab') }}",
    "{{ 'x{}y{}'.format(1, 2) }} {{ '{0}{0}'.format('z') }} {{ '%s=%d' % ('a', 3) }} {{ '%05.2f' % 3.14159 }}",
    "{{ 'a\\nb\\r\\nc'.splitlines() }} {{ '123'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'AB'.isupper() }}",
    # filters
    "[{{ s|trim }}][{{ 'xxaxx'|trim('x') }}][{{ no|trim }}]",
    "{{ s|length }} {{ u|length }} {{ xs|length }} {{ d|length }} {{ xs|count }} {{ nothing|length }}",
    "{{ s|upper }} {{ s|lower }} {{ 'ab cd'|capitalize }} {{ 'ab cd'|title }}",
    "{{ xs|first }} {{ xs|last }} {{ 'abc'|first }} {{ d|first }} {{ []|first }}",
    "{{ nothing|default('dflt') }} {{ e|default('dflt') }} {{ e|default('dflt', true) }} {{ no|d('x') }} {{ n|default(5) }}",
    "{{ xs|join }} {{ xs|join(', ') }} {{ ms|join('|', attribute='role') }}",
    "{{ 'a-b'|replace('-', '_') }} {{ xs|string }} {{ n|string }} {{ '42'|int }} {{ '4.7'|int }} {{ 'x'|int }} {{ 'x'|int(9) }} {{ 3.9|int }}",
    "{{ '2.5'|float }} {{ 'x'|float }} {{ 3|float }} {{ -3|abs }} {{ m|abs }} {{ 2.567|round(2) }} {{ 2.5|round }} {{ 2.1|round(0, 'ceil') }}",
    "{{ 'abc'|list }} {{ d|list }} {{ xs|reverse|list }} {{ 'abc'|reverse }} {{ d|items|list }}",
    "{{ xs|sort }} {{ xs|sort(reverse=true) }} {{ ws|sort }} {{ ms|sort(attribute='role')|map(attribute='role')|list }}",
    "{{ d|dictsort }} {{ xs|min }} {{ xs|max }} {{ xs|sum }} {{ [1, 1, 2]|unique|list }}",
    "{{ ms|map(attribute='role')|list }} {{ ws|map('upper')|list }} {{ xs|map('string')|join('+') }}",
    "{{ ms|selectattr('role', 'equalto', 'user')|list|length }} {{ ms|rejectattr('role', 'eq', 'user')|map(attribute='role')|join(',') }}",
    "{{ xs|select('odd')|list }} {{ xs|reject('odd')|list }} {{ [0, 1, '', 'a', none]|select|list }} {{ ms|selectattr('content')|list|length }}",
    "{{ xs|select('greaterthan', 1)|list }} {{ xs|select('in', [1, 3])|list }} {{ xs|batch(2)|list }}",
    "{{ d|tojson }} {{ ms|tojson }} {{ tools|tojson }} {{ u|tojson }} {{ 'a\"b\\\\c\\n'|tojson }} {{ [1.0, 2.5, none, true]|tojson }}",
    "{{ d|tojson(indent=2) }}\n{{ tools|tojson(indent=4) }}\n{{ d|tojson(sort_keys=true) }} {{ d|tojson(separators=(',', ':')) }} {{ u|tojson(ensure_ascii=true) }}",
    "{{ 'a\\nb\\n\\nc'|indent }}|{{ 'a\\nb'|indent(2, true) }}|{{ 'a\\n\\nb'|indent(2, blank=true) }}|{{ 'x\\ny'|indent('> ') }}",
    "{{ 'hello'|center(11) }}|{{ 'one two  three'|wordcount }}|{{ '%s-%s'|format(1, 'a') }}|{{ '<a href=\"x\">'|e }}|{{ d|attr('role') }}",
    "{{ 'The quick brown fox jumps over the lazy dog'|truncate(20) }}|{{ 'The quick brown fox jumps'|truncate(12, true) }}",
    # tests
    "{{ n is defined }} {{ nothing is defined }} {{ nothing is undefined }} {{ no is none }} {{ n is number }} {{ f is float }} {{ n is integer }}",
    "{{ s is string }} {{ d is mapping }} {{ xs is iterable }} {{ s is iterable }} {{ n is iterable }} {{ xs is sequence }} {{ t is boolean }}",
    "{{ n is odd }} {{ n is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ n is eq 7 }} {{ n is ne(7) }} {{ n is gt 3 }} {{ n is lt(3) }}",
    "{{ t is true }} {{ t is false }} {{ no is sameas none }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ n is not none }} {{ 2 is in(xs) }}",
    "{{ raise_exception is callable }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}",
    # globals
    "{{ range(5)|list }} {{ range(2, 8, 3)|list }} {{ range(5, 0, -2)|list }} {{ dict(a=1, b=2) }} {{ dict([('x', 1)]) }}",
    "{% set c = cycler('a', 'b') %}{{ c.next() }}{{ c.next() }}{{ c.next() }}",
    "{% set j = joiner('|') %}{% for x in xs %}{{ j() }}{{ x }}{% endfor %}",
    # a chat template's shape
    "{% for message in ms %}{% if message['role'] == 'system' %}<<SYS>>{{ message['content']|trim }}<</SYS>>\n{% elif message['role'] == 'user' %}[INST] {{ message['content'] }} [/INST]{% else %} {{ message['content'] }}</s>{% endif %}{% endfor %}",
    "{{- bos_token }}{%- for m in ms %}{{- '<|' + m.role + '|>\\n' + m.content | trim + '<|end|>\\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|assistant|>\\n' }}{%- endif %}",
    # errors
    "{{ foo.bar }}",
    "{{ d.x.y }}",
    "{% for x in n %}{% endfor %}",
    "{{ 1 + 'a' }}",
    "{{ 1 / 0 }}",
    "{{ raise_exception('bad chat') }}",
    "{% if %}",
    "{% for x in xs %}",
    "{{ x |}}",
    "{{ ws.append(1) }}",
    "{{ d.update({}) }}",
    "{{ 'a' < 1 }}",
    "{{ 'a' in 1 }}",
    "{% endfor %}",
    "{{ n(1) }}",
    "{{ xs|nosuchfilter }}",
    "{{ n is nosuchtest }}",
    "{% include 'x' %}",
]

EXPR_LEAVES = ["n", "m", "f", "z", "s", "u", "e", "t", "no", "xs", "ws", "d", "d.role", "d.n", "ms[1].content", "1", "2",
               "0", "-1", "3.5", "'ab'", "'x y'", "''", "true", "false", "none", "[1, 2]", "['a', 'b']", "nothing"]
BIN_OPS = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">", "<=", ">=", "and", "or", "in", "not in"]
FILTERS = ["length", "upper", "lower", "trim", "string", "int", "float", "abs", "tojson", "default('D')",
           "capitalize", "title", "count", "replace('a', 'b')", "string|indent(2)", "round", "string|list"]
# Filters over sequences, applied to lists (jinja2 returns lazy generators
# that swallow errors for other operands: nothing a chat template relies on).
SEQ_FILTERS = ["first", "last", "reverse|list", "join(',')", "sort", "unique|list", "min", "max", "select('odd')|list",
               "map('string')|list", "length", "tojson", "list", "batch(2)|list", "sum"]
SEQS = ["xs", "ws", "[1, 2]", "['a', 'B', 'b']", "ms|map(attribute='role')|list", "[]", "xs[1:]"]
TESTS = ["defined", "none", "string", "number", "mapping", "iterable", "odd", "even", "integer", "float", "sequence",
         "eq 2", "lower", "upper", "true", "false", "boolean", "in([1, 2])"]


def expr(rng, depth):
    r = rng.random()
    if depth <= 0 or r < 0.3:
        return rng.choice(EXPR_LEAVES)
    if r < 0.55:
        return "(%s %s %s)" % (expr(rng, depth - 1), rng.choice(BIN_OPS), expr(rng, depth - 1))
    if r < 0.62:
        return "(%s|%s)" % (expr(rng, depth - 1), rng.choice(FILTERS))
    if r < 0.7:
        return "(%s|%s)" % (rng.choice(SEQS), rng.choice(SEQ_FILTERS))
    if r < 0.78:
        return "(%s is %s%s)" % (expr(rng, depth - 1), rng.choice(["", "not "]), rng.choice(TESTS))
    if r < 0.84:
        return "(%s if %s else %s)" % (expr(rng, depth - 1), expr(rng, depth - 1), expr(rng, depth - 1))
    if r < 0.9:
        return "(not %s)" % expr(rng, depth - 1)
    if r < 0.95:
        return "%s[%s]" % (rng.choice(["xs", "ws", "s", "u", "d"]), rng.choice(["0", "-1", "1:", ":2", "::-1", "'role'", "5"]))
    return "[%s, %s]" % (expr(rng, depth - 1), expr(rng, depth - 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--random", type=int, default=400)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    templates = list(HAND) + ["{{ %s }}" % expr(rng, 3) for _ in range(a.random)]
    env = environment()
    variables = dict(VARS, bos_token="<s>", add_generation_prompt=True)
    cases = []
    for t in templates:
        case = {"template": t, "vars": variables}
        try:  # a copy each: some filters change what they are given (indent's += on a list)
            case["out"] = env.from_string(t).render(**copy.deepcopy(variables))
        except Exception as e:  # noqa: BLE001 - any refusal: saturn must refuse too
            case["error"] = "%s: %s" % (type(e).__name__, e)
        cases.append(case)
    with open(a.out, "w") as f:
        json.dump(cases, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
