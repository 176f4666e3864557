"""Fault injection through the control API, driven with plain requests."""

import time

import pytest
import requests

from ibind.sim import GatewaySimulator


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


def post_fault(sim, **rule):
    response = requests.post(sim.control_url + 'faults', json=rule)
    assert response.status_code == 200, response.text
    return response.json()['added'][0]


def test_status_fault_answers_without_acting_then_expires(sim, http):
    post_fault(
        sim,
        route='/tickle',
        kind='status',
        status=502,
        body='<html><body>Bad Gateway</body></html>',
        content_type='text/html',
        times=2,
    )
    answers = [http.post(sim.url + 'tickle') for _ in range(3)]
    assert [a.status_code for a in answers] == [502, 502, 200]
    assert answers[0].headers['Content-Type'].startswith('text/html')
    rules = http.get(sim.control_url + 'faults').json()['rules']
    assert rules[0]['applied'] == 2 and rules[0]['remaining'] == 0


def test_drop_before_and_drop_after(sim, http):
    post_fault(sim, route='/iserver/auth/status', kind='drop_before')
    with pytest.raises(requests.ConnectionError):
        http.post(sim.url + 'iserver/auth/status')
    post_fault(sim, route='/iserver/auth/status', kind='drop_after')
    with pytest.raises(requests.ConnectionError):
        http.post(sim.url + 'iserver/auth/status')
    by_route = http.get(sim.control_url + 'state').json()['counters']['by_route']
    assert by_route['POST /iserver/auth/status']['count'] == 2


def test_stall_after_outlasts_the_client_timeout(sim, http):
    post_fault(sim, route='/tickle', method='POST', kind='stall_after', seconds=0.6)
    with pytest.raises(requests.ReadTimeout):
        http.post(sim.url + 'tickle', timeout=0.2)


def test_truncate_sends_broken_json(sim, http):
    post_fault(sim, route='/tickle', kind='truncate')
    answer = http.post(sim.url + 'tickle')
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.json()


def test_method_and_template_matching(sim, http):
    post_fault(sim, route='/iserver/account/{accountId}/orders', method='POST', kind='status', status=500, times=1)
    rules = http.get(sim.control_url + 'faults').json()['rules']
    assert rules[0]['route'] == '/iserver/account/{accountId}/orders'
    # a GET on another route is not affected, the rule waits for its POST
    assert http.post(sim.url + 'tickle').status_code == 200
    assert http.get(sim.control_url + 'faults').json()['rules'][0]['remaining'] == 1


def test_probability_is_seeded_and_reproducible():
    def outcomes(seed):
        with GatewaySimulator(seed=seed) as simulator, requests.Session() as session:
            post_fault(simulator, route='/tickle', kind='status', status=503, probability=0.3)
            return [session.post(simulator.url + 'tickle').status_code for _ in range(40)]

    first, second = outcomes(5), outcomes(5)
    assert first == second
    assert 0 < first.count(503) < 40


def test_faults_can_be_listed_removed_and_cleared(sim, http):
    one = post_fault(sim, route='/tickle', kind='latency', seconds=0.01, times=5)
    post_fault(sim, route='/logout', kind='drop_before')
    assert http.delete(sim.control_url + f'faults/{one["id"]}').json() == {'removed': 1}
    assert http.delete(sim.control_url + 'faults').json() == {'removed': 1}
    assert http.get(sim.control_url + 'faults').json()['rules'] == []


@pytest.mark.parametrize(
    'rule',
    [
        {'route': '/tickle', 'kind': 'explode'},
        {'route': 'tickle', 'kind': 'drop_before'},
        {'route': '/tickle', 'kind': 'latency'},
        {'route': '/tickle', 'kind': 'status', 'probability': 2},
        {'route': '/tickle', 'kind': 'status', 'colour': 'red'},
    ],
)
def test_bad_rules_are_refused(sim, rule):
    assert requests.post(sim.control_url + 'faults', json=rule).status_code == 400


def test_restart_closes_the_socket_for_a_while(sim, http):
    assert http.post(sim.url + 'tickle').status_code == 200
    assert http.post(sim.control_url + 'restart', json={'down_for': 0.5}).json()['restarting'] is True
    deadline = time.monotonic() + 5
    saw_down = False
    while time.monotonic() < deadline:
        try:
            requests.post(sim.url + 'tickle', timeout=1)
            if saw_down:
                break
        except requests.ConnectionError:
            saw_down = True
        time.sleep(0.05)
    assert saw_down
    assert requests.post(sim.url + 'tickle').status_code == 200
