"""Route tables: path templates like ``/iserver/account/{accountId}/orders`` mapped to handlers.

Each category module owns a ``RouteTable`` and registers its handlers with the session level they
need: ``'none'`` (no session at all: OAuth handshake, control API), ``'readonly'`` (a logged-in
session: portfolio, trsrv, session endpoints) or ``'brokerage'`` (an open brokerage session: every
other ``/iserver`` endpoint).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Iterable, List, Optional, Tuple

SESSION_LEVELS = ('none', 'readonly', 'brokerage')
_PARAM = re.compile(r'\{(\w+)\}')


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Callable
    session: str
    pattern: re.Pattern[str]

    @property
    def name(self) -> str:
        return f'{self.method} {self.template}'


def _compile(template: str) -> re.Pattern[str]:
    parts = []
    position = 0
    for match in _PARAM.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        parts.append(f'(?P<{match.group(1)}>[^/]+)')
        position = match.end()
    parts.append(re.escape(template[position:]))
    return re.compile('^' + ''.join(parts) + '/?$')


class RouteTable:
    """The routes of one category, declared with decorators."""

    def __init__(self) -> None:
        self.routes: List[Route] = []

    def route(self, method: str, template: str, session: str = 'brokerage') -> Callable:
        if session not in SESSION_LEVELS:
            raise ValueError(f'session must be one of {SESSION_LEVELS}, got {session!r}')

        def decorator(handler: Callable) -> Callable:
            self.routes.append(Route(method.upper(), template, handler, session, _compile(template)))
            return handler

        return decorator

    def get(self, template: str, session: str = 'brokerage') -> Callable:
        return self.route('GET', template, session)

    def post(self, template: str, session: str = 'brokerage') -> Callable:
        return self.route('POST', template, session)

    def put(self, template: str, session: str = 'brokerage') -> Callable:
        return self.route('PUT', template, session)

    def delete(self, template: str, session: str = 'brokerage') -> Callable:
        return self.route('DELETE', template, session)


class Router:
    """All routes; literal templates are matched before templated ones so ``/orders/whatif`` wins over ``{x}``."""

    def __init__(self, tables: Iterable[RouteTable]):
        routes = [route for table in tables for route in table.routes]
        seen: Dict[str, Route] = {}
        for route in routes:
            if route.name in seen:
                raise ValueError(f'route registered twice: {route.name}')
            seen[route.name] = route
        # fewer parameters first: a literal segment beats a placeholder
        self.routes = sorted(routes, key=lambda r: (len(_PARAM.findall(r.template)), -len(r.template)))
        self._exact: Dict[Tuple[str, str], Route] = {
            (r.method, r.template): r for r in self.routes if not _PARAM.search(r.template)
        }

    def match(self, method: str, path: str) -> Tuple[Optional[Route], Dict[str, str], bool]:
        """(route, path params, path_exists_with_other_method)."""
        normalized = path.rstrip('/') or '/'
        exact = self._exact.get((method, normalized))
        if exact is not None:
            return exact, {}, True
        other_method = False
        for route in self.routes:
            found = route.pattern.match(path)
            if found:
                if route.method == method:
                    return route, found.groupdict(), True
                other_method = True
        return None, {}, other_method

    def allowed_methods(self, path: str) -> List[str]:
        """The methods some route answers on ``path`` (HEAD wherever GET is): the ``Allow`` header of a 405."""
        methods = {route.method for route in self.routes if route.pattern.match(path)}
        if 'GET' in methods:
            methods.add('HEAD')
        return sorted(methods)

    def templates(self) -> List[str]:
        return sorted({route.name for route in self.routes})
