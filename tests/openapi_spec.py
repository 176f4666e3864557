"""IBKR's OpenAPI spec for the simulator tests: where it is, reading it, its schemas as JSON Schema, validating.

The spec (OpenAPI 3.0, IBKR's public document) is part of the repository: ``tests/data/ibkr-openapi.json``.
A test that needs it fails when it is missing (``spec_or_skip`` keeps its old name; it no longer skips).

An OpenAPI 3.0 schema is nearly JSON Schema: ``$ref`` points into the document's ``components``,
``nullable: true`` means null is allowed too, and ``example`` and a few more keys are documentation.
``to_json_schema`` converts one. Its options are where the tests read the spec differently (how strictly
to take ``oneOf`` and ``nullable``, which keys their seed documentation shows as null); the rest is the
same for all of them.
"""

from __future__ import annotations

import copy
import functools
import json
import pathlib
from typing import Any, Collection, Dict, List, Optional

import pytest

SPEC_PATH = pathlib.Path(__file__).resolve().parent / 'data' / 'ibkr-openapi.json'

# OpenAPI keys that JSON Schema does not have, or that only document: dropped by the conversion
_NOT_JSON_SCHEMA = frozenset(
    {'nullable', 'example', 'examples', 'discriminator', 'xml', 'externalDocs', 'deprecated', 'readOnly', 'writeOnly'}
)
_NULLABLE_READINGS = ('type', 'any_of', 'ignore')


@functools.lru_cache(maxsize=1)
def load_spec() -> Optional[Dict[str, Any]]:
    """The spec document, read once per run (it is 1.4 MB); None when the file is absent.

    Every caller gets the same object: read it, do not change it (``to_json_schema`` builds new objects).
    """
    if not SPEC_PATH.is_file():
        return None
    return json.loads(SPEC_PATH.read_text(encoding='utf-8'))


def spec_or_skip() -> Dict[str, Any]:
    """The spec document; fails the calling test (or fixture) when the repository's copy is missing."""
    spec = load_spec()
    if spec is None:
        pytest.fail(f"IBKR's OpenAPI spec is missing from the repository: {SPEC_PATH}")
    return spec


def resolve(spec: Dict[str, Any], node: Any) -> Any:
    """``node``, or what its ``$ref`` (a JSON pointer into ``spec``) points to, followed until it is no ``$ref``."""
    while isinstance(node, dict) and '$ref' in node:
        target: Any = spec
        for part in node['$ref'].lstrip('#/').split('/'):
            target = target[part]
        node = target
    return node


def response_schema(spec: Dict[str, Any], path: str, method: str, status: str = '200') -> Optional[Any]:
    """The OpenAPI schema of the JSON body an operation answers with ``status``; None when the spec gives none.

    ``path`` is as the spec writes it (relative to ``/v1/api``, its own placeholder names). The schema is
    unconverted: pass it to ``to_json_schema``.
    """
    response = resolve(spec, spec['paths'][path][method.lower()].get('responses', {}).get(status))
    content = (response or {}).get('content', {})
    media = content.get('application/json') or next(iter(content.values()), None)
    return media.get('schema') if media else None


def to_json_schema(
    node: Any,
    spec: Optional[Dict[str, Any]] = None,
    *,
    one_of_as_any_of: bool = True,
    nullable: str = 'type',
    null_allowed: Collection[str] = frozenset(),
) -> Any:
    """An OpenAPI 3.0 schema as JSON Schema (draft 7 and later), as a new object.

    ``spec``: given, each ``$ref`` is replaced by the converted schema it points to, so the result stands
    alone and a test can patch parts of it by path (a recursive schema cannot be inlined: RecursionError).
    Without it a ``$ref`` stays a reference (alone: draft 7 ignores keys beside one) and the caller adds the
    converted ``components``.

    ``one_of_as_any_of``: IBKR uses ``oneOf`` for "one of these shapes" over open objects (no
    ``additionalProperties: false``, no discriminator), so an answer of one shape often matches another too,
    which a strict ``oneOf`` rejects. False keeps the spec's ``oneOf``.

    ``nullable``, how ``nullable: true`` is read:
      ``'type'``: null joins the ``type`` (and the ``enum``); a schema without a ``type`` becomes "it or null".
      ``'any_of'``: the schema becomes ``anyOf: [it, null]``, so a mismatch below it is a single error at the
      nullable node (matters to tests that excuse errors by where they are).
      ``'ignore'``: null stays refused, as by a validator that takes the spec as written.

    ``null_allowed``: property names (at any depth) that may also be null and take values outside the spec's
    ``enum``, whatever the spec says: a test's list of what its seed documentation shows as null.
    """
    if nullable not in _NULLABLE_READINGS:
        raise ValueError(f'nullable must be one of {_NULLABLE_READINGS}, not {nullable!r}')

    def convert(sub: Any) -> Any:
        return to_json_schema(
            sub, spec, one_of_as_any_of=one_of_as_any_of, nullable=nullable, null_allowed=null_allowed
        )

    if isinstance(node, list):
        return [convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    if '$ref' in node:
        return convert(resolve(spec, node)) if spec is not None else {'$ref': node['$ref']}
    converted: Dict[str, Any] = {}
    for key, value in node.items():
        if key in _NOT_JSON_SCHEMA:
            continue
        if key in ('properties', 'patternProperties'):  # maps of name -> schema (a property may be named "type")
            converted[key] = {
                name: _or_null(convert(sub)) if name in null_allowed else convert(sub) for name, sub in value.items()
            }
        elif key == 'oneOf' and one_of_as_any_of:
            converted['anyOf'] = convert(value)
        elif key in ('default', 'enum', 'required'):
            converted[key] = copy.deepcopy(value)
        else:
            converted[key] = convert(value)
    if node.get('nullable') is True and nullable != 'ignore':
        if nullable == 'any_of' or 'type' not in converted:
            return {'anyOf': [converted, {'type': 'null'}]}
        converted['type'] = _with_null(converted['type'])
        if 'enum' in converted and None not in converted['enum']:
            converted['enum'] = converted['enum'] + [None]
    return converted


def _with_null(types: Any) -> List[Any]:
    return list(dict.fromkeys((types if isinstance(types, list) else [types]) + ['null']))


def _or_null(schema: Any) -> Any:
    """A converted schema that also takes null and any value its enum left out (``null_allowed``)."""
    if not isinstance(schema, dict):
        return schema
    schema = {key: value for key, value in schema.items() if key != 'enum'}
    if 'type' in schema:
        schema['type'] = _with_null(schema['type'])
    return schema


def validation_errors(schema: Any, data: Any) -> List[Any]:
    """Every ``jsonschema.ValidationError`` of ``data`` against ``schema`` by draft 7, for tests that sort them.

    Draft 7, because the conversion targets it; its errors carry ``absolute_path``, where in ``data`` they are.
    """
    import jsonschema

    return list(jsonschema.Draft7Validator(schema).iter_errors(data))


def assert_valid(schema: Any, data: Any) -> None:
    """Raise the most relevant ``jsonschema.ValidationError`` when ``data`` does not conform to ``schema``.

    This is ``jsonschema.validate``, which the tests that assert conformance have always used: the schema is
    checked first, and with no ``$schema`` it validates by the newest draft jsonschema knows.
    """
    import jsonschema

    jsonschema.validate(data, schema)
