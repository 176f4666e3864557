"""IbkrWsClient: IBKR's WebSocket stream (``/v1/api/ws``) that stays subscribed through a night.

    ws = client.websocket()                    # or IbkrWsClient(ibkr_client=client)
    ws.start()
    quotes = ws.subscribe('md+265598', {'fields': snapshot_keys_to_ids(['last_price', 'bid', 'ask'])})
    orders = ws.subscribe('or')
    message = ws.get(IbkrWsKey.MARKET_DATA, timeout=5)    # a WsMessage: message.data['last_price']
    ws.close()

What it does that a bare socket does not (the established complaints about IBKR streams):

- every subscription is a handle (``Subscription``) that outlives connections: after a reconnect all of them
  are sent again; its ``state`` and ``last_message_at`` say whether data flows;
- reconnects with back-off; a socket that goes silent (no heartbeat for ``silence_timeout``) is reset;
- ``smd`` subscriptions, which IBKR ends after 15 minutes, are renewed every ``smd_renew_interval`` (10 min)
  on the same server id, so updates never stop. Ages are measured on the server's clock (heartbeats carry
  it) and on the local monotonic clock, whichever says older;
- the brokerage session lost (``sts`` authenticated false): IbkrClient's recovery re-opens it, then the
  stream reconnects and re-subscribes. A competing session is an event and a state, not a loop;
- order updates (``sor``) are delivered once per change: a re-subscription replays the day's orders, and
  what was delivered before is not delivered again (so every fill is seen exactly once); trades by
  execution id likewise;
- ``close()`` leaves no thread behind.
"""

from __future__ import annotations

import collections
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Deque, Dict, List, Optional, Tuple, Union

from ibind import var
from ibind.base.rest_client import RestClient
from ibind.base.ws_client import CLOSED, CONNECTING, OPEN, RECONNECTING, WsClient, make_ssl_context
from ibind.client.ibkr_ws_definitions import (
    IbkrWsKey,
    channel_of_topic,
    is_brokerage_channel,
    normalise_channel,
    subscribe_message,
    unsubscribe_message,
)
from ibind.client.ws_parsing import TopicParser
from ibind.client.ws_subscriptions import KeyedQueues, QueueAccessor, Subscription, SubscriptionState, WsMessage
from ibind.support.errors import CompetingSessionError
from ibind.support.logs import project_logger

if TYPE_CHECKING:
    from ibind.client.ibkr_client import IbkrClient

_LOGGER = project_logger('ibind.ws')

# lifecycle states (``IbkrWsClient.state``)
IDLE, CONNECTING_STATE, CONNECTED, RECONNECTING_STATE, RECOVERING, COMPETING, CLOSED_STATE = (
    'idle',
    'connecting',
    'connected',
    'reconnecting',
    'recovering',
    'competing',
    'closed',
)
_FROM_TRANSPORT = {
    CONNECTING: CONNECTING_STATE,
    OPEN: CONNECTED,
    RECONNECTING: RECONNECTING_STATE,
    CLOSED: CLOSED_STATE,
}
_UNSOLICITED = {'act': IbkrWsKey.ACCOUNT_UPDATES, 'blt': IbkrWsKey.BULLETINS, 'ntf': IbkrWsKey.NOTIFICATIONS}


def _seconds(name: str, value: Any) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise ValueError(f'{name!r} must be a positive number of seconds, got {value!r}')
    return float(value)


class IbkrWsClient:
    """A synchronous client of IBKR's WebSocket API; messages are read and dispatched by one background thread.

    Arguments:
        ibkr_client: the IbkrClient whose session the stream uses (cookie from /tickle, OAuth token, TLS
            settings, recovery); ``client.websocket()`` passes itself. The stream never closes it. (It is
            required: the REST client knows how to make a stream, so the stream does not make REST clients,
            which keeps the two modules from importing each other.)
        url: the WebSocket URL; default: the REST URL's ``.../v1/api/ws`` (``IBIND_WS_URL`` overrides).
        silence_timeout: seconds without any message (IBKR sends a heartbeat every 10 s) before a reset.
        smd_renew_interval: seconds after which an ``smd`` subscription is renewed (IBKR ends it at 15 min).
        tic_interval: seconds between ``tic`` keep-alive messages (IBKR: at least once a minute).
        queue_size: messages kept per key when nobody reads them (the oldest make room).
        on_event: ``on_event(name, detail)`` for lifecycle events ('connected', 'disconnected', 'silent',
            'authentication_lost', 'recovered', 'competing', 'authenticated', 'malformed', 'closed').
        start: connect now (else call ``start()``).
    """

    def __init__(
        self,
        ibkr_client: IbkrClient,
        *,
        url: Optional[str] = var.IBIND_WS_URL,
        account_id: Optional[str] = None,
        cacert: Any = None,
        silence_timeout: float = var.IBIND_WS_SILENCE_TIMEOUT,
        reconnect_backoff: float = var.IBIND_WS_RECONNECT_BACKOFF,
        reconnect_backoff_max: float = var.IBIND_WS_RECONNECT_BACKOFF_MAX,
        smd_renew_interval: float = var.IBIND_WS_SMD_RENEW_INTERVAL,
        tic_interval: float = var.IBIND_WS_TIC_INTERVAL,
        queue_size: int = 10_000,
        auto_recover: bool = True,
        on_event: Optional[Callable[[str, Any], None]] = None,
        open_timeout: float = 10.0,
        poll_interval: float = 0.1,
        start: bool = False,
    ) -> None:
        self.smd_renew_interval = _seconds('smd_renew_interval', smd_renew_interval)
        self.tic_interval = _seconds('tic_interval', tic_interval)
        if isinstance(queue_size, bool) or not isinstance(queue_size, int) or queue_size < 0:
            raise ValueError(f"'queue_size' must be a whole number >= 0 (0: unbounded), got {queue_size!r}")
        if on_event is not None and not callable(on_event):
            raise TypeError("'on_event' must be a callable on_event(name, detail) or None")
        if not isinstance(ibkr_client, RestClient) or not all(
            callable(getattr(ibkr_client, name, None)) for name in ('tickle', 'recover_brokerage_session')
        ):  # a bare RestClient has no /tickle (the cookie) nor session recovery
            raise TypeError(f"'ibkr_client' must be an IbkrClient (or use client.websocket()), got {ibkr_client!r}")
        self.ibkr_client = ibkr_client
        self.account_id = account_id or getattr(ibkr_client, 'account_id', None)
        self.auto_recover = bool(auto_recover)
        self.url = url or _websocket_url(ibkr_client.base_url)
        verify = ibkr_client.cacert if cacert is None else cacert
        if getattr(ibkr_client, 'use_oauth', False) and verify is False:
            verify = True  # OAuth is always TLS-verified, as for REST
        self._on_event = on_event
        self._lock = threading.RLock()
        self._subscriptions: Dict[str, Subscription] = {}
        self._queues = KeyedQueues(queue_size)
        self._callbacks: Dict[IbkrWsKey, List[Callable[[WsMessage], None]]] = {key: [] for key in IbkrWsKey}
        self._parser = TopicParser()
        self._state = IDLE
        self._state_changed = threading.Condition()
        self._brokerage: Optional[bool] = None
        self._recovery_needed = False
        self._session_cookie: Optional[str] = None
        self._last_tic: Tuple[float, Optional[int]] = (time.monotonic(), None)
        self.server_time: Optional[int] = None  # the server's clock (ms) as last seen in a message
        self.events: Deque[Tuple[float, str, Any]] = collections.deque(maxlen=1000)
        self.stats: Dict[str, int] = collections.defaultdict(int)
        self._transport = WsClient(
            self._url_with_token,
            ssl_context=make_ssl_context(self.url, verify),
            headers_factory=self._headers,
            on_open=self._on_open,
            on_message=self._on_message,
            on_close=self._on_close,
            before_connect=self._before_connect,
            on_idle=self._on_idle,
            on_state=self._on_transport_state,
            silence_timeout=silence_timeout,
            reconnect_backoff=reconnect_backoff,
            reconnect_backoff_max=reconnect_backoff_max,
            open_timeout=open_timeout,
            poll_interval=poll_interval,
            name='ibind-ws',
        )
        if start:
            self.start()

    # ================================================================= lifecycle

    def start(self) -> IbkrWsClient:
        """Connect in the background (returns at once; ``wait_ready`` waits for the connection)."""
        self._transport.start()
        return self

    def close(self, timeout: float = 5.0) -> bool:
        """Close the stream and stop its thread (the IbkrClient stays open: it is the caller's). Idempotent."""
        ended = self._transport.close(timeout)
        with self._lock:
            for subscription in self._subscriptions.values():
                if subscription.state in (SubscriptionState.PENDING, SubscriptionState.ACTIVE):
                    subscription._set(SubscriptionState.UNSUBSCRIBED)
        self._set_state(CLOSED_STATE)
        return ended

    shutdown = close  # the established ibind's name

    def __enter__(self) -> IbkrWsClient:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    @property
    def state(self) -> str:
        """'idle', 'connecting', 'connected', 'reconnecting', 'recovering', 'competing' or 'closed'."""
        return self._state

    @property
    def running(self) -> bool:
        return self._transport.running

    def ready(self) -> bool:
        return self._state == CONNECTED

    def wait_ready(self, timeout: Optional[float] = None) -> bool:
        """Block until connected (True) or ``timeout`` (False)."""
        return self.wait_for_state(CONNECTED, timeout)

    def wait_for_state(self, state: str, timeout: Optional[float] = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._state_changed:
            while self._state != state:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._state_changed.wait(left)
            return True

    def _set_state(self, state: str) -> None:
        with self._state_changed:
            if state == self._state:
                return
            self._state = state
            self._state_changed.notify_all()
        self._event('state', state)

    def _event(self, name: str, detail: Any = None) -> None:
        self.events.append((time.time(), name, detail))
        if name != 'state':
            self.stats[f'event_{name}'] += 1
        if self._on_event is not None:
            try:
                self._on_event(name, detail)
            except Exception:
                _LOGGER.exception('on_event raised; the stream carries on')

    # ================================================================= subscriptions

    def subscribe(
        self,
        channel: str,
        data: Optional[Dict[str, Any]] = None,
        needs_confirmation: bool = True,
        callback: Optional[Callable[[WsMessage], None]] = None,
    ) -> Subscription:
        """Subscribe to ``channel`` ('md+265598', 'or', 'pl', 'tr', 'sd+DU1234567', 'ld+DU1234567', 'mh+265598',
        'bd+DU1234567+265598'); returns its handle at once (pending until its first message, or active at once
        with ``needs_confirmation=False``). Subscribing again to the same channel updates and renews it."""
        channel = normalise_channel(channel)
        if data is not None and not isinstance(data, dict):
            raise TypeError(f"'data' must be a dict of the topic's parameters or None, got {type(data).__name__}")
        if callback is not None and not callable(callback):
            raise TypeError("'callback' must be a callable taking a WsMessage, or None")
        if self._state == CLOSED_STATE:
            raise RuntimeError('this IbkrWsClient is closed; create a new one')
        with self._lock:
            subscription = self._subscriptions.get(channel)
            if subscription is None:
                subscription = Subscription(
                    channel, IbkrWsKey.from_channel(channel), data, needs_confirmation, callback
                )
                self._subscriptions[channel] = subscription
            else:
                subscription.data, subscription.callback = data, callback or subscription.callback
                subscription._set(SubscriptionState.PENDING if needs_confirmation else SubscriptionState.ACTIVE)
            self._send_subscription(subscription)
        return subscription

    def unsubscribe(self, channel: Union[str, Subscription]) -> bool:
        """End a subscription (its handle becomes 'unsubscribed'); False if there was none."""
        channel = channel.channel if isinstance(channel, Subscription) else normalise_channel(channel)
        with self._lock:
            subscription = self._subscriptions.pop(channel, None)
        if subscription is None:
            return False
        subscription._set(SubscriptionState.UNSUBSCRIBED)
        message = unsubscribe_message(channel, subscription.server_id)
        if message:
            self._transport.send(message)
        return True

    @property
    def subscriptions(self) -> List[Subscription]:
        with self._lock:
            return list(self._subscriptions.values())

    def _send_subscription(self, subscription: Subscription) -> None:
        """Send (or re-send) one subscription; it waits when there is no connection or no brokerage session."""
        if subscription.state == SubscriptionState.FAILED:
            return
        if is_brokerage_channel(subscription.channel) and self._brokerage is False:
            return  # sent again when sts says the brokerage session is back
        if self._transport.send(subscribe_message(subscription.channel, subscription.data)):
            subscription.sent_at = time.monotonic()
            subscription.sent_at_server = self.server_time
            if not subscription.needs_confirmation:
                subscription._set(SubscriptionState.ACTIVE)

    def _resubscribe(self, brokerage_only: bool = False) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions.values())
        for subscription in subscriptions:
            if brokerage_only and not is_brokerage_channel(subscription.channel):
                continue
            if subscription.state == SubscriptionState.ACTIVE and subscription.needs_confirmation:
                subscription._set(SubscriptionState.PENDING)
            self._send_subscription(subscription)

    # ================================================================= consuming

    def new_queue_accessor(self, key: IbkrWsKey) -> QueueAccessor:
        """A reader of ``key``'s queue (``accessor.get(timeout=1)``)."""
        return self._queues.accessor(_key(key))

    def get(self, key: IbkrWsKey, block: bool = False, timeout: Optional[float] = None) -> Optional[WsMessage]:
        """The next message filed under ``key``, or None (``timeout``: wait up to that many seconds)."""
        return self._queues.accessor(_key(key)).get(block=block, timeout=timeout)

    def empty(self, key: IbkrWsKey) -> bool:
        return self._queues.accessor(_key(key)).empty()

    def add_callback(self, key: IbkrWsKey, callback: Callable[[WsMessage], None]) -> None:
        """Call ``callback(message)`` for every message filed under ``key`` (in the stream's thread: keep it short)."""
        if not callable(callback):
            raise TypeError("'callback' must be a callable taking a WsMessage")
        with self._lock:
            self._callbacks[_key(key)].append(callback)

    def remove_callback(self, key: IbkrWsKey, callback: Callable[[WsMessage], None]) -> bool:
        with self._lock:
            callbacks = self._callbacks[_key(key)]
            if callback in callbacks:
                callbacks.remove(callback)
                return True
        return False

    @property
    def dropped(self) -> Dict[IbkrWsKey, int]:
        """Messages dropped per key because its queue was full (nobody reading)."""
        return dict(self._queues.dropped)

    def send(self, message: str) -> bool:
        """Send a raw message (e.g. 'tic'); False if not connected."""
        if not isinstance(message, str):
            raise TypeError(f"'message' must be a str, got {type(message).__name__}")
        return self._transport.send(message)

    # ================================================================= the transport's hooks (stream thread)

    def _url_with_token(self) -> str:
        if getattr(self.ibkr_client, 'use_oauth', False):
            token = self.ibkr_client.oauth_config.access_token
            return f'{self.url}{"&" if "?" in self.url else "?"}oauth_token={token}'
        return self.url

    def _headers(self) -> Dict[str, str]:
        return {'Cookie': f'api={self._session_cookie}'} if self._session_cookie else {}

    def _before_connect(self) -> None:
        """Before every attempt: recover the brokerage session if it was lost, then /tickle for the cookie."""
        if self._recovery_needed and self.auto_recover:
            self._set_state(RECOVERING)
            try:
                self.ibkr_client.recover_brokerage_session()
                self._recovery_needed = False
                self.stats['recoveries'] += 1
                self._event('recovered')
            except CompetingSessionError as error:
                self._recovery_needed = False  # another session holds it: say so, do not fight over it
                self._set_state(COMPETING)
                self._event('competing', str(error))
        answer = self.ibkr_client.tickle().data
        session = answer.get('session') if isinstance(answer, dict) else None
        if not isinstance(session, str) or not session:
            raise ValueError(f'/tickle did not return a session value for the api cookie: {answer!r}')
        self._session_cookie = session

    def _on_transport_state(self, state: str) -> None:
        if state == OPEN and self._state == COMPETING:
            return
        self._set_state(_FROM_TRANSPORT.get(state, state))

    def _on_open(self) -> None:
        self._event('connected', self.url)
        self._last_tic = (time.monotonic(), self.server_time)
        self._resubscribe()

    def _on_close(self, reason: str) -> None:
        with self._lock:
            subscriptions = list(self._subscriptions.values())
        for subscription in subscriptions:
            if subscription.state == SubscriptionState.ACTIVE and subscription.needs_confirmation:
                subscription._set(SubscriptionState.PENDING)
        self._event('silent' if reason == 'silent' else 'disconnected', reason)

    def _on_idle(self) -> None:
        """Renew smd subscriptions before IBKR ends them; keep the session alive with 'tic'."""
        now, server = time.monotonic(), self.server_time
        for subscription in self.subscriptions:
            if (
                not subscription.channel.startswith('md+')
                or subscription.sent_at == 0.0
                or subscription.state not in (SubscriptionState.ACTIVE, SubscriptionState.PENDING)
            ):
                continue
            if subscription.sent_at_server is None:
                subscription.sent_at_server = server
            if _older_than(self.smd_renew_interval, now, subscription.sent_at, server, subscription.sent_at_server):
                subscription.renewals += 1
                self.stats['smd_renewals'] += 1
                self._send_subscription(subscription)
        if self._last_tic[1] is None:
            self._last_tic = (self._last_tic[0], server)
        if _older_than(self.tic_interval, now, self._last_tic[0], server, self._last_tic[1]):
            if self._transport.send('tic'):
                self.stats['tic'] += 1
            self._last_tic = (now, server)

    def _on_message(self, raw: Union[str, bytes]) -> None:
        try:
            text = raw.decode('utf-8') if isinstance(raw, bytes) else raw
            message = json.loads(text)
            if not isinstance(message, dict):
                raise ValueError(f'a JSON {type(message).__name__}, not an object')
        except ValueError as error:
            self.stats['malformed'] += 1
            self._event('malformed', f'{error}: {str(raw)[:80]!r}')
            return
        self.stats['received'] += 1
        server_time = message.get('hb', message.get('_updated'))
        if (
            isinstance(server_time, int)
            and not isinstance(server_time, bool)
            and (self.server_time is None or server_time > self.server_time)
        ):
            self.server_time = server_time
        topic = message.get('topic')
        topic = topic if isinstance(topic, str) else ''
        if 'error' in message:
            self._on_error(topic, message)
        elif topic == 'system':
            if 'hb' in message:
                self.stats['heartbeats'] += 1
            else:
                self._deliver(IbkrWsKey.SYSTEM, topic, message, message)
        elif topic == 'sts':
            args = message.get('args')
            args = args if isinstance(args, dict) else {}
            self._on_auth_status(args)
            self._deliver(IbkrWsKey.AUTHENTICATION_STATUS, topic, args, message)
        elif topic in _UNSOLICITED:
            self._deliver(_UNSOLICITED[topic], topic, message.get('args'), message)
        else:
            self._on_topic_message(topic, message)

    # ================================================================= messages

    def _on_error(self, topic: str, message: Dict[str, Any]) -> None:
        error = str(message.get('error'))
        channel = channel_of_topic(topic)
        with self._lock:
            subscription = self._subscriptions.get(channel) if channel else None
        if subscription is not None and 'not authenticated' not in error.lower():
            subscription._set(SubscriptionState.FAILED, error)
        self._deliver(IbkrWsKey.ERROR, topic, message, message, subscription)

    def _on_auth_status(self, args: Dict[str, Any]) -> None:
        authenticated = args.get('authenticated')
        if authenticated is True:
            regained = self._brokerage is False
            self._brokerage = True
            if self._state in (COMPETING, RECOVERING):
                self._set_state(CONNECTED)
            if regained:
                self._event('authenticated')
                self._resubscribe(brokerage_only=True)
            return
        if authenticated is not False:
            return
        was = self._brokerage
        self._brokerage = False
        for subscription in self.subscriptions:
            if is_brokerage_channel(subscription.channel) and subscription.state == SubscriptionState.ACTIVE:
                subscription._set(SubscriptionState.PENDING)
        if args.get('competing'):
            if self._state != COMPETING:
                self._set_state(COMPETING)
                self._event('competing', args)
            return
        if was is not False or not self._recovery_needed:
            self._event('authentication_lost', args)
            if self.auto_recover:
                self._recovery_needed = True
                self._transport.reset('authentication lost')

    def _on_topic_message(self, topic: str, message: Dict[str, Any]) -> None:
        channel = channel_of_topic(topic)
        if channel is None:
            self.stats['unrouted'] += 1
            return
        key = IbkrWsKey(channel.split('+', 1)[0])
        with self._lock:
            subscription = self._subscriptions.get(channel)
        if subscription is not None:
            if subscription.state == SubscriptionState.UNSUBSCRIBED:
                return
            subscription.messages += 1
            subscription.last_message_at = time.time()
            if isinstance(message.get('_updated'), int):
                subscription.last_server_time = message['_updated']
            elif self.server_time is not None:
                subscription.last_server_time = self.server_time
            if subscription.sent_at_server is None:  # sent before the server's clock was known: its first message
                subscription.sent_at_server = subscription.last_server_time
            if key == IbkrWsKey.MARKET_HISTORY and message.get('serverId') is not None:
                subscription.server_id = str(message['serverId'])
            if subscription.state == SubscriptionState.PENDING:
                subscription._set(SubscriptionState.ACTIVE)
        data = self._parser.parse(key, message)
        self.stats['fills'] = self._parser.fills
        if data is None:
            return
        self._deliver(key, topic, data, message, subscription)

    def _deliver(
        self, key: IbkrWsKey, topic: str, data: Any, raw: Dict[str, Any], subscription: Optional[Subscription] = None
    ) -> None:
        message = WsMessage(key, topic, data, raw, time.time(), subscription.channel if subscription else None)
        self._queues.put(message)
        self.stats['delivered'] += 1
        with self._lock:
            callbacks = list(self._callbacks[key])
        if subscription is not None and subscription.callback is not None:
            callbacks.append(subscription.callback)
        for callback in callbacks:
            try:
                callback(message)
            except Exception:
                _LOGGER.exception('a callback for %s raised; the stream carries on', key.name)

    def __repr__(self) -> str:
        return f'IbkrWsClient(url={self.url!r}, state={self._state!r}, subscriptions={len(self._subscriptions)})'


def _key(key: Any) -> IbkrWsKey:
    if isinstance(key, IbkrWsKey):
        return key
    raise TypeError(f"'key' must be an IbkrWsKey (e.g. IbkrWsKey.MARKET_DATA), got {key!r}")


def _older_than(
    interval: float, now: float, since: float, server_now: Optional[int], server_since: Optional[int]
) -> bool:
    """Whether ``interval`` seconds passed on the local monotonic clock or on the server's clock (ms)."""
    if now - since >= interval:
        return True
    return server_now is not None and server_since is not None and server_now - server_since >= interval * 1000


def _websocket_url(rest_url: str) -> str:
    """'https://localhost:5000/v1/api/' -> 'wss://localhost:5000/v1/api/ws'."""
    base = rest_url if rest_url.endswith('/') else rest_url + '/'
    if base.startswith('https://'):
        return 'wss://' + base[len('https://') :] + 'ws'
    if base.startswith('http://'):
        return 'ws://' + base[len('http://') :] + 'ws'
    raise ValueError(f'cannot derive a WebSocket URL from {rest_url!r}: pass url=')
