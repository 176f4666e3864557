"""IbkrClientHost: what the category mixins may rely on from the IbkrClient they are mixed into.

Every mixin calls ``self.get/post/put/delete``, ``self._account`` and a few other mixins' methods, none of
which it defines. This Protocol declares exactly those members, with the real signatures of RestClient and
IbkrClient, so that the type checker can check every mixin on its own. It is the mixins' base for the type
checker only::

    if TYPE_CHECKING:
        from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    else:
        IbkrClientHost = object

At run time the mixins derive from ``object``: the stub methods below never sit in IbkrClient's MRO, so they
can never shadow the real ones. Because IbkrClient derives (for the type checker) from every mixin and so from
this Protocol, mypy also checks that each member declared here exists in IbkrClient with a compatible
signature: the host cannot drift from the client.

Nothing here runs at import time of ``ibind``: the module is only imported under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any, Callable, Dict, Optional, Protocol, Type

from ibind.base.rest_client import Result
from ibind.client.pending_orders import PendingOrders
from ibind.client.stock_query import StockQueries
from ibind.oauth.oauth1a import OAuth1aConfig
from ibind.support.errors import ExternalBrokerError


class IbkrClientHost(Protocol):
    """The members of IbkrClient (RestClient and the other mixins) that the category mixins use."""

    # ----------------------------------------------------------------- RestClient

    base_url: str
    _sleep: Callable[[float], None]

    @property
    def closed(self) -> bool: ...

    def close(self) -> None: ...

    def get(self, path: str, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result: ...

    def post(self, path: str, json: Any = None, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result: ...

    def put(self, path: str, json: Any = None, params: Optional[Dict[str, Any]] = None, **options: Any) -> Result: ...

    def delete(
        self, path: str, params: Optional[Dict[str, Any]] = None, json: Any = None, **options: Any
    ) -> Result: ...

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Dict[str, Any]] = None,
        json: Any = None,
        retry_safe: Optional[bool] = None,
        error_class: Type[ExternalBrokerError] = ExternalBrokerError,
        timeout: Optional[float] = None,
        headers: Optional[Dict[str, str]] = None,
        expect_json: Optional[bool] = None,
        retries: Optional[int] = None,
    ) -> Result: ...

    # ----------------------------------------------------------------- IbkrClient

    account_id: Optional[str]
    use_oauth: bool
    oauth_config: Optional[OAuth1aConfig]
    order_reconcile_timeout: float
    _order_flow_lock: threading.RLock
    _coid_sequence: itertools.count[int]
    _pending_orders: PendingOrders

    def _account(self, account_id: Optional[str], argument: str = 'account_id') -> str: ...

    # ----------------------------------------------------------------- other mixins' methods

    def receive_brokerage_accounts(self) -> Result: ...  # AccountsMixin

    def stock_conid_by_symbol(
        self, queries: StockQueries, default_filtering: bool = True, return_type: str = 'dict'
    ) -> Result: ...  # ContractMixin

    def authentication_status(self) -> Result: ...  # SessionMixin

    def initialize_brokerage_session(self, compete: bool = True) -> Result: ...  # SessionMixin

    def logout(self) -> Result: ...  # SessionMixin
