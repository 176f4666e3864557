"""The transport layer: for EVERY public method, a broken answer on its route is an ExternalBrokerError.

Each method of the API reference (seed 001) that sends requests is called with valid arguments while the
simulator answers one of its routes with an HTML error page (500), truncated JSON (200) or an empty body
(200). Whatever the method does with the answer, what escapes is an ExternalBrokerError subclass naming
the route -- never a JSONDecodeError, a KeyError or a None passed off as data. A control run first shows
that each call succeeds when nothing is broken, so the faults are what the cases test.
"""

import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional, Tuple

import pytest

from ibind import IbkrClient, RestClient
from ibind.client.questions import QuestionType
from ibind.sim import GatewaySimulator
from ibind.support.errors import BadResponseError, ExternalBrokerError, OutcomeUnknownError

from scripted_server import Reply

SEED = os.path.join(os.path.dirname(__file__), '..', 'data', 'ibind_reference_signatures.txt')
ACCOUNT = 'DU1234567'
AAPL = 265598
SPX = 416904
ANSWER_ALL = {
    QuestionType.MISSING_MARKET_DATA: True,
    QuestionType.PRICE_PERCENTAGE_CONSTRAINT: True,
    'o403': True,
    'o451': True,
    'o10331': True,
}
HTML_500 = (
    '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>'
)

KINDS = {
    'html 500': dict(kind='status', status=500, body=HTML_500, content_type='text/html'),
    'truncated 200': dict(kind='truncate'),
    'empty 200': dict(kind='status', status=200, content_type='application/json'),
}


def market_order() -> dict:
    return {'conid': AAPL, 'side': 'BUY', 'orderType': 'MKT', 'quantity': 1, 'tif': 'DAY'}


def resting_order() -> dict:
    return {'conid': AAPL, 'side': 'BUY', 'orderType': 'LMT', 'price': 1.0, 'quantity': 1, 'tif': 'GTC'}


def place_resting(client, sim) -> None:
    client.receive_brokerage_accounts()
    client.order_id = client.place_order(resting_order(), ANSWER_ALL).data[0]['order_id']


def ask_a_question(client, sim) -> None:
    client.receive_brokerage_accounts()
    answer = client.post(f'iserver/account/{ACCOUNT}/orders', json={'orders': [market_order()]}).data
    client.reply_id = answer[0]['id']


def open_stream(client, sim) -> None:
    client.receive_brokerage_accounts()
    client.live_marketdata_snapshot(AAPL, ['31'])


def create_watchlist(client, sim) -> None:
    client.create_watchlist('1234', 'Tech', [{'C': AAPL}])


def expire_session(client, sim) -> None:
    client.receive_brokerage_accounts()
    sim.control.session('expire')


@dataclass
class Call:
    name: str
    call: Callable[[IbkrClient], Any]
    routes: Tuple[str, ...]  # 'METHOD /route/template' the call sends, each faulted in turn
    setup: Optional[Callable[[IbkrClient, GatewaySimulator], Any]] = None
    label: str = ''


ACCOUNTS_FIRST = lambda c, s: c.receive_brokerage_accounts()  # noqa: E731  (IBKR's prerequisite for /iserver)
PORTFOLIO_FIRST = lambda c, s: c.portfolio_accounts()  # noqa: E731  (IBKR's prerequisite for /portfolio)
DYNACCT = lambda c, s: s.control.config(dynamic_accounts=True)  # noqa: E731

CALLS = [
    Call('account_performance', lambda c: c.account_performance(ACCOUNT, '1M'), ('POST /pa/performance',)),
    Call(
        'account_profit_and_loss',
        lambda c: c.account_profit_and_loss(),
        ('GET /iserver/account/pnl/partitioned',),
        ACCOUNTS_FIRST,
    ),
    Call(
        'account_summary', lambda c: c.account_summary(), ('GET /iserver/account/{accountId}/summary',), ACCOUNTS_FIRST
    ),
    Call(
        'algo_params_by_conid',
        lambda c: c.algo_params_by_conid(AAPL, add_params='1'),
        ('GET /iserver/contract/{conid}/algos',),
    ),
    Call('all_conids_by_exchange', lambda c: c.all_conids_by_exchange('NASDAQ'), ('GET /trsrv/all-conids',)),
    Call('authentication_status', lambda c: c.authentication_status(), ('POST /iserver/auth/status',)),
    Call(
        'cancel_order',
        lambda c: c.cancel_order(c.order_id),
        ('DELETE /iserver/account/{accountId}/order/{orderId}',),
        place_resting,
    ),
    Call(
        'contract_information_by_conid',
        lambda c: c.contract_information_by_conid(AAPL),
        ('GET /iserver/contract/{conid}/info',),
    ),
    Call(
        'create_watchlist',
        lambda c: c.create_watchlist('1234', 'Tech', [{'C': AAPL}, {'H': ''}]),
        ('POST /iserver/watchlist',),
    ),
    Call('currency_exchange_rate', lambda c: c.currency_exchange_rate('AUD', 'USD'), ('GET /iserver/exchangerate',)),
    Call('currency_pairs', lambda c: c.currency_pairs('USD'), ('GET /iserver/currency/pairs',)),
    Call('delete_watchlist', lambda c: c.delete_watchlist('1234'), ('DELETE /iserver/watchlist',), create_watchlist),
    Call('get_all_watchlists', lambda c: c.get_all_watchlists(), ('GET /iserver/watchlists',)),
    Call('get_ledger', lambda c: c.get_ledger(), ('GET /portfolio/{accountId}/ledger',), PORTFOLIO_FIRST),
    Call(
        'get_watchlist_information',
        lambda c: c.get_watchlist_information('1234'),
        ('GET /iserver/watchlist',),
        create_watchlist,
    ),
    Call(
        'historical_marketdata_beta',
        lambda c: c.historical_marketdata_beta(AAPL, '1d', '5mins'),
        ('GET /hmds/history',),
    ),
    Call(
        'hmds_market_scanner',
        lambda c: c.hmds_market_scanner(
            'BOND', 'BOND.US', 'HIGH_BOND_ASK_YIELD_ALL', 'BOND', [{'bondAskYieldBelow': 15.819}], max_items=25
        ),
        ('POST /hmds/scanner/run',),
    ),
    Call('hmds_scanner_parameters', lambda c: c.hmds_scanner_parameters(), ('GET /hmds/scanner/params',)),
    Call(
        'info_and_rules_by_conid',
        lambda c: c.info_and_rules_by_conid(AAPL, True),
        ('GET /iserver/contract/{conid}/info-and-rules',),
    ),
    Call(
        'initialize_brokerage_session', lambda c: c.initialize_brokerage_session(), ('POST /iserver/auth/ssodh/init',)
    ),
    Call(
        'invalidate_backend_portfolio_cache',
        lambda c: c.invalidate_backend_portfolio_cache(),
        ('POST /portfolio/{accountId}/positions/invalidate',),
        PORTFOLIO_FIRST,
    ),
    Call('large_portfolio_subaccounts', lambda c: c.large_portfolio_subaccounts(), ('GET /portfolio/subaccounts2',)),
    Call(
        'live_marketdata_snapshot',
        lambda c: c.live_marketdata_snapshot(AAPL, ['31', '84']),
        ('GET /iserver/marketdata/snapshot',),
        ACCOUNTS_FIRST,
    ),
    Call(
        'live_marketdata_snapshot_by_symbol',
        lambda c: c.live_marketdata_snapshot_by_symbol('AAPL', ['last_price']),
        ('GET /trsrv/stocks', 'GET /iserver/accounts', 'GET /iserver/marketdata/snapshot'),
    ),
    Call('live_orders', lambda c: c.live_orders(), ('GET /iserver/account/orders',), ACCOUNTS_FIRST),
    Call('logout', lambda c: c.logout(), ('POST /logout',)),
    Call(
        'market_scanner',
        lambda c: c.market_scanner('STK', 'MOST_ACTIVE', 'STK.US.MAJOR'),
        ('POST /iserver/scanner/run',),
    ),
    Call(
        'marketdata_history_by_conid',
        lambda c: c.marketdata_history_by_conid(AAPL, '1d', period='1w'),
        ('GET /iserver/marketdata/history',),
    ),
    Call(
        'marketdata_history_by_conids',
        lambda c: c.marketdata_history_by_conids([AAPL], period='1w', bar='1d', raise_on_error=True),
        ('GET /iserver/marketdata/history',),
    ),
    Call(
        'marketdata_history_by_symbol',
        lambda c: c.marketdata_history_by_symbol('AAPL', '1d', period='1w'),
        ('GET /trsrv/stocks', 'GET /iserver/marketdata/history'),
    ),
    Call(
        'marketdata_history_by_symbols',
        lambda c: c.marketdata_history_by_symbols('AAPL', period='1w', bar='1d', raise_on_error=True),
        ('GET /trsrv/stocks', 'GET /iserver/marketdata/history'),
    ),
    Call(
        'marketdata_unsubscribe',
        lambda c: c.marketdata_unsubscribe(AAPL),
        ('POST /iserver/marketdata/unsubscribe',),
        open_stream,
    ),
    Call(
        'marketdata_unsubscribe_all',
        lambda c: c.marketdata_unsubscribe_all(),
        ('GET /iserver/marketdata/unsubscribeall',),
    ),
    Call(
        'modify_order',
        lambda c: c.modify_order(c.order_id, {**resting_order(), 'price': 1.5}, ANSWER_ALL),
        ('POST /iserver/account/{accountId}/order/{orderId}',),
        place_resting,
    ),
    Call(
        'order_status',
        lambda c: c.order_status(c.order_id),
        ('GET /iserver/account/order/status/{orderId}',),
        place_resting,
    ),
    Call(
        'place_order',
        lambda c: c.place_order(market_order(), ANSWER_ALL),
        ('POST /iserver/account/{accountId}/orders', 'POST /iserver/reply/{replyId}'),
        ACCOUNTS_FIRST,
    ),
    Call(
        'portfolio_account_allocation',
        lambda c: c.portfolio_account_allocation(),
        ('GET /portfolio/{accountId}/allocation',),
        PORTFOLIO_FIRST,
    ),
    Call(
        'portfolio_account_allocations',
        lambda c: c.portfolio_account_allocations([ACCOUNT]),
        ('POST /portfolio/allocation',),
        PORTFOLIO_FIRST,
    ),
    Call(
        'portfolio_account_information',
        lambda c: c.portfolio_account_information(),
        ('GET /portfolio/{accountId}/meta',),
        PORTFOLIO_FIRST,
    ),
    Call('portfolio_accounts', lambda c: c.portfolio_accounts(), ('GET /portfolio/accounts',)),
    Call('portfolio_subaccounts', lambda c: c.portfolio_subaccounts(), ('GET /portfolio/subaccounts',)),
    Call(
        'portfolio_summary', lambda c: c.portfolio_summary(), ('GET /portfolio/{accountId}/summary',), PORTFOLIO_FIRST
    ),
    Call(
        'position_and_contract_info',
        lambda c: c.position_and_contract_info(AAPL),
        ('GET /portfolio/positions/{conid}',),
        PORTFOLIO_FIRST,
    ),
    Call('positions', lambda c: c.positions(), ('GET /portfolio/{accountId}/positions/{pageId}',), PORTFOLIO_FIRST),
    Call('positions2', lambda c: c.positions2(), ('GET /portfolio2/{accountId}/positions',), PORTFOLIO_FIRST),
    Call(
        'positions_by_conid',
        lambda c: c.positions_by_conid(ACCOUNT, AAPL),
        ('GET /portfolio/{acctId}/position/{conid}',),
        PORTFOLIO_FIRST,
    ),
    Call('reauthenticate', lambda c: c.reauthenticate(), ('POST /iserver/reauthenticate',)),
    Call('receive_brokerage_accounts', lambda c: c.receive_brokerage_accounts(), ('GET /iserver/accounts',)),
    Call('regulatory_snapshot', lambda c: c.regulatory_snapshot(AAPL), ('GET /md/regsnapshot',)),
    Call('reply', lambda c: c.reply(c.reply_id, True), ('POST /iserver/reply/{replyId}',), ask_a_question),
    Call(
        'reset_suppressed_messages',
        lambda c: c.reset_suppressed_messages(),
        ('POST /iserver/questions/suppress/reset',),
    ),
    Call('scanner_parameters', lambda c: c.scanner_parameters(), ('GET /iserver/scanner/params',)),
    Call(
        'search_bond_filter_information',
        lambda c: c.search_bond_filter_information('BOND', 'e1400715'),
        ('GET /iserver/secdef/bond-filters',),
    ),
    Call('search_contract_by_symbol', lambda c: c.search_contract_by_symbol('AAPL'), ('GET /iserver/secdef/search',)),
    Call(
        'search_contract_rules', lambda c: c.search_contract_rules(AAPL, is_buy=True), ('POST /iserver/contract/rules',)
    ),
    Call(
        'search_dynamic_account',
        lambda c: c.search_dynamic_account('DU'),
        ('GET /iserver/account/search/{searchPattern}',),
        DYNACCT,
    ),
    Call(
        'search_secdef_info_by_conid',
        lambda c: c.search_secdef_info_by_conid(AAPL, 'STK', None),
        ('GET /iserver/secdef/info',),
        lambda c, s: c.search_contract_by_symbol('AAPL'),
    ),
    Call(
        'search_strikes_by_conid',
        lambda c: c.search_strikes_by_conid(SPX, 'OPT', 'JAN99'),
        ('GET /iserver/secdef/strikes',),
        lambda c, s: c.search_contract_by_symbol('SPX', sec_type='IND'),
    ),
    Call(
        'security_definition_by_conid', lambda c: c.security_definition_by_conid([AAPL, 8314]), ('GET /trsrv/secdef',)
    ),
    Call('security_future_by_symbol', lambda c: c.security_future_by_symbol('ES'), ('GET /trsrv/futures',)),
    Call('security_stocks_by_symbol', lambda c: c.security_stocks_by_symbol('AAPL'), ('GET /trsrv/stocks',)),
    Call('set_dynamic_account', lambda c: c.set_dynamic_account(ACCOUNT), ('POST /iserver/dynaccount',), DYNACCT),
    Call(
        'signatures_and_owners', lambda c: c.signatures_and_owners(), ('GET /acesws/{accountId}/signatures-and-owners',)
    ),
    Call('stock_conid_by_symbol', lambda c: c.stock_conid_by_symbol('AAPL'), ('GET /trsrv/stocks',)),
    Call('suppress_messages', lambda c: c.suppress_messages(['o163', 'o354']), ('POST /iserver/questions/suppress',)),
    Call('switch_account', lambda c: c.switch_account(ACCOUNT), ('POST /iserver/account',)),
    Call('tickle', lambda c: c.tickle(), ('POST /tickle',)),
    Call('trades', lambda c: c.trades(), ('GET /iserver/account/trades',), ACCOUNTS_FIRST),
    Call(
        'trading_schedule_by_symbol',
        lambda c: c.trading_schedule_by_symbol('STK', 'AAPL'),
        ('GET /trsrv/secdef/schedule',),
    ),
    Call(
        'transaction_history',
        lambda c: c.transaction_history(ACCOUNT, AAPL, 'USD'),
        ('POST /pa/transactions',),
        PORTFOLIO_FIRST,
    ),
    Call('validate', lambda c: c.validate(), ('GET /sso/validate',)),
    Call(
        'whatif_order',
        lambda c: c.whatif_order(market_order(), None),
        ('POST /iserver/account/{accountId}/orders/whatif',),
        ACCOUNTS_FIRST,
    ),
    # the same public methods once more, where a broken answer arrives in the middle of an automatic recovery
    Call(
        'trades',
        lambda c: c.trades(),
        ('POST /iserver/auth/ssodh/init', 'GET /iserver/accounts'),
        expire_session,
        label='during brokerage session recovery',
    ),
]

OAUTH_CALLS = {
    'generate_live_session_token': (lambda c: c.generate_live_session_token(), ('POST /oauth/live_session_token',)),
    'oauth_init': (
        lambda c: c.oauth_init(maintain_oauth=False, shutdown_oauth=False, init_brokerage_session=True),
        ('POST /oauth/live_session_token', 'POST /iserver/auth/ssodh/init'),
    ),
}

# Methods of seed 001 that send no request of their own or promise never to raise, and where that is tested.
NOT_RAISING = {
    '__init__': 'sends nothing in gateway mode; with OAuth it runs oauth_init (covered)',
    'check_health': 'returns False for any broken answer (test_malformed_responses)',
    'oauth_shutdown': 'best effort by contract: a failed logout is logged, not raised (tested below)',
    'register_shutdown_handler': 'sends nothing',
    'start_tickler': 'sends from its own thread; the Tickler survives any failure (test_session_lifecycle)',
    'stop_tickler': 'sends nothing',
}


def _seed_methods():
    if not os.path.exists(SEED):
        return set()
    with open(SEED, encoding='utf-8') as file:
        return set(re.findall(r'def (\w+)\(', file.read()))


def test_every_public_method_of_the_reference_is_covered():
    seed = _seed_methods()
    if not seed:
        pytest.fail(f"seed 001's signatures are missing: {SEED}")
    covered = {call.name for call in CALLS} | set(OAUTH_CALLS) | set(NOT_RAISING)
    assert seed - covered == set()


def _cases():
    for call in CALLS:
        for route in call.routes:
            for kind in KINDS:
                label = f'{call.name}{" " + call.label if call.label else ""}-{route}-{kind}'
                yield pytest.param(call, route, kind, id=label)


def inject(sim, route: str, kind: str) -> None:
    method, path = route.split(' ', 1)
    sim.control.add_fault(path, method=method, times=50, **KINDS[kind])


def applied(sim) -> int:
    return sum(rule['applied'] for rule in sim.control.faults()['rules'])


@pytest.fixture
def quiet_client(client):
    client._sleep = lambda seconds: None  # back-offs and the snapshot helper's waits take no real time here
    return client


@pytest.mark.parametrize('call', [pytest.param(call, id=f'{call.name} {call.label}'.strip()) for call in CALLS])
def test_each_call_works_when_nothing_is_broken(quiet_client, sim, call):
    if call.setup is not None:
        call.setup(quiet_client, sim)
    call.call(quiet_client)
    by_route = sim.control.state()['counters']['by_route']
    for route in call.routes:
        assert route in by_route, f'{call.name} never sent {route}'


@pytest.mark.parametrize('call, route, kind', list(_cases()))
def test_a_broken_answer_is_an_external_broker_error(quiet_client, sim, call, route, kind):
    if call.setup is not None:
        call.setup(quiet_client, sim)
    inject(sim, route, kind)
    if route in ACTING_ROUTES and kind == 'truncated 200':
        # The request acted before its answer broke. Where it placed, changed or cancelled the order, the client
        # finds that and reports it done; where the answer was a question (nothing done yet), the outcome is unknown.
        try:
            result = call.call(quiet_client)
        except OutcomeUnknownError as error:
            assert error.status_code == 200 and error.url and applied(sim) >= 1
        else:
            assert applied(sim) >= 1 and 'reconciled' in str(result.data)
        return
    with pytest.raises(ExternalBrokerError) as caught:
        call.call(quiet_client)
    assert applied(sim) >= 1
    error = caught.value
    assert error.status_code is not None and error.url, repr(error)
    if route in ACTING_ROUTES:  # it may have acted: looked up, not found, so the outcome is reported unknown
        assert isinstance(error, OutcomeUnknownError), repr(error)
    elif kind != 'truncated 200' or error.status_code < 400:  # a truncated refusal keeps its status, not a body
        assert isinstance(error, BadResponseError), repr(error)
    assert route.split(' ', 1)[1].split('{')[0].rstrip('/') in str(error)


# Requests that may place, change or cancel an order: an unreadable answer to them is never just a bad answer.
ACTING_ROUTES = {
    'POST /iserver/account/{accountId}/orders',
    'POST /iserver/reply/{replyId}',
    'POST /iserver/account/{accountId}/order/{orderId}',
    'DELETE /iserver/account/{accountId}/order/{orderId}',
}


@pytest.fixture(scope='module')
def creds(tmp_path_factory):
    from ibind.sim.oauth import make_test_credentials

    return make_test_credentials(str(tmp_path_factory.mktemp('oauth')))


@pytest.mark.parametrize(
    'name, route, kind',
    [(name, route, kind) for name, (_, routes) in OAUTH_CALLS.items() for route in routes for kind in KINDS],
)
def test_a_broken_answer_in_the_oauth_methods_is_an_external_broker_error(creds, name, route, kind):
    call, _ = OAUTH_CALLS[name]
    with GatewaySimulator(tls=True, oauth=creds.server) as oauth_sim:
        config = creds.client_config(oauth_sim.url, init_oauth=False, maintain_oauth=False, shutdown_oauth=False)
        with IbkrClient(
            account_id=ACCOUNT, use_oauth=True, oauth_config=config, cacert=oauth_sim.cacert, pacing=False
        ) as client:
            inject(oauth_sim, route, kind)
            with pytest.raises(ExternalBrokerError) as caught:
                call(client)
            assert applied(oauth_sim) >= 1
            assert caught.value.status_code is not None
            assert route.split(' ', 1)[1] in str(caught.value)


def test_oauth_shutdown_logs_a_broken_logout_answer_and_does_not_raise(quiet_client, sim, caplog):
    inject(sim, 'POST /logout', 'html 500')
    with caplog.at_level('WARNING', logger='ibind'):
        quiet_client.oauth_shutdown()
    assert applied(sim) == 1
    assert any('logout' in record.getMessage() and 'HTML' in record.getMessage() for record in caplog.records)


# --------------------------------------------------------------------------- what JSON expectation means


def test_a_plain_rest_client_still_takes_empty_and_text_answers(server):
    server.script('GET', '/v1/api/text', Reply(body='Submitted: ok', content_type='text/plain'))
    server.script('GET', '/v1/api/empty', Reply(body=b'', content_type='text/plain'))
    with RestClient(server.url()) as rest:
        assert rest.get('text').data == 'Submitted: ok' and rest.get('empty').data is None


def test_ibkr_client_requires_json_unless_a_request_says_otherwise(server):
    for _ in range(2):
        server.script('POST', '/v1/api/iserver/notification', Reply(body='Submitted: ok', content_type='text/plain'))
    server.script('GET', '/v1/api/json-as-text', Reply(body='{"ok": true}', content_type='text/plain'))
    with IbkrClient(url=server.url(), account_id=ACCOUNT, pacing=False) as client:
        with pytest.raises(BadResponseError, match='non-JSON body') as caught:
            client.post('iserver/notification', {'orderId': 1})
        assert caught.value.status_code == 200 and 'Submitted: ok' in str(caught.value)
        assert client.post('iserver/notification', {'orderId': 1}, expect_json=False).data == 'Submitted: ok'
        assert client.get('json-as-text').data == {'ok': True}  # the body is JSON: the label does not matter
