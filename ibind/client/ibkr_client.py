"""IbkrClient: the IBKR Client Portal Web API as Python methods, one mixin per documentation category.

The client owns what is shared by every category: the base URL, the default account, the order
question/reply lock, and (with OAuth) the signer. Mixins build paths, queries and bodies and call
``self.get/post/put/delete``; they never touch the HTTP layer themselves.
"""

from __future__ import annotations

import itertools
import os
import threading
from typing import Any, Optional, Union

from ibind import var
from ibind.base.pacing import NoPacing, Pacer
from ibind.base.rest_client import RestClient
from ibind.client.ibkr_client_mixins.accounts_mixin import AccountsMixin
from ibind.client.ibkr_client_mixins.contract_mixin import ContractMixin
from ibind.client.ibkr_client_mixins.marketdata_mixin import MarketdataMixin
from ibind.client.ibkr_client_mixins.order_mixin import OrderMixin
from ibind.client.ibkr_client_mixins.portfolio_mixin import PortfolioMixin
from ibind.client.ibkr_client_mixins.scanner_mixin import ScannerMixin
from ibind.client.ibkr_client_mixins.session_mixin import SessionMixin
from ibind.client.ibkr_client_mixins.watchlist_mixin import WatchlistMixin
from ibind.client.session_lifecycle import SessionLifecycleMixin
from ibind.support.logs import project_logger

_LOGGER = project_logger('ibind.client')


class IbkrClient(SessionLifecycleMixin, RestClient, AccountsMixin, ContractMixin, MarketdataMixin, OrderMixin, PortfolioMixin,
                 ScannerMixin, SessionMixin, WatchlistMixin):
    """A client for the IBKR REST API (gateway or OAuth 1.0a), extending RestClient with every endpoint.

    See https://interactivebrokers.github.io/cpwebapi/endpoints. Arguments follow the API reference:
    ``url`` wins over ``host``/``port``/``base_route``; every default comes from the matching IBIND_*
    variable (or ``.env``), so ``IbkrClient()`` with no arguments is configured by the environment.
    """

    expects_json = True  # every endpoint of the Client Portal Web API answers JSON: anything else is a BadResponseError

    def __init__(
        self,
        account_id: Optional[str] = var.IBIND_ACCOUNT_ID,
        url: str = var.IBIND_REST_URL,
        host: str = 'localhost',
        port: str = '5000',
        base_route: str = '/v1/api/',
        cacert: Union[str, os.PathLike, bool] = var.IBIND_CACERT,
        timeout: float = var.IBIND_TIMEOUT,
        max_retries: int = var.IBIND_MAX_RETRIES,
        use_oauth: bool = var.IBIND_USE_OAUTH,
        oauth_config: Any = None,
        **options: Any,
    ) -> None:
        if account_id is not None and (not isinstance(account_id, str) or not account_id.strip()):
            raise ValueError(f"'account_id' must be a non-empty str like 'DU1234567' or None, got {account_id!r}")
        self.account_id = account_id.strip() if account_id else None
        self.use_oauth = bool(use_oauth)
        self._order_flow_lock = threading.RLock()  # one question/reply sequence at a time per client
        self._coid_sequence = itertools.count(1)  # numbers the cOIDs this client gives orders
        if self.use_oauth:
            from ibind.oauth.oauth1a import OAuth1aConfig

            self.oauth_config = oauth_config if oauth_config is not None else OAuth1aConfig()
            self.oauth_config.verify_config()  # everything missing is reported before anything is sent
            url = self.oauth_config.oauth_rest_url or url
            options['verify_always'] = True  # OAuth is always TLS-verified (against cacert when one is given)
        else:
            self.oauth_config = oauth_config
        if url is None:
            url = f'https://{host}:{port}{base_route if base_route.startswith("/") else "/" + base_route}'
        auto_recover = options.pop('auto_recover', var.IBIND_AUTO_RECOVER)
        self.order_reconcile_timeout = float(options.pop('order_reconcile_timeout', var.IBIND_ORDER_RECONCILE_TIMEOUT))
        options['pacer'] = self._make_pacer(options.pop('pacing', var.IBIND_PACING), options.get('pacer'))
        super().__init__(url=url, cacert=cacert, timeout=timeout, max_retries=max_retries, **options)
        self._init_lifecycle(auto_recover=auto_recover)
        if self.use_oauth and self.oauth_config.init_oauth:
            self.oauth_init(maintain_oauth=self.oauth_config.maintain_oauth,
                            shutdown_oauth=self.oauth_config.shutdown_oauth,
                            init_brokerage_session=self.oauth_config.init_brokerage_session)

    def _make_pacer(self, pacing: Any, pacer: Any) -> Any:
        """pacing=True paces to IBKR's limits (10 req/s gateway, 50 OAuth); False/None sends at once; a Pacer is used as is."""
        if pacer is not None:
            return pacer
        if pacing is True:
            rate = var.IBIND_PACING_OAUTH_RATE if self.use_oauth else var.IBIND_PACING_GATEWAY_RATE
            return Pacer(global_rate=rate, max_wait=var.IBIND_PACING_MAX_WAIT)
        if pacing is False or pacing is None:
            return NoPacing()
        if hasattr(pacing, 'slot') and hasattr(pacing, 'penalize'):
            return pacing
        raise TypeError(f"'pacing' must be True, False or a Pacer, got {type(pacing).__name__}")

    def _account(self, account_id: Optional[str], argument: str = 'account_id') -> str:
        """The account to act on: the argument, else the client's; an error before anything is sent if neither."""
        if account_id is None:
            account_id = self.account_id
        if account_id is None:
            raise ValueError(f"{argument!r} is required: pass it, or create the client with "
                             "IbkrClient(account_id='DU1234567') or set IBIND_ACCOUNT_ID")
        if not isinstance(account_id, str) or not account_id.strip():
            raise ValueError(f'{argument!r} must be a non-empty str like \'DU1234567\', got {account_id!r}')
        return account_id.strip()

    def __repr__(self) -> str:
        mode = 'oauth' if self.use_oauth else 'gateway'
        return f'IbkrClient(url={self.base_url!r}, account_id={self.account_id!r}, mode={mode!r})'
