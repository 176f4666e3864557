"""The pacer: bucket maths, endpoint matching, waits, the give-up bound, 429 pauses, concurrency caps.

A fake clock drives the single-threaded tests: waiting advances it, so no test sleeps for real time.
"""

import threading
import time

import pytest

from ibind.base.pacing import IBKR_LIMITS, Pacer, TokenBucket
from ibind.support.errors import RateLimitError


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def wait(self, seconds):
        self.now += seconds


def make_pacer(**kwargs):
    clock = FakeClock()
    kwargs.setdefault('margin', 0.0)
    return Pacer(clock=clock, wait=clock.wait, **kwargs), clock


def grant_times(pacer, clock, method, path, count):
    times = []
    for _ in range(count):
        with pacer.slot(method, path):
            times.append(round(clock.now - 1000.0, 6))
    return times


# --------------------------------------------------------------------------- bucket maths


def test_token_bucket_refills_at_its_rate_and_caps_at_burst():
    bucket = TokenBucket(10, 1.0, burst=1, now=0.0)
    assert bucket.wait_time(0.0) == 0
    bucket.take(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(0.1)
    assert bucket.wait_time(0.05) == pytest.approx(0.05)
    assert bucket.wait_time(10.0) == 0 and bucket.tokens == 1.0  # never more than the burst


def test_token_bucket_slow_limits():
    bucket = TokenBucket(1, 15 * 60, now=0.0)
    bucket.take(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(900)
    burst = TokenBucket(10, 1.0, burst=10, now=0.0)
    for _ in range(10):
        assert burst.wait_time(0.0) == 0
        burst.take(0.0)
    assert burst.wait_time(0.0) == pytest.approx(0.1)


def test_token_bucket_refuses_nonsense():
    with pytest.raises(ValueError):
        TokenBucket(0)


# --------------------------------------------------------------------------- matching


@pytest.mark.parametrize(
    'method, path, expected',
    [
        ('GET', 'iserver/marketdata/snapshot', ['GET /iserver/marketdata/snapshot']),
        ('GET', '/v1/api/iserver/marketdata/snapshot?conids=1', ['GET /iserver/marketdata/snapshot']),
        ('GET', 'iserver/account/orders', ['GET /iserver/account/orders']),
        ('POST', 'fyi/settings/M8', ['POST /fyi/settings/{typecode}']),
        ('GET', 'fyi/settings/M8', []),
        ('PUT', 'fyi/disclaimer/SM', ['GET/PUT /fyi/disclaimer/{typecode}']),
        ('POST', 'tickle', ['GET/POST /tickle']),
        ('GET', 'portfolio/DU1234567/positions/0', []),
        ('GET', 'portfolio/accounts', ['GET /portfolio/accounts']),
        ('GET', 'iserver/marketdata/history', ['GET /iserver/marketdata/history']),
        ('POST', 'iserver/account/DU1/orders', []),
    ],
)
def test_limits_match_paths_with_ids(method, path, expected):
    pacer, _ = make_pacer()
    assert [limit.name for limit in pacer.limits_for(method, path)] == expected


def test_table_covers_the_documented_limits():
    names = {limit.template for limit in IBKR_LIMITS}
    for template in (
        '/iserver/marketdata/snapshot',
        '/iserver/scanner/params',
        '/iserver/scanner/run',
        '/iserver/account/orders',
        '/iserver/account/trades',
        '/iserver/account/pnl/partitioned',
        '/portfolio/accounts',
        '/portfolio/subaccounts',
        '/pa/performance',
        '/pa/transactions',
        '/tickle',
        '/sso/validate',
        '/iserver/marketdata/history',
    ):
        assert template in names


# --------------------------------------------------------------------------- waiting


def test_global_rate_spaces_requests_evenly():
    pacer, clock = make_pacer(global_rate=10)
    assert grant_times(pacer, clock, 'GET', 'iserver/accounts', 5) == pytest.approx([0, 0.1, 0.2, 0.3, 0.4])


def test_oauth_rate_is_faster():
    pacer, clock = make_pacer(global_rate=50)
    assert grant_times(pacer, clock, 'GET', 'iserver/accounts', 3) == pytest.approx([0, 0.02, 0.04])


def test_endpoint_limit_applies_on_top_of_the_global_one():
    pacer, clock = make_pacer(global_rate=10)
    assert grant_times(pacer, clock, 'GET', 'iserver/account/orders', 3) == pytest.approx([0, 5, 10])
    # other endpoints are not held back by that one's bucket, only by the global rate
    start = clock.now - 1000.0
    assert grant_times(pacer, clock, 'GET', 'iserver/accounts', 1) == pytest.approx([start + 0.1])


def test_a_wait_beyond_max_wait_raises_at_once_naming_endpoint_and_wait():
    pacer, clock = make_pacer(global_rate=10, max_wait=30)
    with pacer.slot('GET', 'iserver/scanner/params'):
        pass
    before = clock.now
    with pytest.raises(RateLimitError) as info, pacer.slot('GET', 'iserver/scanner/params'):
        pass
    assert clock.now == before  # it did not wait
    assert '/iserver/scanner/params' in str(info.value) and '900' in str(info.value)
    assert info.value.retry_after == pytest.approx(900, abs=1)


def test_penalize_pauses_every_request():
    pacer, clock = make_pacer(global_rate=None)
    pacer.penalize(2.0)
    assert grant_times(pacer, clock, 'GET', 'iserver/accounts', 1) == pytest.approx([2.0])
    pacer.penalize(None)  # no Retry-After: the default pause
    assert pacer.describe()['penalties'] == 2


def test_concurrency_cap_holds_under_twenty_threads():
    pacer = Pacer(global_rate=None)
    lock = threading.Lock()
    state = {'now': 0, 'max': 0, 'done': 0}

    def work():
        with pacer.slot('GET', 'iserver/marketdata/history'):
            with lock:
                state['now'] += 1
                state['max'] = max(state['max'], state['now'])
            time.sleep(0.02)  # hold the slot like a slow history request
            with lock:
                state['now'] -= 1
                state['done'] += 1

    threads = [threading.Thread(target=work) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert state['done'] == 20
    assert state['max'] == 5


def test_concurrency_wait_gives_up_after_max_wait():
    pacer = Pacer(global_rate=None, max_wait=0.05)
    with pacer.slot('GET', 'iserver/marketdata/history'):
        entered = [pacer.slot('GET', 'iserver/marketdata/history') for _ in range(4)]
        for context in entered:
            context.__enter__()
        with pytest.raises(RateLimitError, match='5 concurrent'):
            with pacer.slot('GET', 'iserver/marketdata/history'):
                pass
        for context in entered:
            context.__exit__(None, None, None)


def test_pacer_validates_arguments():
    with pytest.raises(ValueError, match="'global_rate'"):
        Pacer(global_rate=0)
    with pytest.raises(ValueError, match="'max_wait'"):
        Pacer(max_wait=-1)


def test_only_requests_that_slept_count_as_waits():
    pacer = Pacer(global_rate=1e9)  # real clock: two readings always differ, which is not a wait
    for _ in range(200):
        with pacer.slot('GET', 'iserver/accounts'):
            pass
    assert (pacer.waits, pacer.waited_seconds) == (0, 0.0)
    paced, clock = make_pacer(global_rate=10)
    grant_times(paced, clock, 'GET', 'iserver/accounts', 3)
    assert paced.waits == 2 and paced.waited_seconds == pytest.approx(0.2)


def test_the_margin_is_spread_over_the_limits_window():
    pacer, clock = make_pacer(global_rate=10, margin=0.005)
    times = grant_times(pacer, clock, 'GET', 'iserver/accounts', 11)
    assert times[-1] == pytest.approx(10 * (0.1 + 0.0005))  # 0.5 ms per request at 10/s, not 5 ms
    orders, clock = make_pacer(global_rate=None, margin=0.005)
    times = grant_times(orders, clock, 'GET', 'iserver/account/orders', 3)
    assert times[-1] == pytest.approx(2 * (5 + 0.005))  # 1 per 5 s: the whole margin each time
