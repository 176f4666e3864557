"""Seed 002's examples of the routes added for the whole API (issue 13), for test_documented_examples.

Alerts (L420-1130) and FA allocation groups and presets (L3660-4125) have examples or field lists in seed
002; FYI (only a pacing table, L334-345), FA models and /forecast (seed 002 shows ForecastEx through
/trsrv/event/..., L3479-3660) do not: those are ``NOT_IN_SEED`` with where their shape comes from.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

STR, NUM, BOOL, ANY = 'string', 'number', 'boolean', 'any'


def examples(Example: Any, Maybe: Any) -> Tuple[Any, ...]:
    """The Example entries (the classes are passed in: they belong to test_documented_examples)."""
    acknowledgement = {
        'request_id': Maybe(NUM),
        'order_id': NUM,
        'success': BOOL,
        'text': STR,
        'failure_list': Maybe(STR),
    }
    alert_detail = {
        'account': STR,
        'order_id': NUM,
        'alert_name': Maybe(STR),
        'tif': STR,
        'expire_time': Maybe(STR),
        'alert_active': NUM,
        'alert_repeatable': NUM,
        'alert_email': Maybe(STR),
        'alert_send_message': NUM,
        'alert_message': Maybe(STR),
        'alert_show_popup': NUM,
        'alert_play_audio': ANY,
        'order_status': STR,
        'alert_triggered': BOOL,
        'fg_color': STR,
        'bg_color': STR,
        'order_not_editable': BOOL,
        'itws_orders_only': NUM,
        'alert_mta_currency': Maybe(STR),
        'alert_mta_defaults': Maybe(STR),
        'tool_id': Maybe(NUM),
        'time_zone': Maybe(STR),
        'alert_default_type': ANY,
        'condition_size': NUM,
        'condition_outside_rth': NUM,
    }
    success = {'success': BOOL}
    return (
        Example(
            'POST /iserver/account/{accountId}/alert',
            'L583-592',
            {
                'request_id': Maybe(NUM),
                'order_id': NUM,
                'success': BOOL,
                'text': STR,
                'order_status': Maybe(STR),
                'warning_message': Maybe(STR),
            },
        ),
        Example(
            'GET /iserver/account/{accountId}/alerts',
            'L645-657',
            [
                {
                    'order_id': NUM,
                    'account': STR,
                    'alert_name': STR,
                    'alert_active': NUM,
                    'order_time': STR,
                    'alert_triggered': BOOL,
                    'alert_repeatable': NUM,
                }
            ],
        ),
        Example(
            'GET /iserver/account/alert/{alertId}',
            'L792-832',
            {
                **alert_detail,
                'conditions': [
                    {
                        'condition_type': NUM,
                        'conidex': STR,
                        'contract_description_1': STR,
                        'condition_operator': STR,
                        'condition_trigger_method': STR,
                        'condition_value': STR,
                        'condition_logic_bind': STR,
                        'condition_time_zone': Maybe(STR),
                    }
                ],
            },
        ),
        Example('GET /iserver/account/mta', 'L962-996', {**alert_detail, 'conditions': []}),
        Example('POST /iserver/account/{accountId}/alert/activate', 'L1058-1065', acknowledgement),
        Example('DELETE /iserver/account/{accountId}/alert/{alertId}', 'L1120-1127', acknowledgement),
        Example(
            'GET /iserver/account/allocation/accounts',
            'L3699-3728',
            {'accounts': [{'data': [{'value': STR, 'key': STR}], 'name': STR}]},
        ),
        Example(
            'GET /iserver/account/allocation/group',
            'L3770-3778',
            {'data': [{'allocation_method': STR, 'size': NUM, 'name': STR}]},
        ),
        Example(
            'POST /iserver/account/allocation/group/single',
            'L3836-3849',
            {'name': STR, 'accounts': [{'amount': NUM, 'name': STR}], 'default_method': STR},
        ),
        Example('POST /iserver/account/allocation/group', 'L3915-3918', success, note='field list only'),
        Example('PUT /iserver/account/allocation/group', 'L3988-3991', success, note='field list only'),
        Example('POST /iserver/account/allocation/group/delete', 'L4026-4029', success, note='field list only'),
        Example(
            'GET /iserver/account/allocation/presets',
            'L4067-4073',
            {
                'group_auto_close_positions': BOOL,
                'default_method_for_all': STR,
                'profiles_auto_close_positions': BOOL,
                'strict_credit_check': BOOL,
                'group_proportional_allocation': BOOL,
            },
        ),
        Example('POST /iserver/account/allocation/presets', 'L4125-4128', success, note='field list only'),
        Example(
            'POST /iserver/secdef/search',
            'L2710-2721',
            [
                {
                    'conid': STR,
                    'companyHeader': STR,
                    'companyName': STR,
                    'symbol': STR,
                    'description': ANY,
                    'restricted': ANY,
                    'sections': [],
                    'secType': STR,
                }
            ],
            note="the GET form's example (the seed shows no POST form): the same answer",
        ),
    )


_SPEC = "IBKR's OpenAPI spec (checked by test_openapi_conformance)"
NOT_IN_SEED: Dict[str, str] = {
    **dict.fromkeys(
        (
            'GET /fyi/unreadnumber',
            'GET /fyi/settings',
            'POST /fyi/settings/{typecode}',
            'GET /fyi/disclaimer/{typecode}',
            'PUT /fyi/disclaimer/{typecode}',
            'GET /fyi/deliveryoptions',
            'PUT /fyi/deliveryoptions/email',
            'POST /fyi/deliveryoptions/device',
            'DELETE /fyi/deliveryoptions/{deviceId}',
            'GET /fyi/notifications',
            'PUT /fyi/notifications/{notificationID}',
        ),
        f'{_SPEC}; seed 002 lists only its pacing (L334-345)',
    ),
    **dict.fromkeys(
        (
            'POST /fa/model/list',
            'POST /fa/model/summary',
            'POST /fa/model/positions',
            'POST /fa/model/accounts-details',
            'POST /fa/model/save',
            'POST /fa/model/invest-divest',
            'POST /fa/model/invest-divest-positions',
            'POST /fa/model/submit-transfers',
            'POST /fa/fa-preset/get',
            'POST /fa/fa-preset/save',
            'POST /pa/allperiods',
            'GET /contract/trading-schedule',
            'POST /iserver/notification',
        ),
        _SPEC,
    ),
    **dict.fromkeys(
        (
            'GET /forecast/category/tree',
            'GET /forecast/contract/market',
            'GET /forecast/contract/details',
            'GET /forecast/contract/rules',
            'GET /forecast/contract/schedules',
        ),
        f'{_SPEC}; seed 002 shows ForecastEx through /trsrv/event/... (L3479-3660)',
    ),
}
