"""Every simulator route that IBKR's OpenAPI spec also describes, checked against that operation's 200 schema.

The simulator lists its routes (``GET /sim/routes``); each is matched to the spec's operation by method and
path *structure* (placeholder names differ: ``{acctId}`` vs ``{accountid}``; the spec's paths are relative to
``/v1/api``). ``sim_route_probes.PROBES`` holds one valid request per route, sent with plain ``requests`` to a
fresh simulator after the documented prerequisites; the 200 body is validated with jsonschema against the
operation's response schema, converted from OpenAPI 3.0 (``$ref`` into ``#/components/schemas``,
``nullable``) to JSON Schema by ``openapi_spec.to_json_schema``.

Where the seed's documentation (what the real gateway sends) and the spec disagree, the simulator follows the
seed; each such known deviation is a named entry of ``DEVIATIONS`` (route -> the JSON paths excused -> why),
listed in docs/simulator.md ("Conformance with IBKR's OpenAPI spec"; how this works:
docs/simulator/conformance.md). Any other validation error fails the test, and so does an entry that no
longer matches anything (the deviation was fixed: delete the entry). The spec is read from
``tests/data/ibkr-openapi.json`` (a copy of IBKR's public document).
"""

from __future__ import annotations

import json
import pathlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from openapi_spec import response_schema, spec_or_skip, to_json_schema, validation_errors
from sim_route_probes import PROBES, run_probes

SIMULATOR_DOC = pathlib.Path(__file__).resolve().parents[3] / 'docs' / 'simulator.md'
DOC_SECTION = "## Conformance with IBKR's OpenAPI spec"
HTTP_METHODS = ('get', 'post', 'put', 'delete', 'patch')


class Spec:
    """IBKR's OpenAPI document: operations by (method, path structure) and their 200 response schemas."""

    def __init__(self, document: Dict[str, Any]):
        self.document = document
        self.components = {
            'schemas': {
                name: to_json_schema(schema)
                for name, schema in document.get('components', {}).get('schemas', {}).items()
            }
        }
        self.operations: Dict[Tuple[str, str], str] = {}
        for path, item in document['paths'].items():
            for method in item:
                if method in HTTP_METHODS:
                    self.operations[(method.upper(), structure(path))] = path

    def operation_path(self, route: str) -> Optional[str]:
        """The spec's path of a simulator route ('GET /portfolio/{acctId}/position/{conid}'), or None."""
        method, template = route.split(' ', 1)
        return self.operations.get((method, structure(template)))

    def response_schema(self, method: str, path: str) -> Optional[Dict[str, Any]]:
        """The JSON Schema of the operation's 200 application/json body (None when the spec gives none).

        ``$ref``s stay references into the converted ``components`` beside it: recursive schemas need no inlining.
        """
        schema = response_schema(self.document, path, method)
        return None if schema is None else {'allOf': [to_json_schema(schema)], 'components': self.components}


def structure(template: str) -> str:
    """A path template without its placeholder names: '/portfolio/{acctId}/x/{conid}' -> '/portfolio/{}/x/{}'."""
    return re.sub(r'\{[^/}]*\}', '{}', template.rstrip('/') or '/')


@pytest.fixture(scope='module')
def spec() -> Spec:
    return Spec(spec_or_skip())


# =========================================================================== validation errors as JSON paths


def error_locations(schema: Dict[str, Any], data: Any) -> List[Tuple[str, str]]:
    """Every validation error as (JSON path, message), e.g. ('orders/0/conid', "265598 is not of type 'string'").

    A missing required key is reported at its own path; an ``anyOf`` failure by the errors of its most
    relevant branch, so a deviation inside a one-branch ``oneOf`` is located like any other.
    """
    found = set()
    for error in validation_errors(schema, data):
        for leaf in _leaf_errors(error):
            path = [str(part) for part in leaf.absolute_path]
            if leaf.validator == 'required':
                missing = re.match(r"'(.*)' is a required property", leaf.message)
                path.append(missing.group(1) if missing else '?')
            found.add(('/'.join(path), leaf.message[:160]))
    return sorted(found)


def _leaf_errors(error: Any) -> List[Any]:
    if error.validator not in ('anyOf', 'oneOf') or not error.context:
        return [error]
    import jsonschema

    branch = jsonschema.exceptions.best_match(error.context).relative_schema_path[0]
    return [leaf for sub in error.context if sub.relative_schema_path[0] == branch for leaf in _leaf_errors(sub)]


def matches(pattern: str, location: str) -> bool:
    """``*`` stands for one path segment (a key or an index); ``**`` for any number of them."""
    regex = '/'.join(
        '.*' if part == '**' else '[^/]*' if part == '*' else re.escape(part) for part in pattern.split('/')
    )
    return re.fullmatch(regex, location) is not None


# =========================================================================== the known deviations


@dataclass(frozen=True)
class Deviation:
    """Where the simulator knowingly differs from the spec: the JSON paths excused, and why.

    ``reshape`` turns a body whose *container* differs (a list where the spec wraps it in an object) into the
    spec's container first, so what is inside is still checked.
    """

    paths: Tuple[str, ...]
    reason: str
    reshape: Optional[Callable[[Any], Any]] = None


def _by_account(rows: Any) -> Any:
    """Seed's list of position rows -> the spec's schema ``{accountId: row}`` (an account holds one row per conid)."""
    return {str(row.get('acctId')): row for row in rows}


_TRADING_TYPE = 'tradingType "PMRGN" as in the seed example (L7424-7455); the spec enumerates only "STKNOPT"'
_CONTRACT_INFO_NULLS = (
    'classifier',
    'contract_clarification_type',
    'contract_month',
    'expiry_full',
    'maturity_date',
    'multiplier',
    'text',
    'underlying_issuer',
)

# Line numbers (L...) point into seed 002; docs/simulator.md has the same table for readers.
DEVIATIONS: Dict[str, Deviation] = {
    'GET /iserver/account/orders': Deviation(
        (
            'orders/*/conid',
            'orders/*/filledQuantity',
            'orders/*/remainingQuantity',
            'orders/*/totalSize',
            'orders/*/lastExecutionTime_r',
        ),
        'seed example (L5821-5856): conid and lastExecutionTime_r integers, quantities floats; the spec: strings',
    ),
    'GET /iserver/account/order/status/{orderId}': Deviation(
        ('side',), 'side "B"/"S" as in the seed example (L6033) and the spec\'s own example; its enum says BUY/SELL'
    ),
    'GET /iserver/account/trades': Deviation(
        ('*/conid',), 'conid an integer as in the seed example (L6224); the spec: a string'
    ),
    'POST /iserver/account/{accountId}/orders/whatif': Deviation(
        ('warn',),
        'warn is null when there is nothing to warn about (seed L6812-6814: "Returns null if no warning '
        'is possible"); the spec: a non-null string',
    ),
    'GET /iserver/contract/{conid}/algos': Deviation(
        ('algos/*/parameters/*/required',),
        'required is the string "true" in the seed example (L2407-2497); the spec: a boolean',
    ),
    'GET /iserver/contract/{conid}/info': Deviation(
        _CONTRACT_INFO_NULLS, "null for a stock, as in the seed's AAPL example (L1948-1975); the spec: strings"
    ),
    'GET /iserver/contract/{conid}/info-and-rules': Deviation(
        _CONTRACT_INFO_NULLS, 'the /info object (seed L2193-2319 shows the same nulls); the spec: strings'
    ),
    'GET /iserver/secdef/bond-filters': Deviation(
        ('bondFilters/*/displayText',),
        'the seed example (L2548-2590) starts with the "Exchange" filter; the spec\'s enum lacks it',
    ),
    'GET /iserver/secdef/search': Deviation(
        ('*/description', '*/symbol'),
        'a bond issuer result has null symbol and description (seed L2686-2704: '
        '"Returns \'null\' for bond contracts"); the spec: strings',
    ),
    'GET /trsrv/secdef': Deviation(
        ('secdef/*/displayRule', 'secdef/*/chineseName', 'secdef/*/group', 'secdef/*/sector', 'secdef/*/type'),
        'displayRule is an object in the seed example (L1813-1822), the spec says array; for an index (SPX) '
        'chineseName, group, sector and type are null (the seed shows null chineseName in /trsrv/stocks, L3303); '
        'the spec: strings',
    ),
    'GET /trsrv/stocks': Deviation(
        ('*/*/chineseName',), 'null when there is none, as in the seed example (L3303); the spec: a string'
    ),
    'GET /sso/validate': Deviation(
        ('QUALIFIED_FOR_MOBILE_AUTH',), 'null as in the seed example (L10871); the spec: a boolean'
    ),
    'POST /iserver/dynaccount': Deviation(
        ('set',), 'set is the string "true" in the seed example (L1326-1329); the spec: a boolean'
    ),
    'GET /portfolio/accounts': Deviation(('*/tradingType',), _TRADING_TYPE),
    'GET /portfolio/subaccounts': Deviation(('*/tradingType',), _TRADING_TYPE),
    'GET /portfolio/subaccounts2': Deviation(('subaccounts/*/tradingType',), _TRADING_TYPE),
    'GET /portfolio/{accountId}/meta': Deviation(('tradingType',), _TRADING_TYPE),
    'GET /portfolio/{accountId}/positions/{pageId}': Deviation(
        ('*/multiplier', '*/putOrCall', '*/strike'),
        'a stock row has null multiplier and putOrCall and strike 0.0, as in the seed example (L8458-8528); the '
        'spec: a number, "P"/"C" and a string',
    ),
    'GET /portfolio/{acctId}/position/{conid}': Deviation(
        ('*/lastTradingDay', '*/putOrCall'),
        'null lastTradingDay and putOrCall for a stock, as in the seed example (L8832, L8846); the spec: strings',
    ),
    'GET /portfolio/positions/{conid}': Deviation(
        ('*/multiplier', '*/putOrCall', '*/strike'),
        "a list of position rows as in the seed example (L9523-9547), not the spec's {accountId: position} (the "
        'rows are checked after keying them by acctId); stock rows as in /positions/{pageId}',
        reshape=_by_account,
    ),
    'POST /portfolio/{accountId}/positions/invalidate': Deviation(
        ('',), 'answers the refreshed positions list as in the seed example (L9042-9090); the spec: {"message"}'
    ),
    'GET /portfolio2/{accountId}/positions': Deviation(
        ('*/conid',), 'conid a string as in the seed example (L8632, "9408"); the spec: an integer'
    ),
    'GET /portfolio/{accountId}/summary': Deviation(
        ('*/currency', '*/value'),
        'currency a string or null and value null for amounts, as in the seed example (L9149-9167); the spec '
        'types currency as a number',
    ),
}

# The alert routes (issue 13): seed 002 shows null for what is not set, and the spec types those fields.
_ALERT_ACK = 'request_id "always null" and failure_list null on success, as seed 002 says and shows (L1060, L1122)'
DEVIATIONS.update(
    {
        'POST /iserver/account/{accountId}/alert': Deviation(
            ('order_status', 'request_id', 'warning_message'),
            'request_id, order_status, warning_message null as seed 002 says ("always returns null", L586-590)',
        ),
        'POST /iserver/account/{accountId}/alert/activate': Deviation(('failure_list', 'request_id'), _ALERT_ACK),
        'DELETE /iserver/account/{accountId}/alert/{alertId}': Deviation(('failure_list', 'request_id'), _ALERT_ACK),
        'GET /iserver/account/alert/{alertId}': Deviation(
            (
                'alert_default_type',
                'alert_mta_currency',
                'alert_mta_defaults',
                'alert_play_audio',
                'alert_triggered',
                'conditions/*/condition_logic_bind',
                'conditions/*/condition_time_zone',
                'conditions/*/condition_trigger_method',
                'time_zone',
                'tool_id',
            ),
            'the seed example (L796-830): nulls for unset MTA fields, alert_triggered a boolean, condition_logic_bind '
            '"n", condition_trigger_method the string "0"; the spec: integers, strings and a boolean logic bind',
        ),
        'GET /iserver/account/mta': Deviation(
            (
                'alert_default_type',
                'alert_email',
                'alert_message',
                'alert_play_audio',
                'alert_triggered',
                'expire_time',
                'order_status',
            ),
            'the seed example (L965-995): nulls for unset fields, alert_triggered a boolean, order_status "Inactive"; '
            'the spec: integers/strings and order_status Presubmitted/Submitted',
        ),
    }
)

# Simulator routes the spec does not describe (for that method), with where seed 002 documents them.
NOT_IN_SPEC: Dict[str, str] = {
    'GET /tickle': "the seed's pacing table lists /tickle as GET (L359), its examples POST; the spec has POST only",
    'POST /iserver/reauthenticate': 'seed L10750-10784 (deprecated in favour of ssodh/init)',
    'GET /md/regsnapshot': 'seed L4812-4930 (regulatory snapshot)',
    'GET /hmds/history': 'seed L5309-5468 (HMDS beta)',
    'GET /hmds/scanner/params': 'seed L10268-10366',
    'POST /hmds/scanner/run': 'seed L10370-10474',
    'POST /portfolio/allocation': 'seed L8160-8269 (consolidated allocation)',
}


# =========================================================================== the checks


@dataclass(repr=False)
class RouteResult:
    route: str
    operation: Optional[str] = None
    status: Optional[int] = None
    body: Any = None
    errors: List[Tuple[str, str]] = field(default_factory=list)  # every validation error
    unexcused: List[Tuple[str, str]] = field(default_factory=list)  # errors no deviation entry covers
    unused_excuses: List[str] = field(default_factory=list)  # excused paths that matched nothing

    def __repr__(self) -> str:
        return f'<{self.route}: {self.status}, {len(self.errors)} spec errors, {len(self.unexcused)} unexcused>'


def check_route(spec: Spec, route: str, response: Any) -> RouteResult:
    """Validate the answer to the probe of ``route`` (a requests.Response, or the exception the probe raised)."""
    result = RouteResult(route, spec.operation_path(route))
    if isinstance(response, BaseException):
        result.body = f'the probe failed: {response!r}'
        return result
    result.status = response.status_code
    result.body = response.text[:300]
    if response.status_code != 200 or result.operation is None:
        return result
    schema = spec.response_schema(route.split(' ', 1)[0], result.operation)
    if schema is None:
        return result
    deviation = DEVIATIONS.get(route, Deviation((), ''))
    body = response.json()
    result.errors = error_locations(schema, deviation.reshape(body) if deviation.reshape else body)
    excused = deviation.paths
    result.unexcused = [
        (location, message)
        for location, message in result.errors
        if not any(matches(pattern, location) for pattern in excused)
    ]
    result.unused_excuses = [
        pattern for pattern in excused if not any(matches(pattern, location) for location, _ in result.errors)
    ]
    return result


@pytest.fixture(scope='module')
def served_routes() -> List[str]:
    from ibind.sim import GatewaySimulator

    with GatewaySimulator(port=0) as sim:
        return sim.control.routes()


@pytest.fixture(scope='module')
def report(spec, served_routes) -> Dict[str, RouteResult]:
    """Every served route probed once and validated (a module fixture: the per-route tests read it)."""
    routes = [route for route in served_routes if route in PROBES]
    responses = run_probes({route: (route, PROBES[route]) for route in routes})
    return {route: check_route(spec, route, responses[route]) for route in routes}


def test_every_served_route_has_a_probe(served_routes):
    assert sorted(set(served_routes) - set(PROBES)) == [], 'add a valid request for it to sim_route_probes.PROBES'
    assert sorted(set(PROBES) - set(served_routes)) == [], 'the simulator no longer serves these routes'


@pytest.mark.parametrize('route', sorted(PROBES))
def test_route_conforms_to_the_openapi_spec(report, route):
    result = report.get(route)
    assert result is not None, f'{route} is not served by the simulator'
    assert result.status == 200, f'the probe of {route} did not succeed: {result.status} {result.body}'
    if result.operation is None:
        assert route in NOT_IN_SPEC, f'{route} is not in the spec: list it in NOT_IN_SPEC with the reason'
        return
    assert route not in NOT_IN_SPEC, f'{route} is in the spec as {result.operation}: remove it from NOT_IN_SPEC'
    assert result.unexcused == [], f'{route}: new deviations from the spec ({result.operation})'
    assert result.unused_excuses == [], f'{route}: these excused deviations no longer occur; remove them'


def summarise(report: Dict[str, RouteResult]) -> Dict[str, Any]:
    in_spec = [r for r in report.values() if r.operation is not None]
    deviating = sorted(r.route for r in in_spec if r.errors)
    return {
        'routes': len(report),
        'checked': len(in_spec),
        'conforming': len(in_spec) - len(deviating),
        'deviating': {route: DEVIATIONS[route].reason if route in DEVIATIONS else 'UNEXPECTED' for route in deviating},
        'not_in_spec': sorted(r.route for r in report.values() if r.operation is None),
    }


def test_summary(report, record_property, capsys):
    summary = summarise(report)
    record_property('openapi_conformance', json.dumps(summary))
    with capsys.disabled():
        print(
            f'\nOpenAPI conformance: {summary["checked"]} operations checked, {summary["conforming"]} conform, '
            f'{len(summary["deviating"])} deviate (documented), {len(summary["not_in_spec"])} routes not in the spec'
        )
    assert summary['checked'] + len(summary['not_in_spec']) == summary['routes']
    assert 'UNEXPECTED' not in summary['deviating'].values()


def test_the_documented_counts_are_current(report):
    """docs/simulator.md states the counts and lists every deviating route and every route not in the spec."""
    text = SIMULATOR_DOC.read_text(encoding='utf-8')
    assert DOC_SECTION in text, f'{SIMULATOR_DOC} has no section {DOC_SECTION!r}'
    section = text.split(DOC_SECTION, 1)[1].split('\n## ', 1)[0]
    summary = summarise(report)
    counts = re.search(
        r"\*\*(\d+) of the simulator's (\d+) routes are operations of IBKR's OpenAPI spec, and (\d+) "
        r'of those (\d+) conform',
        section.replace('\n', ' '),
    )
    assert counts is not None, 'the section must state "**C of the simulator\'s R routes are operations ..."'
    assert [int(n) for n in counts.groups()] == [
        summary['checked'],
        summary['routes'],
        summary['conforming'],
        summary['checked'],
    ]
    assert [route for route in summary['deviating'] if f'| `{route}` |' not in section] == []
    assert [route for route in summary['not_in_spec'] if f'`{route}`' not in section] == []


# =========================================================================== the machinery itself


def test_nullable_and_one_of_are_translated():
    schema = to_json_schema(
        {
            'oneOf': [{'$ref': '#/components/schemas/a', 'description': 'x'}],
            'properties': {
                'type': {'type': 'string', 'nullable': True, 'enum': ['P', 'C']},
                'example': {'type': 'integer', 'example': 3},
            },
        }
    )
    assert schema == {
        'anyOf': [{'$ref': '#/components/schemas/a'}],
        'properties': {'type': {'type': ['string', 'null'], 'enum': ['P', 'C', None]}, 'example': {'type': 'integer'}},
    }
    assert to_json_schema({'allOf': [{'type': 'object'}], 'nullable': True}) == {
        'anyOf': [{'allOf': [{'type': 'object'}]}, {'type': 'null'}]
    }


def test_placeholder_names_do_not_matter_when_matching_paths():
    assert structure('/portfolio/{acctId}/position/{conid}') == structure('/portfolio/{accountid}/position/{conid}')
    assert structure('/portfolio/{accountId}/positions/{pageId}') != structure('/portfolio/{accountId}/positions')


def test_errors_are_located_by_json_path():
    components = {
        'schemas': {
            'row': to_json_schema(
                {
                    'type': 'object',
                    'required': ['id'],
                    'properties': {'side': {'type': 'string', 'enum': ['BUY', 'SELL']}, 'conid': {'type': 'string'}},
                }
            )
        }
    }
    schema = {
        'allOf': [{'type': 'array', 'items': {'oneOf': [{'$ref': '#/components/schemas/row'}]}}],
        'components': components,
    }
    schema['allOf'][0] = to_json_schema(schema['allOf'][0])
    locations = [location for location, _ in error_locations(schema, [{'id': 1, 'side': 'B'}, {'conid': 5}])]
    assert locations == ['0/side', '1/conid', '1/id']


@pytest.mark.parametrize(
    'pattern, location, expected',
    [
        ('*/conid', '0/conid', True),
        ('*/conid', 'orders/0/conid', False),
        ('orders/*/conid', 'orders/12/conid', True),
        ('**/conid', 'a/b/c/conid', True),
        ('', '', True),
        ('', 'x', False),
        ('side', 'side', True),
    ],
)
def test_excused_paths_match_one_segment_per_star(pattern, location, expected):
    assert matches(pattern, location) is expected
