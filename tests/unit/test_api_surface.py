"""Every method of the API reference (seed 001) exists on IbkrClient with the same signature.

The reference is parsed from tests/data/ibind_reference_signatures.txt (seed 001's signatures): method names, argument names and
order, defaults, and the ``@ensure_list_arg`` decorators. ibind may add optional arguments after the
documented ones (and accept one-or-many in more places), never change or drop one.
"""

import ast
import inspect
import os
import re

import pytest

from ibind import IbkrClient, var

SEED = os.path.join(os.path.dirname(__file__), '..', 'data', 'ibind_reference_signatures.txt')
MIXIN_COUNTS = {
    'AccountsMixin': 7,
    'ContractMixin': 16,
    'MarketdataMixin': 10,
    'OrderMixin': 10,
    'PortfolioMixin': 15,
    'ScannerMixin': 4,
    'SessionMixin': 7,
    'WatchlistMixin': 4,
}


def _split_top_level(text):
    parts, depth, current = [], 0, ''
    for char in text:
        if char in '([{':
            depth += 1
        elif char in ')]}':
            depth -= 1
        if char == ',' and depth == 0:
            parts.append(current)
            current = ''
        else:
            current += char
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _default(text):
    text = text.strip()
    if text.startswith('var.'):
        return getattr(var, text[4:])
    return ast.literal_eval(text)


def parse_reference():
    with open(SEED, encoding='utf-8') as file:
        text = file.read()
    methods = {}
    for match in re.finditer(r'(?:@ensure_list_arg\(([^)]*)\)\s*)?def (\w+)\(', text):
        name = match.group(2)
        start = match.end()
        depth, index = 1, start
        while depth:
            depth += {'(': 1, ')': -1}.get(text[index], 0)
            index += 1
        params = []
        for raw in _split_top_level(text[start : index - 1]):
            raw = raw.replace('\n', ' ')
            pname = raw.split(':')[0].split('=')[0].strip()
            has_default = '=' in raw
            params.append((pname, _default(raw.split('=', 1)[1]) if has_default else inspect.Parameter.empty))
        decorated = tuple(ast.literal_eval(f'[{match.group(1)}]')) if match.group(1) else ()
        methods[name] = (params, decorated)
    return methods


reference = parse_reference()


def test_reference_was_parsed():
    assert len(reference) >= 80


@pytest.mark.parametrize('name', sorted(reference))
def test_method_exists_with_the_documented_signature(name):
    method = getattr(IbkrClient, name, None)
    assert method is not None, f'IbkrClient.{name} is missing'
    documented, decorated = reference[name]
    actual = [p for p in inspect.signature(method).parameters.values() if p.name != 'self']
    assert [p.name for p in actual[: len(documented)]] == [n for n, _ in documented], name
    for (doc_name, doc_default), param in zip(documented, actual):
        assert param.default == doc_default, f'{name}({doc_name}=...) default {param.default!r} != {doc_default!r}'
    for extra in actual[len(documented) :]:
        assert extra.default is not inspect.Parameter.empty or extra.kind in (
            inspect.Parameter.VAR_KEYWORD,
            inspect.Parameter.VAR_POSITIONAL,
        ), f'{name}: extra {extra.name} is required'
    # the documented one-or-many arguments accept one or many; ibind may accept that in more places
    assert set(decorated) <= set(getattr(method, 'ensure_list_args', ())), f'{name}: ensure_list_arg {decorated}'


def test_mixins_have_the_documented_number_of_methods():
    by_mixin = {}
    for cls in IbkrClient.__mro__:
        if cls.__name__ in MIXIN_COUNTS:
            by_mixin[cls.__name__] = [
                n for n, v in vars(cls).items() if callable(v) and not n.startswith('_') and n in reference
            ]
    assert {k: len(v) for k, v in by_mixin.items()} == MIXIN_COUNTS
