"""FaMixin: Financial Advisor allocation groups and presets, and model portfolios (IBKR's 'Trading FA Allocation
Management'). The ``fa_model_*`` and ``fa_preset_*`` names and arguments are the established ibind's, so code
written for it runs unchanged; targets are fractions in [0, 1] that add up to 1 across cash and positions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.base.rest_client import Result
from ibind.support.arguments import bool_arg, choice_arg, conid_arg, number_arg, optional_bool, text_arg, whole_arg

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

ALLOCATION_METHODS = ('A', 'E', 'N', 'C', 'P', 'R', 'S')
"""A available equity, E equal, N net liquidation (IB-computed); C cash, P percentage, R ratios, S shares (user)."""

MODEL_SORT_FIELDS = (
    'actual',
    'actualRangeMax',
    'actualRangeMin',
    'ccy',
    'conid',
    'dlv',
    'instrumentImbalance',
    'instrument',
    'mismatchType',
    'mv',
    'position',
    'target',
)
SORT_DIRECTIONS = ('ASC', 'DESC')


def _group_accounts(accounts: Any) -> List[Dict[str, Any]]:
    expected = "a list like [{'name': 'U1234567', 'amount': 10}, ...] (amount for methods C, P, R, S)"
    if isinstance(accounts, dict) or not isinstance(accounts, (list, tuple)) or not accounts:
        raise ValueError(f"'accounts' must be {expected}, got {accounts!r:.80}")
    checked = []
    for index, entry in enumerate(accounts):
        if not isinstance(entry, dict) or 'name' not in entry:
            raise ValueError(f"'accounts[{index}]' must be a dict with a 'name': {expected}")
        row: Dict[str, Any] = {
            'name': text_arg(f'accounts[{index}].name', entry['name'], "a sub-account id like 'U1234567'")
        }
        if entry.get('amount') is not None:
            row['amount'] = number_arg(f'accounts[{index}].amount', entry['amount'], 'the allocation amount')
        checked.append(row)
    return checked


def _targets(name: str, targets: Any, key: str) -> List[Dict[str, Any]]:
    expected = f"a list like [{{'{key}': ..., 'target': 0.25}}] with targets as fractions in [0, 1]"
    if isinstance(targets, dict) or not isinstance(targets, (list, tuple)):
        raise TypeError(f'{name!r} must be {expected}, got {type(targets).__name__}')
    checked = []
    for index, entry in enumerate(targets):
        if not isinstance(entry, dict) or key not in entry or 'target' not in entry:
            raise ValueError(f"'{name}[{index}]' must be a dict with {key!r} and 'target': {expected}")
        target = number_arg(f'{name}[{index}].target', entry['target'], 'a fraction in [0, 1]')
        if not 0 <= target <= 1:
            raise ValueError(f"'{name}[{index}].target' must be a fraction in [0, 1] (not a percentage), got {target}")
        value = (
            int(conid_arg(f'{name}[{index}].conid', entry[key]))
            if key == 'conid'
            else text_arg(f'{name}[{index}].ccy', entry[key], "a currency code like 'USD'")
        )
        checked.append({key: value, 'target': target})
    return checked


def _model(model: Any) -> str:
    return text_arg('model', model, "the model's name (case-sensitive), e.g. 'Growth'")


class FaMixin(IbkrClientHost):
    """https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fa-allocation"""

    # ----------------------------------------------------------------- allocation groups and presets

    def allocatable_subaccounts(self) -> Result:
        """GET /iserver/account/allocation/accounts: each sub-account's NetLiquidation and AvailableEquity."""
        return self.get('iserver/account/allocation/accounts')

    def allocation_groups(self) -> Result:
        """GET /iserver/account/allocation/group: every allocation group (name, method, size)."""
        return self.get('iserver/account/allocation/group')

    def allocation_group(self, name: str) -> Result:
        """POST /iserver/account/allocation/group/single: one group with its accounts and amounts."""
        return self.post(
            'iserver/account/allocation/group/single',
            json={'name': text_arg('name', name, "a group name like 'Group_1_NetLiq'")},
            retry_safe=True,
        )

    def add_allocation_group(self, name: str, accounts: List[Dict[str, Any]], default_method: str = 'N') -> Result:
        """POST /iserver/account/allocation/group: a new group; orders placed for its name are split across
        its accounts by ``default_method`` (see ``ALLOCATION_METHODS``)."""
        body = {
            'name': text_arg('name', name, "a group name like 'Group_1_NetLiq'"),
            'accounts': _group_accounts(accounts),
            'default_method': choice_arg('default_method', default_method, ALLOCATION_METHODS),
        }
        return self.post('iserver/account/allocation/group', json=body)

    def modify_allocation_group(
        self, name: str, accounts: List[Dict[str, Any]], default_method: str = 'N', prev_name: Optional[str] = None
    ) -> Result:
        """PUT /iserver/account/allocation/group: change a group's accounts or method; ``prev_name`` renames it."""
        body = {
            'name': text_arg('name', name, "a group name like 'Group_1_NetLiq'"),
            'accounts': _group_accounts(accounts),
            'default_method': choice_arg('default_method', default_method, ALLOCATION_METHODS),
        }
        if prev_name is not None:
            body['prev_name'] = text_arg('prev_name', prev_name, "the group's current name")
        return self.put('iserver/account/allocation/group', json=body)

    def delete_allocation_group(self, name: str) -> Result:
        """POST /iserver/account/allocation/group/delete: remove a group."""
        return self.post(
            'iserver/account/allocation/group/delete',
            json={'name': text_arg('name', name, "a group name like 'Group_1_NetLiq'")},
        )

    def allocation_presets(self) -> Result:
        """GET /iserver/account/allocation/presets: the default method and the allocation behaviours."""
        return self.get('iserver/account/allocation/presets')

    def set_allocation_presets(
        self,
        default_method_for_all: Optional[str] = None,
        group_auto_close_positions: Optional[bool] = None,
        group_proportional_allocation: Optional[bool] = None,
        profiles_auto_close_positions: Optional[bool] = None,
        strict_credit_check: Optional[bool] = None,
    ) -> Result:
        """POST /iserver/account/allocation/presets: change the presets given (the others stay)."""
        body = {
            'default_method_for_all': None
            if default_method_for_all is None
            else choice_arg('default_method_for_all', default_method_for_all, ALLOCATION_METHODS),
            'group_auto_close_positions': optional_bool('group_auto_close_positions', group_auto_close_positions),
            'group_proportional_allocation': optional_bool(
                'group_proportional_allocation', group_proportional_allocation
            ),
            'profiles_auto_close_positions': optional_bool(
                'profiles_auto_close_positions', profiles_auto_close_positions
            ),
            'strict_credit_check': optional_bool('strict_credit_check', strict_credit_check),
        }
        body = {k: v for k, v in body.items() if v is not None}
        if not body:
            raise ValueError('set_allocation_presets: pass at least one preset to change')
        return self.post('iserver/account/allocation/presets', json=body)

    # ----------------------------------------------------------------- models (the established ibind's names)

    def fa_model_list(self, req_id: int) -> Result:
        """POST /fa/model/list: every model of the advisor (name, NLV, number of accounts)."""
        return self.post('fa/model/list', json={'reqID': whole_arg('req_id', req_id)}, retry_safe=True)

    def fa_model_positions(
        self,
        req_id: int,
        model: str,
        sort_field: Optional[str] = None,
        sort_direction: Optional[str] = None,
        limit: Optional[int] = None,
    ) -> Result:
        """POST /fa/model/positions: the model's instruments: target, actual weight, position, market value."""
        body: Dict[str, Any] = {'reqID': whole_arg('req_id', req_id), 'model': _model(model)}
        if sort_field is not None:
            body['sortField'] = choice_arg('sort_field', sort_field, MODEL_SORT_FIELDS)
        if sort_direction is not None:
            body['sortDirection'] = choice_arg('sort_direction', sort_direction, SORT_DIRECTIONS)
        if limit is not None:
            body['limit'] = whole_arg('limit', limit, 1)
        return self.post('fa/model/positions', json=body, retry_safe=True)

    def fa_model_summary(self, req_id: int, model: str) -> Result:
        """POST /fa/model/summary: one model's summary."""
        return self.post(
            'fa/model/summary', json={'reqID': whole_arg('req_id', req_id), 'model': _model(model)}, retry_safe=True
        )

    def fa_model_accounts_details(self, req_id: int, model: str, calc_pnls: Optional[bool] = None) -> Result:
        """POST /fa/model/accounts-details: the accounts invested in the model (NLV, cost basis, PnL)."""
        body: Dict[str, Any] = {'reqID': whole_arg('req_id', req_id), 'model': _model(model)}
        if calc_pnls is not None:
            body['calcPnls'] = bool_arg('calc_pnls', calc_pnls)
        return self.post('fa/model/accounts-details', json=body, retry_safe=True)

    def fa_model_save(
        self,
        req_id: int,
        model: str,
        desc: str,
        is_static: bool,
        cash_targets: List[Dict],
        position_targets: List[Dict],
    ) -> Result:
        """POST /fa/model/save: create or change a model's targets (fractions adding up to 1)."""
        cash = _targets('cash_targets', cash_targets, 'ccy')
        positions = _targets('position_targets', position_targets, 'conid')
        total = sum(t['target'] for t in cash + positions)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f'the targets of cash_targets and position_targets must add up to 1, got {total:g}')
        if not isinstance(desc, str):
            raise TypeError(f"'desc' must be a str (IBKR answers a bare 400 without it), got {type(desc).__name__}")
        body = {
            'reqID': whole_arg('req_id', req_id),
            'model': _model(model),
            'desc': desc,
            'isStatic': bool_arg('is_static', is_static),
            'cashTargets': cash,
            'positionTargets': positions,
        }
        return self.post('fa/model/save', json=body)

    def fa_model_invest_divest(self, req_id: int, model: str, account_list: List[Dict]) -> Result:
        """POST /fa/model/invest-divest: draft moving cash of accounts into (negative: out of) the model;
        pass the answer's ``transfersInstructionId`` to ``fa_model_submit_transfers``."""
        if isinstance(account_list, dict) or not isinstance(account_list, (list, tuple)) or not account_list:
            raise ValueError("'account_list' must be a list like [{'account': 'U1234567', 'amtToInvest': 10000}]")
        rows = []
        for index, entry in enumerate(account_list):
            if not isinstance(entry, dict) or 'account' not in entry or 'amtToInvest' not in entry:
                raise ValueError(f"'account_list[{index}]' must be a dict with 'account' and 'amtToInvest'")
            amount = number_arg(f'account_list[{index}].amtToInvest', entry['amtToInvest'], 'an amount of cash')
            if amount == 0:
                raise ValueError(f"'account_list[{index}].amtToInvest' must not be 0 (IBKR answers 500)")
            rows.append(
                {
                    'account': text_arg(f'account_list[{index}].account', entry['account'], 'an account id'),
                    'amtToInvest': amount,
                }
            )
        body = {'reqID': whole_arg('req_id', req_id), 'model': _model(model), 'accountList': rows}
        return self.post('fa/model/invest-divest', json=body)

    def fa_model_invest_divest_positions(
        self, req_id: int, model: str, subscription_status: Optional[int] = None
    ) -> Result:
        """POST /fa/model/invest-divest-positions: each account's money in this model, in others, and outside."""
        body: Dict[str, Any] = {'reqID': whole_arg('req_id', req_id), 'model': _model(model)}
        if subscription_status is not None:
            body['subscriptionStatus'] = whole_arg('subscription_status', subscription_status)
        return self.post('fa/model/invest-divest-positions', json=body, retry_safe=True)

    def fa_model_submit_transfers(self, req_id: int, fp_order_id: int) -> Result:
        """POST /fa/model/submit-transfers: carry out a drafted investment (its ``transfersInstructionId``)."""
        body = {'reqID': whole_arg('req_id', req_id), 'fpOrderId': whole_arg('fp_order_id', fp_order_id, 1)}
        return self.post('fa/model/submit-transfers', json=body)

    def fa_preset_get(self, req_id: int) -> Result:
        """POST /fa/fa-preset/get: the model rebalancing presets."""
        return self.post('fa/fa-preset/get', json={'reqID': whole_arg('req_id', req_id)}, retry_safe=True)

    def fa_preset_save(
        self,
        req_id: int,
        avoid_negative_cash_in_independent: Optional[bool] = None,
        close_divest_independent_position: Optional[bool] = None,
        fully_invest_existing_long_positions: Optional[bool] = None,
        keep_model_open: Optional[bool] = None,
        prefer_cross_with_independent: Optional[bool] = None,
        prefer_transfer_from_independent: Optional[bool] = None,
        round_allocation_quantity_to_exchange_board_lot: Optional[bool] = None,
        use_non_base_ccy: Optional[bool] = None,
        use_tolerance_range: Optional[bool] = None,
    ) -> Result:
        """POST /fa/fa-preset/save: set the model presets given (None leaves one as it is)."""
        flags = {
            'avoidNegativeCashInIndependent': avoid_negative_cash_in_independent,
            'closeDivestIndependentPosition': close_divest_independent_position,
            'fullyInvestExistingLongPositions': fully_invest_existing_long_positions,
            'keepModelOpen': keep_model_open,
            'preferCrossWithIndependent': prefer_cross_with_independent,
            'preferTransferFromIndependent': prefer_transfer_from_independent,
            'roundAllocationQuantityToExchangeBoardLot': round_allocation_quantity_to_exchange_board_lot,
            'useNonBaseCcy': use_non_base_ccy,
            'useToleranceRange': use_tolerance_range,
        }
        body: Dict[str, Any] = {'reqID': whole_arg('req_id', req_id)}
        body.update({key: optional_bool(key, value) for key, value in flags.items() if value is not None})
        return self.post('fa/fa-preset/save', json=body)
