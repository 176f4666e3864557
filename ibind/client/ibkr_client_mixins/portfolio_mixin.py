"""PortfolioMixin: the portfolio and PortfolioAnalyst categories of the IBKR Client Portal Web API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.support.arguments import choice_arg, conid_arg, identifier, optional_text, text_arg, whole_arg
from ibind.support.errors import BadResponseError
from ibind.support.py_utils import LazyModule, LazyPattern, OneOrMany, ensure_list_arg

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
    from ibind.support import progress as progress_bars
    from ibind.support.progress import ProgressOption
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient
    progress_bars = LazyModule('ibind.support.progress')  # loaded by the first call that shows progress

POSITION_PERIODS = ('1D', '7D', '1W', '1M')
"""Periods of the positions' PnL column: 1D, 7D and 1M are documented; IBKR's own example sends 1W."""

PERFORMANCE_PERIODS = ('1D', '7D', 'MTD', '1M', '3M', '6M', '12M', 'YTD', '1Y')
"""Periods of /pa/performance: the Client Portal docs list 1D, 7D, MTD, 1M, YTD, 1Y; IBKR's OpenAPI adds 3M, 6M, 12M."""

SORT_DIRECTIONS = ('a', 'd')
POSITIONS_PAGE_SIZE = 100
"""Positions per page of /portfolio/{accountId}/positions/{pageId}: a shorter page is the last one."""
_CURRENCY = LazyPattern(r'^[A-Za-z]{3}$')


def _account_list(name: str, values: Iterable[Any]) -> List[str]:
    return [identifier(name, value, "account ids like 'DU1234567'", allow_int=False) for value in values]


class PortfolioMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#portfolio and #pa

    Positions, balances and allocation of the accounts (these work on a read-only session, without a
    brokerage session), and PortfolioAnalyst performance and transaction history.

    IBKR requires ``portfolio_accounts()`` (or ``portfolio_subaccounts()`` in tiered structures) before
    the other /portfolio endpoints of a session.
    """

    # ----------------------------------------------------------------- accounts

    def portfolio_accounts(self) -> Result:
        """The accounts whose positions and balances this login may view (non-tiered structures).

        Call it once per session before the other /portfolio methods. For the accounts you may trade
        see ``receive_brokerage_accounts``; for FA/IBroker sub-accounts see ``portfolio_subaccounts``.
        """
        return self.get('portfolio/accounts')

    def portfolio_subaccounts(self) -> Result:
        """Up to 100 sub-accounts of a tiered structure (Financial Advisor, IBroker) this login may view.

        Call it before the other /portfolio methods for those sub-accounts; with more than 100 use
        ``large_portfolio_subaccounts``.
        """
        return self.get('portfolio/subaccounts')

    def large_portfolio_subaccounts(self, page: int = 0) -> Result:
        """Sub-accounts of a large tiered structure, 20 per page.

        Arguments:
            page: the page to return, from 0.
        """
        return self.get('portfolio/subaccounts2', params={'page': whole_arg('page', page, 0)})

    def portfolio_account_information(self, account_id: Optional[str] = None) -> Result:
        """Descriptive information of one account: title, alias, base currency, type, status.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
        """
        account_id = self._account(account_id)
        return self.get(f'portfolio/{path_segment("account_id", account_id)}/meta')

    def portfolio_account_allocation(self, account_id: Optional[str] = None) -> Result:
        """How an account's value splits by asset class, sector and industry group, long and short.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
        """
        account_id = self._account(account_id)
        return self.get(f'portfolio/{path_segment("account_id", account_id)}/allocation')

    @ensure_list_arg('account_ids')
    def portfolio_account_allocations(self, account_ids: OneOrMany[str]) -> Result:
        """The allocation of several accounts, consolidated into one view.

        Arguments:
            account_ids: one account id or a list of them.
        """
        if account_ids is None:
            raise ValueError("'account_ids' is required: expected one account id or a list of them")
        body = {'acctIds': _account_list('account_ids', account_ids)}
        return self.post('portfolio/allocation', json=body, retry_safe=True)

    # ----------------------------------------------------------------- positions

    def positions(
        self,
        account_id: Optional[str] = None,
        page: int = 0,
        model: Optional[str] = None,
        sort: Optional[str] = None,
        direction: Optional[str] = None,
        period: Optional[str] = None,
    ) -> Result:
        """One page (up to 100) of an account's positions, with market value and PnL.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
            page: the page of positions, from 0.
            model: code of a model portfolio to compare against.
            sort: the column to sort by, e.g. ``'position'`` or ``'mktValue'``.
            direction: ``'a'`` ascending or ``'d'`` descending.
            period: period of the PnL column: ``'1D'``, ``'7D'``, ``'1W'`` or ``'1M'``.

        IBKR caches this view: it shows the positions as of the first call or the last
        ``invalidate_backend_portfolio_cache``. ``positions2`` is near real time.
        """
        account_id = self._account(account_id)
        page = whole_arg('page', page, 0)
        params = {
            'model': optional_text('model', model, 'a model portfolio code'),
            'sort': optional_text('sort', sort, "a column name like 'position'"),
            'direction': None if direction is None else choice_arg('direction', direction, SORT_DIRECTIONS),
            'period': None if period is None else choice_arg('period', period, POSITION_PERIODS),
        }
        return self.get(f'portfolio/{path_segment("account_id", account_id)}/positions/{page}', params=params)

    def all_positions(
        self,
        account_id: Optional[str] = None,
        model: Optional[str] = None,
        sort: Optional[str] = None,
        direction: Optional[str] = None,
        period: Optional[str] = None,
        progress: ProgressOption = None,
        max_pages: int = 1000,
    ) -> Result:
        """Every page of ``positions`` in one list: pages 0, 1, 2, ... until a page has fewer than 100.

        Arguments are those of ``positions``, plus ``progress`` (True for a bar, needs ``ibind[progress]``;
        or a callable ``progress(page, result, done, None)`` called after each page) and ``max_pages``, a
        bound that stops a gateway that keeps answering full pages. Returns a Result whose ``data`` is the
        list of every position and whose ``request`` is the last page's.
        """
        max_pages = whole_arg('max_pages', max_pages, 1)
        progress_bars.check_progress(progress)
        positions: List[Any] = []
        result = Result(data=[])
        with progress_bars.Progress(progress, None, 'positions', unit='page') as tracker:
            for page in range(max_pages):
                result = tracker.call(page, self.positions, account_id, page, model, sort, direction, period)
                rows = result.data
                if not isinstance(rows, list):
                    raise BadResponseError(f'positions page {page} is not a list', body=rows)
                positions.extend(rows)
                if len(rows) < POSITIONS_PAGE_SIZE:
                    break
                tracker.raise_if_cancelled()
        return result.copy(data=positions)

    def positions2(
        self,
        account_id: Optional[str] = None,
        model: Optional[str] = None,
        sort: Optional[str] = None,
        direction: Optional[str] = None,
    ) -> Result:
        """An account's positions in near real time (no cache), all at once.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
            model: code of a model portfolio to compare against.
            sort: the column to sort by, e.g. ``'position'`` or ``'marketValue'``.
            direction: ``'a'`` ascending or ``'d'`` descending.

        Note the documented differences to ``positions``: ``conid`` is a string and the price and
        value keys are ``marketPrice``/``marketValue``.
        """
        account_id = self._account(account_id)
        params = {
            'model': optional_text('model', model, 'a model portfolio code'),
            'sort': optional_text('sort', sort, "a column name like 'position'"),
            'direction': None if direction is None else choice_arg('direction', direction, SORT_DIRECTIONS),
        }
        return self.get(f'portfolio2/{path_segment("account_id", account_id)}/positions', params=params)

    def positions_by_conid(self, account_id: Optional[str], conid: str) -> Result:
        """An account's position in one contract (a list: empty when there is none).

        Arguments:
            account_id: the account (the client's ``account_id`` when None).
            conid: the contract id.

        IBKR's first answer for a contract carries only the position; later ones add the contract's
        details and rules (name, exchanges, increments, ...).
        """
        account = self._account(account_id)
        number = int(conid_arg('conid', conid))
        return self.get(f'portfolio/{path_segment("account_id", account)}/position/{number}')

    def invalidate_backend_portfolio_cache(self, account_id: Optional[str] = None) -> Result:
        """Drop IBKR's cached positions of an account; the answer is the fresh first page of ``positions``.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
        """
        account_id = self._account(account_id)
        return self.post(
            f'portfolio/{path_segment("account_id", account_id)}/positions/invalidate', json={}, retry_safe=True
        )

    def position_and_contract_info(self, conid: str) -> Result:
        """Positions in one contract across all accounts of this login.

        Arguments:
            conid: the contract id.
        """
        number = int(conid_arg('conid', conid))
        return self.get(f'portfolio/positions/{number}')

    # ----------------------------------------------------------------- balances

    def portfolio_summary(self, account_id: Optional[str] = None) -> Result:
        """Balances and margin of an account: net liquidation, cash, available funds, margin requirements.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.

        Each key maps to ``{amount, currency, isNull, timestamp, value, severity}``; most keys also come
        with a ``-c`` (commodities segment) and ``-s`` (securities segment) variant.
        """
        account_id = self._account(account_id)
        return self.get(f'portfolio/{path_segment("account_id", account_id)}/summary')

    def get_ledger(self, account_id: Optional[str] = None) -> Result:
        """Cash balances, market values and PnL of an account by currency, and in total under ``'BASE'``.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
        """
        account_id = self._account(account_id)
        return self.get(f'portfolio/{path_segment("account_id", account_id)}/ledger')

    # ----------------------------------------------------------------- PortfolioAnalyst

    @ensure_list_arg('account_ids')
    def account_performance(self, account_ids: OneOrMany[str], period: str) -> Result:
        """Performance (mark-to-market) of accounts over a period: NAV, cumulative and monthly returns.

        Arguments:
            account_ids: one account id or a list of them; several are consolidated into one series.
            period: ``'1D'``, ``'7D'``, ``'MTD'``, ``'1M'``, ``'YTD'`` or ``'1Y'`` (also ``'3M'``, ``'6M'``,
                ``'12M'``, which IBKR's OpenAPI specification lists).

        IBKR allows one request per 15 minutes.
        """
        if account_ids is None:
            raise ValueError("'account_ids' is required: expected one account id or a list of them")
        body = {
            'acctIds': _account_list('account_ids', account_ids),
            'period': choice_arg('period', period, PERFORMANCE_PERIODS),
        }
        return self.post('pa/performance', json=body, retry_safe=True)

    @ensure_list_arg('account_ids', 'conids')
    def transaction_history(
        self,
        account_ids: OneOrMany[str],
        conids: OneOrMany[str],
        currency: str,
        days: Optional[Union[str, int]] = None,
    ) -> Result:
        """Trades (and other transactions) of accounts in one contract, with the realized PnL per day.

        Arguments:
            account_ids: one account id or a list of them.
            conids: the contract id (IBKR supports exactly one per request).
            currency: the currency amounts are shown in, e.g. ``'USD'``.
            days: how many days back, a positive number; IBKR's default is 90.

        IBKR allows one request per 15 minutes.
        """
        if account_ids is None:
            raise ValueError("'account_ids' is required: expected one account id or a list of them")
        if conids is None:
            raise ValueError("'conids' is required: expected one contract id")
        if len(conids) != 1:
            raise ValueError(
                f"'conids' must hold exactly one contract id (IBKR supports one per request), got {len(conids)}"
            )
        currency = text_arg('currency', currency, "a currency code like 'USD'")
        if not _CURRENCY.match(currency):
            raise ValueError(f"'currency' must be a three-letter currency code like 'USD', got {currency!r}")
        body: Dict[str, Any] = {
            'acctIds': _account_list('account_ids', account_ids),
            'conids': [int(conid_arg('conids', conid)) for conid in conids],
            'currency': currency.upper(),
        }
        if days is not None:
            body['days'] = whole_arg('days', days, 1)
        return self.post('pa/transactions', json=body, retry_safe=True)
