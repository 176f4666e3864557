"""Portfolio state beyond the ledger: the account structure, and the memory of the /portfolio endpoints.

What lives here is what the gateway remembers between requests rather than computes: which
accounts /portfolio/accounts (or /subaccounts) has listed (the documented "call it first" rule),
the positions cache of /portfolio/{id}/positions/{page}, which contracts /portfolio/{id}/position/{conid}
has already served (its first answer has no contract details), and the DYNACCT account chosen with
/iserver/dynaccount. It also sets up the account structure at reset: the advisor (FA) master account
and its sub-accounts, and the ``initial_positions`` of the configuration, booked as fills.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set

from ibind.sim.accounts.ledger import Account
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway

INITIAL_POSITION_REF = 'initial_positions'  # order_ref of the fills that book the configured starting portfolio
FA_MIN_SUBACCOUNTS = 3


class PortfolioState:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        config = gateway.config
        self.master_account: Optional[str] = None
        self.sub_accounts: List[str] = list(gateway.accounts)
        if config.financial_advisor:
            self._build_advisor_structure()
        self.listed_accounts: Set[str] = set()
        self.positions_cache: Dict[str, List[Dict[str, Any]]] = {}
        self.contract_info_served: Set[int] = set()
        self.dynamic_account: Optional[str] = None
        _book_initial_positions(gateway, config.initial_positions)

    # ----------------------------------------------------------------- account structure

    def _build_advisor_structure(self) -> None:
        """FA: a master account over at least three sub-accounts (generated next to the configured ones)."""
        gw = self.gateway
        now = gw.clock.now()
        first = self.sub_accounts[0]
        while len(self.sub_accounts) < FA_MIN_SUBACCOUNTS:
            new_id = _next_account_id(self.sub_accounts[-1], set(gw.accounts))
            gw.accounts[new_id] = Account(new_id, created_at=now, alias=new_id)
            self.sub_accounts.append(new_id)
        master = ('DF' + first[2:]) if first.startswith('DU') else ('F' + first[1:])
        if master in gw.accounts:
            master = _next_account_id(master, set(gw.accounts))
        gw.accounts[master] = Account(
            master, created_at=now, alias=master, title='Advisor master account', cash={'USD': 0.0}, starting_cash=0.0
        )
        self.master_account = master
        gw.selected_account = master

    @property
    def is_advisor(self) -> bool:
        return self.master_account is not None

    def all_account_ids(self) -> List[str]:
        """Master first (FA), then the sub-accounts, in configuration order."""
        return ([self.master_account] if self.master_account else []) + list(self.sub_accounts)

    # ----------------------------------------------------------------- "call /portfolio/accounts first"

    def mark_listed(self, account_ids: List[str]) -> None:
        self.listed_accounts.update(account_ids)

    def require_listed(self, account_id: str) -> None:
        """The documented rule that /portfolio/accounts (or /subaccounts) comes first, when switched on."""
        if self.gateway.config.portfolio_accounts_first and account_id not in self.listed_accounts:
            raise ApiError(
                400,
                f'Please query /portfolio/accounts or /portfolio/subaccounts first: account '
                f'{account_id} has not been listed on this session',
            )

    # ----------------------------------------------------------------- positions cache

    def cached_positions(self, account_id: str, compute: Callable[[], List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
        """Rows as of the first call or the last invalidate (when the cache quirk is on), else fresh rows."""
        if not self.gateway.config.portfolio_positions_cache:
            return compute()
        if account_id not in self.positions_cache:
            self.positions_cache[account_id] = compute()
        return self.positions_cache[account_id]

    def invalidate_positions(self, account_id: str) -> None:
        self.positions_cache.pop(account_id, None)

    # ----------------------------------------------------------------- position/{conid} first call

    def first_contract_request(self, conid: int) -> bool:
        """True the first time a conid's position is asked for (its answer then lacks contract details)."""
        if not self.gateway.config.position_info_first_call:
            return False
        if conid in self.contract_info_served:
            return False
        self.contract_info_served.add(conid)
        return True


def _next_account_id(account_id: str, taken: Set[str]) -> str:
    """The next free id after ``account_id`` with the same prefix and width: DU1234567 -> DU1234568."""
    match = re.fullmatch(r'([A-Za-z]*)(\d+)', account_id)
    prefix, digits = (match.group(1), match.group(2)) if match else (account_id, '0')
    number = int(digits)
    while True:
        number += 1
        candidate = f'{prefix}{number:0{len(digits)}d}'
        if candidate not in taken:
            return candidate


def _book_initial_positions(gw: Gateway, initial: Any) -> None:
    """Book ``initial_positions`` ({account: [{conid, quantity, avg_price}]}) through Account.apply_fill.

    The fills pay no commission; ``avg_price`` defaults to the current price. A malformed entry is a
    configuration error (ValueError) raised when the simulator is created or reset.
    """
    if not initial:
        return
    if isinstance(initial, str):
        try:
            initial = json.loads(initial)
        except ValueError as error:
            raise ValueError(f'initial_positions: not valid JSON ({error})') from None
    if not isinstance(initial, dict):
        raise ValueError('initial_positions must be a dict {account_id: [{"conid", "quantity", "avg_price"}]}')
    now = gw.clock.now()
    for account_id, entries in initial.items():
        account = gw.accounts.get(str(account_id))
        if account is None:
            raise ValueError(f'initial_positions: unknown account {account_id!r}; accounts: {sorted(gw.accounts)}')
        if not isinstance(entries, list):
            raise ValueError(
                f'initial_positions[{account_id!r}] must be a list of {{"conid", "quantity", "avg_price"}}}} objects'
            )
        for entry in entries:
            _book_one(gw, account, entry, now)


def _book_one(gw: Gateway, account: Account, entry: Any, now: float) -> None:
    if not isinstance(entry, dict) or 'conid' not in entry or 'quantity' not in entry:
        raise ValueError(f'initial_positions: each entry needs "conid" and "quantity", got {entry!r}')
    unknown = set(entry) - {'conid', 'quantity', 'avg_price'}
    if unknown:
        raise ValueError(f'initial_positions: unknown key(s) {sorted(unknown)} in {entry!r}')
    instrument = gw.universe.find(entry['conid'])
    if instrument is None:
        raise ValueError(f'initial_positions: unknown conid {entry["conid"]!r}')
    quantity = entry['quantity']
    if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity == 0:
        raise ValueError(
            f'initial_positions: "quantity" must be a non-zero number (negative for short), got {quantity!r}'
        )
    price = entry.get('avg_price')
    if price is None:
        price = gw.market.last(instrument.conid, now)
    if isinstance(price, bool) or not isinstance(price, (int, float)) or price <= 0:
        raise ValueError(f'initial_positions: "avg_price" must be a positive number, got {price!r}')
    account.apply_fill(
        instrument,
        'B' if quantity > 0 else 'S',
        abs(quantity),
        float(price),
        now,
        0,
        gw.ids,
        order_ref=INITIAL_POSITION_REF,
        commission=0.0,
    )
