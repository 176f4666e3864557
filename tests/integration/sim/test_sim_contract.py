"""The simulator's contract routes, driven with plain requests: documented shapes, quirks, the universe."""

import datetime as dt
import json

import pytest
import requests

from ibind.sim import GatewaySimulator

import openapi_spec
from openapi_spec import assert_valid
from sim_http import get, post

NONE = type(None)
NUMBER = (int, float)


def ok(sim, path, **params):
    response = get(sim, path, **params)
    assert response.status_code == 200, response.text
    return response.json()


def control(sim, path, body=None):
    if body is None:
        return requests.get(sim.control_url + path, timeout=10).json()
    return requests.post(sim.control_url + path, json=body, timeout=10).json()


def sim_date(sim):
    return dt.datetime.fromtimestamp(control(sim, 'clock')['now'], tz=dt.timezone.utc).date()


# =========================================================================== documented keys and types
# Keys and value types taken from the response examples of seed 002 (IBKR's CP Web API docs).

SECDEF_KEYS = {
    'conid': int,
    'currency': str,
    'time': int,
    'chineseName': (str, NONE),
    'allExchanges': str,
    'listingExchange': str,
    'countryCode': str,
    'name': str,
    'assetClass': str,
    'expiry': (str, NONE),
    'lastTradingDay': (str, NONE),
    'group': (str, NONE),
    'putOrCall': (str, NONE),
    'sector': (str, NONE),
    'sectorGroup': (str, NONE),
    'strike': str,
    'ticker': str,
    'undConid': int,
    'multiplier': float,
    'type': (str, NONE),
    'hasOptions': bool,
    'fullName': str,
    'isUS': bool,
    'incrementRules': list,
    'displayRule': dict,
    'isEventContract': bool,
    'pageSize': int,
}
CONTRACT_INFO_KEYS = {
    'cfi_code': str,
    'symbol': str,
    'cusip': (str, NONE),
    'expiry_full': (str, NONE),
    'con_id': int,
    'maturity_date': (str, NONE),
    'industry': (str, NONE),
    'instrument_type': str,
    'trading_class': str,
    'valid_exchanges': str,
    'allow_sell_long': bool,
    'is_zero_commission_security': bool,
    'local_symbol': str,
    'contract_clarification_type': NONE,
    'classifier': NONE,
    'currency': str,
    'text': (str, NONE),
    'underlying_con_id': int,
    'r_t_h': bool,
    'multiplier': (str, NONE),
    'underlying_issuer': (str, NONE),
    'contract_month': (str, NONE),
    'company_name': str,
    'smart_available': bool,
    'exchange': str,
    'category': (str, NONE),
}
RULES_KEYS = {
    'algoEligible': bool,
    'overnightEligible': bool,
    'costReport': bool,
    'canTradeAcctIds': list,
    'error': NONE,
    'orderTypes': list,
    'ibAlgoTypes': list,
    'fraqTypes': list,
    'forceOrderPreview': bool,
    'cqtTypes': list,
    'orderDefaults': dict,
    'orderTypesOutside': list,
    'defaultSize': int,
    'cashSize': float,
    'sizeIncrement': int,
    'tifTypes': list,
    'tifDefaults': dict,
    'limitPrice': NUMBER,
    'stopprice': NUMBER,
    'orderOrigination': NONE,
    'preview': bool,
    'displaySize': NONE,
    'fraqInt': int,
    'cashCcy': str,
    'cashQtyIncr': int,
    'priceMagnifier': NONE,
    'negativeCapable': bool,
    'incrementType': int,
    'incrementRules': list,
    'hasSecondary': bool,
    'increment': float,
    'incrementDigits': int,
}
SEARCH_KEYS = {
    'conid': str,
    'companyHeader': str,
    'companyName': str,
    'symbol': str,
    'description': (str, NONE),
    'restricted': (str, NONE),
    'sections': list,
    'secType': str,
}
NAME_SEARCH_KEYS = {'conid': str, 'companyHeader': str, 'companyName': str, 'symbol': str}
BOND_SEARCH_KEYS = {
    'issuers': list,
    'bondid': int,
    'conid': str,
    'companyHeader': str,
    'companyName': NONE,
    'symbol': NONE,
    'description': NONE,
    'restricted': NONE,
    'fop': NONE,
    'opt': NONE,
    'war': NONE,
    'sections': list,
}
SECDEF_INFO_KEYS = {
    'conid': int,
    'symbol': str,
    'secType': str,
    'exchange': str,
    'listingExchange': (str, NONE),
    'right': str,
    'strike': float,
    'currency': str,
    'cusip': (str, NONE),
    'coupon': str,
    'desc1': str,
    'desc2': str,
    'maturityDate': (str, NONE),
    'multiplier': (str, NONE),
    'tradingClass': str,
    'validExchanges': str,
}
FUTURE_KEYS = {
    'symbol': str,
    'conid': int,
    'underlyingConid': int,
    'expirationDate': int,
    'ltd': int,
    'shortFuturesCutOff': int,
    'longFuturesCutOff': int,
}
STOCK_KEYS = {'name': str, 'chineseName': (str, NONE), 'assetClass': str, 'contracts': list}
STOCK_CONTRACT_KEYS = {'conid': int, 'exchange': str, 'isUS': bool}
SCHEDULE_KEYS = {'id': str, 'tradeVenueId': str, 'timezone': str, 'schedules': list}
SCHEDULE_DAY_KEYS = {'clearingCycleEndTime': str, 'tradingScheduleDate': str, 'sessions': list, 'tradingtimes': list}
ALGO_KEYS = {'name': str, 'id': str, 'parameters': list}
ALGO_PARAMETER_KEYS = {'guiRank': int, 'name': str, 'id': str, 'valueClassName': str}
BOND_FILTER_KEYS = {'displayText': str, 'columnId': int, 'options': list}
PAIR_KEYS = {'symbol': str, 'conid': int, 'ccyPair': str}
ALL_CONIDS_KEYS = {'ticker': str, 'conid': int, 'exchange': str}


def assert_shape(obj, keys):
    assert isinstance(obj, dict), obj
    missing = set(keys) - set(obj)
    assert not missing, f'missing documented keys {sorted(missing)} in {obj}'
    for key, expected in keys.items():
        assert isinstance(obj[key], expected) and not (expected is int and isinstance(obj[key], bool)), (
            f'{key}={obj[key]!r} is not {expected}'
        )


def search_first(sim, symbol, **params):
    return ok(sim, 'iserver/secdef/search', symbol=symbol, **params)


def test_trsrv_secdef_shape(sim):
    data = ok(sim, 'trsrv/secdef', conids='265598,8314,416904')
    assert set(data) == {'secdef'}
    assert [entry['conid'] for entry in data['secdef']] == [265598, 8314, 416904]
    for entry in data['secdef']:
        assert_shape(entry, SECDEF_KEYS)
    aapl = data['secdef'][0]
    assert (aapl['ticker'], aapl['name'], aapl['assetClass'], aapl['chineseName']) == (
        'AAPL',
        'APPLE INC',
        'STK',
        '苹果公司',
    )
    assert aapl['hasOptions'] is True and aapl['isUS'] is True and aapl['type'] == 'COMMON'
    assert aapl['displayRule']['displayRuleStep'][0]['decimalDigits'] == 2
    assert aapl['incrementRules'] == [{'lowerEdge': 0.0, 'increment': 0.01}]


def test_trsrv_secdef_skips_unknown_conids_and_rejects_malformed_ones(sim):
    assert ok(sim, 'trsrv/secdef', conids='265598,999999999')['secdef'][0]['conid'] == 265598
    assert get(sim, 'trsrv/secdef', conids='AAPL').status_code == 400


def test_all_conids_lists_stocks_tradable_on_an_exchange(sim):
    data = ok(sim, 'trsrv/all-conids', exchange='AMEX')
    for entry in data:
        assert_shape(entry, ALL_CONIDS_KEYS)
    by_ticker = {entry['ticker']: entry for entry in data}
    # tradable on AMEX although listed elsewhere, as the docs describe
    assert by_ticker['BMO'] == {'ticker': 'BMO', 'conid': 5094, 'exchange': 'NYSE'}
    assert by_ticker['AAPL']['exchange'] == 'NASDAQ'
    assert 'SPX' not in by_ticker and 'EUR.USD' not in by_ticker
    assert ok(sim, 'trsrv/all-conids', exchange='AEQLIT') == [
        {'ticker': 'AAPL', 'conid': 532640894, 'exchange': 'AEQLIT'},
        {'ticker': 'GOOG', 'conid': 558385416, 'exchange': 'AEQLIT'},
        {'ticker': 'IBM', 'conid': 530091934, 'exchange': 'AEQLIT'},
    ]


def test_contract_info_is_the_snake_case_example(sim):
    info = ok(sim, 'iserver/contract/265598/info')
    assert_shape(info, CONTRACT_INFO_KEYS)
    assert (info['con_id'], info['symbol'], info['company_name'], info['instrument_type']) == (
        265598,
        'AAPL',
        'APPLE INC',
        'STK',
    )
    assert info['trading_class'] == 'NMS' and info['exchange'] == 'SMART' and info['smart_available'] is True
    assert ok(sim, 'iserver/contract/8314/info')['trading_class'] == 'IBM'
    assert get(sim, 'iserver/contract/123/info').status_code == 400


def test_contract_info_of_an_option(sim):
    search_first(sim, 'SPX')
    month = search_first(sim, 'SPX')[0]['sections'][1]['months'].split(';')[0]
    strike = ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month)['call'][0]
    option = ok(sim, 'iserver/secdef/info', conid=416904, secType='OPT', month=month, strike=strike, right='C')[0]
    info = ok(sim, f'iserver/contract/{option["conid"]}/info')
    assert_shape(info, CONTRACT_INFO_KEYS)
    assert info['instrument_type'] == 'OPT' and info['right'] == 'CALL' and float(info['strike']) == strike
    assert info['multiplier'] == '100' and info['underlying_con_id'] == 416904
    assert info['contract_month'] == option['maturityDate'][:6] and info['local_symbol'].startswith('SPX   ')


def test_currency_pairs(sim):
    data = ok(sim, 'iserver/currency/pairs', currency='USD')
    assert list(data) == ['USD']
    for pair in data['USD']:
        assert_shape(pair, PAIR_KEYS)
    pairs = {pair['symbol']: pair for pair in data['USD']}
    assert pairs['USD.SGD'] == {'symbol': 'USD.SGD', 'conid': 37928772, 'ccyPair': 'SGD'}
    assert pairs['EUR.USD'] == {'symbol': 'EUR.USD', 'conid': 12087792, 'ccyPair': 'EUR'}
    assert ok(sim, 'iserver/currency/pairs', currency='XYZ') == {'XYZ': []}


def test_exchange_rate_follows_the_forex_prices(sim):
    rate = ok(sim, 'iserver/exchangerate', source='EUR', target='USD')['rate']
    inverse = ok(sim, 'iserver/exchangerate', source='USD', target='EUR')['rate']
    assert isinstance(rate, float) and 0.5 < rate < 2.0
    assert rate * inverse == pytest.approx(1.0, rel=1e-6)
    cross = ok(sim, 'iserver/exchangerate', source='EUR', target='SGD')['rate']
    usd_sgd = ok(sim, 'iserver/exchangerate', source='USD', target='SGD')['rate']
    assert cross == pytest.approx(rate * usd_sgd, rel=1e-6)
    # the docs spell the parameters Source/Target too
    assert ok(sim, 'iserver/exchangerate', Source='EUR', Target='USD')['rate'] == rate
    assert get(sim, 'iserver/exchangerate', source='EUR', target='XYZ').status_code == 400


def test_info_and_rules_combines_both(sim):
    data = ok(sim, 'iserver/contract/265598/info-and-rules', isBuy='true')
    assert_shape(data, CONTRACT_INFO_KEYS)
    assert_shape(data['rules'], RULES_KEYS)
    sell = ok(sim, 'iserver/contract/265598/info-and-rules', isBuy='false')['rules']
    assert sell['limitPrice'] < data['rules']['limitPrice']  # sell defaults at the bid, buy at the ask


def test_contract_rules(sim):
    buy = post(sim, 'iserver/contract/rules', {'conid': 265598, 'exchange': 'SMART', 'isBuy': True})
    assert buy.status_code == 200
    rules = buy.json()
    assert_shape(rules, RULES_KEYS)
    assert rules['canTradeAcctIds'] == ['DU1234567']
    assert rules['orderDefaults']['LMT']['LP'] == f'{rules["limitPrice"]:.2f}'
    assert 'limit' in rules['orderTypes'] and 'DAY/o,a' in rules['tifTypes'] and 'modTypes' not in rules
    sell = post(sim, 'iserver/contract/rules', {'conid': 265598, 'isBuy': False}).json()
    assert sell['limitPrice'] < rules['limitPrice']
    modify = post(sim, 'iserver/contract/rules', {'conid': 265598, 'modifyOrder': True, 'orderId': 1234567890})
    assert 'modTypes' in modify.json()
    assert post(sim, 'iserver/contract/rules', {'conid': 265598, 'modifyOrder': True}).status_code == 400
    assert post(sim, 'iserver/contract/rules', {'isBuy': True}).status_code == 400
    assert post(sim, 'iserver/contract/rules', {'conid': 265598, 'exchange': 'AEQLIT'}).status_code == 400


def test_algos(sim):
    everything = ok(sim, 'iserver/contract/265598/algos')
    assert {'Adaptive', 'Vwap', 'Twap'} <= {algo['id'] for algo in everything['algos']}
    assert all(set(algo) == {'name', 'id'} for algo in everything['algos'])
    data = ok(sim, 'iserver/contract/265598/algos', algos='Adaptive;Vwap', addDescription=1, addParams=1)
    assert [algo['id'] for algo in data['algos']] == ['Adaptive', 'Vwap']
    for algo in data['algos']:
        assert_shape(algo, ALGO_KEYS)
        for parameter in algo['parameters']:
            assert_shape(parameter, ALGO_PARAMETER_KEYS)
    adaptive = data['algos'][0]['parameters'][0]
    assert adaptive['legalStrings'] == ['Urgent', 'Normal', 'Patient'] and adaptive['required'] == 'true'
    assert any('description' in p for p in data['algos'][1]['parameters'])
    plain = ok(sim, 'iserver/contract/265598/algos', algos='Vwap', addParams=1)['algos'][0]['parameters']
    assert not any('description' in p for p in plain)
    assert ok(sim, 'iserver/contract/12087792/algos') == {'algos': []}  # none for forex


def test_bond_search_filters_and_info(sim):
    found = search_first(sim, 'AAPL', secType='BOND')
    assert len(found) == 1
    assert_shape(found[0], BOND_SEARCH_KEYS)
    assert found[0]['sections'] == [{'secType': 'BOND'}]
    assert {'id': 'e1400715', 'name': 'Apple Inc'} in found[0]['issuers']

    filters = ok(sim, 'iserver/secdef/bond-filters', symbol='BOND', issuerId='e1400715')['bondFilters']
    for entry in filters:
        assert_shape(entry, BOND_FILTER_KEYS)
    by_text = {entry['displayText']: entry for entry in filters}
    assert set(by_text) == {'Exchange', 'Maturity Date', 'Issue Date', 'Coupon', 'Currency'}
    assert {'text': 'Sep 18 2014', 'value': '20140918'} in by_text['Issue Date']['options']
    assert {'value': '1.301'} in by_text['Coupon']['options'] and {'value': 'EUR'} in by_text['Currency']['options']
    assert get(sim, 'iserver/secdef/bond-filters', symbol='AAPL', issuerId='e1400715').status_code == 400

    bonds = ok(sim, 'iserver/secdef/info', conid=found[0]['conid'], sectype='BOND', issuerId='e1400715')
    assert len(bonds) == 3
    for bond in bonds:
        assert_shape(bond, SECDEF_INFO_KEYS)
        assert bond['secType'] == 'BOND' and bond['coupon'] != 'No Coupon'
    maturing = ok(
        sim, 'iserver/secdef/info', conid=found[0]['conid'], sectype='BOND', issuerId='e1400715', month='204502'
    )
    assert [bond['coupon'] for bond in maturing] == ['3.45']


def test_plain_symbol_search_lists_listings_and_the_bond_family(sim):
    results = search_first(sim, 'IBM')
    stocks = [r for r in results if r.get('secType') == 'STK']
    assert [r['conid'] for r in stocks] == ['8314', '1411277', '38709473', '41645598', '530091934']
    for result in stocks:
        assert_shape(result, SEARCH_KEYS)
    assert stocks[0]['companyHeader'] == 'INTL BUSINESS MACHINES CORP - NYSE'
    bond = results[-1]
    assert bond['companyHeader'] == 'Corporate Fixed Income'
    assert {issuer['id'] for issuer in bond['issuers']} == {'e1400789', 'e5499005'}
    assert [r['secType'] for r in search_first(sim, 'IBM', secType='STK')] == ['STK'] * 5


def test_company_name_search_gives_the_limited_response(sim):
    results = search_first(sim, 'Interactive Brokers', name='true')
    assert len(results) == 1
    assert_shape(results[0], NAME_SEARCH_KEYS)
    assert results[0]['conid'] == '43645865' and results[0]['symbol'] == 'IBKR'
    assert results[0]['companyHeader'] == 'IBKR INTERACTIVE BROKERS GRO-CL A (NASDAQ) '
    assert results[0]['sections'] == []
    assert search_first(sim, 'no such company', name='true') == []


def test_search_of_an_unknown_symbol_is_empty_and_bad_sectype_is_400(sim):
    assert search_first(sim, 'NOSUCH') == []
    assert get(sim, 'iserver/secdef/search', symbol='AAPL', secType='OPT').status_code == 400


def test_strikes_shape(sim):
    search_first(sim, 'AAPL')
    month = search_first(sim, 'AAPL')[0]['sections'][1]['months'].split(';')[0]
    data = ok(sim, 'iserver/secdef/strikes', conid=265598, sectype='OPT', month=month, exchange='SMART')
    assert set(data) == {'call', 'put'}
    assert data['call'] == data['put'] and len(data['call']) == 17
    assert all(isinstance(strike, float) for strike in data['call'])
    assert data['call'] == sorted(data['call'])
    assert ok(sim, 'iserver/secdef/strikes', conid=265598, sectype='OPT', month='JAN99') == {'call': [], 'put': []}


def test_futures_by_symbol(sim):
    data = ok(sim, 'trsrv/futures', symbols='ES,MES,NOSUCH')
    assert set(data) == {'ES', 'MES'}
    for entry in data['ES'] + data['MES']:
        assert_shape(entry, FUTURE_KEYS)
    es = data['ES']
    assert len(es) >= 4 and all(entry['underlyingConid'] == 11004968 for entry in es)
    assert data['MES'][0]['underlyingConid'] == 362673777
    expiries = [entry['expirationDate'] for entry in es]
    assert expiries == sorted(expiries)
    today = int(sim_date(sim).strftime('%Y%m%d'))
    assert expiries[0] >= today
    assert all(str(expiry)[4:6] in ('03', '06', '09', '12') for expiry in expiries)
    assert all(entry['ltd'] < entry['expirationDate'] for entry in es)
    multiplier = ok(sim, 'trsrv/secdef', conids=str(es[0]['conid']))['secdef'][0]['multiplier']
    assert multiplier == 50.0


def test_expired_futures_are_no_longer_listed(sim):
    first = ok(sim, 'trsrv/futures', symbols='ES')['ES'][0]
    expiry = dt.datetime.strptime(str(first['expirationDate']), '%Y%m%d').replace(tzinfo=dt.timezone.utc)
    now = control(sim, 'clock')['now']
    control(sim, 'clock', {'advance': expiry.timestamp() + 2 * 86400 - now})
    later = ok(sim, 'trsrv/futures', symbols='ES')['ES']
    assert first['conid'] not in [entry['conid'] for entry in later]


def test_futures_via_secdef_search_and_info(sim):
    results = search_first(sim, 'ES', secType='IND')
    assert results[0]['conid'] == '11004968'
    future_section = [s for s in results[0]['sections'] if s['secType'] == 'FUT'][0]
    listed = ok(sim, 'trsrv/futures', symbols='ES')['ES']
    month = future_section['months'].split(';')[0]
    info = ok(sim, 'iserver/secdef/info', conid=11004968, sectype='FUT', month=month)
    assert len(info) == 1 and info[0]['conid'] == listed[0]['conid']
    assert info[0]['multiplier'] == '50' and info[0]['secType'] == 'FUT' and info[0]['right'] == '?'


def test_stocks_by_symbol_groups_listings_by_company(sim):
    data = ok(sim, 'trsrv/stocks', symbols='AAPL,GOOG,NOSUCH')
    assert set(data) == {'AAPL', 'GOOG'}
    for instruments in data.values():
        for instrument in instruments:
            assert_shape(instrument, STOCK_KEYS)
            for contract in instrument['contracts']:
                assert_shape(contract, STOCK_CONTRACT_KEYS)
    aapl = data['AAPL']
    assert [i['name'] for i in aapl] == ['APPLE INC', 'LS 1X AAPL', 'APPLE INC-CDR']
    assert aapl[0]['contracts'] == [
        {'conid': 265598, 'exchange': 'NASDAQ', 'isUS': True},
        {'conid': 38708077, 'exchange': 'MEXI', 'isUS': False},
        {'conid': 273982664, 'exchange': 'EBS', 'isUS': False},
    ]
    assert aapl[1]['chineseName'] is None
    goog = data['GOOG']
    assert [i['name'] for i in goog] == ['ALPHABET INC-CL C', 'ALPHABET INC - CDR']
    assert goog[1]['contracts'][0]['isUS'] is False and goog[1]['contracts'][0]['exchange'] == 'AEQLIT'
    # "Symbols must contain only capitalized letters"
    assert ok(sim, 'trsrv/stocks', symbols='aapl') == {}


def test_foreign_listings_carry_their_currency(sim):
    entries = {e['conid']: e for e in ok(sim, 'trsrv/secdef', conids='38708077,558385416')['secdef']}
    assert (entries[38708077]['currency'], entries[38708077]['isUS'], entries[38708077]['listingExchange']) == (
        'MXN',
        False,
        'MEXI',
    )
    assert (entries[558385416]['currency'], entries[558385416]['name']) == ('CAD', 'ALPHABET INC - CDR')


def test_trading_schedule(sim):
    data = ok(
        sim,
        'trsrv/secdef/schedule',
        assetClass='STK',
        symbol='AAPL',
        exchange='ISLAND',
        exchangeFilter='ISLAND,NYSE,AMEX',
    )
    assert [entry['exchange'] for entry in data] == ['ISLAND', 'NYSE', 'AMEX']
    for entry in data:
        assert_shape(entry, SCHEDULE_KEYS)
        assert [day['tradingScheduleDate'] for day in entry['schedules']] == [f'2000010{d}' for d in range(3, 8)]
        for day in entry['schedules']:
            assert_shape(day, SCHEDULE_DAY_KEYS)
            assert day['sessions'] == [{'openingTime': '0930', 'closingTime': '1600', 'prop': 'LIQUID'}]
    assert data[0]['timezone'] == 'America/New_York'
    # seed 001's method sends no conid: its absence is fine; a conid is accepted too
    assert ok(sim, 'trsrv/secdef/schedule', assetClass='STK', symbol='AAPL', conid='265598')[0]['exchange'] == 'NASDAQ'
    futures = ok(sim, 'trsrv/secdef/schedule', assetClass='FUT', symbol='ES')
    assert futures[0]['timezone'] == 'America/Chicago'
    assert get(sim, 'trsrv/secdef/schedule', assetClass='XXX', symbol='AAPL').status_code == 400
    assert get(sim, 'trsrv/secdef/schedule', assetClass='STK', symbol='NOSUCH').status_code == 400


# =========================================================================== the option chain and the quirk


def test_spx_option_chain_months_strikes_and_info_for_every_strike_and_right(sim):
    spx = search_first(sim, 'SPX')[0]
    assert (spx['conid'], spx['symbol'], spx['companyName']) == ('416904', 'SPX', 'S&P 500 Stock Index')
    section = [s for s in spx['sections'] if s['secType'] == 'OPT'][0]
    months = section['months'].split(';')
    assert len(months) == 6 and section['exchange'] == 'SMART;CBOE;IBUSOPT'
    assert months[0] == next_month_code(sim)
    spot = ok(sim, 'trsrv/secdef', conids='416904')['secdef'][0]  # the index is known to secdef too
    assert spot['assetClass'] == 'IND'
    seen = set()
    for month in months:
        strikes = ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month)
        assert len(strikes['call']) == 21 and strikes['call'] == strikes['put']
        for strike in strikes['call']:
            for right in ('C', 'P'):
                info = ok(
                    sim, 'iserver/secdef/info', conid=416904, secType='OPT', month=month, strike=strike, right=right
                )
                assert len(info) == 1
                option = info[0]
                assert_shape(option, SECDEF_INFO_KEYS)
                assert (option['symbol'], option['secType'], option['right'], option['strike']) == (
                    'SPX',
                    'OPT',
                    right,
                    strike,
                )
                assert option['multiplier'] == '100' and option['maturityDate'][:6] == first_of(month)
                assert option['desc2'].endswith('Call' if right == 'C' else 'Put')
                seen.add(option['conid'])
    assert len(seen) == 6 * 21 * 2  # every strike/right/month is its own contract


def first_of(month):
    return dt.datetime.strptime(month, '%b%y').strftime('%Y%m')


def test_secdef_info_without_right_gives_both_and_the_derivative_conid_directly(sim):
    search_first(sim, 'AAPL')
    month = search_first(sim, 'AAPL')[0]['sections'][1]['months'].split(';')[1]
    strike = ok(sim, 'iserver/secdef/strikes', conid=265598, sectype='OPT', month=month)['put'][3]
    both = ok(sim, 'iserver/secdef/info', conid=265598, sectype='OPT', month=month, strike=strike)
    assert sorted(o['right'] for o in both) == ['C', 'P']
    put = [o for o in both if o['right'] == 'P'][0]
    direct = ok(sim, 'iserver/secdef/info', conid=put['conid'], sectype='OPT')
    assert direct == [put]


def test_secdef_info_validates_its_parameters(sim):
    search_first(sim, 'SPX')
    month = search_first(sim, 'SPX')[0]['sections'][1]['months'].split(';')[0]
    assert get(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', strike=5000).status_code == 400  # month
    assert get(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=month).status_code == 400  # strike
    assert get(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=month, strike=1).status_code == 400
    assert get(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=month, strike='x').status_code == 400
    assert get(sim, 'iserver/secdef/info', conid=416904, sectype='STK').status_code == 400  # an index is no stock
    assert get(sim, 'iserver/secdef/info', sectype='BOND').status_code == 400  # issuerId
    assert ok(sim, 'iserver/secdef/info', conid=416904, sectype='IND')[0]['conid'] == 416904


def test_quirk_strikes_are_empty_and_info_refused_before_a_search(sim):
    ok(sim, 'trsrv/stocks', symbols='SPX,AAPL')  # a /trsrv lookup is no secdef search
    assert ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=next_month_code(sim)) == {
        'call': [],
        'put': [],
    }
    refused = get(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=next_month_code(sim), strike=6000)
    assert refused.status_code == 400 and 'secdef/search' in refused.json()['error']
    assert get(sim, 'iserver/secdef/info', conid=265598, sectype='STK').status_code == 400
    assert get(sim, 'iserver/secdef/info', sectype='BOND', issuerId='e1400715').status_code == 400

    search_first(sim, 'SPX')
    assert ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=next_month_code(sim))['call']
    # searching SPX does not unlock AAPL
    assert ok(sim, 'iserver/secdef/strikes', conid=265598, sectype='OPT', month=next_month_code(sim)) == {
        'call': [],
        'put': [],
    }


def test_quirk_searches_are_forgotten_with_a_new_brokerage_session(sim):
    search_first(sim, 'SPX')
    assert ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=next_month_code(sim))['call']
    control(sim, 'session', {'action': 'expire'})
    month = next_month_code(sim)
    assert get(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month).status_code == 401
    reopened = requests.post(sim.url + 'iserver/auth/ssodh/init', json={'publish': True, 'compete': True})
    assert reopened.status_code == 200
    assert ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=next_month_code(sim)) == {
        'call': [],
        'put': [],
    }


def test_quirk_switched_off():
    with GatewaySimulator(port=0, secdef_search_first=False) as sim:
        month = next_month_code(sim)
        assert len(ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month)['call']) == 21
        strike = ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month)['call'][10]
        assert ok(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=month, strike=strike, right='C')


def next_month_code(sim):
    """The first option month listed (the third Friday of this month, or next month's once it has passed)."""
    today = sim_date(sim)
    first = dt.date(today.year, today.month, 1)
    third_friday = first + dt.timedelta(days=(4 - first.weekday()) % 7 + 14)
    if third_friday < today:
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return first.strftime('%b%y').upper()


def test_secdef_accepts_both_spellings_of_sectype(sim):
    search_first(sim, 'SPX')
    month = next_month_code(sim)
    assert ok(sim, 'iserver/secdef/strikes', conid=416904, secType='OPT', month=month) == ok(
        sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month
    )


# =========================================================================== required parameters, sessions


@pytest.mark.parametrize(
    'path, params',
    [
        ('trsrv/secdef', {}),
        ('trsrv/all-conids', {}),
        ('trsrv/stocks', {}),
        ('trsrv/futures', {}),
        ('trsrv/secdef/schedule', {'symbol': 'AAPL'}),
        ('trsrv/secdef/schedule', {'assetClass': 'STK'}),
        ('iserver/currency/pairs', {}),
        ('iserver/exchangerate', {'source': 'USD'}),
        ('iserver/exchangerate', {'target': 'USD'}),
        ('iserver/secdef/bond-filters', {'symbol': 'BOND'}),
        ('iserver/secdef/bond-filters', {'issuerId': 'e1400715'}),
        ('iserver/secdef/search', {}),
        ('iserver/secdef/search', {'name': 'true'}),
        ('iserver/secdef/info', {'conid': '265598'}),
        ('iserver/secdef/info', {'sectype': 'STK'}),
        ('iserver/secdef/strikes', {'conid': '416904', 'sectype': 'OPT'}),
        ('iserver/secdef/strikes', {'conid': '416904', 'month': 'JAN30'}),
        ('iserver/secdef/strikes', {'sectype': 'OPT', 'month': 'JAN30'}),
    ],
)
def test_missing_required_parameters_are_400_ibkr_style(sim, path, params):
    response = get(sim, path, **params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {'error', 'statusCode'} and body['statusCode'] == 400


def test_trsrv_needs_only_the_read_only_session_iserver_the_brokerage_one(sim):
    control(sim, 'session', {'action': 'expire'})
    assert get(sim, 'trsrv/stocks', symbols='AAPL').status_code == 200
    assert get(sim, 'trsrv/secdef', conids='265598').status_code == 200
    assert get(sim, 'iserver/secdef/search', symbol='AAPL').status_code == 401
    assert get(sim, 'iserver/contract/265598/info').status_code == 401
    control(sim, 'session', {'action': 'deauthenticate'})
    assert get(sim, 'trsrv/stocks', symbols='AAPL').status_code == 401


# =========================================================================== the universe


def test_universe_has_at_least_30_us_stocks_and_etfs(sim):
    listed = ok(sim, 'trsrv/all-conids', exchange='NYSE')
    conids = ','.join(str(entry['conid']) for entry in listed)
    entries = ok(sim, 'trsrv/secdef', conids=conids)['secdef']
    us = [e for e in entries if e['isUS'] and e['assetClass'] == 'STK']
    assert len(us) >= 30
    assert sum(e['type'] == 'ETF' for e in us) >= 3
    known = {e['ticker']: e['conid'] for e in us}
    assert {k: known[k] for k in ('AAPL', 'IBM', 'MSFT', 'AMD', 'MCD', 'BMO', 'SPY', 'IBKR')} == {
        'AAPL': 265598,
        'IBM': 8314,
        'MSFT': 272093,
        'AMD': 4391,
        'MCD': 9408,
        'BMO': 5094,
        'SPY': 756733,
        'IBKR': 43645865,
    }
    assert len(set(known.values())) == len(known)


def test_derivative_conids_are_deterministic_and_do_not_depend_on_the_start_day():
    start = dt.datetime(2026, 3, 2, 15, tzinfo=dt.timezone.utc).timestamp()
    later = dt.datetime(2026, 3, 5, 15, tzinfo=dt.timezone.utc).timestamp()

    def chain(start_time):
        with GatewaySimulator(port=0, start_time=start_time, secdef_search_first=False) as sim:
            strikes = ok(sim, 'iserver/secdef/strikes', conid=265598, sectype='OPT', month='APR26')['call']
            calls = {
                strike: ok(
                    sim, 'iserver/secdef/info', conid=265598, sectype='OPT', month='APR26', strike=strike, right='C'
                )[0]['conid']
                for strike in strikes
            }
            return calls, ok(sim, 'trsrv/futures', symbols='ES')['ES']

    calls, futures = chain(start)
    assert chain(start) == (calls, futures)
    # strikes are listed around the price of the day, but a contract keeps its conid whatever the start day
    later_calls, _ = chain(later)
    common = set(calls) & set(later_calls)
    assert common and all(calls[strike] == later_calls[strike] for strike in common)
    # IBKR's own conid for ES June 2026 is unknown; March 2026's is in the OpenAPI examples
    assert futures[0]['expirationDate'] == 20260320 and futures[0]['conid'] == 649180695


def test_instruments_file_extends_the_universe(tmp_path):
    path = tmp_path / 'instruments.json'
    path.write_text(
        json.dumps(
            {
                'instruments': [
                    {
                        'conid': 990000001,
                        'symbol': 'ZZZT',
                        'name': 'ZED TEST CORP',
                        'exchange': 'NYSE',
                        'price': 42.0,
                        'sector': 'Technology',
                        'chinese_name': '测试',
                    },
                    {
                        'conid': 990000002,
                        'symbol': 'ZZZT',
                        'sec_type': 'OPT',
                        'name': 'ZED TEST CORP',
                        'exchange': 'CBOE',
                        'valid_exchanges': 'SMART,CBOE',
                        'underlying_conid': 990000001,
                        'expiry': '20991218',
                        'month': 'DEC99',
                        'strike': 45.0,
                        'right': 'C',
                        'multiplier': 100,
                        'price': 1.5,
                    },
                ]
            }
        ),
        encoding='utf-8',
    )
    with GatewaySimulator(port=0, instruments_file=str(path)) as sim:
        assert ok(sim, 'trsrv/stocks', symbols='ZZZT') == {
            'ZZZT': [
                {
                    'name': 'ZED TEST CORP',
                    'chineseName': '测试',
                    'assetClass': 'STK',
                    'contracts': [{'conid': 990000001, 'exchange': 'NYSE', 'isUS': True}],
                }
            ]
        }
        section = search_first(sim, 'ZZZT')[0]['sections'][1]
        assert section == {'secType': 'OPT', 'months': 'DEC99', 'exchange': 'SMART;CBOE'}
        assert ok(sim, 'iserver/secdef/strikes', conid=990000001, sectype='OPT', month='DEC99') == {
            'call': [45.0],
            'put': [],
        }
        assert ok(sim, 'trsrv/secdef', conids='990000001')['secdef'][0]['hasOptions'] is True


def test_instruments_file_with_an_unknown_field_fails_at_start(tmp_path):
    path = tmp_path / 'bad.json'
    path.write_text(json.dumps([{'conid': 1, 'symbol': 'X', 'colour': 'red'}]), encoding='utf-8')
    with pytest.raises(ValueError, match='colour'):
        GatewaySimulator(port=0, instruments_file=str(path))


# =========================================================================== OpenAPI conformance


def response_schema(spec, method, path, nullable=frozenset()):
    """The operation's 200 schema with $refs inlined, so the test can patch it by path; ``oneOf`` stays strict.

    Properties named in ``nullable`` may also be null (and take values outside the spec's enum).
    """
    schema = openapi_spec.response_schema(spec, path, method)
    return openapi_spec.to_json_schema(schema, spec, one_of_as_any_of=False, null_allowed=frozenset(nullable))


# Where seed 002 (what the gateway really sends) and the spec disagree, the seed wins; each such
# deviation is listed in docs/simulator/contract.md and patched here so the rest is still checked.
SEED_NULLS = {
    'secdef': {'chineseName', 'group', 'sector', 'sectorGroup', 'type'},
    'info': {
        'classifier',
        'contract_clarification_type',
        'expiry_full',
        'maturity_date',
        'text',
        'multiplier',
        'underlying_issuer',
        'contract_month',
        'industry',
        'category',
    },
    'search': {'description', 'symbol', 'restricted', 'companyName'},
    'secdef_info': {'listingExchange', 'cusip', 'multiplier', 'right'},
    'stocks': {'chineseName'},
}


def _seeded_sim_requests(sim):
    search_first(sim, 'SPX')
    search_first(sim, 'AAPL', secType='BOND')
    month = next_month_code(sim)
    strike = ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month)['call'][10]
    return month, strike


def test_responses_validate_against_the_openapi_spec(sim):
    spec = openapi_spec.spec_or_skip()
    month, strike = _seeded_sim_requests(sim)

    secdef = response_schema(spec, 'get', '/trsrv/secdef', SEED_NULLS['secdef'])
    secdef['properties']['secdef']['items']['properties']['displayRule'] = {'type': 'object'}  # seed: an object
    assert_valid(secdef, ok(sim, 'trsrv/secdef', conids='265598,416904,12087792,140071501'))

    assert_valid(response_schema(spec, 'get', '/trsrv/all-conids'), ok(sim, 'trsrv/all-conids', exchange='NYSE'))
    info_schema = response_schema(spec, 'get', '/iserver/contract/{conid}/info', SEED_NULLS['info'])
    assert_valid(info_schema, ok(sim, 'iserver/contract/265598/info'))
    assert_valid(
        response_schema(spec, 'get', '/iserver/currency/pairs'), ok(sim, 'iserver/currency/pairs', currency='USD')
    )
    assert_valid(
        response_schema(spec, 'get', '/iserver/exchangerate'),
        ok(sim, 'iserver/exchangerate', source='USD', target='AUD'),
    )
    assert_valid(
        response_schema(spec, 'get', '/iserver/contract/{conid}/info-and-rules', SEED_NULLS['info']),
        ok(sim, 'iserver/contract/265598/info-and-rules', isBuy='true'),
    )
    assert_valid(
        response_schema(spec, 'post', '/iserver/contract/rules'),
        post(sim, 'iserver/contract/rules', {'conid': 265598}).json(),
    )

    algos = response_schema(spec, 'get', '/iserver/contract/{conid}/algos')
    algos['properties']['algos']['items']['properties']['parameters']['items']['properties']['required'] = {
        'type': 'string'
    }  # seed: "required": "true"
    assert_valid(algos, ok(sim, 'iserver/contract/265598/algos', addDescription=1, addParams=1))

    filters = response_schema(spec, 'get', '/iserver/secdef/bond-filters')
    filters['properties']['bondFilters']['items']['properties']['displayText'].pop('enum')  # seed adds "Exchange"
    assert_valid(filters, ok(sim, 'iserver/secdef/bond-filters', symbol='BOND', issuerId='e1400715'))

    search = response_schema(spec, 'get', '/iserver/secdef/search', SEED_NULLS['search'])
    search['items']['properties']['restricted'] = {'type': ['string', 'boolean', 'null']}  # seed: "IND" for SPX
    for symbol in ('SPX', 'AAPL', 'IBM', 'ES'):
        assert_valid(search, search_first(sim, symbol))
    assert_valid(search, search_first(sim, 'Interactive Brokers', name='true'))

    # seed: a list of the objects the spec describes
    secdef_info = {
        'type': 'array',
        'items': response_schema(spec, 'get', '/iserver/secdef/info', SEED_NULLS['secdef_info']),
    }
    secdef_info['items']['properties']['right'] = {'type': 'string', 'enum': ['P', 'C', '?']}  # spec's own '?' example
    assert_valid(secdef_info, ok(sim, 'iserver/secdef/info', conid=416904, sectype='OPT', month=month, strike=strike))
    assert_valid(secdef_info, ok(sim, 'iserver/secdef/info', conid=265598, sectype='STK'))
    assert_valid(secdef_info, ok(sim, 'iserver/secdef/info', sectype='BOND', issuerId='e1400715'))

    assert_valid(
        response_schema(spec, 'get', '/iserver/secdef/strikes'),
        ok(sim, 'iserver/secdef/strikes', conid=416904, sectype='OPT', month=month),
    )

    futures = response_schema(spec, 'get', '/trsrv/futures')
    futures = {'type': 'object', 'additionalProperties': futures['properties']['symbol']}  # spec keys it 'symbol'
    assert_valid(futures, ok(sim, 'trsrv/futures', symbols='ES,MES'))

    assert_valid(
        response_schema(spec, 'get', '/trsrv/stocks', SEED_NULLS['stocks']),
        ok(sim, 'trsrv/stocks', symbols='AAPL,IBM,GOOG'),
    )
    assert_valid(
        response_schema(spec, 'get', '/trsrv/secdef/schedule'),
        ok(sim, 'trsrv/secdef/schedule', assetClass='STK', symbol='AAPL'),
    )
