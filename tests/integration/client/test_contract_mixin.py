"""ContractMixin against the simulator over real sockets: what comes back, and what is refused before sending."""

import datetime as dt
from pathlib import Path

import pytest
import requests

from ibind import AmbiguousSymbolError, ExternalBrokerError, IbkrClient, SymbolNotFoundError
from ibind.base.retry import RetryPolicy
from ibind.client.ibkr_utils import StockQuery

from scripted_server import Reply, ScriptedServer


def requests_seen(sim):
    return requests.get(sim.control_url + 'state', timeout=10).json()['counters']['total']


def first_option_month(client, conid):
    sections = client.search_contract_by_symbol(conid_symbols[conid]).data[0]['sections']
    return [s for s in sections if s['secType'] == 'OPT'][0]['months'].split(';')[0]


conid_symbols = {416904: 'SPX', 265598: 'AAPL'}


# =========================================================================== every method, with content


def test_security_definition_by_conid_one_or_many(client):
    many = client.security_definition_by_conid(['265598', 8314])
    assert [(e['conid'], e['ticker'], e['name']) for e in many.data['secdef']] == [
        (265598, 'AAPL', 'APPLE INC'),
        (8314, 'IBM', 'INTL BUSINESS MACHINES CORP'),
    ]
    assert many.request['params'] == {'conids': '265598,8314'}
    one = client.security_definition_by_conid(756733)
    assert one.data['secdef'][0]['ticker'] == 'SPY' and one.data['secdef'][0]['type'] == 'ETF'


def test_all_conids_by_exchange(client):
    listed = {entry['ticker']: entry for entry in client.all_conids_by_exchange('AMEX').data}
    assert listed['BMO'] == {'ticker': 'BMO', 'conid': 5094, 'exchange': 'NYSE'}
    assert listed['MSFT']['conid'] == 272093


def test_contract_information_by_conid(client):
    info = client.contract_information_by_conid('265598').data
    assert (info['con_id'], info['symbol'], info['company_name'], info['currency']) == (
        265598,
        'AAPL',
        'APPLE INC',
        'USD',
    )
    assert 'NASDAQ' in info['valid_exchanges'].split(',')


def test_currency_pairs_and_exchange_rate(client):
    pairs = {pair['symbol']: pair for pair in client.currency_pairs('USD').data['USD']}
    assert pairs['USD.SGD']['conid'] == 37928772 and pairs['EUR.USD']['ccyPair'] == 'EUR'
    rate = client.currency_exchange_rate('EUR', 'USD').data['rate']
    back = client.currency_exchange_rate(source='USD', target='EUR').data['rate']
    assert 0.5 < rate < 2.0 and rate * back == pytest.approx(1.0, rel=1e-6)
    with pytest.raises(ExternalBrokerError) as raised:
        client.currency_exchange_rate('EUR', 'XYZ')
    assert raised.value.status_code == 400


def test_info_and_rules_by_conid(client):
    buy = client.info_and_rules_by_conid('265598', True)
    sell = client.info_and_rules_by_conid('265598', False)
    assert buy.request['params'] == {'isBuy': 'true'} and sell.request['params'] == {'isBuy': 'false'}
    assert buy.data['company_name'] == 'APPLE INC'
    assert sell.data['rules']['limitPrice'] < buy.data['rules']['limitPrice']
    assert buy.data['rules']['canTradeAcctIds'] == ['DU1234567']


def test_algo_params_by_conid(client):
    result = client.algo_params_by_conid('265598', algos=['Adaptive', 'Vwap'], add_description='1', add_params='1')
    assert result.request['params'] == {'algos': 'Adaptive;Vwap', 'addDescription': '1', 'addParams': '1'}
    algos = {algo['id']: algo for algo in result.data['algos']}
    assert set(algos) == {'Adaptive', 'Vwap'}
    assert algos['Adaptive']['parameters'][0]['legalStrings'] == ['Urgent', 'Normal', 'Patient']
    bare = client.algo_params_by_conid(265598, add_params=False).data['algos']
    assert all('parameters' not in algo for algo in bare) and len(bare) > 2


def test_search_bond_filter_information(client):
    filters = client.search_bond_filter_information('BOND', 'e1400715').data['bondFilters']
    maturity = [f for f in filters if f['displayText'] == 'Maturity Date'][0]
    assert {'text': 'Feb 2045', 'value': '204502'} in maturity['options']


def test_search_contract_by_symbol_symbol_name_and_bond(client):
    spx = client.search_contract_by_symbol('SPX').data[0]
    assert spx['conid'] == '416904' and [s['secType'] for s in spx['sections']] == ['IND', 'OPT']
    by_name = client.search_contract_by_symbol('interactive brokers', name=True)
    assert by_name.request['params'] == {'symbol': 'interactive brokers', 'name': 'true'}
    assert [r['symbol'] for r in by_name.data] == ['IBKR']
    bonds = client.search_contract_by_symbol('IBM', sec_type='bond').data
    assert bonds[0]['issuers'][0]['id'] in ('e1400789', 'e5499005') and len(bonds) == 1


def test_search_contract_rules_posts_a_json_body(client):
    result = client.search_contract_rules('265598', exchange='SMART', is_buy=False)
    assert result.request['method'] == 'POST'
    assert result.request['json'] == {'conid': 265598, 'exchange': 'SMART', 'isBuy': False}
    assert result.data['error'] is None and 'limit' in result.data['orderTypes']
    modify = client.search_contract_rules(265598, modify_order=True, order_id=1234567890)
    assert modify.request['json'] == {'conid': 265598, 'modifyOrder': True, 'orderId': 1234567890}
    assert 'modTypes' in modify.data


def test_search_contract_rules_is_retried_because_it_only_reads():
    fast = RetryPolicy(max_retries=2, backoff=0.0, backoff_max=0.0, jitter=0.0)
    with ScriptedServer() as server, IbkrClient(url=server.url(), account_id='DU1', retry_policy=fast) as client:
        server.script('POST', '/v1/api/iserver/contract/rules', Reply(status=503), Reply(body={'error': None}))
        assert client.search_contract_rules(265598).data == {'error': None}
        assert server.count('POST', '/v1/api/iserver/contract/rules') == 2


def test_option_chain_search_strikes_info(client):
    assert client.search_strikes_by_conid(416904, 'OPT', month='JAN99').data == {'call': [], 'put': []}
    month = first_option_month(client, 416904)
    strikes = client.search_strikes_by_conid('416904', 'OPT', month.lower(), exchange='SMART')
    assert strikes.request['params'] == {'conid': '416904', 'sectype': 'OPT', 'month': month, 'exchange': 'SMART'}
    assert len(strikes.data['call']) == 21
    strike = strikes.data['call'][10]
    info = client.search_secdef_info_by_conid('416904', 'opt', month.lower(), strike=strike, right='call')
    assert info.request['params'] == {
        'conid': '416904',
        'sectype': 'OPT',
        'month': month,
        'strike': f'{strike:g}',
        'right': 'C',
    }
    option = info.data[0]
    assert (option['symbol'], option['right'], option['strike'], option['multiplier']) == ('SPX', 'C', strike, '100')
    details = client.contract_information_by_conid(option['conid']).data
    assert details['underlying_con_id'] == 416904 and details['right'] == 'CALL'


def test_search_secdef_info_for_a_future_and_a_bond(client):
    client.search_contract_by_symbol('ES', sec_type='IND')
    futures = client.security_future_by_symbol('ES').data['ES']
    expiry = dt.datetime.strptime(str(futures[0]['expirationDate']), '%Y%m%d')
    info = client.search_secdef_info_by_conid(11004968, 'FUT', expiry.strftime('%b%y').upper()).data
    assert [contract['conid'] for contract in info] == [futures[0]['conid']]
    client.search_contract_by_symbol('AAPL', sec_type='BOND')
    bonds = client.search_secdef_info_by_conid('2147483647', 'BOND', None, issuer_id='e1400715').data
    assert {bond['coupon'] for bond in bonds} == {'1.301', '3.45', '2.2'}


def test_secdef_info_before_a_search_is_an_error(client):
    with pytest.raises(ExternalBrokerError, match='secdef/search') as raised:
        client.search_secdef_info_by_conid(416904, 'OPT', 'JAN30', strike=6000)
    assert raised.value.status_code == 400


def test_security_future_by_symbol(client):
    result = client.security_future_by_symbol(['ES', 'MES'])
    assert result.request['params'] == {'symbols': 'ES,MES'}
    assert set(result.data) == {'ES', 'MES'}
    assert {entry['underlyingConid'] for entry in result.data['ES']} == {11004968}


def test_trading_schedule_by_symbol(client):
    result = client.trading_schedule_by_symbol('STK', 'AAPL', exchange='ISLAND', exchange_filter=['ISLAND', 'NYSE'])
    assert result.request['params'] == {
        'assetClass': 'STK',
        'symbol': 'AAPL',
        'exchange': 'ISLAND',
        'exchangeFilter': 'ISLAND,NYSE',
    }
    assert [entry['exchange'] for entry in result.data] == ['ISLAND', 'NYSE']
    monday = result.data[0]['schedules'][0]
    assert monday['tradingScheduleDate'] == '20000103' and monday['sessions'][0]['openingTime'] == '0930'


# =========================================================================== StockQuery through the client


def test_security_stocks_by_symbol_filters_by_default(client):
    result = client.security_stocks_by_symbol(['AAPL', StockQuery('GOOG')])
    assert result.request['params'] == {'symbols': 'AAPL,GOOG'}
    assert [i['name'] for i in result.data['AAPL']] == ['APPLE INC']
    assert result.data['AAPL'][0]['contracts'] == [{'conid': 265598, 'exchange': 'NASDAQ', 'isUS': True}]
    assert [i['name'] for i in result.data['GOOG']] == ['ALPHABET INC-CL C']


def test_security_stocks_by_symbol_without_default_filtering_and_with_conditions(client):
    everything = client.security_stocks_by_symbol('AAPL', default_filtering=False).data['AAPL']
    assert [i['name'] for i in everything] == ['APPLE INC', 'LS 1X AAPL', 'APPLE INC-CDR']
    mexico = client.security_stocks_by_symbol(
        StockQuery('AAPL', contract_conditions={'exchange': 'MEXI'}), default_filtering=False
    ).data['AAPL']
    assert [c['conid'] for i in mexico for c in i['contracts']] == [38708077]
    cdr = client.security_stocks_by_symbol(StockQuery('GOOG', name_match='cdr', contract_conditions={'isUS': False}))
    assert [i['name'] for i in cdr.data['GOOG']] == ['ALPHABET INC - CDR']
    chinese = StockQuery('AAPL', instrument_conditions={'chineseName': '苹果公司'})
    assert [i['name'] for i in client.security_stocks_by_symbol(chinese, default_filtering=False).data['AAPL']] == [
        'APPLE INC',
        'APPLE INC-CDR',
    ]
    assert client.security_stocks_by_symbol('NOSUCH').data == {'NOSUCH': []}


def test_stock_conid_by_symbol_return_types(client, sim):
    before = requests_seen(sim)
    queries = ['IBM', StockQuery('AAPL'), StockQuery('GOOG', name_match='CL C')]
    as_dict = client.stock_conid_by_symbol(queries)
    assert as_dict.data == {'IBM': 8314, 'AAPL': 265598, 'GOOG': 208813720}
    assert requests_seen(sim) == before + 1  # one /trsrv/stocks request for every symbol
    as_list = client.stock_conid_by_symbol(queries, return_type='list')
    assert as_list.data == [8314, 265598, 208813720]
    cdrs = [StockQuery('GOOG', name_match='CDR'), StockQuery('GOOG', name_match='CL C')]
    assert client.stock_conid_by_symbol(cdrs, default_filtering=False, return_type='list').data == [
        558385416,
        208813720,
    ]
    single = client.stock_conid_by_symbol(
        StockQuery('AAPL', contract_conditions={'exchange': 'MEXI'}), default_filtering=False
    )
    assert single.data == {'AAPL': 38708077}


def test_stock_conid_by_symbol_ambiguity_lists_the_candidates(client):
    with pytest.raises(AmbiguousSymbolError) as raised:
        client.stock_conid_by_symbol('GOOG', default_filtering=False)
    assert isinstance(raised.value, RuntimeError)
    message = str(raised.value)
    assert 'ALPHABET INC-CL C (conid 208813720, exchange NASDAQ' in message
    assert 'ALPHABET INC - CDR (conid 558385416, exchange AEQLIT' in message
    with pytest.raises(AmbiguousSymbolError, match='38708077.*273982664'):
        client.stock_conid_by_symbol(StockQuery('AAPL', name_match='APPLE INC'), default_filtering=False)


def test_stock_conid_by_symbol_not_found_is_never_silent(client):
    with pytest.raises(SymbolNotFoundError, match='NOSUCH'):
        client.stock_conid_by_symbol(['AAPL', 'NOSUCH'])
    with pytest.raises(SymbolNotFoundError, match='APPLE INC-CDR'):
        client.stock_conid_by_symbol(StockQuery('AAPL', name_match='CDR'))  # exists, but not in the US


# =========================================================================== refused before sending

LONG = ['Adaptive', 'ArrivalPx', 'ClosePx', 'DarkIce', 'PctVol', 'Twap', 'Vwap', 'Adaptive', 'Vwap']

BAD_CALLS = [
    ('security_definition_by_conid', ([],), {}, ValueError, 'conids'),
    ('security_definition_by_conid', (None,), {}, ValueError, 'conids'),
    ('security_definition_by_conid', ('AAPL',), {}, ValueError, 'conids'),
    ('security_definition_by_conid', ([265598, 1.5],), {}, ValueError, 'conids'),
    ('security_definition_by_conid', (True,), {}, TypeError, 'conids'),
    ('all_conids_by_exchange', ('',), {}, ValueError, 'exchange'),
    ('all_conids_by_exchange', (5,), {}, TypeError, 'exchange'),
    ('contract_information_by_conid', ('../iserver/accounts',), {}, ValueError, 'conid'),
    ('contract_information_by_conid', (None,), {}, ValueError, 'conid'),
    ('currency_pairs', (' ',), {}, ValueError, 'currency'),
    ('currency_exchange_rate', ('USD', None), {}, ValueError, 'target'),
    ('info_and_rules_by_conid', (265598, 'yes'), {}, TypeError, 'is_buy'),
    ('algo_params_by_conid', (265598,), {'algos': LONG}, ValueError, 'algos'),
    ('algo_params_by_conid', (265598,), {'algos': 5}, TypeError, 'algos'),
    ('algo_params_by_conid', (265598,), {'add_params': 'yes'}, ValueError, 'add_params'),
    ('search_bond_filter_information', ('BOND', ''), {}, ValueError, 'issuer_id'),
    ('search_contract_by_symbol', ('',), {}, ValueError, 'symbol'),
    ('search_contract_by_symbol', ('AAPL',), {'sec_type': 'OPT'}, ValueError, 'sec_type'),
    ('search_contract_by_symbol', ('AAPL',), {'name': 'true'}, TypeError, 'name'),
    ('search_contract_rules', ('x',), {}, ValueError, 'conid'),
    ('search_contract_rules', (265598,), {'modify_order': True}, ValueError, 'order_id'),
    ('search_contract_rules', (265598,), {'is_buy': 'true'}, TypeError, 'is_buy'),
    ('search_contract_rules', (265598,), {'order_id': 'abc'}, ValueError, 'order_id'),
    ('search_secdef_info_by_conid', (416904, '', 'JAN25'), {}, ValueError, 'sec_type'),
    ('search_secdef_info_by_conid', (416904, 'OPT', 'JAN25'), {'right': 'X'}, ValueError, 'right'),
    ('search_secdef_info_by_conid', (416904, 'OPT', 'JAN25'), {'strike': 'abc'}, ValueError, 'strike'),
    ('search_secdef_info_by_conid', (416904, 'OPT', 'JAN25'), {'strike': -5}, ValueError, 'strike'),
    ('search_strikes_by_conid', (416904, 'OPT', 'January'), {}, ValueError, 'month'),
    ('search_strikes_by_conid', (416904, 'OPT', None), {}, ValueError, 'month'),
    ('security_future_by_symbol', ([],), {}, ValueError, 'symbols'),
    ('security_future_by_symbol', ('ES,MES',), {}, ValueError, 'symbols'),
    ('security_future_by_symbol', (None,), {}, ValueError, 'symbols'),
    ('security_stocks_by_symbol', ([],), {}, ValueError, 'queries'),
    ('security_stocks_by_symbol', ([5],), {}, TypeError, 'queries'),
    ('security_stocks_by_symbol', (None,), {}, ValueError, 'queries'),
    ('security_stocks_by_symbol', ('AAPL',), {'default_filtering': 'yes'}, TypeError, 'default_filtering'),
    ('stock_conid_by_symbol', ('AAPL',), {'return_type': 'set'}, ValueError, 'return_type'),
    ('stock_conid_by_symbol', (['GOOG', StockQuery('GOOG', name_match='CDR')],), {}, ValueError, 'queries'),
    ('stock_conid_by_symbol', ('',), {}, ValueError, 'symbol'),
    ('trading_schedule_by_symbol', ('XYZ', 'AAPL'), {}, ValueError, 'asset_class'),
    ('trading_schedule_by_symbol', ('STK', ''), {}, ValueError, 'symbol'),
]


@pytest.mark.parametrize(
    'method, args, kwargs, error, argument', BAD_CALLS, ids=[f'{call[0]}-{i}' for i, call in enumerate(BAD_CALLS)]
)
def test_bad_arguments_are_refused_before_any_request(client, sim, method, args, kwargs, error, argument):
    before = requests_seen(sim)
    with pytest.raises(error, match=argument):
        getattr(client, method)(*args, **kwargs)
    assert requests_seen(sim) == before


def test_every_contract_method_is_covered():
    from ibind.client.ibkr_client_mixins.contract_mixin import ContractMixin

    public = {name for name in vars(ContractMixin) if not name.startswith('_')}
    assert len(public) == 16
    source = Path(__file__).read_text(encoding='utf-8')
    assert all(f'client.{name}(' in source for name in public), public
