"""AccountsMixin: the accounts category of the IBKR Client Portal Web API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ibind.base.rest_client import Result, path_segment
from ibind.support.arguments import identifier

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient


def _required_text(name: str, value: object, expected: str) -> str:
    """A required account id or id pattern, stripped; ValueError/TypeError naming it otherwise."""
    return identifier(name, value, expected, allow_int=False)


class AccountsMixin(IbkrClientHost):
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#accounts

    Which accounts this login may trade, which one is active, and the account-level balances and PnL.
    """

    def account_summary(self, account_id: Optional[str] = None) -> Result:
        """Balances and margin of an account at a glance: net liquidation, available funds, buying power, cash.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.

        Served by ``GET /iserver/account/{accountId}/summary``, which is not in the Client Portal
        documentation but in IBKR's current Web API specification; needs a brokerage session.
        """
        account_id = self._account(account_id)
        return self.get(f'iserver/account/{path_segment("account_id", account_id)}/summary')

    def account_profit_and_loss(self) -> Result:
        """PnL of the selected account (and of its models, if any): daily PnL, unrealized PnL, net liquidity.

        The result is keyed ``'<accountId>.Core'`` under ``'upnl'``. IBKR allows one request per 5 seconds.
        """
        return self.get('iserver/account/pnl/partitioned')

    def search_dynamic_account(self, search_pattern: str) -> Result:
        """Find accounts by a pattern, for brokers with the DYNACCT property (they get no accounts at login).

        Arguments:
            search_pattern: part of an account id; ``'DU'`` finds every paper account.

        Without the DYNACCT property IBKR answers 503 "Details currently unavailable...", raised as an
        ExternalBrokerError.
        """
        pattern = _required_text('search_pattern', search_pattern, "an account id pattern like 'DU'")
        return self.get(f'iserver/account/search/{path_segment("search_pattern", pattern)}')

    def set_dynamic_account(self, account_id: str) -> Result:
        """Make an account found by ``search_dynamic_account`` the active one (DYNACCT brokers only).

        Arguments:
            account_id: the account to use for the following requests.

        Without the DYNACCT property IBKR answers 503, raised as an ExternalBrokerError. Note that the
        documented answer's ``set`` is the string ``'true'``, not a bool.
        """
        account_id = _required_text('account_id', account_id, "an account id like 'DU1234567'")
        return self.post('iserver/dynaccount', json={'acctId': account_id})

    def signatures_and_owners(self, account_id: Optional[str] = None) -> Result:
        """The applicants and owners of an account: user names, roles, entity names and signatures.

        Arguments:
            account_id: the account; the client's ``account_id`` when None.
        """
        account_id = self._account(account_id)
        return self.get(f'acesws/{path_segment("account_id", account_id)}/signatures-and-owners')

    def switch_account(self, account_id: str) -> Result:
        """Make another account the active one (financial advisors and multi-account structures).

        Arguments:
            account_id: the account to switch to, e.g. ``'DU1234567'``.

        Changes which account /iserver requests without an account id (PnL, live orders) refer to.
        Not retried automatically: it changes server state.
        """
        account_id = _required_text('account_id', account_id, "an account id like 'DU1234567'")
        return self.post('iserver/account', json={'acctId': account_id})

    def receive_brokerage_accounts(self) -> Result:
        """The accounts this login may trade, their aliases and the selected account.

        IBKR requires this call on every new brokerage session before querying or modifying orders
        and before market data snapshots.
        """
        return self.get('iserver/accounts')
