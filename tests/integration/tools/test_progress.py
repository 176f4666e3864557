"""progress= on bulk work: a callback sees every piece as it finishes, True shows a tqdm bar; all pages of positions."""

import threading

import pytest

from ibind import IbkrClient
from ibind.support.errors import ExternalBrokerError
from ibind.support.progress import Progress

from sim_http import control

ACCOUNT = 'DU1234567'


def test_history_progress_callback_sees_each_symbol_once(client):
    seen = []
    lock = threading.Lock()

    def progress(key, outcome, done, total):
        with lock:
            seen.append((key, type(outcome).__name__, done, total))

    symbols = ['AAPL', 'MSFT', 'IBM', 'KO', 'JPM', 'XOM', 'T']
    history = client.marketdata_history_by_symbols(symbols, period='2d', bar='1d', progress=progress)
    assert sorted(key for key, *_ in seen) == sorted(symbols)
    assert sorted(done for *_, done, _ in seen) == list(range(1, len(symbols) + 1))
    assert {total for *_, total in seen} == {len(symbols)}
    assert {name for _, name, *_ in seen} == {'Result'}
    assert set(history) == set(symbols)


def test_a_failing_request_is_reported_with_its_exception(client, sim):
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
    seen = {}

    def progress(key, outcome, done, total):
        seen[key] = outcome

    history = client.marketdata_history_by_symbols(
        ['AAPL', 'MSFT'], period='2d', bar='1d', run_in_parallel=False, progress=progress
    )
    assert isinstance(seen['AAPL'], ExternalBrokerError) and seen['AAPL'] is history['AAPL']
    assert not isinstance(seen['MSFT'], Exception)


def test_a_broken_callback_does_not_break_the_job(client, caplog):
    def broken(*_):
        raise RuntimeError('my bug')

    history = client.marketdata_history_by_symbols(['AAPL', 'MSFT'], period='2d', bar='1d', progress=broken)
    assert all(isinstance(bars, list) and bars for bars in history.values())
    assert 'progress callback failed' in caplog.text


def test_progress_true_shows_a_tqdm_bar(client, capsys):
    client.marketdata_history_by_symbols(['AAPL', 'MSFT', 'IBM'], period='2d', bar='1d', progress=True)
    err = capsys.readouterr().err
    assert 'history' in err and '3/3' in err


def test_progress_rejects_what_it_cannot_use(client):
    with pytest.raises(TypeError, match="'progress'"):
        client.marketdata_history_by_symbols(['AAPL'], period='2d', bar='1d', progress='yes')
    with pytest.raises(TypeError, match="'progress'"):
        Progress(42, 1, 'x')


def test_all_positions_reads_every_page(start_simulator):
    sim = start_simulator(portfolio_positions_cache=False)
    conids = sorted(
        {instrument.conid for instrument in sim.gateway.universe.all() if instrument.sec_type == 'STK'}
        | {instrument.conid for instrument in sim.gateway.universe.all() if instrument.sec_type == 'OPT'}
    )[:230]
    assert len(conids) == 230
    sim.stop()
    sim = start_simulator(
        portfolio_positions_cache=False,
        initial_positions={ACCOUNT: [{'conid': conid, 'quantity': 1, 'avg_price': 1.0} for conid in conids]},
    )
    pages = []
    with IbkrClient(url=sim.url, account_id=ACCOUNT, cacert=False, pacing=False) as client:
        client.portfolio_accounts()
        result = client.all_positions(progress=lambda page, outcome, done, total: pages.append((page, done, total)))
    assert sorted(position['conid'] for position in result.data) == conids
    assert pages == [(0, 1, None), (1, 2, None), (2, 3, None)]
    assert result.request['url'].endswith('/positions/2')


def test_all_positions_checks_max_pages(client):
    with pytest.raises(ValueError, match='max_pages'):
        client.all_positions(max_pages=0)


@pytest.mark.parametrize('run_in_parallel', [False, True])
def test_a_callback_returning_false_cancels_the_rest(client, sim, run_in_parallel):
    from concurrent.futures import CancelledError

    symbols = ['AAPL', 'MSFT', 'IBM', 'KO', 'JPM', 'XOM', 'T', 'PFE', 'BAC', 'WMT', 'INTC', 'CSCO']
    client.stock_conid_by_symbol(symbols)  # look the symbols up before counting history requests
    before = control(sim, 'GET', 'state')['counters']['by_route'].get('GET /iserver/marketdata/history', {'count': 0})[
        'count'
    ]
    received = []

    def stop_after_two(key, outcome, done, total):
        received.append(key)
        return done < 2

    with pytest.raises(CancelledError):
        client.marketdata_history_by_symbols(
            symbols, period='2d', bar='1d', run_in_parallel=run_in_parallel, progress=stop_after_two
        )
    sent = control(sim, 'GET', 'state')['counters']['by_route']['GET /iserver/marketdata/history']['count'] - before
    assert len(received) >= 2
    assert sent < len(symbols)  # the pieces not started were never sent
    if not run_in_parallel:
        assert sent == 2 and len(received) == 2
