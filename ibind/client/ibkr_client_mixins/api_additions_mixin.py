"""ApiAdditionsMixin: operations of existing categories added for the whole documented API (issue 13), with the
established ibind's names where it has them (``all_periods``, ``combination_positions``, ``close_session``,
``check_auth_status``) so code written for it runs unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.support.arguments import bool_arg, conid_arg, identifier, optional_bool, optional_text, text_arg, whole_arg
from ibind.support.py_utils import OneOrMany, ensure_list_arg

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

SEARCH_SEC_TYPES = ('STK', 'IND', 'BOND')


class ApiAdditionsMixin(IbkrClientHost):
    """https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/"""

    @ensure_list_arg('account_ids')
    def all_periods(self, account_ids: OneOrMany[str]) -> Result:
        """POST /pa/allperiods: performance of the accounts over every period at once (1D, 7D, MTD, 1M, YTD, 1Y),
        keyed by account (several accounts: also ``consolidated``)."""
        if account_ids is None:
            raise ValueError("'account_ids' is required: expected one account id or a list of them")
        ids = [identifier('account_ids', a, "account ids like 'DU1234567'", allow_int=False) for a in account_ids]
        return self.post('pa/allperiods', json={'acctIds': ids}, retry_safe=True)

    def combination_positions(self, account_id: Optional[str] = None, no_cache: bool = False) -> Result:
        """GET /portfolio/{accountId}/combo/positions: positions held as combinations (legs, ratios, values)."""
        account = self._account(account_id)
        params = {'nocache': True} if bool_arg('no_cache', no_cache) else None
        return self.get(f'portfolio/{path_segment("account_id", account)}/combo/positions', params)

    def check_auth_status(self) -> Result:
        """The brokerage session's state (``authenticated``, ``competing``, ``connected``): the established
        ibind's name for ``authentication_status`` (POST /iserver/auth/status)."""
        return self.authentication_status()

    def close_session(self) -> Result:
        """End the gateway session (POST /logout): the established ibind's name for ``logout``."""
        return self.logout()

    def trading_schedule_by_conid(self, conid: Union[int, str], exchange: Optional[str] = None) -> Result:
        """GET /contract/trading-schedule: the coming days' liquid and extended hours of a contract, as epoch
        seconds by date, and the exchange's time zone (the newer schedule route)."""
        params = {
            'conid': conid_arg('conid', conid),
            'exchange': optional_text('exchange', exchange, "an exchange like 'NASDAQ'"),
        }
        return self.get('contract/trading-schedule', {k: v for k, v in params.items() if v is not None})

    def search_contract_by_symbol_post(
        self,
        symbol: str,
        name: Optional[bool] = None,
        sec_type: Optional[str] = None,
        more: Optional[bool] = None,
        fund: Optional[bool] = None,
        fund_family_conid_ex: Optional[str] = None,
        pattern: Optional[bool] = None,
        referrer: Optional[str] = None,
    ) -> Result:
        """POST /iserver/secdef/search: ``search_contract_by_symbol`` with its parameters in a JSON body."""
        body = {
            'symbol': text_arg('symbol', symbol, "a symbol like 'AAPL' (or a name with name=True)"),
            'name': optional_bool('name', name),
            'more': optional_bool('more', more),
            'fund': optional_bool('fund', fund),
            'pattern': optional_bool('pattern', pattern),
            'fundFamilyConidEx': optional_text('fund_family_conid_ex', fund_family_conid_ex, 'a fund family id'),
            'referrer': optional_text('referrer', referrer, 'a referrer tag'),
        }
        if sec_type is not None:
            if sec_type not in SEARCH_SEC_TYPES:
                raise ValueError(f"'sec_type' must be one of {', '.join(SEARCH_SEC_TYPES)}, got {sec_type!r}")
            body['secType'] = sec_type
        return self.post(
            'iserver/secdef/search', json={k: v for k, v in body.items() if v is not None}, retry_safe=True
        )

    def account_summary_available_funds(self, account_id: Optional[str] = None) -> Result:
        """GET /iserver/account/{accountId}/summary/available_funds: available and excess funds, by segment."""
        return self._summary_part(account_id, 'available_funds')

    def account_summary_balances(self, account_id: Optional[str] = None) -> Result:
        """GET /iserver/account/{accountId}/summary/balances: net liquidation, equity with loan, cash, by segment."""
        return self._summary_part(account_id, 'balances')

    def account_summary_margins(self, account_id: Optional[str] = None) -> Result:
        """GET /iserver/account/{accountId}/summary/margins: initial and maintenance margin, by segment."""
        return self._summary_part(account_id, 'margins')

    def account_summary_market_value(self, account_id: Optional[str] = None) -> Result:
        """GET /iserver/account/{accountId}/summary/market_value: market value by currency and asset class."""
        return self._summary_part(account_id, 'market_value')

    def _summary_part(self, account_id: Optional[str], part: str) -> Result:
        account = self._account(account_id)
        return self.get(f'iserver/account/{path_segment("account_id", account)}/summary/{part}')

    def reply_to_server_prompt(self, order_id: int, req_id: str, text: str) -> Result:
        """POST /iserver/notification: answer (dismiss) a server prompt with the option chosen (``text``)."""
        body = {
            'orderId': whole_arg('order_id', order_id, 1),
            'reqId': text_arg(
                'req_id',
                str(req_id) if isinstance(req_id, int) and not isinstance(req_id, bool) else req_id,
                "the prompt's request id",
            ),
            'text': text_arg('text', text, "the option chosen, e.g. 'Yes'"),
        }
        return self.post('iserver/notification', json=body)
