"""Simulated gateway routes: watchlists (create, list all, read one, delete).

POST   /iserver/watchlist            {"id": "1234", "name": "...", "rows": [{"C": 8314}, {"H": ""}]}
GET    /iserver/watchlists?SC=USER_WATCHLIST
GET    /iserver/watchlist?id=1234     (also ?SC=USER_WATCHLIST, the spelling of the doc's Python example)
DELETE /iserver/watchlist?id=1234

State lives in ``gw.watchlists`` (ibind.sim.watchlist.state); see docs/simulator/watchlist.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List

from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable
from ibind.sim.watchlist.state import Row

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()

USER_WATCHLIST = 'USER_WATCHLIST'


def _list_id(value: Any) -> str:
    """A watchlist id: digits 0-9 only, as a JSON string (an int is accepted too)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ApiError(400, 'Bad Request: id must be a number (digits 0-9), e.g. "1234"')
    text = str(value).strip()
    if not (text.isdecimal() and text.isascii()):
        raise ApiError(400, f'Bad Request: id must be a number (digits 0-9), got {value!r}')
    return text


def _rows(gw: Gateway, rows: Any) -> List[Row]:
    if not isinstance(rows, list):
        raise ApiError(400, 'Bad Request: rows must be an array of {"C": conid} or {"H": ""} objects')
    parsed: List[Row] = []
    for position, row in enumerate(rows):
        if not isinstance(row, dict) or len(row) != 1 or not set(row) <= {'C', 'H'}:
            raise ApiError(400, f'Bad Request: rows[{position}] must be {{"C": conid}} or {{"H": ""}}')
        if 'H' in row:
            if not isinstance(row['H'], str):
                raise ApiError(400, f'Bad Request: rows[{position}].H must be a string')
            parsed.append(('H', row['H']))
            continue
        conid = row['C']
        if isinstance(conid, bool) or not isinstance(conid, (int, str)) or not str(conid).strip().isdecimal():
            raise ApiError(400, f'Bad Request: rows[{position}].C must be a conid, got {conid!r}')
        parsed.append(('C', gw.universe.get(int(str(conid).strip())).conid))
    return parsed


@routes.post('/iserver/watchlist')
def create_watchlist(gw: Gateway, req: SimRequest) -> Any:
    list_id, name, rows = req.require_body('id', 'name', 'rows')
    list_id = _list_id(list_id)
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, 'Bad Request: name must be a non-empty string')
    watchlist = gw.watchlists.save(list_id, name, _rows(gw, rows))
    return {'id': watchlist.id, 'hash': watchlist.hash, 'name': watchlist.name, 'readOnly': False, 'instruments': []}


def _all_watchlists(gw: Gateway, req: SimRequest) -> Any:
    scope = req.query.get('SC')
    if scope not in (None, '', USER_WATCHLIST):
        raise ApiError(400, f'Bad Request: SC must be {USER_WATCHLIST}, got {scope!r}')
    data = {
        'scanners_only': False,
        'show_scanners': False,
        'bulk_delete': False,
        'user_lists': gw.watchlists.user_lists(),
    }
    if not scope:
        data['system_lists'] = []  # the simulator has no IB-created watchlists
    return {'data': data, 'action': 'content', 'MID': gw.watchlists.next_mid()}


routes.get('/iserver/watchlists')(_all_watchlists)


@routes.get('/iserver/watchlist')
def get_watchlist(gw: Gateway, req: SimRequest) -> Any:
    if not req.query.get('id') and req.query.get('SC') is not None:
        return _all_watchlists(gw, req)  # the doc's Python example lists all watchlists on this path
    (list_id,) = req.require_query('id')
    watchlist = gw.watchlists.get(_list_id(list_id))
    partial = gw.config.watchlist_partial_first and not watchlist.served_once
    watchlist.served_once = True
    return gw.watchlists.contents(watchlist, partial=partial)


@routes.delete('/iserver/watchlist')
def delete_watchlist(gw: Gateway, req: SimRequest) -> Any:
    (list_id,) = req.require_query('id')
    watchlist = gw.watchlists.delete(_list_id(list_id))
    return {'data': {'deleted': watchlist.id}, 'action': 'context', 'MID': gw.watchlists.next_mid()}
