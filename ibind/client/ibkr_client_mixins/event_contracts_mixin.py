"""EventContractsMixin: ForecastEx event contracts of the IBKR Client Portal Web API.

Event contracts answer a yes/no question (``"Will the Fed Funds rate be above 4.50% after the March
meeting?"``); each strike has a YES contract (modelled as a call) and a NO contract (a put), listed against
an underlier that names the market. They are bought, never sold: buying the opposite side closes a position.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional, Union

from ibind.base.rest_client import Result
from ibind.support.arguments import conid_arg, optional_text

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

FORECAST_EXCHANGE = 'FORECASTX'


class EventContractsMixin(IbkrClientHost):
    """https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#event-contracts"""

    def event_contract_categories(self) -> Result:
        """GET /forecast/category/tree: the category tree (``categories`` by id, ``parent_id``) with its markets."""
        return self.get('forecast/category/tree')

    def event_contract_market(self, underlying_conid: Union[int, str], exchange: Optional[str] = None) -> Result:
        """GET /forecast/contract/market: every contract of a market (its underlier's conid): strikes, sides."""
        params = {
            'underlyingConid': conid_arg('underlying_conid', underlying_conid),
            'exchange': optional_text('exchange', exchange, f"an exchange like '{FORECAST_EXCHANGE}'"),
        }
        return self.get('forecast/contract/market', {k: v for k, v in params.items() if v is not None})

    def event_contract_details(self, conid: Union[int, str]) -> Result:
        """GET /forecast/contract/details: one contract's question, strike, expiration and both sides' conids."""
        return self.get('forecast/contract/details', {'conid': conid_arg('conid', conid)})

    def event_contract_rules(self, conid: Union[int, str]) -> Result:
        """GET /forecast/contract/rules: payout, price increment, last trade/release/payout times, source."""
        return self.get('forecast/contract/rules', {'conid': conid_arg('conid', conid)})

    def event_contract_schedules(self, conid: Union[int, str]) -> Result:
        """GET /forecast/contract/schedules: the weekly trading schedule of a contract."""
        return self.get('forecast/contract/schedules', {'conid': conid_arg('conid', conid)})
