"""FyiMixin: FYI notifications of the IBKR Client Portal Web API (fired alerts, corporate actions, system
messages...), their settings per type code, disclaimers and delivery options (email, devices)."""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional, Union

from ibind.base.rest_client import Result, path_segment
from ibind.support.arguments import bool_arg, optional_text, text_arg, whole_arg
from ibind.support.py_utils import OneOrMany

if TYPE_CHECKING:
    from ibind.client.ibkr_client_mixins._host import IbkrClientHost
else:
    IbkrClientHost = object  # the host is for the type checker only: nothing of it may shadow IbkrClient

FYI_TYPECODES = (
    'BA',
    'CA',
    'DA',
    'EA',
    'MF',
    'OE',
    'PR',
    'SE',
    'SG',
    'SM',
    'T2',
    'TO',
    'UA',
    'M8',
    'PS',
    'DL',
    'PT',
    'CB',
    'MS',
    'TD',
    'ST',
    'TI',
    'CT',
)
"""The FYI type codes IBKR's OpenAPI specification enumerates."""

MAX_NOTIFICATIONS = 10


def _typecode(value: object) -> str:
    if value not in FYI_TYPECODES:
        raise ValueError(f"'typecode' must be an FYI type code, one of {', '.join(FYI_TYPECODES)}; got {value!r}")
    return str(value)


def _codes(name: str, value: Optional[OneOrMany[str]]) -> Optional[str]:
    if value is None:
        return None
    codes: List[str] = [value] if isinstance(value, str) else list(value)
    if not codes:
        raise ValueError(f'{name!r} must not be empty: pass one type code or a list of them')
    return ','.join(_typecode(code) for code in codes)


class FyiMixin(IbkrClientHost):
    """https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi"""

    def unread_number_of_notifications(self) -> Result:
        """GET /fyi/unreadnumber: how many notifications are unread (``{"BN": 4}``).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-unread
        """
        return self.get('fyi/unreadnumber')

    def get_notification_settings(self) -> Result:
        """GET /fyi/settings: one row per FYI type (``FC`` code, ``FN`` name, ``A`` 1 when enabled).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-settings
        """
        return self.get('fyi/settings')

    def modify_notification_setting(self, typecode: str, enabled: bool) -> Result:
        """POST /fyi/settings/{typecode}: receive (True) or stop (False) notifications of one type.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-settings-modify
        """
        return self.post(f'fyi/settings/{_typecode(typecode)}', json={'enabled': bool_arg('enabled', enabled)})

    def get_disclaimer(self, typecode: str) -> Result:
        """GET /fyi/disclaimer/{typecode}: the disclaimer of an FYI type (``DT`` text).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-disclaimer
        """
        return self.get(f'fyi/disclaimer/{_typecode(typecode)}')

    def mark_disclaimer_read(self, typecode: str) -> Result:
        """PUT /fyi/disclaimer/{typecode}: acknowledge the disclaimer of an FYI type.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-disclaimer-read
        """
        return self.put(f'fyi/disclaimer/{_typecode(typecode)}', json={})

    def get_delivery_options(self) -> Result:
        """GET /fyi/deliveryoptions: email delivery (``M`` 1/0) and the devices (``E``) that receive notifications.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-delivery
        """
        return self.get('fyi/deliveryoptions')

    def set_email_delivery(self, enabled: bool) -> Result:
        """PUT /fyi/deliveryoptions/email?enabled=: send notifications by email or not.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-delivery-email
        """
        return self.put('fyi/deliveryoptions/email', params={'enabled': bool_arg('enabled', enabled)})

    def set_device_delivery(
        self, device_id: str, enabled: bool, device_name: Optional[str] = None, ui_name: Optional[str] = None
    ) -> Result:
        """POST /fyi/deliveryoptions/device: send notifications to a device (True) or not (False).

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-delivery-device
        """
        body = {
            'deviceId': text_arg('device_id', device_id, 'the device id'),
            'enabled': bool_arg('enabled', enabled),
            'deviceName': optional_text('device_name', device_name, "the device's name"),
            'uiName': optional_text('ui_name', ui_name, 'the name shown for the device'),
        }
        return self.post('fyi/deliveryoptions/device', json={k: v for k, v in body.items() if v is not None})

    def delete_device(self, device_id: str) -> Result:
        """DELETE /fyi/deliveryoptions/{deviceId}: stop delivering to a device and forget it.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-delivery-delete
        """
        return self.delete(f'fyi/deliveryoptions/{path_segment("device_id", device_id)}')

    def get_notifications(
        self,
        max: int = MAX_NOTIFICATIONS,
        include: Optional[OneOrMany[str]] = None,
        exclude: Optional[OneOrMany[str]] = None,
        id: Optional[str] = None,
    ) -> Result:
        """GET /fyi/notifications: the newest notifications first, at most ``max`` (1-10).

        ``include``/``exclude``: type codes to keep or drop; ``id``: only notifications older than that one
        (the next page). Each has ``ID``, ``FC`` (type), ``MS`` (subject), ``MD`` (body), ``R`` (read), ``D``.
        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-notifications
        """
        count = whole_arg('max', max, 1)
        if count > MAX_NOTIFICATIONS:
            raise ValueError(f"'max' must be at most {MAX_NOTIFICATIONS} (IBKR's limit), got {count}")
        params = {
            'max': count,
            'include': _codes('include', include),
            'exclude': _codes('exclude', exclude),
            'id': None if id is None else path_segment('id', id),
        }
        return self.get('fyi/notifications', {k: v for k, v in params.items() if v is not None})

    def mark_notification_read(self, notification_id: Union[str, int]) -> Result:
        """PUT /fyi/notifications/{notificationID}: mark one notification read.

        https://www.interactivebrokers.com/campus/ibkr-api-page/cpapi-v1/#fyi-notification-read
        """
        return self.put(f'fyi/notifications/{path_segment("notification_id", notification_id)}', json={})
