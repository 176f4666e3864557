"""The retry policy as data: who may be retried, and after how long."""

import random

import pytest

from ibind.base.retry import FailureKind, RetryPolicy


def test_only_never_sent_requests_are_retried_regardless_of_method():
    policy = RetryPolicy()
    assert policy.may_retry(FailureKind.NOT_SENT, 'POST')
    for kind in (FailureKind.TIMED_OUT, FailureKind.CONNECTION_LOST, FailureKind.RATE_LIMITED):
        assert not policy.may_retry(kind, 'POST')
        assert not policy.may_retry(kind, 'DELETE')
        assert policy.may_retry(kind, 'GET')
    assert not policy.may_retry(FailureKind.STATUS, 'POST', status=503)


def test_statuses_retried_are_data():
    policy = RetryPolicy()
    assert policy.may_retry(FailureKind.STATUS, 'GET', status=502)
    assert not policy.may_retry(FailureKind.STATUS, 'GET', status=500)
    assert RetryPolicy(retry_statuses=frozenset({500})).may_retry(FailureKind.STATUS, 'GET', status=500)


def test_retry_safe_overrides_method():
    policy = RetryPolicy()
    assert policy.may_retry(FailureKind.TIMED_OUT, 'POST', retry_safe=True)
    assert not policy.may_retry(FailureKind.TIMED_OUT, 'GET', retry_safe=False)


def test_backoff_is_exponential_capped_and_jittered():
    plain = RetryPolicy(backoff=0.5, backoff_max=3, jitter=0)
    assert [plain.delay(n) for n in range(5)] == [0.5, 1, 2, 3, 3]
    jittered = RetryPolicy(backoff=1, backoff_max=100, jitter=0.5)
    rng = random.Random(1)
    delays = [jittered.delay(3, rng) for _ in range(200)]
    assert all(4 <= d <= 8 for d in delays) and len(set(delays)) > 100


@pytest.mark.parametrize('kwargs', [{'max_retries': -1}, {'backoff': -0.1}, {'jitter': 2}])
def test_invalid_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_a_policy_is_an_immutable_value_with_a_replace():
    import pickle

    policy = RetryPolicy(max_retries=5, backoff=0.1)
    with pytest.raises(AttributeError, match='replace'):
        policy.max_retries = 0
    assert policy == RetryPolicy(max_retries=5, backoff=0.1) and hash(policy) == hash(
        RetryPolicy(max_retries=5, backoff=0.1)
    )
    changed = policy.replace(max_retries=0)
    assert (changed.max_retries, changed.backoff, policy.max_retries) == (0, 0.1, 5)
    assert pickle.loads(pickle.dumps(policy)) == policy
    assert 'max_retries=5' in repr(policy)
    with pytest.raises(TypeError, match='retries'):
        policy.replace(retries=1)
    with pytest.raises(ValueError, match='max_retries'):
        policy.replace(max_retries=True)
