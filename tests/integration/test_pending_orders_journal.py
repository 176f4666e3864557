"""The journal of pending orders (``pending_orders_file``): what a restarted program learns, and its edges.

The crash itself (SIGKILL while a placement is in flight) is in test_interrupts.py.
"""

import json
import os
import subprocess
import sys

import pytest

from ibind import IbkrClient

ORDER = {'conid': 265598, 'side': 'BUY', 'quantity': 1, 'orderType': 'LMT', 'price': 1.0, 'tif': 'DAY'}


def journal_client(sim, path):
    client = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pacing=False, pending_orders_file=path)
    client.receive_brokerage_accounts()
    return client


def write_journal(path, *entries):
    path.write_text(json.dumps({'version': 1, 'entries': list(entries)}))


def test_an_order_with_a_definite_answer_leaves_nothing_in_the_journal(sim, tmp_path):
    sim.control.config(order_questions=False)
    path = tmp_path / 'pending.json'
    with journal_client(sim, path) as client:
        client.place_order(dict(ORDER, cOID='fine-1'), answers={})
        assert client.pending_orders() == []
    assert json.loads(path.read_text()) == {'version': 1, 'entries': []}


def test_an_entry_a_previous_run_left_that_never_reached_ibkr_stays_until_forgotten(sim, tmp_path, caplog):
    path = tmp_path / 'pending.json'
    request = {'method': 'POST', 'url': sim.url + 'iserver/account/DU1234567/orders', 'json': {'orders': []}}
    write_journal(
        path,
        {
            'action': 'placement',
            'coid': 'lost-1',
            'order_id': None,
            'since': 1.0,
            'reason': 'in flight',
            'request': request,
        },
    )
    with caplog.at_level('WARNING', logger='ibind'):
        client = journal_client(sim, path)
    with client:
        assert "cOID 'lost-1'" in caplog.text and 'previous run' in caplog.text
        [entry] = client.pending_orders()
        assert entry['coid'] == 'lost-1' and entry['previous_run'] is True
        assert client.reconcile_pending_orders() == []  # not among the live orders: it stays
        assert [e['coid'] for e in client.pending_orders()] == ['lost-1']
        assert client.forget_pending_order(entry['key']) is True
        assert client.forget_pending_order(entry['key']) is False
        with pytest.raises(TypeError, match="'key'"):
            client.forget_pending_order('1')
    assert json.loads(path.read_text())['entries'] == []


def test_a_file_that_is_not_a_journal_is_refused_and_left_untouched(sim, tmp_path):
    path = tmp_path / 'pending.json'
    hostile = ('{not json', '[1, 2]', '{"version": 2, "entries": []}', '{"version": 1, "entries": [{"x": 1}]}')
    for text in hostile + ('[' * 100_000 + ']' * 100_000,):  # the last nested deeper than the parser goes
        path.write_text(text)
        with pytest.raises(ValueError, match='pending_orders_file .*is not a journal of pending orders'):
            IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pending_orders_file=path)
        assert path.read_text() == text


def test_a_journal_path_that_cannot_work_is_refused_when_the_client_is_made(sim, tmp_path):
    with pytest.raises(TypeError, match="'pending_orders_file' must be a file path"):
        IbkrClient(url=sim.url, cacert=False, pending_orders_file=3)
    with pytest.raises(ValueError, match="'pending_orders_file' must name a file, not the directory"):
        IbkrClient(url=sim.url, cacert=False, pending_orders_file=tmp_path)
    with pytest.raises(ValueError, match='its directory does not exist'):
        IbkrClient(url=sim.url, cacert=False, pending_orders_file=tmp_path / 'missing' / 'pending.json')


def test_an_unwritable_journal_stops_the_order_before_it_is_sent(sim, tmp_path):
    path = tmp_path / 'pending.json'
    sim.control.config(order_questions=False)
    with journal_client(sim, path) as client:
        path.mkdir()  # the journal cannot be replaced any more
        before = sim.control.received('POST /iserver/account/{accountId}/orders')
        with pytest.raises(OSError):
            client.place_order(dict(ORDER, cOID='unwritten-1'), answers={})
        assert sim.control.received('POST /iserver/account/{accountId}/orders') == before  # nothing went out
        assert client.pending_orders() == []


def test_a_journal_belongs_to_one_client_at_a_time(sim, tmp_path):
    path = tmp_path / 'pending.json'
    first = IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pending_orders_file=path)
    with pytest.raises(ValueError, match='is in use by another client'):
        IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pending_orders_file=path)
    first.close()
    with IbkrClient(url=sim.url, account_id='DU1234567', cacert=False, pending_orders_file=path) as second:
        assert second.pending_orders() == []


def test_a_journal_held_by_another_process_is_refused_until_that_process_ends(sim, tmp_path):
    path = tmp_path / 'pending.json'
    code = (
        'import sys\n'
        'from ibind import IbkrClient\n'
        f'client = IbkrClient(url={sim.url!r}, cacert=False, pending_orders_file={str(path)!r})\n'
        'print("holding", flush=True)\n'
        'sys.stdin.readline()\n'  # holds the journal until told to end (without closing the client)
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    holder = subprocess.Popen(
        [sys.executable, '-c', code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout.readline().strip() == 'holding'
        with pytest.raises(ValueError, match='is in use by another client'):
            IbkrClient(url=sim.url, cacert=False, pending_orders_file=path)
    finally:
        holder.communicate('\n', timeout=30)
    with IbkrClient(url=sim.url, cacert=False, pending_orders_file=path) as client:  # the OS lock ended with it
        assert client.pending_orders() == []
