"""DataFrames from real answers of the simulator: tidy history, honest dtypes, tz-aware times."""

import subprocess
import sys

import pandas as pd
import pytest

from ibind import IbkrClient, frames

ACCOUNT = 'DU1234567'
ANSWERS = {'o354': True, 'o163': True, 'o403': True, 'o451': True, 'o10331': True}


@pytest.fixture
def traded(start_simulator):
    """A client on a simulator with a position, a filled market order and a working limit order."""
    sim = start_simulator(initial_positions={ACCOUNT: [{'conid': 265598, 'quantity': 10, 'avg_price': 150.0}]})
    with IbkrClient(url=sim.url, account_id=ACCOUNT, cacert=False, pacing=False) as client:
        client.receive_brokerage_accounts()
        client.place_order(
            {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'MKT', 'tif': 'DAY'}, answers=ANSWERS
        )
        client.place_order(
            {'conid': 272093, 'side': 'BUY', 'quantity': 2, 'orderType': 'LMT', 'price': 100, 'tif': 'DAY'},
            answers=ANSWERS,
        )
        client.portfolio_accounts()
        client.invalidate_backend_portfolio_cache()
        yield client


def test_history_of_many_symbols_is_tidy_and_tz_aware(client):
    history = client.marketdata_history_by_symbols(['AAPL', 'MSFT', 'IBM'], period='5d', bar='1d')
    frame = frames.history_frame(history, tz='America/New_York')
    assert list(frame.index.names) == ['time', 'symbol']
    assert str(frame.index.levels[0].tz) == 'America/New_York'
    assert set(frame.index.get_level_values('symbol')) == {'AAPL', 'MSFT', 'IBM'}
    assert list(frame.columns) == ['open', 'high', 'low', 'close', 'volume']
    assert all(dtype == 'float64' for dtype in frame.dtypes)
    assert len(frame) == sum(len(bars) for bars in history.values())
    assert frame.index.is_monotonic_increasing
    first = history['AAPL'][0]
    row = frame.xs('AAPL', level='symbol').iloc[0]
    assert row['close'] == first['close']
    assert frame.xs('AAPL', level='symbol').index[0] == pd.Timestamp(first['date'])  # same instant, other zone
    assert frame.attrs['errors'] == {}


def test_closes_frame_has_one_column_per_symbol(client):
    symbols = ['AAPL', 'MSFT', 'IBM', 'KO']
    closes = frames.closes_frame(client.marketdata_history_by_symbols(symbols, period='1w', bar='1d'))
    assert list(closes.columns) == symbols
    assert str(closes.index.tz) == 'UTC'
    assert closes.notna().all().all()


def test_a_failed_symbol_is_left_out_and_named(client, sim):
    from sim_http import control

    control(
        sim,
        'POST',
        'faults',
        {
            'route': '/iserver/marketdata/history',
            'kind': 'status',
            'status': 400,
            'body': {'error': 'boom'},
            'times': 1,
        },
    )
    history = client.marketdata_history_by_symbols(['AAPL', 'MSFT'], period='2d', bar='1d', run_in_parallel=False)
    frame = frames.history_frame(history)
    assert 'AAPL' in frame.attrs['errors'] and 'boom' in frame.attrs['errors']['AAPL']
    assert set(frame.index.get_level_values('symbol')) == {'MSFT'}


def test_single_history_result_and_empty_history(client):
    frame = frames.history_frame(client.marketdata_history_by_conid('265598', bar='1d', period='3d'))
    assert set(frame.index.get_level_values('symbol')) == {'AAPL'} and len(frame) == 3
    empty = frames.history_frame({})
    assert (
        empty.empty
        and list(empty.index.names) == ['time', 'symbol']
        and list(empty.columns) == list(frames.HISTORY_COLUMNS)
    )


def test_snapshot_frame_has_numbers_not_strings(client):
    snapshot = client.live_marketdata_snapshot_by_symbol(
        ['AAPL', 'MSFT'], fields=['last_price', 'bid', 'ask', 'volume', 'market_cap', 'company_name']
    )
    frame = frames.snapshot_frame(snapshot)
    assert list(frame.index) == ['AAPL', 'MSFT']
    assert frame['last_price'].dtype == 'float64' and frame['bid'].dtype == 'float64'
    assert frame['volume'].dtype == 'Int64' and frame['volume'].min() > 1000  # "12.14M", not NaN
    assert frame['market_cap'].dtype == 'Int64'
    assert frame['company_name'].dtype == 'string' and frame.loc['AAPL', 'company_name'] == 'APPLE INC'
    assert isinstance(frame['last_price_flag'].dtype, pd.CategoricalDtype)
    assert float(snapshot['AAPL']['last_price']) == frame.loc['AAPL', 'last_price']


def test_raw_snapshot_frame_is_indexed_by_conid(client):
    client.receive_brokerage_accounts()
    client.live_marketdata_snapshot(['265598'], ['last_price', 'volume'])  # the pre-flight
    frame = frames.snapshot_frame(client.live_marketdata_snapshot(['265598'], ['last_price', 'volume']))
    assert frame.index.name == 'conid' and list(frame.index) == [265598]
    assert frame['last_price'].dtype == 'float64'
    assert str(frame['_updated'].dtype.tz) == 'UTC'


def test_positions_orders_trades_ledger(traded):
    positions = frames.positions_frame(traded.all_positions())
    assert positions.index.name == 'conid' and 265598 in positions.index
    assert positions['position'].dtype == 'float64' and positions.loc[265598, 'position'] == 11
    assert positions['contractDesc'].dtype == 'string'

    orders = frames.orders_frame(traded.live_orders(), tz='Europe/Zurich')
    assert orders.index.name == 'orderId' and len(orders) == 2
    assert orders['price'].dtype == 'float64'  # IBKR sends "100.00"
    assert str(orders['lastExecutionTime'].dtype.tz) == 'Europe/Zurich'
    assert 'lastExecutionTime_r' not in orders.columns

    trades = frames.trades_frame(traded.trades())
    assert trades.index.name == 'execution_id'
    assert trades['price'].dtype == 'float64' and trades['commission'].dtype == 'float64'
    assert str(trades['trade_time'].dtype.tz) == 'UTC'

    ledger = frames.ledger_frame(traded.get_ledger())
    assert set(ledger.index) >= {'USD', 'BASE'}
    assert ledger['cashbalance'].dtype == 'float64'
    assert str(ledger['timestamp'].dtype.tz) == 'UTC'


def test_empty_answers_give_empty_frames():
    assert frames.orders_frame({'orders': [], 'snapshot': True}).empty
    assert frames.positions_frame([]).empty
    assert frames.trades_frame(None).empty


def test_wrong_input_names_what_was_expected():
    with pytest.raises(TypeError, match='list of dicts'):
        frames.positions_frame('AAPL')
    with pytest.raises(TypeError, match='history'):
        frames.history_frame(42)


def test_without_pandas_the_error_names_the_extra():
    code = (
        'import sys; sys.modules["pandas"] = None\n'
        'from ibind import frames\n'
        'try:\n    frames.positions_frame([])\n'
        'except ImportError as error:\n    print(error)\n'
    )
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert 'pip install "ibind[pandas]"' in proc.stdout, proc.stdout + proc.stderr


def test_import_ibind_frames_does_not_import_pandas():
    code = 'import sys, ibind.frames; print("pandas" in sys.modules)'
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == 'False', proc.stdout + proc.stderr
