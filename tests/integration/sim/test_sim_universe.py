"""Breadth of the simulated universe: the S&P 500, Nasdaq-100 and most traded ETFs, and a deterministic
synthetic stock for any other well-formed ticker (unless ``strict_universe``)."""

import pytest
import requests

from ibind.sim import GatewaySimulator
from ibind.sim.engine.synthetic import conid_symbol, normalise_ticker, symbol_conid

ACCOUNT = 'DU1234567'


@pytest.fixture
def start():
    started = []

    def start_sim(**options):
        sim = GatewaySimulator(port=0, **options).start()
        started.append(sim)
        return sim

    yield start_sim
    for sim in started:
        sim.stop()


def stocks(sim, symbols):
    response = requests.get(sim.url + 'trsrv/stocks', params={'symbols': symbols}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def universe_state(sim):
    return requests.get(sim.control_url + 'state', timeout=10).json()['universe']


def test_the_default_universe_covers_the_indices_and_the_most_traded_etfs(start):
    sim = start()
    us_equities = {i.symbol for i in sim.gateway.universe.all() if i.sec_type == 'STK' and i.is_us}
    assert len(us_equities) >= 590
    for symbol in (
        'NVDA',
        'AAPL',
        'LLY',
        'BRK B',
        'BF B',
        'ASML',
        'MELI',
        'PDD',
        'VOO',
        'TQQQ',
        'SQQQ',
        'XLE',
        'HYG',
        'IBIT',
        'SPY',
        'QQQ',
    ):
        assert symbol in us_equities, symbol
    found = stocks(sim, 'NVDA,VOO')
    assert found['NVDA'][0]['contracts'][0]['conid'] == 4815747  # instruments.py's conid wins
    assert found['VOO'][0]['name'] == 'VANGUARD S&P 500 ETF'
    assert universe_state(sim)['synthetic'] == []
    kinds = {i.symbol: i.stock_type for i in sim.gateway.universe.all() if i.sec_type == 'STK' and i.is_us}
    assert kinds['LLY'] == kinds['XYZ'] == 'COMMON' and kinds['VOO'] == kinds['TQQQ'] == 'ETF'
    assert 50 <= sum(1 for kind in kinds.values() if kind == 'ETF') <= 80


def test_any_well_formed_ticker_is_a_stable_synthetic_stock(start):
    first, second = start(), start(seed=7)
    for sim in (first, second):
        group = stocks(sim, 'ZZZQ')['ZZZQ'][0]
        assert group['contracts'][0]['conid'] == symbol_conid('ZZZQ')
        assert 'SIMULATED' in group['name']
    assert universe_state(first)['synthetic'] == ['ZZZQ']
    with first.gateway.lock, second.gateway.lock:
        assert first.gateway.universe.by_symbol('ZZZQ')[0].price == second.gateway.universe.by_symbol('ZZZQ')[0].price


def test_a_synthetic_conid_works_before_its_symbol_was_searched(start):
    sim = start()
    assert requests.get(sim.url + 'iserver/accounts', timeout=10).status_code == 200
    conid = symbol_conid('QWXY')
    info = requests.get(sim.url + f'iserver/contract/{conid}/info', timeout=10)
    assert info.status_code == 200 and info.json()['symbol'] == 'QWXY'
    sim.gateway.config.order_questions = False
    order = {'acctId': ACCOUNT, 'conid': conid, 'side': 'BUY', 'orderType': 'MKT', 'quantity': 3, 'tif': 'DAY'}
    placed = requests.post(sim.url + f'iserver/account/{ACCOUNT}/orders', json={'orders': [order]}, timeout=10)
    assert placed.status_code == 200, placed.text
    assert (
        requests.get(sim.control_url + 'state', timeout=10).json()['accounts'][ACCOUNT]['positions'][str(conid)][
            'quantity'
        ]
        == 3
    )


def test_strict_universe_knows_only_listed_instruments(start):
    sim = start(strict_universe=True)
    assert stocks(sim, 'ZZZQ') == {}
    assert requests.get(sim.url + f'iserver/contract/{symbol_conid("ZZZQ")}/info', timeout=10).status_code == 400
    assert universe_state(sim)['strict'] is True


def test_the_classic_universe_is_still_available(start):
    sim = start(broad_universe=False, strict_universe=True)
    assert stocks(sim, 'VOO') == {} and 'AAPL' in stocks(sim, 'AAPL')


@pytest.mark.parametrize(
    'symbol, expected',
    [
        ('aapl', 'AAPL'),
        ('BRK.B', 'BRK B'),
        ('brk b', 'BRK B'),
        ('TOOLONG', None),
        ('A1', None),
        ('', None),
        ('AB.CD', None),
    ],
)
def test_ticker_spelling(symbol, expected):
    assert normalise_ticker(symbol) == expected


def test_the_conid_encoding_is_one_to_one():
    for symbol in ('A', 'Z', 'ZZZZZ', 'ZZZZZ Z', 'AB C', 'QWERT'):
        conid = symbol_conid(symbol)
        assert 1_500_000_000 < conid < 2**31 and conid_symbol(conid) == symbol
    assert conid_symbol(265598) is None and conid_symbol(700_000_001) is None
