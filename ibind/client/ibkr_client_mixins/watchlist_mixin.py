"""WatchlistMixin: the watchlist category of the IBKR Client Portal Web API.

Watchlists are stored with the username and shown in TWS and Client Portal as well. A watchlist is
identified by a number the caller chooses, and its rows are contracts (``{'C': conid}``) or blank
separator rows (``{'H': ''}``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ibind.base.rest_client import Result
from ibind.support.arguments import printable

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

USER_WATCHLIST = 'USER_WATCHLIST'


class WatchlistMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#watchlists"""

    def create_watchlist(self, id: str, name: str, rows: List[Dict[str, Union[str, int]]]) -> Result:
        """Create (or replace) the watchlist ``id`` with the given rows, for every IBKR platform.

        Arguments:
            id: the watchlist's identifier, a number you choose (``'1234'`` or ``1234``).
            name: the name shown in TWS and Client Portal.
            rows: one dict per row, in order: ``{'C': conid}`` for a contract, ``{'H': ''}`` for a blank row.

        The answer's ``instruments`` is always empty; ``get_watchlist_information`` lists the contracts.
        """
        body = {'id': _watchlist_id(id), 'name': _watchlist_name(name), 'rows': _watchlist_rows(rows)}
        return self.post('iserver/watchlist', json=body)

    def get_all_watchlists(self, sc: Optional[str] = USER_WATCHLIST) -> Result:
        """The watchlists of this username (``data.user_lists``).

        ``sc='USER_WATCHLIST'`` (the default, and the only scope IBKR documents) lists only the
        user-created watchlists; ``sc=None`` sends no scope, and IBKR's own lists (``system_lists``)
        may be included.
        """
        if sc is not None and sc != USER_WATCHLIST:
            raise ValueError(f"'sc' must be {USER_WATCHLIST!r} (the only documented scope) or None, got {sc!r}")
        return self.get('iserver/watchlists', params={'SC': sc})

    def get_watchlist_information(self, id: str) -> Result:
        """The contracts of one watchlist (``instruments``).

        IBKR documents that the first request for a watchlist may list only ``C``, ``conid`` and
        ``name`` per contract; later requests add the other details (ticker, asset class, ...).
        """
        return self.get('iserver/watchlist', params={'id': _watchlist_id(id)})

    def delete_watchlist(self, id: str) -> Result:
        """Delete a watchlist permanently, on every platform (``{"data": {"deleted": id}, ...}``)."""
        return self.delete('iserver/watchlist', params={'id': _watchlist_id(id)})


def _watchlist_id(value: Any) -> str:
    """A watchlist id is a number: an int >= 0 or a str of digits, sent as a str."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"'id' must be a watchlist number as a str or int (e.g. '1234'), got {type(value).__name__}")
    text = str(value).strip()
    if not text.isdecimal() or not text.isascii():
        raise ValueError(f"'id' must be a watchlist number of digits 0-9 (e.g. '1234'), got {value!r}")
    return text


def _watchlist_name(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"'name' must be a str (the watchlist's display name), got {type(value).__name__}")
    if not value.strip():
        raise ValueError("'name' is required: expected the watchlist's display name, e.g. 'Tech stocks'")
    return printable('name', value, "the watchlist's display name, e.g. 'Tech stocks'")


def _watchlist_rows(rows: Any) -> List[Dict[str, Union[str, int]]]:
    """Rows as IBKR documents them: ``{'C': <conid int>}`` or ``{'H': ''}``; numeric str conids become ints."""
    expected = "a list of rows, each {'C': <conid>} or {'H': ''}, e.g. [{'C': 265598}, {'H': ''}, {'C': 8314}]"
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, (list, tuple)):
        raise TypeError(f"'rows' must be {expected}, got {type(rows).__name__}")
    checked: List[Dict[str, Union[str, int]]] = []
    for position, row in enumerate(rows):
        if not isinstance(row, dict) or len(row) != 1 or not set(row) <= {'C', 'H'}:
            raise ValueError(f"'rows'[{position}] must be {{'C': <conid>}} or {{'H': ''}}, got {row!r}")
        if 'H' in row:
            if not isinstance(row['H'], str):
                raise ValueError(f"'rows'[{position}]['H'] must be a str (usually ''), got {row['H']!r}")
            checked.append({'H': row['H']})
            continue
        conid = row['C']
        if isinstance(conid, str) and conid.strip().isdecimal() and conid.strip().isascii():
            conid = int(conid.strip())
        if isinstance(conid, bool) or not isinstance(conid, int) or conid <= 0:
            raise ValueError(
                f"'rows'[{position}]['C'] must be a positive conid (int or str of digits), got {row['C']!r}"
            )
        checked.append({'C': conid})
    return checked
