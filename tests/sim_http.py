"""Plain HTTP to a running simulator, for tests that drive it without ibind's client.

``sim`` is a started ``ibind.sim.GatewaySimulator``: ``sim.url`` is the gateway (``.../v1/api/``) and
``sim.control_url`` its control API (``.../sim/``). Every request has a timeout, so a simulator that stops
answering fails the test instead of hanging it.
"""

import requests

TIMEOUT = 10


def get(sim, path, **params):
    """GET a gateway route (``path`` relative to ``sim.url``); the response, whatever its status."""
    return requests.get(sim.url + path, params=params, timeout=TIMEOUT)


def post(sim, path, body=None):
    """POST ``body`` as JSON to a gateway route; the response, whatever its status."""
    return requests.post(sim.url + path, json=body, timeout=TIMEOUT)


def control(sim, method, path, body=None):
    """A request to the control API (``'POST', 'clock', {'advance': 60}``) that must succeed; its JSON answer."""
    if method == 'POST' and body is None:
        body = {}  # the control API takes only application/json POSTs
    response = requests.request(method, sim.control_url + path, json=body, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def state(sim):
    """``GET /sim/state``: what the simulated gateway holds, and the requests it has counted."""
    return requests.get(sim.control_url + 'state', timeout=TIMEOUT).json()
