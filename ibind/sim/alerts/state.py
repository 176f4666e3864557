"""The alerts of the simulated accounts, and the watch that fires them as the simulated market moves."""

from __future__ import annotations

import calendar
import logging
import time as _time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from ibind.sim.accounts.figures import account_figures, day_start, nav_at, state_at
from ibind.sim.engine.crossing import first_reach
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.gateway import Gateway

_LOGGER = logging.getLogger('ibind.sim.alerts')

FIRST_ALERT_ID = 9_876_543_210 - 1000  # alert ids look like the docs' (order ids of a separate series)
MTA_ORDER_ID = 9_998_887_776
MTA_TOOL_ID = 55_834_574_848
PRICE, TIME, MARGIN, TRADE, VOLUME, MTA_MARKET, POSITION, DAILY_PNL = 1, 3, 4, 5, 6, 7, 8, 9
CONDITION_TYPES = {
    1: 'Price',
    3: 'Time',
    4: 'Margin',
    5: 'Trade',
    6: 'Volume',
    7: 'MTA market',
    8: 'MTA Position',
    9: 'MTA Account Daily PnL',
}
# 'MTA market' (7) has no documented meaning: stored and listed, it never fires
WATCHED_TYPES = (PRICE, TIME, MARGIN, TRADE, VOLUME, POSITION, DAILY_PNL)
ACCOUNT_TYPES = (MARGIN, POSITION, DAILY_PNL)  # conditions that value the account (sampled less often)
OPERATORS = ('>=', '<=')
LOGIC_BINDS = ('a', 'o', 'n')
MAX_STEPS_PER_SYNC = 240  # price samples per condition between two requests, at most
ACCOUNT_STEPS_PER_SYNC = 24  # margin samples (each values the whole account), at most
TIME_FORMAT = '%Y%m%d-%H:%M:%S'
NUMERIC_VALUES = {  # what the value of these condition types is (a trade condition's value is not read: "*")
    PRICE: 'a price',
    VOLUME: 'a number of shares',
    MARGIN: 'a margin cushion in %',
    POSITION: 'a position (signed number of shares or contracts)',
    DAILY_PNL: "an amount of the day's PnL in the account's base currency",
}


@dataclass
class Condition:
    type: int
    conidex: str
    operator: str
    value: str
    trigger_method: str = '0'
    logic_bind: str = 'n'
    time_zone: Optional[str] = None

    @property
    def conid(self) -> int:
        return int(self.conidex.split('@', 1)[0])


@dataclass
class Alert:
    order_id: int
    account: str
    name: str
    message: str
    conditions: List[Condition]
    repeatable: int = 0
    outside_rth: int = 0
    tif: str = 'GTC'
    expire_time: Optional[str] = None
    email: Optional[str] = None
    send_message: int = 0
    show_popup: int = 0
    itws_orders_only: int = 0
    active: int = 1
    triggered: bool = False
    created_at: float = 0.0
    fired_times: List[float] = field(default_factory=list)
    holding: bool = False  # the condition held at the last sample (a repeatable alert re-arms)
    executions_seen: int = 0  # the account's executions before this count are not new to a trade condition


def parse_time(text: str, name: str) -> float:
    """'YYYYMMDD-HH:mm:ss' (UTC) as epoch seconds; the gateway's 400 otherwise."""
    try:
        return float(calendar.timegm(_time.strptime(text, TIME_FORMAT)))
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: {name} must be "YYYYMMDD-HH:mm:ss", got {text!r}') from None


def format_time(epoch: float) -> str:
    return _time.strftime(TIME_FORMAT, _time.gmtime(epoch))


def _flag(body: Dict[str, Any], name: str, default: Optional[int] = None) -> int:
    value = body.get(name, default)
    if value is None:
        raise ApiError(400, f'Bad Request: missing required field {name}')
    if isinstance(value, bool):
        value = int(value)
    if value not in (0, 1):
        raise ApiError(400, f'Bad Request: {name} must be 0 or 1, got {value!r}')
    return int(value)


class AlertBook:
    """Every alert of this user, by alert id (order_id), and the one MTA alert."""

    def __init__(self, gateway: Gateway) -> None:
        self.gateway = gateway
        self.alerts: Dict[int, Alert] = {}
        self._next_id = FIRST_ALERT_ID
        self.last_sync = gateway.clock.now()
        self.mta_order_id = MTA_ORDER_ID
        self.mta_active = 1

    # ----------------------------------------------------------------- create, change, delete

    def save(self, account: str, body: Dict[str, Any]) -> Alert:
        """Create an alert, or modify the one whose id is ``body['orderId']``."""
        gw = self.gateway
        for name in ('alertName', 'alertMessage', 'tif'):
            if not isinstance(body.get(name), str) or not body[name].strip():
                raise ApiError(400, f'Bad Request: {name} must be a non-empty string')
        tif = body['tif'].upper()
        if tif not in ('GTC', 'GTD'):
            raise ApiError(400, f'Bad Request: tif must be GTC or GTD, got {body["tif"]!r}')
        expire_time = body.get('expireTime')
        if tif == 'GTD':
            if not expire_time:
                raise ApiError(400, 'Bad Request: expireTime is required when tif is GTD')
            parse_time(expire_time, 'expireTime')
        send_message = _flag(body, 'sendMessage', 0)
        if send_message and not body.get('email'):
            raise ApiError(400, 'Bad Request: email is required when sendMessage is 1')
        conditions = [self._condition(index, raw) for index, raw in enumerate(body.get('conditions') or [])]
        if not conditions:
            raise ApiError(400, 'Bad Request: conditions must be a non-empty array')
        existing_id = body.get('orderId')
        now = gw.clock.now()
        alert = Alert(
            order_id=0,
            account=account,
            name=body['alertName'],
            message=body['alertMessage'],
            conditions=conditions,
            repeatable=_flag(body, 'alertRepeatable'),
            outside_rth=_flag(body, 'outsideRth'),
            tif=tif,
            expire_time=expire_time if tif == 'GTD' else None,
            email=body.get('email'),
            send_message=send_message,
            show_popup=_flag(body, 'showPopup', 0),
            itws_orders_only=_flag(body, 'iTWSOrdersOnly', 0),
            created_at=now,
        )
        if existing_id not in (None, 0, '0'):
            old = self.get(existing_id)
            if old.account != account:
                raise ApiError(400, f'Bad Request: alert {existing_id} belongs to another account')
            del self.alerts[old.order_id]  # a modified alert gets a new id, as the docs say of the MTA alert
        alert.order_id = self._new_id()
        alert.holding = self._holds(alert, now)  # an alert fires on a crossing, not for being already true
        alert.executions_seen = len(gw.account(account).executions)
        self.alerts[alert.order_id] = alert
        return alert

    def _condition(self, index: int, raw: Any) -> Condition:
        where = f'conditions[{index}]'
        if not isinstance(raw, dict):
            raise ApiError(400, f'Bad Request: {where} must be an object')
        kind = raw.get('type')
        if isinstance(kind, bool) or kind not in CONDITION_TYPES:
            raise ApiError(400, f'Bad Request: {where}.type must be one of {sorted(CONDITION_TYPES)}, got {kind!r}')
        operator = raw.get('operator')
        if operator not in OPERATORS:
            raise ApiError(400, f'Bad Request: {where}.operator must be ">=" or "<=", got {operator!r}')
        logic_bind = raw.get('logicBind', 'n')
        if logic_bind not in LOGIC_BINDS:
            raise ApiError(400, f'Bad Request: {where}.logicBind must be "a", "o" or "n", got {logic_bind!r}')
        value = raw.get('value')
        if not isinstance(value, (str, int, float)) or isinstance(value, bool) or str(value).strip() == '':
            raise ApiError(400, f'Bad Request: {where}.value must be a string, got {value!r}')
        value = str(value)
        conidex = str(raw.get('conidex') or '')
        if kind in (PRICE, VOLUME, TRADE, POSITION):
            conid_text = conidex.split('@', 1)[0]
            if not conid_text.isdecimal():
                raise ApiError(400, f'Bad Request: {where}.conidex must be "conid@exchange", got {conidex!r}')
            self.gateway.universe.get(int(conid_text))  # an unknown conid is the gateway's 400
        if kind in NUMERIC_VALUES:
            try:
                float(value)
            except ValueError:
                raise ApiError(
                    400, f'Bad Request: {where}.value must be {NUMERIC_VALUES[kind]}, got {value!r}'
                ) from None
        elif kind == TIME:
            parse_time(value, f'{where}.value')
        return Condition(
            type=kind,
            conidex=conidex,
            operator=operator,
            value=value,
            trigger_method=str(raw.get('triggerMethod', '0')),
            logic_bind=logic_bind,
            time_zone=raw.get('timeZone'),
        )

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def get(self, alert_id: Any) -> Alert:
        try:
            key = int(str(alert_id))
        except ValueError:
            raise ApiError(400, f'Bad Request: alert id must be a whole number, got {alert_id!r}') from None
        alert = self.alerts.get(key)
        if alert is None:
            raise ApiError(400, f'Bad Request: no alert with id {alert_id}')
        return alert

    def activate(self, account: str, alert_id: Any, active: Any) -> Alert:
        if isinstance(active, bool) or active not in (0, 1):
            raise ApiError(400, f'Bad Request: alertActive must be 0 or 1, got {active!r}')
        alert = self.get(alert_id)
        if alert.account != account:
            raise ApiError(400, f'Bad Request: alert {alert_id} belongs to another account')
        alert.active = active
        if active:
            alert.holding = self._holds(alert, self.gateway.clock.now())
            alert.executions_seen = len(self.gateway.account(account).executions)  # trades while off do not count
        return alert

    def delete(self, account: str, alert_id: Any) -> List[int]:
        """Delete one alert, or every alert of the account for id 0 (as documented); the ids deleted."""
        if str(alert_id) == '0':
            gone = [a.order_id for a in self.alerts.values() if a.account == account]
        else:
            alert = self.get(alert_id)
            if alert.account != account:
                raise ApiError(400, f'Bad Request: alert {alert_id} belongs to another account')
            gone = [alert.order_id]
        for order_id in gone:
            del self.alerts[order_id]
        return gone

    def of_account(self, account: str) -> List[Alert]:
        return [a for a in self.alerts.values() if a.account == account]

    # ----------------------------------------------------------------- the watch

    def sync(self, now: float) -> None:
        """Fire every active alert whose conditions became true between the last request and ``now``."""
        start, self.last_sync = self.last_sync, max(self.last_sync, now)
        if now <= start:
            return
        for alert in list(self.alerts.values()):
            if alert.active and not (alert.triggered and not alert.repeatable):
                self._watch(alert, start, now)

    def _watch(self, alert: Alert, start: float, end: float) -> None:
        if not all(c.type in WATCHED_TYPES for c in alert.conditions):
            return
        expires = parse_time(alert.expire_time, 'expireTime') if alert.expire_time else None
        if len(alert.conditions) == 1 and alert.conditions[0].type in (PRICE, TRADE):
            watch = self._watch_price if alert.conditions[0].type == PRICE else self._watch_trades
            watch(alert, alert.conditions[0], start, end if expires is None else min(end, expires))
            if expires is not None and end > expires:
                alert.active = 0
            return
        steps = 1
        for condition in alert.conditions:
            if condition.type in (PRICE, VOLUME):
                steps = MAX_STEPS_PER_SYNC
            elif condition.type in ACCOUNT_TYPES:
                steps = max(steps, ACCOUNT_STEPS_PER_SYNC)
        step = (end - start) / steps
        for index in range(1, steps + 1):
            t = start + step * index
            if expires is not None and t > expires:
                alert.active = 0
                return
            holds = self._holds(alert, t, since=t - step)
            if holds and not alert.holding:
                self._fire(alert, t)
                if not alert.repeatable:
                    alert.holding = holds
                    return
            alert.holding = holds

    def _watch_price(self, alert: Alert, condition: Condition, start: float, end: float) -> None:
        """A lone price condition is followed exactly: no excursion between two requests goes unseen."""
        rising, level = condition.operator == '>=', float(condition.value)

        def holds(t: float) -> bool:
            return self._condition_holds(condition, alert.account, t, t)

        t = start
        for _ in range(MAX_STEPS_PER_SYNC):  # fires (of a repeatable alert) per sync, at most
            if not alert.holding:
                hit = first_reach(self.gateway.market, condition.conid, t, end, holds, level, rising)
                if hit is None:
                    return
                self._fire(alert, hit)
                alert.holding = True
                if not alert.repeatable:
                    return
                t = hit
            release = first_reach(
                self.gateway.market, condition.conid, t, end, lambda x: not holds(x), level, not rising
            )
            if release is None:
                return
            alert.holding, t = False, release

    def _watch_trades(self, alert: Alert, condition: Condition, start: float, end: float) -> None:
        """A lone trade condition fires at each execution of its contract in the alert's account after the alert
        was made (the first only, unless it is repeatable). Executions are counted, not timed, so a fill in the
        very instant the alert was made (a frozen clock) still counts when it came after."""
        executions = self.gateway.account(alert.account).executions
        for index in range(alert.executions_seen, len(executions)):
            execution = executions[index]
            if execution.time > end:  # not yet, as of ``end`` (the alert's expiry)
                return
            alert.executions_seen = index + 1
            if execution.conid == condition.conid:
                self._fire(alert, max(execution.time, start))
                if not alert.repeatable:
                    return

    def _executions(self, account: str, conid: int, since: float, until: float) -> List[Any]:
        """The account's executions of ``conid`` in (since, until], oldest first."""
        executions = self.gateway.account(account).executions
        return [e for e in executions if e.conid == conid and since < e.time <= until]

    def _holds(self, alert: Alert, t: float, since: Optional[float] = None) -> bool:
        """The alert's conditions at time ``t``, combined left to right by their logicBind ('a' AND, 'o' OR).

        A trade condition holds when its contract traded in the account in (since, t]: at creation (no
        ``since``) it does not hold."""
        result: Optional[bool] = None
        bind = 'n'
        for condition in alert.conditions:
            value = self._condition_holds(condition, alert.account, t, t if since is None else since)
            result = value if result is None else (result and value if bind == 'a' else result or value)
            bind = condition.logic_bind
        return bool(result)

    def _condition_holds(self, condition: Condition, account: str, t: float, since: float) -> bool:
        observed: float
        gw = self.gateway
        if condition.type == TRADE:
            return bool(self._executions(account, condition.conid, since, t))
        if condition.type == PRICE:
            observed = self.gateway.market.last(condition.conid, t)
        elif condition.type == TIME:
            observed = t
        elif condition.type == VOLUME:  # the day's volume so far
            observed = self.gateway.market.day_stats(condition.conid, t)['volume']
        elif condition.type == MARGIN:  # the account's cushion (excess liquidity / net liquidation), in %
            observed = 100.0 * account_figures(gw, gw.account(account), t).cushion
        elif condition.type == POSITION:  # the account's position in the contract: + long, - short
            observed = state_at(gw, gw.account(account), t)[1].get(condition.conid, 0.0)
        elif condition.type == DAILY_PNL:  # net liquidation now less at 00:00 UTC, as the summary's dpl
            book = gw.account(account)
            observed = nav_at(gw, book, t) - nav_at(gw, book, day_start(t))
        else:
            return False
        target = parse_time(condition.value, 'value') if condition.type == TIME else float(condition.value)
        return observed >= target if condition.operator == '>=' else observed <= target

    def _fire(self, alert: Alert, t: float) -> None:
        alert.triggered = True
        alert.fired_times.append(t)
        _LOGGER.debug('alert %s (%s) fired at %s', alert.order_id, alert.name, t)
        self.gateway.fyi.notify(
            'PR' if alert.conditions[0].type == PRICE else 'TO',
            alert.name,
            alert.message,
            at=t,
            alert_id=alert.order_id,
        )

    def describe(self) -> Dict[str, Any]:
        return {
            str(a.order_id): {
                'account': a.account,
                'name': a.name,
                'active': a.active,
                'triggered': a.triggered,
                'fired': len(a.fired_times),
            }
            for a in self.alerts.values()
        }
