"""The ``Middleware`` interface: a layer the gateway runs around every API request.

The cross-cutting layers (``ibind.sim.faults``, ``ibind.sim.oauth``, ``ibind.sim.pacing``) implement it;
the gateway composes them. It lives apart from the gateway so that the layers need not import the
gateway (nor the gateway them, beyond composing them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional

from ibind.sim.transport.http import SimRequest, SimResponse
from ibind.sim.transport.router import Route

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway


class Middleware:
    """A step around every API request: ``before`` may answer instead of the handler; ``after`` may change the answer."""

    def before(self, gateway: Gateway, request: SimRequest, route: Route) -> Optional[SimResponse]:
        return None

    def after(self, gateway: Gateway, request: SimRequest, route: Route, response: SimResponse) -> SimResponse:
        return response

    def reset(self, gateway: Gateway) -> None:
        """Called when the simulator state is reset."""

    def describe(self) -> Dict[str, Any]:
        return {}
