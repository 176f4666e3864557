"""``ibind.diagnose()``: find out, step by step, why a client cannot work against a gateway.

A setup fails in a handful of ways, each with its own remedy, and a bare ``ConnectionError`` or
``401`` names none of them. ``diagnose`` walks the chain a request travels and stops at the first
broken link:

1. **reachable**: does anything listen at the URL's host and port?
2. **protocol**: does it speak what the URL says (the gateway speaks HTTPS; ``http://`` against it fails)?
3. **certificate**: is its certificate trusted (the gateway's own is self-signed: pass ``cacert``)?
4. **gateway**: is it a Client Portal gateway (``/tickle`` answers JSON)?
5. **authenticated**: is someone logged in, with an open brokerage session?
6. **competing**: has another login (TWS, the mobile app, another gateway) taken the brokerage session?
7. **accounts**: does ``/iserver/accounts`` list the account you asked for?
8. **market data**: does a snapshot of a well-known stock come back real-time, delayed or not at all?

With OAuth 1.0a (``use_oauth=True`` or ``IBIND_USE_OAUTH``) the chain starts with **oauth config** (every
``IBIND_OAUTH1A_*`` setting present, the key and DH files readable) and, once the host answers, **live session
token** (the Diffie-Hellman exchange IBKR must accept) in place of the gateway step; every later request is
signed as the client signs it. Generating a live session token is the only thing it asks IBKR to create.

Each step is a ``Check`` with a verdict (``ok``, ``warn``, ``fail`` or ``skip``) and, when it is not
``ok``, what to do. ``print(ibind.diagnose())`` prints the report; ``ibind diagnose`` is the same from the
shell. It sends only read-only requests (``/tickle``, ``/iserver/auth/status``, ``/iserver/accounts``, a
snapshot) and changes nothing: it never logs in, re-opens a session or competes for one.
"""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Union

import requests
import urllib3

from ibind import var

OK, WARN, FAIL, SKIP = 'ok', 'warn', 'fail', 'skip'

DEFAULT_URL = 'https://localhost:5000/v1/api/'
"""Where a Client Portal gateway listens unless told otherwise (as IbkrClient assumes)."""

PROBE_CONID = '265598'
"""The contract whose snapshot tests market data: AAPL on NASDAQ, the docs' own example."""

MARKET_DATA_MODES = {'R': 'real-time', 'D': 'delayed', 'Z': 'frozen', 'Y': 'frozen delayed', 'N': 'not subscribed'}
"""First letter of snapshot field 6509 (Market Data Availability) -> what it means."""


@dataclass
class Check:
    """One step of a diagnosis: its name, verdict (ok/warn/fail/skip), what was found and what to do."""

    name: str
    status: str
    detail: str
    hint: str = ''

    def __str__(self) -> str:
        mark = {OK: 'ok  ', WARN: 'WARN', FAIL: 'FAIL', SKIP: 'skip'}[self.status]
        text = f'[{mark}] {self.name}: {self.detail}'
        return text + (f'\n       -> {self.hint}' if self.hint else '')


@dataclass
class Diagnosis:
    """The checks in order; ``ok`` when none failed, ``problem`` the first failure, ``kind`` its category."""

    url: str
    checks: List[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.status != FAIL for check in self.checks)

    @property
    def problem(self) -> Optional[Check]:
        return next((check for check in self.checks if check.status == FAIL), None)

    @property
    def kind(self) -> str:
        """``'ok'``, ``'unreachable'`` (nothing usable at the URL), ``'not_authenticated'`` or ``'error'``."""
        problem = self.problem
        if problem is None:
            return 'ok'
        if problem.name in ('reachable', 'protocol', 'certificate', 'gateway'):
            return 'unreachable'
        if problem.name in ('authenticated', 'competing', 'live session token'):
            return 'not_authenticated'
        return 'error'  # 'oauth config' among them: a setup to fix before anything is sent

    def __str__(self) -> str:
        lines = [f'ibind diagnose {self.url}'] + [str(check) for check in self.checks]
        lines.append('everything needed works' if self.ok else f'problem: {self.problem.name}')  # type: ignore
        return '\n'.join(lines)


def diagnose(
    url: Optional[str] = None,
    account_id: Optional[str] = None,
    cacert: Union[str, bool, None] = None,
    timeout: float = 5.0,
    conid: str = PROBE_CONID,
    use_oauth: Optional[bool] = None,
    oauth_config: Any = None,
) -> Diagnosis:
    """Check a gateway setup step by step and explain the first thing that is wrong.

    Arguments:
        url: the gateway's REST URL, e.g. ``'https://localhost:5000/v1/api/'`` (default ``IBIND_REST_URL``).
        account_id: the account the program will use (default ``IBIND_ACCOUNT_ID``); checked against
            ``/iserver/accounts`` when given.
        cacert: a CA file to verify the certificate with, or False not to verify (default ``IBIND_CACERT``);
            as for ``IbkrClient``.
        timeout: seconds each step may take.
        conid: the contract whose snapshot tests market data (default AAPL).
        use_oauth: diagnose an OAuth 1.0a setup (default ``IBIND_USE_OAUTH``, or True when ``oauth_config`` is
            given); the URL then defaults to the config's ``oauth_rest_url`` and the certificate is always
            verified (``cacert`` may name a CA file).
        oauth_config: an ``OAuth1aConfig`` (default: one from the ``IBIND_OAUTH1A_*`` settings).

    Returns a ``Diagnosis``; print it for a report. Never raises for a broken setup.
    """
    if use_oauth is None:
        use_oauth = oauth_config is not None or var.IBIND_USE_OAUTH
    if not isinstance(use_oauth, bool):
        raise TypeError(f"'use_oauth' must be True, False or None, got {use_oauth!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
        raise ValueError(f"'timeout' must be a positive number of seconds, got {timeout!r}")
    account_id = account_id if account_id is not None else var.IBIND_ACCOUNT_ID
    cacert = cacert if cacert is not None else var.IBIND_CACERT
    if use_oauth:
        return _OAuthDiagnoser(url, account_id, cacert, float(timeout), str(conid), oauth_config).run()
    url = _normalized_url(url if url is not None else (var.IBIND_REST_URL or DEFAULT_URL))
    return _Diagnoser(url, account_id, cacert, float(timeout), str(conid)).run()


def _normalized_url(url: Any) -> str:
    if not isinstance(url, str) or '://' not in url:
        raise ValueError(f"'url' must be the gateway's REST URL like 'https://localhost:5000/v1/api/', got {url!r}")
    return url if url.endswith('/') else url + '/'


class _Diagnoser:
    def __init__(self, url: str, account_id: Optional[str], cacert: Union[str, bool, None], timeout: float, conid: str):
        self.result = Diagnosis(url)
        self.url, self.account_id, self.timeout, self.conid = url, account_id, timeout, conid
        parts = urllib.parse.urlsplit(url)
        self.scheme = parts.scheme.lower()
        self.host = parts.hostname or 'localhost'
        self.port = parts.port or (443 if self.scheme == 'https' else 80)
        self.verify: Union[str, bool] = cacert if isinstance(cacert, str) and cacert else cacert is not False
        self.session = requests.Session()

    def run(self) -> Diagnosis:
        steps: List[Callable[[], bool]] = [
            self.reachable,
            self.protocol,
            self.certificate,
            self.gateway,
            self.authenticated,
            self.accounts,
            self.market_data,
        ]
        try:
            for step in steps:
                if not step():
                    break
        finally:
            self.session.close()
        return self.result

    def add(self, name: str, status: str, detail: str, hint: str = '') -> bool:
        self.result.checks.append(Check(name, status, detail, hint))
        return status != FAIL

    # ----------------------------------------------------------------- the network

    def reachable(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout):
                pass
        except OSError as error:
            return self.add(
                'reachable',
                FAIL,
                f'nothing answers at {self.host}:{self.port} ({_reason(error)})',
                'start the gateway (bin/run.sh root/conf.yaml in its folder; see docs/real_gateway.md), '
                'or fix the host/port in IBIND_REST_URL / --url',
            )
        return self.add('reachable', OK, f'{self.host}:{self.port} accepts connections')

    def protocol(self) -> bool:
        speaks_tls = self._speaks_tls()
        if speaks_tls is None:
            return self.add('protocol', WARN, 'could not tell whether the server speaks HTTPS or HTTP')
        actual = 'https' if speaks_tls else 'http'
        if actual != self.scheme:
            fixed = urllib.parse.urlunsplit((actual,) + tuple(urllib.parse.urlsplit(self.url))[1:])
            return self.add(
                'protocol', FAIL, f'the URL says {self.scheme}:// but the server speaks {actual}', f'use {fixed}'
            )
        return self.add('protocol', OK, f'the server speaks {actual}')

    def _speaks_tls(self) -> Optional[bool]:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        try:
            with (
                socket.create_connection((self.host, self.port), timeout=self.timeout) as raw,
                context.wrap_socket(raw, server_hostname=self.host),
            ):
                return True
        except ssl.SSLError:
            return False
        except OSError:  # reset or closed during the handshake: a plain-HTTP server hanging up on TLS
            return False if self.scheme == 'http' else None

    def certificate(self) -> bool:
        if self.scheme != 'https':
            return self.add('certificate', SKIP, 'plain HTTP: no certificate')
        if self.verify is False:
            return self.add(
                'certificate',
                WARN,
                'not verified (cacert=False): anyone on the path could listen',
                "pass the gateway's CA file as cacert / IBIND_CACERT to verify it",
            )
        context = ssl.create_default_context(cafile=self.verify if isinstance(self.verify, str) else None)
        try:
            with (
                socket.create_connection((self.host, self.port), timeout=self.timeout) as raw,
                context.wrap_socket(raw, server_hostname=self.host),
            ):
                pass
        except ssl.SSLCertVerificationError as error:
            return self.add(
                'certificate',
                FAIL,
                f'not trusted: {error.verify_message}',
                "the gateway's certificate is self-signed: pass its CA file as cacert= / IBIND_CACERT, "
                'or cacert=False (IBIND_CACERT=False) to skip verification on your own machine',
            )
        except (OSError, ssl.SSLError) as error:
            return self.add('certificate', FAIL, f'the TLS handshake failed: {_reason(error)}')
        return self.add(
            'certificate',
            OK,
            'trusted' + (f' (CA file {self.verify})' if isinstance(self.verify, str) else ' (system trust store)'),
        )

    # ----------------------------------------------------------------- the gateway

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        with warnings.catch_warnings():  # cacert=False is reported once as a check, not once per request
            warnings.simplefilter('ignore', urllib3.exceptions.InsecureRequestWarning)
            return self.session.request(method, self.url + path, timeout=self.timeout, verify=self.verify, **kwargs)

    def gateway(self) -> bool:
        try:
            response = self.call('POST', 'tickle', data=b'')
        except requests.RequestException as error:
            return self.add('gateway', FAIL, f'POST /tickle failed: {_reason(error)}')
        body = _json(response)
        if response.status_code == 401 or (response.status_code < 400 and isinstance(body, dict)):
            return self.add('gateway', OK, f'a Client Portal gateway answers (/tickle: HTTP {response.status_code})')
        return self.add(
            'gateway',
            FAIL,
            f'/tickle answered HTTP {response.status_code} {"with JSON" if body is not None else "without JSON"}',
            "is this the gateway's REST URL? It ends in /v1/api/, e.g. https://localhost:5000/v1/api/",
        )

    def authenticated(self) -> bool:
        login = f'{self.scheme}://{self.host}:{self.port}'
        try:
            response = self.call('POST', 'iserver/auth/status', data=b'')
        except requests.RequestException as error:
            return self.add('authenticated', FAIL, f'/iserver/auth/status failed: {_reason(error)}')
        body = _json(response)
        if response.status_code == 401:
            return self.add(
                'authenticated',
                FAIL,
                'nobody is logged in (HTTP 401)',
                f'open {login} in a browser and log in (with 2FA); it lasts until the daily reset',
            )
        message = _error_message(body) or (str(body.get('message') or '') if isinstance(body, dict) else '')
        if 'no bridge' in message.lower():
            return self.add(
                'authenticated',
                FAIL,
                'no bridge: the brokerage session is gone (the nightly reset)',
                'open a new one: client.initialize_brokerage_session() '
                '(POST /iserver/auth/ssodh/init), or log in again',
            )
        if not isinstance(body, dict) or response.status_code >= 400:
            return self.add(
                'authenticated',
                FAIL,
                f'/iserver/auth/status answered HTTP {response.status_code}' + (f': {message}' if message else ''),
            )
        if body.get('competing') is True:
            return self.add(
                'competing',
                FAIL,
                'another login (TWS, the mobile app, another gateway) holds the brokerage session',
                'close the other session, or take it over: client.initialize_brokerage_session(compete=True)',
            )
        if body.get('authenticated') is not True:
            return self.add(
                'authenticated',
                FAIL,
                'logged in, but the brokerage session is not open '
                f'(connected={body.get("connected")!r}, message={body.get("message")!r})',
                'open it: client.initialize_brokerage_session() (POST /iserver/auth/ssodh/init); '
                'it closes after ~6 minutes without requests unless a Tickler keeps it',
            )
        self.add('authenticated', OK, 'logged in, brokerage session open')
        return self.add('competing', OK, 'no competing session')

    def accounts(self) -> bool:
        try:
            response = self.call('GET', 'iserver/accounts')
        except requests.RequestException as error:
            return self.add('accounts', FAIL, f'/iserver/accounts failed: {_reason(error)}')
        body = _json(response)
        accounts = body.get('accounts') if isinstance(body, dict) else None
        if response.status_code >= 400 or not isinstance(accounts, list):
            return self.add(
                'accounts',
                FAIL,
                f'/iserver/accounts answered HTTP {response.status_code} without a '
                'list of accounts' + (f': {_error_message(body)}' if _error_message(body) else ''),
            )
        listed = ', '.join(str(account) for account in accounts) or 'none'
        if self.account_id and self.account_id not in accounts:
            return self.add(
                'accounts',
                FAIL,
                f"account {self.account_id} is not among this login's accounts ({listed})",
                'use one of them as account_id / IBIND_ACCOUNT_ID / --account',
            )
        return self.add('accounts', OK, f'accounts: {listed}')

    def market_data(self) -> bool:
        availability = None
        values: dict = {}
        for attempt in range(3):  # the first snapshot of a conid is a pre-flight without data
            try:
                response = self.call(
                    'GET', 'iserver/marketdata/snapshot', params={'conids': self.conid, 'fields': '31,6509'}
                )
            except requests.RequestException as error:
                return self.add('market data', FAIL, f'the snapshot failed: {_reason(error)}')
            body = _json(response)
            if response.status_code >= 400 or not isinstance(body, list):
                return self.add(
                    'market data',
                    FAIL,
                    f'the snapshot answered HTTP {response.status_code}'
                    + (f': {_error_message(body)}' if _error_message(body) else ''),
                )
            values = body[0] if body and isinstance(body[0], dict) else {}
            availability = values.get('6509')
            if availability and '31' in values:
                break
            time.sleep(0.2 * (attempt + 1))
        if not availability:
            return self.add(
                'market data',
                WARN,
                f'no market data for conid {self.conid} after 3 snapshots',
                'the market may be closed; ask again later',
            )
        mode = MARKET_DATA_MODES.get(str(availability)[:1], f'unknown ({availability})')
        if mode == 'not subscribed':
            return self.add(
                'market data',
                FAIL,
                f'conid {self.conid}: no market data subscription (6509={availability})',
                'subscribe in Client Portal (Settings > Market Data Subscriptions); a paper account '
                "shares the live account's subscriptions once enabled for it",
            )
        if mode != 'real-time':
            return self.add(
                'market data',
                WARN,
                f'conid {self.conid}: {mode} data (6509={availability})',
                'real-time data needs a subscription (Client Portal > Market Data Subscriptions)',
            )
        return self.add('market data', OK, f'conid {self.conid}: real-time, last {values.get("31")}')


class _OAuthDiagnoser(_Diagnoser):
    """The same chain for OAuth 1.0a: the config first, a live session token instead of the gateway step, and
    every request signed by an ``IbkrClient`` that does nothing on its own (no init, no Tickler, no logout)."""

    def __init__(
        self,
        url: Optional[str],
        account_id: Optional[str],
        cacert: Union[str, bool, None],
        timeout: float,
        conid: str,
        oauth_config: Any,
    ):
        from ibind.oauth.oauth1a import OAuth1aConfig

        self.config = oauth_config if oauth_config is not None else OAuth1aConfig()
        rest_url = url if url is not None else (self.config.oauth_rest_url or var.IBIND_OAUTH1A_REST_URL)
        # OAuth is always verified: a CA file may be named (a test gateway), never switched off
        super().__init__(
            _normalized_url(rest_url), account_id, cacert if isinstance(cacert, str) else True, timeout, conid
        )
        self.client: Any = None

    def run(self) -> Diagnosis:
        try:
            if self.oauth_config_complete():
                super().run()
            return self.result
        finally:
            if self.client is not None:
                self.client.close()

    def oauth_config_complete(self) -> bool:
        from ibind.support.errors import OAuthError

        try:
            self.config.verify_config()
            self.config.material()  # reads the keys and DH parameters: a wrong path or format fails here
        except (OAuthError, OSError, ValueError) as error:
            return self.add(
                'oauth config',
                FAIL,
                _reason(error),
                'set the IBIND_OAUTH1A_* variables (consumer key, access token and secret, the signature and '
                'encryption key files, the DH prime or params file); see docs/real_gateway.md',
            )
        return self.add('oauth config', OK, f'complete (consumer key {self.config.consumer_key})')

    def gateway(self) -> bool:
        import dataclasses

        from ibind import IbkrClient
        from ibind.support.errors import ExternalBrokerError, NotAuthenticatedError, OAuthError

        quiet = dataclasses.replace(
            self.config,
            oauth_rest_url=self.url,
            init_oauth=False,
            init_brokerage_session=False,
            maintain_oauth=False,
            shutdown_oauth=False,
        )
        try:
            self.client = IbkrClient(
                url=self.url,
                account_id=self.account_id,
                cacert=self.verify,
                timeout=self.timeout,
                use_oauth=True,
                oauth_config=quiet,
                pacing=False,
                auto_recover=False,
            )
            self.client.generate_live_session_token()
        except (OAuthError, NotAuthenticatedError) as error:
            return self.add(
                'live session token',
                FAIL,
                f'IBKR refused it: {_reason(error)}',
                'check the consumer key, access token and secret and the keys registered in the Self Service '
                "Portal (a paper account has its own), the realm ('test_realm' for the TESTCONS consumer), "
                "and this machine's clock",
            )
        except ExternalBrokerError as error:  # a redirect, a body cut or too large, a deadline: no answer to judge
            return self.add(
                'live session token',
                FAIL,
                f'no usable answer: {_reason(error)}',
                "is the URL IBKR's OAuth REST URL (IBIND_OAUTH1A_REST_URL, https://api.ibkr.com/v1/api/)?",
            )
        return self.add('live session token', OK, 'obtained and validated: the credentials work')

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = self.url + path
        headers = self.client._request_headers(method, url, kwargs.get('params'), None)
        return self.session.request(method, url, timeout=self.timeout, verify=self.verify, headers=headers, **kwargs)


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get('error'), str):
        return body['error']
    return ''


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + '...'
