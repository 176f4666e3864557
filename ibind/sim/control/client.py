"""SimControl: the simulator's control API (/sim/...) as Python methods, for tests and scripts.

It speaks HTTP like any other client would (curl, another language), so what a Python test can set
up, everyone can.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Union

import requests


class SimControl:
    def __init__(self, control_url: str, verify: Union[str, bool] = False, timeout: float = 10.0):
        self.control_url = control_url if control_url.endswith('/') else control_url + '/'
        self._session = requests.Session()
        self._verify = verify
        self._timeout = timeout

    def _call(self, method: str, path: str, json: Any = None) -> Any:
        if method == 'POST' and json is None:
            json = {}  # the control API takes only application/json POSTs
        response = self._session.request(
            method, self.control_url + path, json=json, verify=self._verify, timeout=self._timeout
        )
        if response.status_code >= 400:
            raise RuntimeError(f'control API {method} /sim/{path} failed: {response.status_code} {response.text}')
        return response.json()

    def state(self) -> Dict[str, Any]:
        return self._call('GET', 'state')

    def reset(self) -> Dict[str, Any]:
        return self._call('POST', 'reset')

    def session(self, action: str) -> Dict[str, Any]:
        """expire | compete | no_bridge | deauthenticate | login | restore"""
        return self._call('POST', 'session', {'action': action})

    def advance(self, seconds: float) -> Dict[str, Any]:
        return self._call('POST', 'clock', {'advance': seconds})

    def clock(self, **change: Any) -> Dict[str, Any]:
        return self._call('POST', 'clock', change) if change else self._call('GET', 'clock')

    def config(self, **change: Any) -> Dict[str, Any]:
        return self._call('POST', 'config', change) if change else self._call('GET', 'config')

    def add_fault(
        self,
        route: str,
        kind: str,
        method: str = '*',
        times: Optional[int] = None,
        probability: Optional[float] = None,
        seconds: float = 0.0,
        status: int = 500,
        body: Any = None,
        content_type: Optional[str] = None,
    ) -> Dict[str, Any]:
        rule = {'route': route, 'kind': kind, 'method': method, 'seconds': seconds, 'status': status}
        for key, value in (
            ('times', times),
            ('probability', probability),
            ('body', body),
            ('content_type', content_type),
        ):
            if value is not None:
                rule[key] = value
        return self._call('POST', 'faults', rule)['added'][0]

    def faults(self) -> Dict[str, Any]:
        return self._call('GET', 'faults')

    def clear_faults(self) -> int:
        return self._call('DELETE', 'faults')['removed']

    def restart(self, down_for: float) -> Dict[str, Any]:
        return self._call('POST', 'restart', {'down_for': down_for})

    def counters(self) -> Dict[str, Any]:
        return self.state()['counters']

    def received(self, route: str) -> int:
        """How many requests a route ('POST /iserver/account/{accountId}/orders') received."""
        return self.counters()['by_route'].get(route, {}).get('count', 0)

    def routes(self) -> List[str]:
        return self._call('GET', 'routes')['routes']

    def close(self) -> None:
        self._session.close()
