"""Every IBIND_* setting, read when ibind is imported and again whenever a client or config is created.

Values come from the process environment, then from a ``.env`` file (the current directory's, or the
file named by ``IBIND_ENV_FILE``); the environment wins, and ``os.environ`` is never modified.
Arguments passed to ibind's classes win over all of these. A malformed value raises ``ValueError``
naming the variable, at import, so a typo never turns silently into a default.

A notebook that sets ``os.environ['IBIND_ACCOUNT_ID']`` after ``import ibind`` still gets it: ``refresh()``
re-reads the settings, and the classes whose defaults are IBIND_* variables (``from_environment``) call it
and take every argument they were not given from the fresh values.

This is the only module-level state in ibind.
"""

from __future__ import annotations

import builtins
import functools
import os
from typing import Any, Callable, Dict, Mapping, Optional, Union

_TRUE = {'true', '1', 'yes', 'y', 'on'}
_FALSE = {'false', '0', 'no', 'n', 'off'}


def _find_env_file() -> Optional[str]:
    """The .env of the working directory or its nearest parent that has one (as python-dotenv searches)."""
    directory = os.getcwd()
    while True:
        candidate = os.path.join(directory, '.env')
        if os.path.isfile(candidate):
            return candidate
        parent = os.path.dirname(directory)
        if parent == directory:
            return None
        directory = parent


def _load_environment() -> Dict[str, str]:
    """The process environment over the .env file, restricted to IBIND_* names.

    python-dotenv is imported only when there is a file to read: most runs have none, and importing it
    costs more than the rest of this module.
    """
    values: Dict[str, str] = {}
    env_file = os.environ.get('IBIND_ENV_FILE')
    if env_file and not os.path.isfile(env_file):
        raise ValueError(f'IBIND_ENV_FILE names {env_file!r}, which is not a readable file')
    path = env_file or _find_env_file()
    if path:
        from dotenv import dotenv_values

        values.update({k: v for k, v in dotenv_values(path).items() if k.startswith('IBIND_') and v is not None})
    values.update({k: v for k, v in os.environ.items() if k.startswith('IBIND_')})
    return values


class _Reader:
    """Parses one mapping of raw strings; every error names the variable and what was expected."""

    def __init__(self, raw: Mapping[str, str]):
        self.raw = raw

    def _get(self, name: str) -> Optional[str]:
        value = self.raw.get(name)
        if value is None:
            return None
        value = value.strip()
        return value if value != '' else None

    def str(self, name: str, default: Optional[str] = None) -> Optional[str]:
        value = self._get(name)
        return default if value is None else value

    def bool(self, name: builtins.str, default: bool) -> bool:
        value = self._get(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValueError(f'{name}={value!r} is not a boolean: expected true/false (or 1/0, yes/no)')

    def number(self, name: builtins.str, default: Optional[float], minimum: float = 0.0) -> Optional[float]:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f'{name}={value!r} is not a number: expected e.g. 10 or 0.5') from None
        if number != number or number < minimum:
            raise ValueError(f'{name}={value!r} must be a number >= {minimum}')
        return number

    def int(self, name: builtins.str, default: int, minimum: int = 0) -> int:
        value = self._get(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f'{name}={value!r} is not a whole number: expected e.g. 3') from None
        if number < minimum:
            raise ValueError(f'{name}={value!r} must be >= {minimum}')
        return number

    def cacert(self, name: builtins.str) -> Union[builtins.str, builtins.bool]:
        value = self._get(name)
        if value is None:
            return False
        return parse_cacert(value)

    def choice(self, name: builtins.str, default: builtins.str, choices: tuple) -> builtins.str:
        value = self._get(name)
        if value is None:
            return default
        if value.upper() not in choices:
            raise ValueError(f'{name}={value!r} is not one of {", ".join(choices)}')
        return value.upper()


def parse_cacert(value: Union[str, bool, os.PathLike, None]) -> Union[str, bool]:
    """False (or 'False'/'false'/'0'/'' or None) disables verification; True means the system CAs; else a path."""
    if value is None or value is False:
        return False
    if value is True:
        return True
    text = os.fspath(value).strip()
    if text.lower() in ('false', '0', 'no', 'off', ''):
        return False
    if text.lower() in ('true', '1', 'yes', 'on'):
        return True
    return text


def parse(raw: Mapping[str, str]) -> Dict[str, object]:
    """Turn raw IBIND_* strings into typed settings; used once at import, and by tests."""
    r = _Reader(raw)
    levels = ('DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')
    return {
        # where and who
        'IBIND_REST_URL': r.str('IBIND_REST_URL'),
        'IBIND_ACCOUNT_ID': r.str('IBIND_ACCOUNT_ID'),
        'IBIND_CACERT': r.cacert('IBIND_CACERT'),
        'IBIND_USE_SESSION': r.bool('IBIND_USE_SESSION', True),
        # transport
        'IBIND_TIMEOUT': r.number('IBIND_TIMEOUT', 10.0, minimum=0.001),
        'IBIND_CONNECT_TIMEOUT': r.number('IBIND_CONNECT_TIMEOUT', 5.0, minimum=0.001),
        'IBIND_TOTAL_TIMEOUT': r.number('IBIND_TOTAL_TIMEOUT', None, minimum=0.001),
        'IBIND_MAX_RETRIES': r.int('IBIND_MAX_RETRIES', 3),
        'IBIND_RETRY_BACKOFF': r.number('IBIND_RETRY_BACKOFF', 0.5),
        'IBIND_RETRY_BACKOFF_MAX': r.number('IBIND_RETRY_BACKOFF_MAX', 10.0),
        # pacing
        'IBIND_PACING': r.bool('IBIND_PACING', True),
        'IBIND_PACING_GATEWAY_RATE': r.number('IBIND_PACING_GATEWAY_RATE', 10.0, minimum=0.001),
        'IBIND_PACING_OAUTH_RATE': r.number('IBIND_PACING_OAUTH_RATE', 50.0, minimum=0.001),
        'IBIND_PACING_MAX_WAIT': r.number('IBIND_PACING_MAX_WAIT', 30.0),
        # logging
        'IBIND_LOG_TO_CONSOLE': r.bool('IBIND_LOG_TO_CONSOLE', True),
        'IBIND_LOG_TO_FILE': r.bool('IBIND_LOG_TO_FILE', False),
        'IBIND_LOG_LEVEL': r.choice('IBIND_LOG_LEVEL', 'INFO', levels),
        'IBIND_LOG_FORMAT': r.str('IBIND_LOG_FORMAT', '%(asctime)s|%(levelname)-.1s| %(name)s: %(message)s'),
        'IBIND_LOGS_DIR': r.str('IBIND_LOGS_DIR', os.path.join(os.path.expanduser('~'), '.ibind', 'logs')),
        # session upkeep
        'IBIND_TICKLER_INTERVAL': r.number('IBIND_TICKLER_INTERVAL', 60.0, minimum=0.001),
        'IBIND_AUTO_RECOVER': r.bool('IBIND_AUTO_RECOVER', True),
        'IBIND_ORDER_RECONCILE_TIMEOUT': r.number('IBIND_ORDER_RECONCILE_TIMEOUT', 10.0),
        'IBIND_PENDING_ORDERS_FILE': r.str('IBIND_PENDING_ORDERS_FILE'),
        # streaming (IbkrWsClient)
        'IBIND_WS_URL': r.str('IBIND_WS_URL'),
        'IBIND_WS_SILENCE_TIMEOUT': r.number('IBIND_WS_SILENCE_TIMEOUT', 30.0, minimum=0.001),
        'IBIND_WS_RECONNECT_BACKOFF': r.number('IBIND_WS_RECONNECT_BACKOFF', 0.5, minimum=0.001),
        'IBIND_WS_RECONNECT_BACKOFF_MAX': r.number('IBIND_WS_RECONNECT_BACKOFF_MAX', 30.0, minimum=0.001),
        'IBIND_WS_SMD_RENEW_INTERVAL': r.number('IBIND_WS_SMD_RENEW_INTERVAL', 600.0, minimum=0.001),
        'IBIND_WS_TIC_INTERVAL': r.number('IBIND_WS_TIC_INTERVAL', 60.0, minimum=0.001),
        # OAuth 1.0a
        'IBIND_USE_OAUTH': r.bool('IBIND_USE_OAUTH', False),
        'IBIND_INIT_OAUTH': r.bool('IBIND_INIT_OAUTH', True),
        'IBIND_INIT_BROKERAGE_SESSION': r.bool('IBIND_INIT_BROKERAGE_SESSION', True),
        'IBIND_MAINTAIN_OAUTH': r.bool('IBIND_MAINTAIN_OAUTH', True),
        'IBIND_SHUTDOWN_OAUTH': r.bool('IBIND_SHUTDOWN_OAUTH', True),
        'IBIND_OAUTH1A_REST_URL': r.str('IBIND_OAUTH1A_REST_URL', 'https://api.ibkr.com/v1/api/'),
        'IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT': r.str(
            'IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT', 'oauth/live_session_token'
        ),
        'IBIND_OAUTH1A_ACCESS_TOKEN': r.str('IBIND_OAUTH1A_ACCESS_TOKEN'),
        'IBIND_OAUTH1A_ACCESS_TOKEN_SECRET': r.str('IBIND_OAUTH1A_ACCESS_TOKEN_SECRET'),
        'IBIND_OAUTH1A_CONSUMER_KEY': r.str('IBIND_OAUTH1A_CONSUMER_KEY'),
        'IBIND_OAUTH1A_DH_PRIME': r.str('IBIND_OAUTH1A_DH_PRIME'),
        'IBIND_OAUTH1A_DH_PARAMS_FP': r.str('IBIND_OAUTH1A_DH_PARAMS_FP'),
        'IBIND_OAUTH1A_DH_GENERATOR': r.int('IBIND_OAUTH1A_DH_GENERATOR', 2, minimum=2),
        'IBIND_OAUTH1A_ENCRYPTION_KEY_FP': r.str('IBIND_OAUTH1A_ENCRYPTION_KEY_FP'),
        'IBIND_OAUTH1A_SIGNATURE_KEY_FP': r.str('IBIND_OAUTH1A_SIGNATURE_KEY_FP'),
        'IBIND_OAUTH1A_ENCRYPTION_KEY': r.str('IBIND_OAUTH1A_ENCRYPTION_KEY'),
        'IBIND_OAUTH1A_SIGNATURE_KEY': r.str('IBIND_OAUTH1A_SIGNATURE_KEY'),
        'IBIND_OAUTH1A_REALM': r.str('IBIND_OAUTH1A_REALM', 'limited_poa'),
        'IBIND_OAUTH1A_LST_REFRESH_MARGIN': r.number('IBIND_OAUTH1A_LST_REFRESH_MARGIN', 600.0),
    }


def refresh() -> None:
    """Read the IBIND_* settings again (environment over .env) into this module's variables.

    A malformed value raises ValueError naming the variable, as at import.
    """
    globals().update(parse(_load_environment()))


def from_environment(**variables: str) -> Callable[[Callable], Callable]:
    """Decorate an ``__init__`` whose defaults are IBIND_* variables: each argument named here that the caller
    did not pass is taken from the settings as they are now (``refresh()`` first), not as they were at import.

    The signature shown by ``inspect`` stays the original one (defaults included).
    """

    def decorator(func: Callable) -> Callable:
        code = func.__code__
        positions = {name: code.co_varnames.index(name) for name in variables}
        for variable in variables.values():
            if variable not in globals():
                raise NameError(f'from_environment: unknown setting {variable}')

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refresh()
            settings = globals()
            for name, variable in variables.items():
                if positions[name] >= len(args) and name not in kwargs:
                    kwargs[name] = settings[variable]
            return func(*args, **kwargs)

        return wrapper

    return decorator


_settings = parse(_load_environment())

IBIND_REST_URL: Optional[str] = _settings['IBIND_REST_URL']  # type: ignore[assignment]
IBIND_ACCOUNT_ID: Optional[str] = _settings['IBIND_ACCOUNT_ID']  # type: ignore[assignment]
IBIND_CACERT: Union[str, bool] = _settings['IBIND_CACERT']  # type: ignore[assignment]
IBIND_USE_SESSION: bool = _settings['IBIND_USE_SESSION']  # type: ignore[assignment]
IBIND_TIMEOUT: float = _settings['IBIND_TIMEOUT']  # type: ignore[assignment]
IBIND_CONNECT_TIMEOUT: float = _settings['IBIND_CONNECT_TIMEOUT']  # type: ignore[assignment]
IBIND_TOTAL_TIMEOUT: Optional[float] = _settings['IBIND_TOTAL_TIMEOUT']  # type: ignore[assignment]  # None: 3 x the read timeout
IBIND_MAX_RETRIES: int = _settings['IBIND_MAX_RETRIES']  # type: ignore[assignment]
IBIND_RETRY_BACKOFF: float = _settings['IBIND_RETRY_BACKOFF']  # type: ignore[assignment]
IBIND_RETRY_BACKOFF_MAX: float = _settings['IBIND_RETRY_BACKOFF_MAX']  # type: ignore[assignment]
IBIND_PACING: bool = _settings['IBIND_PACING']  # type: ignore[assignment]
IBIND_PACING_GATEWAY_RATE: float = _settings['IBIND_PACING_GATEWAY_RATE']  # type: ignore[assignment]
IBIND_PACING_OAUTH_RATE: float = _settings['IBIND_PACING_OAUTH_RATE']  # type: ignore[assignment]
IBIND_PACING_MAX_WAIT: float = _settings['IBIND_PACING_MAX_WAIT']  # type: ignore[assignment]
IBIND_LOG_TO_CONSOLE: bool = _settings['IBIND_LOG_TO_CONSOLE']  # type: ignore[assignment]
IBIND_LOG_TO_FILE: bool = _settings['IBIND_LOG_TO_FILE']  # type: ignore[assignment]
IBIND_LOG_LEVEL: str = _settings['IBIND_LOG_LEVEL']  # type: ignore[assignment]
IBIND_LOG_FORMAT: str = _settings['IBIND_LOG_FORMAT']  # type: ignore[assignment]
IBIND_LOGS_DIR: str = _settings['IBIND_LOGS_DIR']  # type: ignore[assignment]
IBIND_TICKLER_INTERVAL: float = _settings['IBIND_TICKLER_INTERVAL']  # type: ignore[assignment]
IBIND_AUTO_RECOVER: bool = _settings['IBIND_AUTO_RECOVER']  # type: ignore[assignment]
IBIND_ORDER_RECONCILE_TIMEOUT: float = _settings['IBIND_ORDER_RECONCILE_TIMEOUT']  # type: ignore[assignment]
IBIND_PENDING_ORDERS_FILE: Optional[str] = _settings['IBIND_PENDING_ORDERS_FILE']  # type: ignore[assignment]
IBIND_WS_URL: Optional[str] = _settings['IBIND_WS_URL']  # type: ignore[assignment]
IBIND_WS_SILENCE_TIMEOUT: float = _settings['IBIND_WS_SILENCE_TIMEOUT']  # type: ignore[assignment]
IBIND_WS_RECONNECT_BACKOFF: float = _settings['IBIND_WS_RECONNECT_BACKOFF']  # type: ignore[assignment]
IBIND_WS_RECONNECT_BACKOFF_MAX: float = _settings['IBIND_WS_RECONNECT_BACKOFF_MAX']  # type: ignore[assignment]
IBIND_WS_SMD_RENEW_INTERVAL: float = _settings['IBIND_WS_SMD_RENEW_INTERVAL']  # type: ignore[assignment]
IBIND_WS_TIC_INTERVAL: float = _settings['IBIND_WS_TIC_INTERVAL']  # type: ignore[assignment]
IBIND_USE_OAUTH: bool = _settings['IBIND_USE_OAUTH']  # type: ignore[assignment]
IBIND_INIT_OAUTH: bool = _settings['IBIND_INIT_OAUTH']  # type: ignore[assignment]
IBIND_INIT_BROKERAGE_SESSION: bool = _settings['IBIND_INIT_BROKERAGE_SESSION']  # type: ignore[assignment]
IBIND_MAINTAIN_OAUTH: bool = _settings['IBIND_MAINTAIN_OAUTH']  # type: ignore[assignment]
IBIND_SHUTDOWN_OAUTH: bool = _settings['IBIND_SHUTDOWN_OAUTH']  # type: ignore[assignment]
IBIND_OAUTH1A_REST_URL: str = _settings['IBIND_OAUTH1A_REST_URL']  # type: ignore[assignment]
IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT: str = _settings['IBIND_OAUTH1A_LIVE_SESSION_TOKEN_ENDPOINT']  # type: ignore[assignment]
IBIND_OAUTH1A_ACCESS_TOKEN: Optional[str] = _settings['IBIND_OAUTH1A_ACCESS_TOKEN']  # type: ignore[assignment]
IBIND_OAUTH1A_ACCESS_TOKEN_SECRET: Optional[str] = _settings['IBIND_OAUTH1A_ACCESS_TOKEN_SECRET']  # type: ignore[assignment]
IBIND_OAUTH1A_CONSUMER_KEY: Optional[str] = _settings['IBIND_OAUTH1A_CONSUMER_KEY']  # type: ignore[assignment]
IBIND_OAUTH1A_DH_PRIME: Optional[str] = _settings['IBIND_OAUTH1A_DH_PRIME']  # type: ignore[assignment]
IBIND_OAUTH1A_DH_PARAMS_FP: Optional[str] = _settings['IBIND_OAUTH1A_DH_PARAMS_FP']  # type: ignore[assignment]
IBIND_OAUTH1A_DH_GENERATOR: int = _settings['IBIND_OAUTH1A_DH_GENERATOR']  # type: ignore[assignment]
IBIND_OAUTH1A_ENCRYPTION_KEY_FP: Optional[str] = _settings['IBIND_OAUTH1A_ENCRYPTION_KEY_FP']  # type: ignore[assignment]
IBIND_OAUTH1A_SIGNATURE_KEY_FP: Optional[str] = _settings['IBIND_OAUTH1A_SIGNATURE_KEY_FP']  # type: ignore[assignment]
IBIND_OAUTH1A_ENCRYPTION_KEY: Optional[str] = _settings['IBIND_OAUTH1A_ENCRYPTION_KEY']  # type: ignore[assignment]
IBIND_OAUTH1A_SIGNATURE_KEY: Optional[str] = _settings['IBIND_OAUTH1A_SIGNATURE_KEY']  # type: ignore[assignment]
IBIND_OAUTH1A_REALM: str = _settings['IBIND_OAUTH1A_REALM']  # type: ignore[assignment]
IBIND_OAUTH1A_LST_REFRESH_MARGIN: float = _settings['IBIND_OAUTH1A_LST_REFRESH_MARGIN']  # type: ignore[assignment]

del _settings
