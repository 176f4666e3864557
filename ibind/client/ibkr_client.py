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
from ibind.client.ibkr_client_mixins.alerts_mixin import AlertsMixin  # [fullapi]
from ibind.client.ibkr_client_mixins.api_additions_mixin import ApiAdditionsMixin  # [fullapi]
from ibind.client.ibkr_client_mixins.contract_mixin import ContractMixin
from ibind.client.ibkr_client_mixins.event_contracts_mixin import EventContractsMixin  # [fullapi]
from ibind.client.ibkr_client_mixins.fa_mixin import FaMixin  # [fullapi]
from ibind.client.ibkr_client_mixins.fyi_mixin import FyiMixin  # [fullapi]
from ibind.client.ibkr_client_mixins.marketdata_mixin import MarketdataMixin
from ibind.client.ibkr_client_mixins.order_mixin import OrderMixin
from ibind.client.ibkr_client_mixins.portfolio_mixin import PortfolioMixin
from ibind.client.ibkr_client_mixins.scanner_mixin import ScannerMixin
from ibind.client.ibkr_client_mixins.session_mixin import SessionMixin
from ibind.client.ibkr_client_mixins.watchlist_mixin import WatchlistMixin
from ibind.client.pending_orders import PendingOrders
from ibind.client.session_lifecycle import SessionLifecycleMixin
from ibind.support.arguments import identifier, is_digits
from ibind.support.logs import project_logger
from ibind.support.py_utils import LazyPattern

_LOGGER = project_logger('ibind.client')


class IbkrClient(
    SessionLifecycleMixin,
    RestClient,
    AccountsMixin,
    ContractMixin,
    MarketdataMixin,
    OrderMixin,
    PortfolioMixin,
    ScannerMixin,
    SessionMixin,
    WatchlistMixin,
    AlertsMixin,
    FyiMixin,
    FaMixin,
    EventContractsMixin,
    ApiAdditionsMixin,
):  # [fullapi]
    """A client for the IBKR REST API (gateway or OAuth 1.0a), extending RestClient with every endpoint.

    See https://interactivebrokers.github.io/cpwebapi/endpoints. Arguments follow the API reference:
    ``url`` wins over ``host``/``port``/``base_route``; every default comes from the matching IBIND_*
    variable (or ``.env``), so ``IbkrClient()`` with no arguments is configured by the environment.

    Besides RestClient's keyword options: ``auto_recover``, ``order_reconcile_timeout``, ``pacing`` and
    ``pending_orders_file`` (``IBIND_PENDING_ORDERS_FILE``), a journal in which order requests whose outcome
    is not known outlive the program (see ``pending_orders()``).
    """

    expects_json = True  # every endpoint of the Client Portal Web API answers JSON: anything else is a BadResponseError

    @var.from_environment(
        account_id='IBIND_ACCOUNT_ID',
        url='IBIND_REST_URL',
        cacert='IBIND_CACERT',
        timeout='IBIND_TIMEOUT',
        max_retries='IBIND_MAX_RETRIES',
        use_oauth='IBIND_USE_OAUTH',
    )
    def __init__(
        self,
        account_id: Optional[str] = var.IBIND_ACCOUNT_ID,
        url: Optional[str] = var.IBIND_REST_URL,
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
        if account_id is not None:
            account_id = identifier(
                'account_id', account_id, "an account id like 'DU1234567' (or None)", allow_int=False
            )
        self.account_id = account_id
        if not isinstance(use_oauth, bool):
            raise TypeError(f"'use_oauth' must be True or False, got {type(use_oauth).__name__} {use_oauth!r}")
        self.use_oauth = use_oauth
        _check_oauth_config(oauth_config)
        _check_gateway_address(host, port, base_route)
        self._order_flow_lock = threading.RLock()  # one question/reply sequence at a time per client
        self._coid_sequence = itertools.count(1)  # numbers the cOIDs this client gives orders
        # order requests whose outcome is not known yet; in a journal file that outlives the program, if named
        self._pending_orders = PendingOrders(
            _journal_path(options.pop('pending_orders_file', var.IBIND_PENDING_ORDERS_FILE))
        )
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
            self.oauth_init(
                maintain_oauth=self.oauth_config.maintain_oauth,
                shutdown_oauth=self.oauth_config.shutdown_oauth,
                init_brokerage_session=self.oauth_config.init_brokerage_session,
            )

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
            raise ValueError(
                f'{argument!r} is required: pass it, or create the client with '
                "IbkrClient(account_id='DU1234567') or set IBIND_ACCOUNT_ID"
            )
        if not isinstance(account_id, str):
            raise ValueError(f"{argument!r} must be a non-empty str like 'DU1234567', got {account_id!r}")
        return identifier(argument, account_id, "an account id like 'DU1234567'", allow_int=False)

    def websocket(self, **options: Any) -> Any:
        """An IbkrWsClient on this client's session (cookie, OAuth token, TLS, recovery); see docs/websocket.md."""
        from ibind.client.ibkr_ws_client import IbkrWsClient

        return IbkrWsClient(ibkr_client=self, **options)

    def __repr__(self) -> str:
        mode = 'oauth' if self.use_oauth else 'gateway'
        return f'IbkrClient(url={self.base_url!r}, account_id={self.account_id!r}, mode={mode!r})'


_HOST = LazyPattern(r'[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]')


def _check_gateway_address(host: Any, port: Any, base_route: Any) -> None:
    """host, port and base_route make the URL when no ``url`` is given: each must fit in one."""
    if not isinstance(host, str) or not _HOST.fullmatch(host):
        raise (ValueError if isinstance(host, str) else TypeError)(
            f"'host' must be a host name or IP address like 'localhost' or '127.0.0.1', got {host!r}"
        )
    text = str(port) if isinstance(port, (str, int)) and not isinstance(port, bool) else None
    if text is None or not is_digits(text) or not 0 < int(text) < 65536:
        raise (ValueError if text is not None else TypeError)(
            f"'port' must be a port number from 1 to 65535 like 5000 or '5000', got {port!r}"
        )
    if not isinstance(base_route, str):
        raise TypeError(f"'base_route' must be a str like '/v1/api/', got {type(base_route).__name__}")
    if not base_route.isprintable() or any(char in base_route for char in ' ?#'):
        raise ValueError(f"'base_route' must be a URL path like '/v1/api/', got {base_route!r}")


def _check_oauth_config(oauth_config: Any) -> None:
    if oauth_config is None:
        return
    from ibind.oauth.oauth1a import OAuth1aConfig

    if not isinstance(oauth_config, OAuth1aConfig):
        raise TypeError(f"'oauth_config' must be an OAuth1aConfig or None, got {type(oauth_config).__name__}")


def _journal_path(path: Any) -> Optional[str]:
    """``pending_orders_file`` checked where a mistake shows at once, not at the first order."""
    if path is None or path == '':
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"'pending_orders_file' must be a file path or None, got {type(path).__name__} {path!r}")
    full = os.path.abspath(os.fspath(path))
    if os.path.isdir(full):
        raise ValueError(f"'pending_orders_file' must name a file, not the directory {full!r}")
    if not os.path.isdir(os.path.dirname(full)):
        raise ValueError(f"'pending_orders_file' {full!r}: its directory does not exist")
    return full
