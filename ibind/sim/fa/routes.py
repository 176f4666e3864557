"""Simulated gateway routes: FA allocation groups and presets, and FA model portfolios.

GET  /iserver/account/allocation/accounts        sub-accounts with NetLiquidation and AvailableEquity
GET  /iserver/account/allocation/group           POST add, PUT modify (``prev_name`` renames)
POST /iserver/account/allocation/group/single    POST .../group/delete
GET  /iserver/account/allocation/presets         POST: set
POST /fa/model/list, summary, positions, accounts-details, save, invest-divest, invest-divest-positions,
     submit-transfers;  POST /fa/fa-preset/get, /fa/fa-preset/save

Allocation shapes follow seed 002 (L3660-4100); model shapes the spec. State: ``gw.fa`` (ibind.sim.fa.state).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ibind.sim.fa.state import METHODS, MODEL_PRESET_FLAGS, PRESET_DEFAULTS
from ibind.sim.transport.http import ApiError
from ibind.sim.transport.router import RouteTable

if TYPE_CHECKING:
    from ibind.sim.fa.state import Model
    from ibind.sim.gateway import Gateway
    from ibind.sim.transport.http import SimRequest

routes = RouteTable()


# ----------------------------------------------------------------- allocation groups and presets


@routes.get('/iserver/account/allocation/accounts')
def allocatable_accounts(gw: Gateway, req: SimRequest) -> Any:
    gw.fa.require_advisor()
    return {
        'accounts': [
            {
                'name': account_id,
                'data': [
                    {'key': 'NetLiquidation', 'value': f'{gw.fa.nlv(account_id):.2f}'},
                    {'key': 'AvailableEquity', 'value': f'{gw.fa.available_equity(account_id):.2f}'},
                ],
            }
            for account_id in gw.fa.sub_accounts
        ]
    }


@routes.get('/iserver/account/allocation/group')
def list_groups(gw: Gateway, req: SimRequest) -> Any:
    gw.fa.require_advisor()
    return {
        'data': [
            {'allocation_method': g.method, 'size': len(g.accounts), 'name': g.name} for g in gw.fa.groups.values()
        ]
    }


@routes.post('/iserver/account/allocation/group')
def add_group(gw: Gateway, req: SimRequest) -> Any:
    group = gw.fa.parse_group(req.body_dict())
    if group.name in gw.fa.groups or group.name in gw.accounts:
        raise ApiError(400, f'Bad Request: an allocation group or account named {group.name!r} exists already')
    gw.fa.groups[group.name] = group
    return {'success': True}


@routes.put('/iserver/account/allocation/group')
def modify_group(gw: Gateway, req: SimRequest) -> Any:
    body = req.body_dict()
    group = gw.fa.parse_group(body)
    previous = body.get('prev_name') or group.name
    gw.fa.group(previous)
    if previous != group.name and group.name in gw.fa.groups:
        raise ApiError(400, f'Bad Request: an allocation group named {group.name!r} exists already')
    del gw.fa.groups[previous]
    gw.fa.groups[group.name] = group
    return {'success': True}


@routes.post('/iserver/account/allocation/group/single')
def single_group(gw: Gateway, req: SimRequest) -> Any:
    (name,) = req.require_body('name')
    group = gw.fa.group(name)
    return {'name': group.name, 'accounts': [dict(a) for a in group.accounts], 'default_method': group.method}


@routes.post('/iserver/account/allocation/group/delete')
def delete_group(gw: Gateway, req: SimRequest) -> Any:
    (name,) = req.require_body('name')
    del gw.fa.groups[gw.fa.group(name).name]
    return {'success': True}


@routes.get('/iserver/account/allocation/presets')
def get_presets(gw: Gateway, req: SimRequest) -> Any:
    gw.fa.require_advisor()
    return dict(gw.fa.presets)


@routes.post('/iserver/account/allocation/presets')
def set_presets(gw: Gateway, req: SimRequest) -> Any:
    gw.fa.require_advisor()
    body = req.body_dict()
    for key, value in body.items():
        if key not in PRESET_DEFAULTS:
            raise ApiError(400, f'Bad Request: unknown preset {key!r}')
        if key == 'default_method_for_all':
            if value not in METHODS:
                raise ApiError(400, f'Bad Request: default_method_for_all must be one of {", ".join(METHODS)}')
        elif not isinstance(value, bool):
            raise ApiError(400, f'Bad Request: {key} must be true or false')
    gw.fa.presets.update(body)
    return {'success': True}


# ----------------------------------------------------------------- models


def _req_id(req: SimRequest) -> int:
    (req_id,) = req.require_body('reqID')
    if isinstance(req_id, bool) or not isinstance(req_id, int):
        raise ApiError(400, f'Bad Request: reqID must be an integer, got {req_id!r}')
    return req_id


def _summary(gw: Gateway, model: Model) -> Dict[str, Any]:
    return {
        'model': model.name,
        'desc': model.desc,
        'isStatic': model.is_static,
        'nlv': gw.fa.model_nlv(model),
        'numAccounts': len(model.invested),
        'mismatch': False,
        'bootstrapped': True,
        'customIndex': False,
    }


@routes.post('/fa/model/list')
def model_list(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    gw.fa.require_advisor()
    return {
        'reqID': req_id,
        'subscriptionStatus': 1,
        'masterAccount': gw.portfolio.master_account,
        'baseCcy': 'USD',
        'models': [_summary(gw, m) for m in gw.fa.models.values()],
    }


@routes.post('/fa/model/summary')
def model_summary(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    model = gw.fa.model(req.body_dict().get('model'))
    return {'reqID': req_id, 'subscriptionStatus': 1, **_summary(gw, model)}


SORT_FIELDS = (
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


@routes.post('/fa/model/positions')
def model_positions(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    body = req.body_dict()
    model = gw.fa.model(body.get('model'))
    rows = gw.fa.model_positions(model)
    sort_field, direction, limit = body.get('sortField'), body.get('sortDirection', 'ASC'), body.get('limit')
    if sort_field is not None:
        if sort_field not in SORT_FIELDS:
            raise ApiError(400, f'Bad Request: sortField must be one of {", ".join(SORT_FIELDS)}')
        if direction not in ('ASC', 'DESC'):
            raise ApiError(400, 'Bad Request: sortDirection must be ASC or DESC')
        rows.sort(key=lambda r: r[sort_field], reverse=direction == 'DESC')
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ApiError(400, 'Bad Request: limit must be a positive integer')
        rows = rows[:limit]
    nlv = gw.fa.model_nlv(model)
    total_mv = round(sum(r['mv'] for r in rows), 2)
    cash = [
        {
            'ccy': t['ccy'],
            'target': t['target'],
            'actual': round((nlv - total_mv) / nlv, 6) if nlv else 0.0,
            'mv': round(nlv - total_mv, 2),
            'exchangeRate': 1.0,
            'instrumentImbalance': 0.0,
        }
        for t in model.cash_targets
    ]
    return {
        'reqID': req_id,
        'subscriptionStatus': 1,
        'model': model.name,
        'nlv': nlv,
        'totalMv': total_mv,
        'totalDlv': total_mv,
        'positionTs': gw.clock.now_ms(),
        'mismatched': False,
        'stkOnly': True,
        'positionList': rows,
        'cash': cash,
    }


def _account_row(gw: Gateway, account_id: str) -> Dict[str, Any]:
    account = gw.accounts[account_id]
    return {
        'account': account_id,
        'alias': account.alias or account_id,
        'baseCcyAccount': account.base_currency,
        'exchangeRate': 1.0,
        'nlv': f'{gw.fa.nlv(account_id):.2f}',
    }


@routes.post('/fa/model/accounts-details')
def model_accounts(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    body = req.body_dict()
    model = gw.fa.model(body.get('model'))
    calc_pnls = body.get('calcPnls', False)
    rows = []
    for account_id in model.invested:
        row = _account_row(gw, account_id)
        account = gw.accounts[account_id]
        cost = sum(p.avg_price * p.quantity for p in account.open_positions())
        row.update(
            {
                'costBasis': f'{cost:.2f}',
                'accountImbalance': '0.00',
                'numInstrumentsOutsideRange': 0,
                'unrealizedPnL': f'{gw.fa.nlv(account_id) - account.starting_cash:.2f}' if calc_pnls else '0.00',
            }
        )
        rows.append(row)
    return {'reqID': req_id, 'model': model.name, 'baseCcyMaster': 'USD', 'accountInfoList': rows}


@routes.post('/fa/model/save')
def model_save(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    gw.fa.save_model(req.body_dict())
    return {'reqID': req_id, 'success': True}


@routes.post('/fa/model/invest-divest')
def model_invest(gw: Gateway, req: SimRequest) -> Any:
    """Draft the transfers (answered at once, as observed live); submit-transfers carries them out."""
    req_id = _req_id(req)
    body = req.body_dict()
    model = gw.fa.model(body.get('model'))
    draft = gw.fa.draft_investment(model, body.get('accountList'))
    return {'reqID': str(req_id), 'subscriptionStatus': 1, 'transfersInstructionId': draft}


@routes.post('/fa/model/invest-divest-positions')
def model_invested_accounts(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    body = req.body_dict()
    model = gw.fa.model(body.get('model'))
    rows = []
    for account_id in gw.fa.sub_accounts:
        row = _account_row(gw, account_id)
        in_model = model.invested.get(account_id, 0.0)
        other = sum(m.invested.get(account_id, 0.0) for m in gw.fa.models.values() if m is not model)
        row.update(
            {
                'accountModelNlv': f'{in_model:.2f}',
                'accountOtherModelsNlv': f'{other:.2f}',
                'cashInIndependentNlv': f'{gw.fa.available_equity(account_id):.2f}',
                'positionsInIndependentNlv': '0.00',
                'baseCcyAccountPrecision': '2',
            }
        )
        rows.append(row)
    return {
        'reqID': req_id,
        'subscriptionStatus': 1,
        'model': model.name,
        'baseCcyMaster': 'USD',
        'baseCcyMasterPrecision': '2',
        'accountList': rows,
    }


@routes.post('/fa/model/submit-transfers')
def model_submit(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    gw.fa.require_advisor()
    (draft_id,) = req.require_body('fpOrderId')
    gw.fa.submit_transfers(draft_id)
    return {'reqID': req_id, 'success': True}


@routes.post('/fa/fa-preset/get')
def model_preset_get(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    gw.fa.require_advisor()
    return {'reqID': req_id, 'subscriptionStatus': 1, **gw.fa.model_presets}


@routes.post('/fa/fa-preset/save')
def model_preset_save(gw: Gateway, req: SimRequest) -> Any:
    req_id = _req_id(req)
    gw.fa.require_advisor()
    body = req.body_dict()
    for flag in MODEL_PRESET_FLAGS:
        if flag in body:
            if not isinstance(body[flag], bool):
                raise ApiError(400, f'Bad Request: {flag} must be true or false')
            gw.fa.model_presets[flag] = body[flag]
    return {'reqID': req_id, 'subscriptionStatus': 1, 'success': True}
