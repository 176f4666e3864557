"""One WebSocket client's view of the stream: its subscriptions, and what is due to it as time passes.

``StreamSession.handle`` answers one command (``smd+265598+{"fields":["31"]}``, ``umd+265598+{}``, ``tic``, ...);
``StreamSession.pump`` returns what the simulation has to say since the last call: heartbeats, market data
ticks, order and trade updates, PnL, account summary and ledger, session status changes. Both run with the
gateway lock held and return message dicts; the hub sends them.

Quirks reproduced: ``smd`` subscriptions end 15 (simulated) minutes after they were opened or last renewed
(``ws_smd_expiry``); topics that need the brokerage session end when it drops, and are refused until it is
back (the client must subscribe again); at most 5 ``smh`` at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from ibind.sim.streaming import messages
from ibind.sim.transport.http import ApiError

if TYPE_CHECKING:
    from ibind.sim.engine.universe import Instrument
    from ibind.sim.gateway import Gateway
    from ibind.sim.streaming.hub import StreamingHub

BROKERAGE_TOPICS = ('smd', 'smh', 'sbd', 'sor', 'str')
MAX_HISTORY = 5
PNL_INTERVAL = 1.0
LADDER_INTERVAL = 1.0


@dataclass
class _MarketData:
    conid: int
    conid_ex: str
    fields: List[str]
    server_id: str
    renewed_at: float
    next_at: float
    last: Dict[str, Any] = field(default_factory=dict)


@dataclass
class _AccountFeed:
    keys: List[str]
    fields: List[str]
    next_at: float
    last: Any = None


@dataclass
class _Ladder:
    instrument: Instrument
    topic: str
    next_at: float
    last: Any = None


def parse_command(text: str) -> Tuple[str, List[str], Dict[str, Any]]:
    """'smd+265598+{"fields":["31"]}' -> ('smd', ['265598'], {'fields': ['31']}); ValueError if unreadable."""
    text = text.strip()
    brace = text.find('{')
    head, raw_params = (text, '') if brace < 0 else (text[:brace], text[brace:])
    parts = [part for part in head.split('+') if part]
    if not parts or len(parts[0]) != 3 or not parts[0].isalpha():
        raise ValueError(f'not a topic message: {text[:80]!r}')
    params: Any = {}
    if raw_params:
        params = json.loads(raw_params)
        if not isinstance(params, dict):
            raise ValueError('the parameters must be a JSON object')
    return parts[0], parts[1:], params


class StreamSession:
    def __init__(self, gw: Gateway, hub: StreamingHub) -> None:
        self.gw = gw
        self.hub = hub
        now = gw.clock.now()
        self.authenticated = self._authenticated()
        self.competing = gw.session.competing
        self.last_heartbeat = now
        self.market_data: Dict[str, _MarketData] = {}
        self.histories: Dict[str, str] = {}
        self.ladders: Dict[str, _Ladder] = {}
        self.orders: Optional[Dict[int, Tuple[Any, ...]]] = None  # order id -> last state sent (None: no sor)
        self.trades: Optional[Set[str]] = None  # execution ids sent (None: no str)
        self.pnl: Optional[_AccountFeed] = None
        self.summaries: Dict[str, _AccountFeed] = {}
        self.ledgers: Dict[str, _AccountFeed] = {}
        self.commands = 0

    # ----------------------------------------------------------------- helpers

    def _authenticated(self) -> bool:
        session = self.gw.session
        return bool(session.logged_in and session.brokerage)

    def _now(self) -> float:
        return self.gw.clock.now()

    def opening_messages(self) -> List[Dict[str, Any]]:
        """What the gateway says first on a new connection: system (username), act, sts."""
        return [messages.system_hello(self.gw), messages.account_properties(self.gw), messages.auth_status(self.gw)]

    def _drop_brokerage_topics(self) -> None:
        self.market_data.clear()
        self.histories.clear()
        self.ladders.clear()
        self.orders = None
        self.trades = None

    # ----------------------------------------------------------------- commands

    def handle(self, text: str) -> List[Dict[str, Any]]:
        self.commands += 1
        try:
            topic, targets, params = parse_command(text)
        except ValueError as error:
            return [{'topic': 'error', 'error': f'unreadable message: {error}'}]
        if topic == 'tic':
            self.gw.session.observe(self._now())  # keeps the brokerage session alive, like a request
            return []
        if topic == 'ech':
            return [{'topic': 'ech', 'args': {'echo': '+'.join(targets)}}]
        if (
            topic in BROKERAGE_TOPICS or topic[0] == 'u' and 's' + topic[1:] in BROKERAGE_TOPICS
        ) and not self._authenticated():
            return [{'topic': '+'.join([topic] + targets), 'error': 'not authenticated: no brokerage session'}]
        handler = getattr(self, f'_cmd_{topic}', None)
        if handler is None:
            return [{'topic': 'error', 'error': f'unknown topic {topic!r}'}]
        try:
            return handler(targets, params)
        except ApiError as error:  # the same refusal as the REST twin (e.g. "query /portfolio/accounts first")
            return [{'topic': '+'.join([topic] + targets), 'error': str(error)}]

    def _instrument(self, text: str) -> Optional[Instrument]:
        conid = text.split('@', 1)[0]
        instrument = self.gw.universe.find(conid) if conid.isdigit() else None
        return instrument

    def _cmd_smd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if not targets:
            return [{'topic': 'smd', 'error': 'smd needs a conid: smd+265598+{"fields":["31"]}'}]
        conid_ex = targets[0]
        instrument = self._instrument(conid_ex)
        topic = f'smd+{conid_ex}'
        if instrument is None:
            return [{'topic': topic, 'error': f'unknown conid {conid_ex}'}]
        fields = [str(f) for f in params.get('fields') or []] or ['31']
        now = self._now()
        existing = self.market_data.get(conid_ex)
        if existing is not None:  # a renewal: same server id, the 15-minute clock starts again
            existing.renewed_at = now
            existing.fields = fields
            self.hub.stats['smd_renewed'] += 1
            return []
        self.market_data[conid_ex] = _MarketData(
            instrument.conid, conid_ex, fields, self.hub.next_server_id(), renewed_at=now, next_at=now
        )
        return []

    def _cmd_umd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if targets:
            self.market_data.pop(targets[0], None)
        return []

    def _cmd_smh(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if not targets or self._instrument(targets[0]) is None:
            return [{'topic': 'smh', 'error': 'smh needs a known conid: smh+265598+{"period":"1d","bar":"1hour"}'}]
        if len(self.histories) >= MAX_HISTORY:
            return [
                {'topic': f'smh+{targets[0]}', 'error': f'at most {MAX_HISTORY} historical data requests at a time'}
            ]
        try:
            body = messages.history(self.gw, targets[0].split('@', 1)[0], params)
        except ApiError as error:
            return [{'topic': f'smh+{targets[0]}', 'error': str(error)}]
        self.histories[str(body['serverId'])] = targets[0]
        body['topic'] = f'smh+{targets[0]}'
        return [body]

    def _cmd_umh(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if targets:
            self.histories.pop(targets[0], None)
        return []

    def _cmd_sbd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        instrument = self._instrument(targets[1]) if len(targets) >= 2 else None
        if instrument is None:
            return [{'topic': 'sbd', 'error': 'sbd needs an account and a known conid: sbd+DU1234567+265598'}]
        account = targets[0]
        self.ladders[account] = _Ladder(instrument, 'sbd+' + '+'.join(targets[:2]), next_at=self._now())
        return []

    def _cmd_ubd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if targets:
            self.ladders.pop(targets[0], None)
        return []

    def _cmd_sor(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.orders = {}
        return [self._order_update()]

    def _cmd_uor(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.orders = None
        return []

    def _cmd_str(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        import math

        self.trades = set()
        if params.get('realtimeUpdatesOnly'):
            self.trades.update(e.execution_id for e in self._executions())
            return [{'topic': 'str', 'args': []}]
        days = params.get('days', 1)
        days = days if isinstance(days, int) and not isinstance(days, bool) and days >= 1 else 1
        since = (math.floor(self._now() / 86400.0) - (days - 1)) * 86400.0
        self.trades.update(e.execution_id for e in self._executions() if e.time < since)
        return [self._trade_update()]

    def _cmd_utr(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.trades = None
        return []

    def _cmd_spl(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        args = messages.profit_and_loss(self.gw)
        self.pnl = _AccountFeed([], [], next_at=self._now() + PNL_INTERVAL, last=args)
        return [{'topic': 'spl', 'args': args}]

    def _cmd_upl(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        self.pnl = None
        return []

    def _account_target(self, topic: str, targets: List[str]) -> Optional[str]:
        if targets and targets[0] in self.gw.accounts:
            return targets[0]
        return None

    def _cmd_ssd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        account = self._account_target('ssd', targets)
        if account is None:
            return [{'topic': 'ssd', 'error': "ssd needs one of this user's accounts: ssd+DU1234567+{}"}]
        feed = _AccountFeed(
            list(params.get('keys') or []),
            list(params.get('fields') or []),
            next_at=self._now() + self.hub.heartbeat_interval,
        )
        result = messages.account_summary(self.gw, account, feed.keys, feed.fields)
        feed.last = _without_timestamps(result)
        self.summaries[account] = feed
        return [{'topic': f'ssd+{account}', 'result': result}]

    def _cmd_usd(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if targets:
            self.summaries.pop(targets[0], None)
        return [{'topic': 'usd+' + '+'.join(targets), 'result': 'unsubscribed from summary'}]

    def _cmd_sld(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        account = self._account_target('sld', targets)
        if account is None:
            return [{'topic': 'sld', 'error': "sld needs one of this user's accounts: sld+DU1234567+{}"}]
        feed = _AccountFeed(
            list(params.get('keys') or []),
            list(params.get('fields') or []),
            next_at=self._now() + self.hub.heartbeat_interval,
        )
        entries = messages.ledger(self.gw, account, feed.keys, feed.fields)
        feed.last = {key: _without_timestamps(entry) for key, entry in entries.items()}
        self.ledgers[account] = feed
        return [{'topic': f'sld+{account}', 'result': list(entries.values())}]

    def _cmd_uld(self, targets: List[str], params: Dict[str, Any]) -> List[Dict[str, Any]]:
        if targets:
            self.ledgers.pop(targets[0], None)
        return [{'topic': 'uld+' + '+'.join(targets), 'result': 'unsubscribed from ledger'}]

    # ----------------------------------------------------------------- the passing of time

    def pump(self) -> List[Dict[str, Any]]:
        gw = self.gw
        now = self._now()
        out: List[Dict[str, Any]] = []
        authenticated, competing = self._authenticated(), gw.session.competing
        if (authenticated, competing) != (self.authenticated, self.competing):
            self.authenticated, self.competing = authenticated, competing
            out.append(messages.auth_status(gw))
            if not authenticated:
                self._drop_brokerage_topics()
        if now - self.last_heartbeat >= self.hub.heartbeat_interval:
            self.last_heartbeat = now
            out.append(messages.heartbeat(int(now * 1000)))
        if self.orders is not None or self.trades is not None:
            gw.orders.sync(now)  # working orders fill as simulated time passes, as before a request
        if self.orders is not None:
            update = self._order_update()
            if update['args']:
                out.append(update)
        if self.trades is not None:
            update = self._trade_update()
            if update['args']:
                out.append(update)
        out.extend(self._market_data_ticks(now))
        out.extend(self._ladder_updates(now))
        out.extend(self._account_updates(now))
        return out

    def _market_data_ticks(self, now: float) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        expiry = self.hub.smd_expiry
        for conid_ex, sub in list(self.market_data.items()):
            if expiry and now - sub.renewed_at >= expiry:
                del self.market_data[conid_ex]  # IBKR ends an smd subscription that was not renewed
                self.hub.stats['smd_expired'] += 1
                continue
            if now < sub.next_at:
                continue
            sub.next_at = now + self.hub.smd_interval
            instrument = self.gw.universe.find(sub.conid)
            if instrument is None:  # found when subscribed; the universe only grows while a stream is open
                del self.market_data[conid_ex]
                continue
            values = messages.market_data_values(self.gw, instrument, sub.fields)
            changed = {key: value for key, value in values.items() if sub.last.get(key) != value}
            if not changed and sub.last:
                continue
            sub.last.update(values)
            out.append(
                messages.market_data(f'smd+{conid_ex}', sub.conid, conid_ex, sub.server_id, int(now * 1000), changed)
            )
        return out

    def _ladder_updates(self, now: float) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        for ladder in self.ladders.values():
            if now < ladder.next_at:
                continue
            ladder.next_at = now + LADDER_INTERVAL
            rows = messages.price_ladder(self.gw, ladder.instrument)
            if rows != ladder.last:
                ladder.last = rows
                out.append({'topic': ladder.topic, 'data': rows})
        return out

    def _account_updates(self, now: float) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        if self.pnl is not None and now >= self.pnl.next_at:
            self.pnl.next_at = now + PNL_INTERVAL
            args = messages.profit_and_loss(self.gw)
            if args != self.pnl.last:
                self.pnl.last = args
                out.append({'topic': 'spl', 'args': args})
        for account, feed in self.summaries.items():
            if now < feed.next_at:
                continue
            feed.next_at = now + self.hub.heartbeat_interval
            result = messages.account_summary(self.gw, account, feed.keys, feed.fields)
            current = _without_timestamps(result)
            changed = [item for item, bare in zip(result, current) if bare not in feed.last]
            feed.last = current
            if changed:
                out.append({'topic': f'ssd+{account}', 'result': changed})
        for account, feed in self.ledgers.items():
            if now < feed.next_at:
                continue
            feed.next_at = now + self.hub.heartbeat_interval  # "a new message is published every 10 seconds"
            entries = messages.ledger(self.gw, account, feed.keys, feed.fields)
            result = []
            for key, entry in entries.items():
                bare = _without_timestamps(entry)
                if feed.last.get(key) == bare:
                    result.append({'key': key, 'timestamp': entry['timestamp']})  # unchanged: "blank"
                else:
                    result.append(entry)
                feed.last[key] = bare
            out.append({'topic': f'sld+{account}', 'result': result})
        return out

    # ----------------------------------------------------------------- orders and trades

    def _user_orders(self) -> List[Any]:
        import math

        day_start = math.floor(self._now() / 86400.0) * 86400.0
        accounts = set(self.gw.accounts)
        return [
            order
            for order in self.gw.orders.orders.values()
            if order.account in accounts and (order.is_open or order.updated_at >= day_start)
        ]

    def _order_update(self) -> Dict[str, Any]:
        sent = self.orders if self.orders is not None else {}
        changed = []
        for order in self._user_orders():
            state = (order.status, order.filled, order.price, order.aux_price, order.quantity)
            if sent.get(order.order_id) != state:
                sent[order.order_id] = state
                changed.append(order)
        return {'topic': 'sor', 'args': messages.order_args(changed)}

    def _executions(self) -> List[Any]:
        return [execution for account in self.gw.accounts.values() for execution in account.executions]

    def _trade_update(self) -> Dict[str, Any]:
        sent = self.trades if self.trades is not None else set()
        new = [e for e in self._executions() if e.execution_id not in sent]
        sent.update(e.execution_id for e in new)
        return {'topic': 'str', 'args': messages.trade_args(self.gw, new)}

    def describe(self) -> Dict[str, Any]:
        return {
            'smd': sorted(self.market_data),
            'smh': sorted(self.histories),
            'sbd': sorted(self.ladders),
            'sor': self.orders is not None,
            'str': self.trades is not None,
            'spl': self.pnl is not None,
            'ssd': sorted(self.summaries),
            'sld': sorted(self.ledgers),
            'commands': self.commands,
            'authenticated': self.authenticated,
        }


def _without_timestamps(value: Any) -> Any:
    if isinstance(value, list):
        return [_without_timestamps(item) for item in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != 'timestamp'}
    return value
