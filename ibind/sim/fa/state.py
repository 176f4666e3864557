"""Allocation groups, presets and model portfolios of the simulated advisor."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List

from ibind.sim.accounts.figures import nav_at
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway

# Allocation method codes (seed 002 "Allocation Method Codes"): A available equity, E equal, N net liquidation,
# C cash quantity, P percentage, R ratios, S shares.
METHODS = ('A', 'E', 'N', 'C', 'P', 'R', 'S')
USER_AMOUNT_METHODS = ('C', 'P', 'R', 'S')  # the group's per-account amounts matter
PRESET_DEFAULTS = {
    'default_method_for_all': 'N',
    'group_auto_close_positions': False,
    'group_proportional_allocation': False,
    'profiles_auto_close_positions': False,
    'strict_credit_check': False,
}
MODEL_PRESET_FLAGS = (
    'avoidNegativeCashInIndependent',
    'closeDivestIndependentPosition',
    'fullyInvestExistingLongPositions',
    'keepModelOpen',
    'preferCrossWithIndependent',
    'preferTransferFromIndependent',
    'roundAllocationQuantityToExchangeBoardLot',
    'useNonBaseCcy',
    'useToleranceRange',
)
TARGET_TOLERANCE = 1e-6


@dataclass
class Group:
    name: str
    method: str
    accounts: List[Dict[str, Any]]  # [{'name': account id, 'amount': number}]


@dataclass
class Model:
    name: str
    desc: str
    is_static: bool
    cash_targets: List[Dict[str, Any]]  # [{'ccy', 'target'}], fractions
    position_targets: List[Dict[str, Any]]  # [{'conid', 'target'}], fractions
    invested: Dict[str, float] = field(default_factory=dict)  # account -> cash invested (base currency)
    pending: Dict[int, List[Dict[str, Any]]] = field(default_factory=dict)  # transfer draft id -> trades


def largest_remainder(total: int, weights: Dict[str, float]) -> Dict[str, int]:
    """Whole shares per account in proportion to ``weights``, summing to ``total`` (largest remainder)."""
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        raise ApiError(400, 'Bad Request: the allocation weights of the group sum to zero')
    exact = {name: total * weight / weight_sum for name, weight in weights.items()}
    shares = {name: int(math.floor(value)) for name, value in exact.items()}
    left = total - sum(shares.values())
    for name in sorted(exact, key=lambda n: (shares[n] - exact[n], n))[:left]:  # ties: the first account
        shares[name] += 1
    return shares


def allocate_fill(allocation: Dict[str, int], booked: Dict[str, int], fraction: float) -> Dict[str, int]:
    """The shares each account gets from a fill that brings a group order to ``fraction`` of its quantity.

    Share by share, to the account furthest behind its part of ``allocation`` at that fraction: no account
    ever passes its part, every account ends exactly at it when the order is complete, and the shares booked
    so far never have to be taken back (a fresh largest-remainder split per partial fill would not add up)."""
    total = sum(allocation.values())
    due = min(total, int(round(total * fraction)))
    new: Dict[str, int] = {}
    for count in range(sum(booked.values()) + 1, due + 1):
        # how far each account is behind its part after `count` shares; ties go to the first account
        behind = {
            name: part * count / total - booked.get(name, 0) - new.get(name, 0) for name, part in allocation.items()
        }
        name = max(behind, key=behind.__getitem__)
        new[name] = new.get(name, 0) + 1
    return new


class FaState:
    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.groups: Dict[str, Group] = {}
        self.presets: Dict[str, Any] = dict(PRESET_DEFAULTS)
        self.model_presets: Dict[str, bool] = dict.fromkeys(MODEL_PRESET_FLAGS, False)
        self.models: Dict[str, Model] = {}
        self._next_draft = 7000

    # ----------------------------------------------------------------- the advisor structure

    def require_advisor(self) -> None:
        if not self.gateway.portfolio.is_advisor:
            raise ApiError(
                400,
                'Bad Request: only Financial Advisor users have allocation groups and models '
                '(the simulator: financial_advisor=True)',
            )

    @property
    def sub_accounts(self) -> List[str]:
        return list(self.gateway.portfolio.sub_accounts)

    def nlv(self, account_id: str) -> float:
        gw = self.gateway
        return nav_at(gw, gw.accounts[account_id], gw.clock.now())

    def available_equity(self, account_id: str) -> float:
        """Cash that is not committed: the base-currency cash, at least zero."""
        account = self.gateway.accounts[account_id]
        return max(0.0, account.cash.get(account.base_currency, 0.0))

    # ----------------------------------------------------------------- allocation groups

    def parse_group(self, body: Dict[str, Any]) -> Group:
        self.require_advisor()
        name = body.get('name')
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, 'Bad Request: name must be a non-empty string')
        method = body.get('default_method', 'N')
        if method not in METHODS:
            raise ApiError(400, f'Bad Request: default_method must be one of {", ".join(METHODS)}, got {method!r}')
        accounts = body.get('accounts')
        if not isinstance(accounts, list) or not accounts:
            raise ApiError(400, 'Bad Request: accounts must be a non-empty array of {"name", "amount"}')
        parsed = []
        for index, entry in enumerate(accounts):
            if not isinstance(entry, dict) or entry.get('name') not in self.sub_accounts:
                raise ApiError(
                    400,
                    f'Bad Request: accounts[{index}].name must be one of the sub-accounts '
                    f'{", ".join(self.sub_accounts)}',
                )
            amount = entry.get('amount')
            bad_amount = isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount < 0
            if method in USER_AMOUNT_METHODS and bad_amount:
                raise ApiError(400, f'Bad Request: accounts[{index}].amount must be a number >= 0 for method {method}')
            parsed.append({'name': entry['name'], 'amount': amount if amount is not None else 0})
        if method == 'P' and abs(sum(a['amount'] for a in parsed) - 100) > 1e-6:
            raise ApiError(400, 'Bad Request: the percentages of a P group must add up to 100')
        return Group(name.strip(), method, parsed)

    def group(self, name: Any) -> Group:
        self.require_advisor()
        group = self.groups.get(name) if isinstance(name, str) else None
        if group is None:
            raise ApiError(400, f'Bad Request: no allocation group {name!r}')
        return group

    def is_group(self, name: Any) -> bool:
        return isinstance(name, str) and name in self.groups

    def split(self, group: Group, quantity: float, price: float) -> Dict[str, int]:
        """Shares per sub-account of an order of ``quantity`` for ``group`` (at about ``price``)."""
        total = int(round(quantity))
        names = [a['name'] for a in group.accounts]
        if group.method == 'E':
            weights = dict.fromkeys(names, 1.0)
        elif group.method == 'N':
            weights = {n: max(0.0, self.nlv(n)) for n in names}
        elif group.method == 'A':
            weights = {n: self.available_equity(n) for n in names}
        elif group.method in ('R', 'P'):
            weights = {a['name']: float(a['amount']) for a in group.accounts}
        elif group.method == 'S':  # fixed shares per account, whatever the order's quantity
            return {a['name']: int(a['amount']) for a in group.accounts if int(a['amount'])}
        else:  # 'C': a cash amount per account, in shares at the price
            return {
                a['name']: int(float(a['amount']) // price)
                for a in group.accounts
                if price > 0 and int(float(a['amount']) // price)
            }
        return {name: shares for name, shares in largest_remainder(total, weights).items() if shares}

    # ----------------------------------------------------------------- models

    def model(self, name: Any) -> Model:
        self.require_advisor()
        if not isinstance(name, str) or name not in self.models:
            raise ApiError(400, f'Bad Request: no model {name!r}')
        return self.models[name]

    def save_model(self, body: Dict[str, Any]) -> Model:
        self.require_advisor()
        name, desc = body.get('model'), body.get('desc')
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, 'Bad Request: model must be a non-empty string')
        if not isinstance(desc, str):
            raise ApiError(400, 'Bad Request: desc must be a string')
        is_static = body.get('isStatic')
        if not isinstance(is_static, bool):
            raise ApiError(400, 'Bad Request: isStatic must be true or false')
        cash = self._targets(body.get('cashTargets'), 'cashTargets', 'ccy')
        positions = self._targets(body.get('positionTargets'), 'positionTargets', 'conid')
        for target in positions:
            self.gateway.universe.get(target['conid'])
        total = sum(t['target'] for t in cash + positions)
        if abs(total - 1.0) > TARGET_TOLERANCE:
            raise ApiError(400, f'Bad Request: the targets must add up to 1 (fractions), got {total:g}')
        existing = self.models.get(name)
        if existing is not None and existing.invested and existing.is_static != is_static:
            raise ApiError(400, 'Bad Request: isStatic cannot change on a model with invested accounts')
        model = Model(name, desc, is_static, cash, positions)
        if existing is not None:
            model.invested, model.pending = existing.invested, existing.pending
        self.models[name] = model
        return model

    @staticmethod
    def _targets(raw: Any, name: str, key: str) -> List[Dict[str, Any]]:
        if not isinstance(raw, list):
            raise ApiError(400, f'Bad Request: {name} must be an array')
        parsed = []
        for index, entry in enumerate(raw):
            target = entry.get('target') if isinstance(entry, dict) else None
            if isinstance(target, bool) or not isinstance(target, (int, float)) or not 0 <= target <= 1:
                raise ApiError(400, f'Bad Request: {name}[{index}].target must be a fraction in [0, 1]')
            value = entry.get(key)
            if key == 'conid' and (isinstance(value, bool) or not isinstance(value, int)):
                raise ApiError(400, f'Bad Request: {name}[{index}].conid must be an integer')
            if key == 'ccy' and not (isinstance(value, str) and len(value) == 3):
                raise ApiError(400, f'Bad Request: {name}[{index}].ccy must be a currency code like "USD"')
            parsed.append({key: value, 'target': float(target)})
        return parsed

    def draft_investment(self, model: Model, account_list: Any) -> int:
        """Draft the trades that move each account's amount into (or out of) the model; the draft's id."""
        if not isinstance(account_list, list) or not account_list:
            raise ApiError(400, 'Bad Request: accountList must be a non-empty array of {"account", "amtToInvest"}')
        gw = self.gateway
        trades = []
        for index, entry in enumerate(account_list):
            account = entry.get('account') if isinstance(entry, dict) else None
            amount = entry.get('amtToInvest') if isinstance(entry, dict) else None
            if account not in self.sub_accounts:
                raise ApiError(400, f'Bad Request: accountList[{index}].account must be a sub-account')
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or amount == 0:
                raise ApiError(500, 'Internal Server Error: amtToInvest must be a non-zero amount')
            for target in model.position_targets:
                price = gw.market.last(target['conid'])
                shares = int((abs(amount) * target['target']) // price)
                if shares:
                    trades.append(
                        {
                            'account': account,
                            'conid': target['conid'],
                            'quantity': shares,
                            'side': 'B' if amount > 0 else 'S',
                            'amount': amount,
                        }
                    )
            if not model.position_targets:
                trades.append({'account': account, 'conid': None, 'quantity': 0, 'side': 'B', 'amount': amount})
        self._next_draft += 1
        model.pending[self._next_draft] = trades
        return self._next_draft

    def submit_transfers(self, draft_id: Any) -> None:
        """Carry out a drafted investment: book the trades at the market in the sub-accounts."""
        gw = self.gateway
        for model in self.models.values():
            trades = model.pending.pop(draft_id, None) if isinstance(draft_id, int) else None
            if trades is None:
                continue
            now = gw.clock.now()
            seen = set()
            for trade in trades:
                if trade['conid'] is not None:
                    instrument = gw.universe.get(trade['conid'])
                    gw.accounts[trade['account']].apply_fill(
                        instrument,
                        trade['side'],
                        trade['quantity'],
                        gw.market.last(instrument.conid, now),
                        now,
                        0,
                        gw.ids,
                        order_ref=f'model:{model.name}',
                    )
                if trade['account'] not in seen:
                    seen.add(trade['account'])
                    invested = model.invested.get(trade['account'], 0.0) + trade['amount']
                    if invested > 0:
                        model.invested[trade['account']] = invested
                    else:
                        model.invested.pop(trade['account'], None)
            return
        raise ApiError(500, f'Internal Server Error: no pending transfer draft {draft_id!r}')

    def model_positions(self, model: Model) -> List[Dict[str, Any]]:
        """Each target instrument with the invested accounts' position, market value and actual weight."""
        gw = self.gateway
        now = gw.clock.now()
        nlv = self.model_nlv(model)
        rows = []
        for target in model.position_targets:
            instrument = gw.universe.get(target['conid'])
            quantity = sum(
                gw.accounts[a].positions[instrument.conid].quantity
                for a in model.invested
                if instrument.conid in gw.accounts[a].positions
            )
            market_value = quantity * gw.market.last(instrument.conid, now) * instrument.multiplier
            actual = market_value / nlv if nlv else 0.0
            rows.append(
                {
                    'conid': instrument.conid,
                    'instrument': instrument.symbol,
                    'ccy': instrument.currency,
                    'position': quantity,
                    'mv': round(market_value, 2),
                    'dlv': round(market_value, 2),
                    'target': target['target'],
                    'actual': round(actual, 6),
                    'actualRangeMin': max(0.0, target['target'] - 0.05),
                    'actualRangeMax': min(1.0, target['target'] + 0.05),
                    'instrumentImbalance': round(actual - target['target'], 6),
                    'mismatchType': 0,
                    'exchangeRate': 1.0,
                    'flags': 0,
                }
            )
        return rows

    def model_nlv(self, model: Model) -> float:
        return round(sum(model.invested.values()), 2)

    def describe(self) -> Dict[str, Any]:
        return {
            'groups': {
                n: {'method': g.method, 'accounts': [a['name'] for a in g.accounts]} for n, g in self.groups.items()
            },
            'models': {
                n: {'invested': dict(m.invested), 'pending_drafts': sorted(m.pending)} for n, m in self.models.items()
            },
        }
