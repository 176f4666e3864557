"""The HTTP plumbing under RestClient that requests does not give: a whole-request deadline, a body size cap,
a bounded cookie jar, and a quiet unverified-TLS mode for this client only.

``timeout`` in requests bounds each socket read, so a server that drips one byte a second, or streams a
chunked body forever, holds a request (and the order-flow lock) for ever. Here every connection of a
client's pool registers its socket with the client's ``Watchdog`` while a response is read; one shared
thread per client shuts down a socket whose deadline has passed, which ends the blocked read at once.
Nothing is added per request beyond a thread-local write and two dict operations.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple, Union

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

if TYPE_CHECKING:
    from http.cookiejar import CookieJar

    _ConnectionBase = HTTPConnection  # the type checker sees what super() reaches at run time
else:
    _ConnectionBase = object

DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_DEADLINE_FACTOR = 3.0
MAX_COOKIES = 50
MAX_COOKIE_BYTES = 8192
# Cookies of IBKR's gateway and OAuth sessions: kept whatever else a server sets.
SESSION_COOKIES = frozenset(
    {'JSESSIONID', 'x-sess-uuid', 'SBID', 'XYZAB', 'XYZAB_AM.LOGIN', 'USERID', 'api', 'cp', 'ibkr.sess'}
)


class Watchdog:
    """Ends the requests of one client that run past their whole-request deadline.

    ``arm(deadline)`` (by the requesting thread) says the next response read on this thread must be done by
    ``deadline``; the connection registers its socket when it starts reading the answer; ``disarm()`` ends
    the watch. A daemon thread, started on first use and stopped with the client, checks every ``tick``
    seconds and shuts down the socket of any overdue request.
    """

    def __init__(self, tick: float = 0.1):
        self.tick = tick
        self._local = threading.local()
        self._watched: Dict[int, Tuple[float, Any]] = {}
        self._cut: set = set()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._start_lock = threading.Lock()
        self._stopped = threading.Event()
        self.expired = 0

    def arm(self, deadline: float) -> None:
        self._local.deadline = deadline
        self._local.connecting = False
        if self._thread is None:
            self._start()

    def disarm(self) -> bool:
        """End the watch of this thread's request; True when the watchdog cut it (its deadline passed)."""
        self._local.deadline = None
        ident = threading.get_ident()
        with self._lock:
            self._watched.pop(ident, None)
            if ident in self._cut:
                self._cut.discard(ident)
                return True
        return False

    def connecting(self, started: bool) -> None:
        """Called by a connection around ``connect()`` (the TCP connect and the TLS handshake): a failure while it
        is set happened before anything was sent."""
        self._local.connecting = started

    def failed_connecting(self) -> bool:
        """True when this thread's request failed inside ``connect()``: the request itself never went out."""
        return getattr(self._local, 'connecting', False)

    def watch(self, connection: Any) -> None:
        """Called by a connection about to read an answer on the requesting thread."""
        deadline = getattr(self._local, 'deadline', None)
        if deadline is not None:
            self._watched[threading.get_ident()] = (deadline, connection)

    def stop(self) -> None:
        """Stop the watch thread (a client's close leaves no ibind thread behind)."""
        self._stopped.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=_watch_loop,
                    args=(weakref.ref(self), self._stopped, self.tick),
                    name='ibind-deadline',
                    daemon=True,
                )
                self._thread.start()

    def _expire_overdue(self) -> None:
        now = time.monotonic()
        for ident, entry in list(self._watched.items()):
            if now < entry[0]:
                continue
            with self._lock:
                if self._watched.get(ident) is not entry:
                    continue  # finished (or a newer request) since the snapshot
                self._watched.pop(ident, None)
                self._cut.add(ident)
                self.expired += 1
                sock = getattr(entry[1], 'sock', None)
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass


def _watch_loop(watchdog_ref: weakref.ref[Watchdog], stopped: threading.Event, tick: float) -> None:
    while not stopped.wait(tick):
        watchdog = watchdog_ref()
        if watchdog is None:
            return
        watchdog._expire_overdue()
        del watchdog


class _Watched(_ConnectionBase):
    """What both connection classes add: ``connect()`` marks the thread as connecting (a failure there means the
    request never went out), and ``getresponse()`` puts the socket under the watchdog while the answer is read."""

    watchdog: Optional[Watchdog] = None

    def connect(self) -> None:
        if self.watchdog is None:
            super().connect()
            return
        self.watchdog.connecting(True)
        super().connect()  # on failure the mark stays: the request's error is then known to be "never sent"
        self.watchdog.connecting(False)

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        if self.watchdog is not None:
            self.watchdog.watch(self)
        return super().getresponse(*args, **kwargs)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _QuietUnverifiedHTTPSPool(HTTPSConnectionPool):
    """An HTTPS pool that does not emit urllib3's InsecureRequestWarning: ibind logged its own, once."""

    def _validate_conn(self, conn: Any) -> None:
        HTTPConnectionPool._validate_conn(self, conn)
        if conn.is_closed:
            conn.connect()


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose connections report to a Watchdog (and, unverified, do not warn on every request)."""

    def __init__(self, watchdog: Watchdog, quiet_unverified: bool, **kwargs: Any):
        self._watchdog = watchdog
        self._quiet_unverified = quiet_unverified
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        watchdog = self._watchdog
        http_conn = type('HTTPConnection', (_WatchedHTTPConnection,), {'watchdog': watchdog})
        https_conn = type('HTTPSConnection', (_WatchedHTTPSConnection,), {'watchdog': watchdog})
        https_base = _QuietUnverifiedHTTPSPool if self._quiet_unverified else HTTPSConnectionPool
        self.poolmanager.pool_classes_by_scheme = {
            'http': type('IbindHTTPPool', (HTTPConnectionPool,), {'ConnectionCls': http_conn}),
            'https': type('IbindHTTPSPool', (https_base,), {'ConnectionCls': https_conn}),
        }

    def __getstate__(self) -> Dict[str, Any]:  # pragma: no cover - adapters are not pickled by ibind
        raise TypeError('GuardedAdapter cannot be pickled')


def new_session(watchdog: Watchdog, quiet_unverified: bool, pool_maxsize: int, user_agent: str) -> requests.Session:
    """A requests Session that never follows redirects, whose connections obey the watchdog, and that does not
    consult the environment per request (``environment_settings`` does it once per client)."""
    session = requests.Session()
    session.trust_env = False
    adapter = GuardedAdapter(watchdog, quiet_unverified, pool_connections=4, pool_maxsize=pool_maxsize)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    session.headers['User-Agent'] = user_agent
    return session


def environment_settings(url: str, verify: Union[str, bool]) -> Tuple[Dict[str, str], Union[str, bool]]:
    """The proxies (``HTTP(S)_PROXY``, ``NO_PROXY``) and CA bundle (``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``,
    when verifying with the default store) the environment gives ``url``: read once per client.

    A session that trusts the environment re-reads every variable and looks for ``~/.netrc`` on each request,
    a fifth of a request's cost on loopback. A client talks to one gateway, so once is enough; and
    ``~/.netrc`` is never used, so the gateway is never sent someone's basic-auth password.
    """
    proxies = requests.utils.get_environ_proxies(url, no_proxy=None)
    if verify is True:
        verify = os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or True
    return proxies, verify


def read_body(response: requests.Response, max_bytes: int) -> Optional[str]:
    """Read a streamed response whole, or return why not (too large); the body is then ``response.content``."""
    declared = response.headers.get('Content-Length')
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        response.close()
        return f'the answer declares {int(declared)} bytes, more than the {max_bytes} allowed (max_body_bytes)'
    chunks = []
    size = 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > max_bytes:
            response.close()
            return f'the answer is larger than the {max_bytes} bytes allowed (max_body_bytes)'
        chunks.append(chunk)
    response._content = b''.join(chunks)
    return None


def bound_cookies(session: requests.Session, max_count: int = MAX_COOKIES, max_bytes: int = MAX_COOKIE_BYTES) -> int:
    """Drop cookies beyond the caps (newest non-session cookies first); the number dropped."""
    jar: CookieJar = session.cookies  # iterated as a CookieJar: Cookie objects (its Mapping side yields names)
    cookies = list(jar)
    size = sum(len(c.name) + len(c.value or '') for c in cookies)
    if len(cookies) <= max_count and size <= max_bytes:
        return 0
    dropped = 0
    for cookie in reversed(cookies):
        if len(cookies) - dropped <= max_count and size <= max_bytes:
            break
        if cookie.name in SESSION_COOKIES:
            continue
        jar.clear(cookie.domain, cookie.path, cookie.name)
        size -= len(cookie.name) + len(cookie.value or '')
        dropped += 1
    return dropped
