"""One valid request for every route the simulator serves, with the setup it needs, sent with plain requests.

The shape tests (``tests/integration/sim/test_openapi_conformance.py`` against IBKR's OpenAPI spec and
``test_documented_examples.py`` against the JSON examples of seed 002) both need "a normal, successful
answer of route X"; this table is the one place that knows how to get it. Every probe runs on a fresh
simulator (frozen clock, fixed start, a few positions), performs the documented prerequisites over HTTP
(``/iserver/accounts`` before orders, ``/portfolio/accounts`` before the portfolio, a secdef search before
strikes, a pre-flight snapshot, the first ``/hmds/history`` call that answers 404, ...) and then sends the
request whose answer is checked. A prerequisite that does not answer as documented fails the probe.
"""

from __future__ import annotations

import contextlib
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Hashable, Iterator, Mapping, Optional, Tuple, Union

import requests

from ibind.sim import GatewaySimulator

ACCOUNT = 'DU1234567'
AAPL, IBM, KO, SPX = 265598, 8314, 8894, 416904
START = 1_704_900_000.0  # 2024-01-10 15:20 UTC, a Wednesday during US trading hours
WATCHLIST_ID = '1234'
BOND_ISSUER = 'e1400715'

# Positions held from the start, so portfolio views have rows (a long stock, a short stock).
POSITIONS = {
    ACCOUNT: [{'conid': AAPL, 'quantity': 100, 'avg_price': 180.0}, {'conid': IBM, 'quantity': -10, 'avg_price': 150.0}]
}
BASE_OPTIONS: Dict[str, Any] = {'start_time': START, 'frozen_clock': True, 'initial_positions': POSITIONS}


class Api:
    """Plain HTTP against one simulator; ``ok`` insists on a 200 and returns the JSON body."""

    def __init__(self, sim: GatewaySimulator, oauth_credentials: Any = None):
        self.sim = sim
        self.oauth_credentials = oauth_credentials  # ibind.sim.oauth.TestCredentials of an OAuth simulator
        self.http = requests.Session()

    def send(
        self,
        method: str,
        path: str,
        query: Optional[Mapping[str, Any]] = None,
        body: Any = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> requests.Response:
        if method in ('POST', 'PUT') and body is None:
            body = {}  # the gateway wants a body (Content-Length) on every POST
        return self.http.request(
            method, self.sim.url + path, params=query or None, json=body, headers=dict(headers or {}), timeout=10
        )

    def ok(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Any = None) -> Any:
        response = self.send(method, path, query, body)
        assert response.status_code == 200, f'{method} {path} {query or ""}: {response.status_code} {response.text}'
        return response.json()

    def status(self, method: str, path: str, query: Optional[Mapping[str, Any]] = None, body: Any = None) -> int:
        return self.send(method, path, query, body).status_code

    def close(self) -> None:
        self.http.close()


# --------------------------------------------------------------------------- prerequisites (each over HTTP)


def brokerage_accounts(api: Api) -> Dict[str, Any]:
    """Documented: /iserver/accounts before orders, order monitoring and snapshots."""
    api.ok('GET', 'iserver/accounts')
    return {}


def portfolio_accounts(api: Api) -> Dict[str, Any]:
    """Documented: /portfolio/accounts (or /subaccounts) before any other /portfolio endpoint."""
    api.ok('GET', 'portfolio/accounts')
    return {}


def preflight_snapshot(api: Api, conids: str = f'{AAPL},{IBM}') -> Dict[str, Any]:
    """The first snapshot of a conid opens the feed (and has no market data fields)."""
    brokerage_accounts(api)
    api.ok('GET', 'iserver/marketdata/snapshot', {'conids': conids, 'fields': '31,84,86'})
    return {}


def option_contract(api: Api) -> Dict[str, Any]:
    """SPX options: secdef search (required first), its first option month, a strike from /strikes."""
    found = api.ok('GET', 'iserver/secdef/search', {'symbol': 'SPX'})
    index = next(item for item in found if str(item['conid']) == str(SPX))
    section = next(s for s in index['sections'] if s['secType'] == 'OPT')
    month = section['months'].split(';')[0]
    strikes = api.ok('GET', 'iserver/secdef/strikes', {'conid': SPX, 'sectype': 'OPT', 'month': month})
    return {'month': month, 'strike': strikes['call'][len(strikes['call']) // 2]}


def market_order(side: str = 'BUY', quantity: int = 10, **extra: Any) -> Dict[str, Any]:
    """A day market order for AAPL (it fills at once once the snapshot has opened the feed)."""
    return {
        'acctId': ACCOUNT,
        'conid': AAPL,
        'orderType': 'MKT',
        'side': side,
        'quantity': quantity,
        'tif': 'DAY',
        **extra,
    }


def last_price(api: Api, conid: int = AAPL) -> float:
    snapshot = api.ok('GET', 'iserver/marketdata/snapshot', {'conids': conid, 'fields': '31'})
    return float(str(snapshot[0]['31']).lstrip('CH'))


def limit_order(api: Api, below_pct: float, quantity: int = 5, **extra: Any) -> Dict[str, Any]:
    """A buy limit ``below_pct`` % under the last price (the clock is frozen, so it never fills)."""
    price = round(last_price(api) * (1 - below_pct / 100), 2)
    return {
        'acctId': ACCOUNT,
        'conid': AAPL,
        'orderType': 'LMT',
        'price': price,
        'side': 'BUY',
        'quantity': quantity,
        'tif': 'GTC',
        **extra,
    }


def far_limit_order(api: Api) -> Dict[str, Any]:
    """A limit order 10 % under the market, to send: the gateway answers with the o163 question."""
    preflight_snapshot(api, str(AAPL))
    return {'far_order': limit_order(api, 10.0)}


def order_question(api: Api) -> Dict[str, Any]:
    """A limit 10 % under the market: the gateway asks the o163 price question; its id is the reply id."""
    answer = api.ok('POST', f'iserver/account/{ACCOUNT}/orders', body={'orders': [far_limit_order(api)['far_order']]})
    assert isinstance(answer, list) and 'id' in answer[0], answer
    return {'reply_id': answer[0]['id']}


def resting_order(api: Api) -> Dict[str, Any]:
    """A working limit 2 % under the market (inside the 3 % price constraint: no question); its order id, the
    same order with a new quantity (a modification that asks nothing either) and one with a price 10 % under
    the market (a modification the gateway asks the o163 question about)."""
    preflight_snapshot(api, str(AAPL))
    order = limit_order(api, 2.0, cOID='probe-resting')
    answer = api.ok('POST', f'iserver/account/{ACCOUNT}/orders', body={'orders': [order]})
    assert 'order_id' in answer[0], answer
    modified = {key: value for key, value in order.items() if key != 'cOID'}
    return {
        'order_id': answer[0]['order_id'],
        'modified': {**modified, 'quantity': 7},
        'far_modified': {**modified, 'price': limit_order(api, 10.0)['price']},
    }


def filled_order(api: Api) -> Dict[str, Any]:
    """A market sale of 10 of the 100 AAPL held (an execution with a realised gain, cOID 'probe-filled')."""
    preflight_snapshot(api, str(AAPL))
    answer = api.ok(
        'POST', f'iserver/account/{ACCOUNT}/orders', body={'orders': [market_order('SELL', cOID='probe-filled')]}
    )
    assert answer[0].get('order_status') == 'Filled', answer
    return {'order_id': answer[0]['order_id']}


def working_and_filled_orders(api: Api) -> Dict[str, Any]:
    filled_order(api)
    return resting_order(api)


def watchlist(api: Api) -> Dict[str, Any]:
    api.ok(
        'POST',
        'iserver/watchlist',
        body={'id': WATCHLIST_ID, 'name': 'Test Watchlist', 'rows': [{'C': IBM}, {'H': ''}, {'C': AAPL}]},
    )
    return {}


def watchlist_read_once(api: Api) -> Dict[str, Any]:
    """The first read of a watchlist may carry only C, conid and name; later reads are complete."""
    watchlist(api)
    api.ok('GET', 'iserver/watchlist', {'id': WATCHLIST_ID})
    return {}


def position_read_once(api: Api) -> Dict[str, Any]:
    """The first /portfolio/{id}/position/{conid} returns only portfolio info; later ones add the contract."""
    portfolio_accounts(api)
    api.ok('GET', f'portfolio/{ACCOUNT}/position/{AAPL}')
    return {}


def hmds_first_call(api: Api) -> Dict[str, Any]:
    """Documented quirk: the first /hmds/history request answers 404."""
    assert api.status('GET', 'hmds/history', {'conid': AAPL, 'period': '1d', 'bar': '1hrs'}) == 404
    return {}


def live_session_token_request(api: Api) -> Dict[str, Any]:
    """The signed headers of a live session token request, made with the OAuth consumer the simulator knows."""
    from ibind.oauth import oauth1a

    material = api.oauth_credentials.client_config(api.sim.url).material()
    request = oauth1a.LiveSessionTokenRequest(material, api.sim.url + 'oauth/live_session_token', oauth1a.Timestamps())
    return {'headers': request.headers}


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Probe:
    """One valid request of a route. ``path``, query values and body strings may hold ``{name}`` fields,
    filled from ``{'account': ACCOUNT}`` plus what ``prepare`` returns (a returned ``headers`` dict is sent
    as request headers). ``options`` are simulator options on top of BASE_OPTIONS."""

    path: str
    query: Dict[str, Any] = field(default_factory=dict)
    body: Any = None
    prepare: Optional[Callable[[Api], Dict[str, Any]]] = None
    options: Dict[str, Any] = field(default_factory=dict)
    oauth: bool = False


PROBES: Dict[str, Probe] = {
    # ---- session
    'POST /iserver/auth/status': Probe('iserver/auth/status'),
    'POST /iserver/auth/ssodh/init': Probe('iserver/auth/ssodh/init', body={'publish': True, 'compete': True}),
    'POST /iserver/reauthenticate': Probe('iserver/reauthenticate'),
    'POST /logout': Probe('logout'),
    'POST /tickle': Probe('tickle'),
    'GET /tickle': Probe('tickle'),
    'GET /sso/validate': Probe('sso/validate'),
    'POST /oauth/live_session_token': Probe('oauth/live_session_token', prepare=live_session_token_request, oauth=True),
    # ---- accounts
    'GET /iserver/accounts': Probe('iserver/accounts'),
    'POST /iserver/account': Probe('iserver/account', body={'acctId': '{account}'}, prepare=brokerage_accounts),
    'GET /iserver/account/search/{searchPattern}': Probe(
        'iserver/account/search/DU', options={'dynamic_accounts': True}
    ),
    'POST /iserver/dynaccount': Probe(
        'iserver/dynaccount', body={'acctId': '{account}'}, options={'dynamic_accounts': True}
    ),
    'GET /iserver/account/pnl/partitioned': Probe('iserver/account/pnl/partitioned', prepare=brokerage_accounts),
    'GET /acesws/{accountId}/signatures-and-owners': Probe('acesws/{account}/signatures-and-owners'),
    'GET /iserver/account/{accountId}/summary': Probe('iserver/account/{account}/summary'),
    'GET /iserver/account/{accountId}/summary/available_funds': Probe(
        'iserver/account/{account}/summary/available_funds'
    ),
    'GET /iserver/account/{accountId}/summary/balances': Probe('iserver/account/{account}/summary/balances'),
    'GET /iserver/account/{accountId}/summary/margins': Probe('iserver/account/{account}/summary/margins'),
    'GET /iserver/account/{accountId}/summary/market_value': Probe('iserver/account/{account}/summary/market_value'),
    # ---- contract
    'GET /trsrv/secdef': Probe('trsrv/secdef', {'conids': f'{AAPL},{IBM},{SPX}'}),
    'GET /trsrv/all-conids': Probe('trsrv/all-conids', {'exchange': 'NYSE'}),
    'GET /trsrv/stocks': Probe('trsrv/stocks', {'symbols': 'AAPL,IBM'}),
    'GET /trsrv/futures': Probe('trsrv/futures', {'symbols': 'ES'}),
    'GET /trsrv/secdef/schedule': Probe('trsrv/secdef/schedule', {'assetClass': 'STK', 'symbol': 'AAPL'}),
    'GET /iserver/contract/{conid}/info': Probe(f'iserver/contract/{AAPL}/info'),
    'GET /iserver/contract/{conid}/info-and-rules': Probe(f'iserver/contract/{AAPL}/info-and-rules', {'isBuy': 'true'}),
    'POST /iserver/contract/rules': Probe('iserver/contract/rules', body={'conid': AAPL, 'isBuy': True}),
    'GET /iserver/contract/{conid}/algos': Probe(
        f'iserver/contract/{AAPL}/algos', {'addDescription': '1', 'addParams': '1'}
    ),
    'GET /iserver/currency/pairs': Probe('iserver/currency/pairs', {'currency': 'USD'}),
    'GET /iserver/exchangerate': Probe('iserver/exchangerate', {'source': 'USD', 'target': 'AUD'}),
    'GET /iserver/secdef/search': Probe('iserver/secdef/search', {'symbol': 'AAPL'}),
    'GET /iserver/secdef/strikes': Probe(
        'iserver/secdef/strikes', {'conid': SPX, 'sectype': 'OPT', 'month': '{month}'}, prepare=option_contract
    ),
    'GET /iserver/secdef/info': Probe(
        'iserver/secdef/info',
        {'conid': SPX, 'sectype': 'OPT', 'month': '{month}', 'strike': '{strike}', 'right': 'C'},
        prepare=option_contract,
    ),
    'GET /iserver/secdef/bond-filters': Probe(
        'iserver/secdef/bond-filters', {'symbol': 'BOND', 'issuerId': BOND_ISSUER}
    ),
    # ---- market data
    'GET /iserver/marketdata/snapshot': Probe(
        'iserver/marketdata/snapshot',
        {'conids': f'{AAPL},{IBM}', 'fields': '31,55,84,85,86,88,6119,6509,7295,7296'},
        prepare=preflight_snapshot,
    ),
    'GET /md/regsnapshot': Probe('md/regsnapshot', {'conid': AAPL}, prepare=brokerage_accounts),
    'GET /iserver/marketdata/history': Probe(
        'iserver/marketdata/history', {'conid': AAPL, 'period': '1w', 'bar': '1d'}
    ),
    'GET /hmds/history': Probe('hmds/history', {'conid': AAPL, 'period': '1d', 'bar': '1hrs'}, prepare=hmds_first_call),
    'POST /iserver/marketdata/unsubscribe': Probe(
        'iserver/marketdata/unsubscribe', body={'conid': AAPL}, prepare=preflight_snapshot
    ),
    'GET /iserver/marketdata/unsubscribeall': Probe('iserver/marketdata/unsubscribeall', prepare=preflight_snapshot),
    # ---- orders
    'POST /iserver/account/{accountId}/orders': Probe(
        'iserver/account/{account}/orders', body={'orders': [market_order()]}, prepare=preflight_snapshot
    ),
    'POST /iserver/reply/{replyId}': Probe(
        'iserver/reply/{reply_id}', body={'confirmed': True}, prepare=order_question
    ),
    'POST /iserver/account/{accountId}/order/{orderId}': Probe(
        'iserver/account/{account}/order/{order_id}', body='{modified}', prepare=resting_order
    ),
    'DELETE /iserver/account/{accountId}/order/{orderId}': Probe(
        'iserver/account/{account}/order/{order_id}', prepare=resting_order
    ),
    'POST /iserver/account/{accountId}/orders/whatif': Probe(
        'iserver/account/{account}/orders/whatif', body={'orders': [market_order()]}, prepare=preflight_snapshot
    ),
    'POST /iserver/questions/suppress': Probe('iserver/questions/suppress', body={'messageIds': ['o163']}),
    'POST /iserver/questions/suppress/reset': Probe('iserver/questions/suppress/reset'),
    'GET /iserver/account/orders': Probe('iserver/account/orders', prepare=working_and_filled_orders),
    'GET /iserver/account/order/status/{orderId}': Probe(
        'iserver/account/order/status/{order_id}', prepare=resting_order
    ),
    'GET /iserver/account/trades': Probe('iserver/account/trades', prepare=filled_order),
    # ---- portfolio and PortfolioAnalyst
    'GET /portfolio/accounts': Probe('portfolio/accounts'),
    'GET /portfolio/subaccounts': Probe('portfolio/subaccounts'),
    'GET /portfolio/subaccounts2': Probe('portfolio/subaccounts2', {'page': 0}),
    'GET /portfolio/{accountId}/meta': Probe('portfolio/{account}/meta', prepare=portfolio_accounts),
    'GET /portfolio/{accountId}/allocation': Probe('portfolio/{account}/allocation', prepare=portfolio_accounts),
    'POST /portfolio/allocation': Probe(
        'portfolio/allocation', body={'acctIds': ['{account}']}, prepare=portfolio_accounts
    ),
    'GET /portfolio/{accountId}/positions/{pageId}': Probe(
        'portfolio/{account}/positions/0', prepare=portfolio_accounts
    ),
    'POST /portfolio/{accountId}/positions/invalidate': Probe(
        'portfolio/{account}/positions/invalidate', prepare=portfolio_accounts
    ),
    'GET /portfolio2/{accountId}/positions': Probe('portfolio2/{account}/positions', prepare=portfolio_accounts),
    'GET /portfolio/{acctId}/position/{conid}': Probe(
        f'portfolio/{{account}}/position/{AAPL}', prepare=position_read_once
    ),
    'GET /portfolio/positions/{conid}': Probe(f'portfolio/positions/{AAPL}', prepare=portfolio_accounts),
    'GET /portfolio/{accountId}/combo/positions': Probe(
        'portfolio/{account}/combo/positions', prepare=portfolio_accounts
    ),
    'GET /portfolio/{accountId}/summary': Probe('portfolio/{account}/summary', prepare=portfolio_accounts),
    'GET /portfolio/{accountId}/ledger': Probe('portfolio/{account}/ledger', prepare=portfolio_accounts),
    'POST /pa/performance': Probe('pa/performance', body={'acctIds': ['{account}'], 'period': '7D'}),
    'POST /pa/transactions': Probe(
        'pa/transactions',
        body={'acctIds': ['{account}'], 'conids': [AAPL], 'currency': 'USD', 'days': 3},
        prepare=filled_order,
    ),
    # ---- scanners
    'GET /iserver/scanner/params': Probe('iserver/scanner/params'),
    'POST /iserver/scanner/run': Probe(
        'iserver/scanner/run',
        body={
            'instrument': 'STK',
            'type': 'TOP_PERC_GAIN',
            'location': 'STK.US.MAJOR',
            'filter': [{'code': 'priceAbove', 'value': 5}],
        },
    ),
    'GET /hmds/scanner/params': Probe('hmds/scanner/params'),
    'POST /hmds/scanner/run': Probe(
        'hmds/scanner/run',
        body={
            'instrument': 'BOND',
            'locations': 'BOND.US',
            'scanCode': 'HIGH_BOND_ASK_YIELD_ALL',
            'secType': 'BOND',
            'delayedLocations': 'SMART',
            'maxItems': 25,
            'filters': [],
        },
    ),
    # ---- watchlists
    'POST /iserver/watchlist': Probe(
        'iserver/watchlist', body={'id': WATCHLIST_ID, 'name': 'Test Watchlist', 'rows': [{'C': IBM}, {'H': ''}]}
    ),
    'GET /iserver/watchlists': Probe('iserver/watchlists', {'SC': 'USER_WATCHLIST'}, prepare=watchlist),
    'GET /iserver/watchlist': Probe('iserver/watchlist', {'id': WATCHLIST_ID}, prepare=watchlist_read_once),
    'DELETE /iserver/watchlist': Probe('iserver/watchlist', {'id': WATCHLIST_ID}, prepare=watchlist),
}


# --------------------------------------------------------------------------- running a probe


def _fill(value: Any, values: Mapping[str, Any]) -> Any:
    """Fill ``{name}`` fields; a string that is exactly one field becomes that value (whatever its type)."""
    if isinstance(value, str):
        if value.startswith('{') and value.endswith('}') and value[1:-1] in values:
            return values[value[1:-1]]
        return value.format(**values)
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


@contextlib.contextmanager
def api_for(probe: Probe) -> Iterator[Api]:
    """An Api on a fresh simulator with the probe's options (with a throwaway OAuth consumer for OAuth probes)."""
    options = {**BASE_OPTIONS, **probe.options}
    with contextlib.ExitStack() as stack:
        credentials = None
        if probe.oauth:
            from ibind.sim.oauth import make_test_credentials

            credentials = make_test_credentials(stack.enter_context(tempfile.TemporaryDirectory()))
            options['oauth'] = credentials.server
        sim = stack.enter_context(GatewaySimulator(port=0, **options))
        api = Api(sim, credentials)
        stack.callback(api.close)
        yield api


def run_probe(route: str, probe: Probe) -> requests.Response:
    """Prepare and send the probe of ``route`` ('METHOD /template') on a fresh simulator; its response."""
    method = route.split(' ', 1)[0]
    with api_for(probe) as api:
        values: Dict[str, Any] = {'account': ACCOUNT}
        if probe.prepare is not None:
            values.update(probe.prepare(api))
        headers = values.pop('headers', None)
        return api.send(
            method, _fill(probe.path, values), _fill(probe.query, values), _fill(probe.body, values), headers
        )


def run_probes(
    probes: Mapping[Hashable, Tuple[str, Probe]], workers: int = 16
) -> Dict[Hashable, Union[requests.Response, BaseException]]:
    """Run many probes at once (each on its own simulator): key -> its response, or the exception it raised."""

    def run(item: Tuple[str, Probe]) -> Union[requests.Response, BaseException]:
        try:
            return run_probe(*item)
        except Exception as error:  # reported by the test of that probe, not by the whole batch
            return error

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip(probes, pool.map(run, probes.values())))


# --------------------------------------------------------------------------- the routes of the whole API (issue 13)

from sim_route_probes_fullapi import FULL_API_PROBES  # noqa: E402  (it uses the helpers above)

PROBES.update(FULL_API_PROBES)
