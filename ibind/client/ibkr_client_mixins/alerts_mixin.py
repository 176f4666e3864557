"""AlertsMixin: the alerts category of the IBKR Client Portal Web API.

An alert watches conditions (a price crossing a value, a time, margin, trades, volume) and, when they hold,
notifies: a TWS pop-up, an email, the mobile app, and an FYI notification. Alerts are identified by an
``order_id`` (they live in the order system); modifying one gives it a new id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.support.arguments import (
    choice_arg,
    flag_arg,
    optional_flag,
    optional_text,
    text_arg,
    whole_arg,
)

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

CONDITION_TYPES = (1, 3, 4, 5, 6, 7, 8, 9)
"""1 price, 3 time, 4 margin, 5 trade, 6 volume, 7 MTA market, 8 MTA position, 9 MTA account daily PnL."""

ALERT_TIFS = ('GTC', 'GTD')
OPERATORS = ('>=', '<=')
LOGIC_BINDS = ('a', 'o', 'n')
_CONDITION_KEYS = {'type', 'conidex', 'operator', 'value', 'triggerMethod', 'logicBind', 'timeZone'}


def _conditions(conditions: Any) -> List[Dict[str, Any]]:
    expected = (
        "a list of condition dicts like {'type': 1, 'conidex': '265598@SMART', 'operator': '>=', "
        "'value': '195.00', 'triggerMethod': '0', 'logicBind': 'n'}"
    )
    if isinstance(conditions, dict) or not isinstance(conditions, (list, tuple)):
        raise TypeError(f"'conditions' must be {expected}, got {type(conditions).__name__}")
    if not conditions:
        raise ValueError(f"'conditions' must not be empty: expected {expected}")
    checked = []
    for index, condition in enumerate(conditions):
        where = f'conditions[{index}]'
        if not isinstance(condition, dict):
            raise TypeError(f'{where!r} must be a dict ({expected}), got {type(condition).__name__}')
        unknown = set(condition) - _CONDITION_KEYS
        if unknown:
            raise ValueError(f'{where!r} has unknown keys {sorted(unknown)}; expected {sorted(_CONDITION_KEYS)}')
        choice_arg(f'{where}.type', condition.get('type'), CONDITION_TYPES)
        choice_arg(f'{where}.operator', condition.get('operator'), OPERATORS)
        choice_arg(f'{where}.logicBind', condition.get('logicBind', 'n'), LOGIC_BINDS)
        value = condition.get('value')
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or str(value).strip() == '':
            raise ValueError(f"'{where}.value' must be the trigger value as a str (e.g. '195.00'), got {value!r}")
        entry = {'logicBind': 'n', 'triggerMethod': '0', **condition, 'value': str(value)}
        if 'conidex' in entry:
            entry['conidex'] = text_arg(f'{where}.conidex', entry['conidex'], "'conid@exchange', e.g. '265598@SMART'")
        checked.append(entry)
    return checked


class AlertsMixin(IbkrClientHost):
    """https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#alerts"""

    def create_alert(
        self,
        alert_name: str,
        alert_message: str,
        conditions: List[Dict[str, Any]],
        account_id: Optional[str] = None,
        alert_repeatable: Union[bool, int] = False,
        outside_rth: Union[bool, int] = False,
        tif: str = 'GTC',
        expire_time: Optional[str] = None,
        email: Optional[str] = None,
        send_message: Optional[Union[bool, int]] = None,
        show_popup: Optional[Union[bool, int]] = None,
        itws_orders_only: Optional[Union[bool, int]] = None,
        order_id: Optional[int] = None,
    ) -> Result:
        """POST /iserver/account/{accountId}/alert: create an alert, or modify the one ``order_id`` names.

        Arguments:
            alert_name: a name you recognise it by. alert_message: the text it reports when triggered.
            conditions: one dict per condition: ``type`` (1 price, 3 time, 4 margin, 5 trade, 6 volume),
                ``conidex`` (``'265598@SMART'``), ``operator`` (``'>='`` or ``'<='``), ``value`` (``'195.00'``
                or ``'YYYYMMDD-HH:mm:ss'``), ``logicBind`` (``'a'`` AND, ``'o'`` OR, ``'n'`` last; default ``'n'``),
                ``triggerMethod`` (default ``'0'``), ``timeZone`` (MTA only).
            alert_repeatable: may fire more than once. outside_rth: may fire outside regular trading hours.
            tif: ``'GTC'`` or ``'GTD'`` (then ``expire_time`` ``'YYYYMMDD-HH:mm:ss'`` is required).
            email / send_message: send an email (the address is required when ``send_message`` is set).
            order_id: the alert to modify (it gets a new id).

        Answers ``{"order_id": <alert id>, "success": true, "text": "Submitted", ...}``.
        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#create-alert
        """
        account = self._account(account_id)
        tif = choice_arg('tif', tif.upper() if isinstance(tif, str) else tif, ALERT_TIFS)
        if tif == 'GTD' and expire_time is None:
            raise ValueError("'expire_time' is required when tif is 'GTD': expected 'YYYYMMDD-HH:mm:ss'")
        send = optional_flag('send_message', send_message)
        if send and email is None:
            raise ValueError("'email' is required when send_message is set: expected an email address")
        body = {
            'alertName': text_arg('alert_name', alert_name, "a name like 'AAPL above 200'"),
            'alertMessage': text_arg('alert_message', alert_message, 'the text the alert reports'),
            'alertRepeatable': flag_arg('alert_repeatable', alert_repeatable),
            'outsideRth': flag_arg('outside_rth', outside_rth),
            'tif': tif,
            'conditions': _conditions(conditions),
            'expireTime': optional_text('expire_time', expire_time, "'YYYYMMDD-HH:mm:ss'"),
            'email': optional_text('email', email, 'an email address'),
            'sendMessage': send,
            'showPopup': optional_flag('show_popup', show_popup),
            'iTWSOrdersOnly': optional_flag('itws_orders_only', itws_orders_only),
            'orderId': None if order_id is None else whole_arg('order_id', order_id, 1),
        }
        return self.post(
            f'iserver/account/{path_segment("account_id", account)}/alert',
            json={k: v for k, v in body.items() if v is not None},
        )

    def get_all_alerts(self, account_id: Optional[str] = None) -> Result:
        """GET /iserver/account/{accountId}/alerts: every alert of the account (id, name, active, triggered).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#get-alert-list
        """
        account = self._account(account_id)
        return self.get(f'iserver/account/{path_segment("account_id", account)}/alerts')

    def get_alert_details(self, alert_id: Union[int, str]) -> Result:
        """GET /iserver/account/alert/{alertId}?type=Q: one alert with its conditions.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#get-alert-details
        """
        alert = whole_arg('alert_id', alert_id, 1)
        return self.get(f'iserver/account/alert/{alert}', {'type': 'Q'})

    def get_mta_alert(self) -> Result:
        """GET /iserver/account/mta: the user's mobile trading assistant alert (it can be modified, not deleted).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#get-mta-alert
        """
        return self.get('iserver/account/mta')

    def activate_alert(
        self, alert_id: Union[int, str], active: bool = True, account_id: Optional[str] = None
    ) -> Result:
        """POST /iserver/account/{accountId}/alert/activate: switch an alert on (True) or off (False).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#activate-alert
        """
        account = self._account(account_id)
        body = {'alertId': whole_arg('alert_id', alert_id, 1), 'alertActive': flag_arg('active', active)}
        return self.post(f'iserver/account/{path_segment("account_id", account)}/alert/activate', json=body)

    def delete_alert(self, alert_id: Union[int, str], account_id: Optional[str] = None) -> Result:
        """DELETE /iserver/account/{accountId}/alert/{alertId}: delete an alert for good (``0`` deletes all of them).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#delete-alert
        """
        account = self._account(account_id)
        alert = whole_arg('alert_id', alert_id, 0)
        return self.delete(f'iserver/account/{path_segment("account_id", account)}/alert/{alert}', json={})
