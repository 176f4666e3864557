"""What one part of the simulator may ask of another: the interfaces the category states promise.

Components talk through these and nothing else: orders ask the market data state whether the account
subscribes to an instrument's data, market data asks the contract state whether the underlying was searched, several states
scope themselves to the current brokerage session. Each category declares the interfaces its state
provides in ``ibind.sim.categories.CATEGORIES`` (``provides=``); tests/unit/test_sim_interfaces.py
checks every state against them (members present, same parameters), so a rename on one side fails a
test instead of being guessed around. A component takes another's state through a variable of the
interface's type (``feeds: MarketDataFeeds = gw.marketdata``), so mypy checks the types at each use too.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Protocol


class BrokerageSession(Protocol):
    """The session state, as the states scoped to one brokerage session see it (``gw.session``)."""

    brokerage_opened_at: Optional[float]  # when the current brokerage session opened; None without one
    brokerage_generation: int  # +1 per brokerage session opened


class MarketDataFeeds(Protocol):
    """The market data state, as the orders see it (``gw.marketdata``): the o354 "no market data" question."""

    def has_market_data(self, conid: int) -> bool:
        """Does the account hold a market data subscription for ``conid``?"""


class ContractSearches(Protocol):
    """The contract state, as market data sees it (``gw.contracts``): derivatives need their underlying searched."""

    def searched(self, conid: int) -> bool:
        """Was /iserver/secdef/search called for this underlying in this session (or is the quirk off)?"""


class AllocationGroups(Protocol):
    """The FA state, as the orders see it (``gw.fa``): an order for a group's name is split across its accounts."""

    groups: Dict[str, Any]  # group name -> the group (its accounts and allocation method)

    def is_group(self, name: Any) -> bool:
        """Is ``name`` the name of an allocation group (rather than an account id)?"""

    def split(self, group: Any, quantity: float, price: float) -> Dict[str, int]:
        """Shares per sub-account of ``quantity`` for ``group`` (at about ``price``), by the group's method."""
