"""``python -m ibind.sim``: run the IBKR gateway simulator as a standalone server until Ctrl-C.

Every ``SimConfig`` field is an option: ``--seed 7``, ``--accounts DU1,DU2``, ``--idle-timeout 60``,
``--no-preflight-snapshot`` (each quirk switch has a ``--no-`` form), ... The options are built from
the dataclass, and their help texts from the comments next to its fields, so a new field becomes an
option with no change here. See docs/simulator.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import inspect
import json
import re
import signal
import sys
import threading
import typing
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ibind.sim.config import SimConfig

PROG = 'python -m ibind.sim'

# Extra spellings of some options (the first one is the name shown in the help).
ALIASES: Dict[str, Tuple[str, ...]] = {
    'financial_advisor': ('--fa', '--financial-advisor'),
    'instruments_file': ('--instruments', '--instruments-file'),
}
METAVARS: Dict[str, str] = {
    'seed': 'N',
    'accounts': 'ID[,ID...]',
    'instruments_file': 'FILE',
    'username': 'NAME',
    'start_time': 'EPOCH|ISO-8601',
    'latency': 'ROUTE=SECONDS',
    'max_order_rounds': 'N',
    'price_constraint_pct': 'PERCENT',
    'total_value_limit': 'AMOUNT',
    'global_rate': 'PER_SECOND',
}
# Where a field's comment in SimConfig is not enough on the command line.
HELP_OVERRIDES: Dict[str, str] = {
    'seed': 'seed of the price paths and ids: the same seed replays the same market',
    'username': 'the simulated username (sso/validate, accounts)',
    'lst_lifetime': 'seconds an OAuth live session token stays valid',
    'accounts': 'the accounts of the simulated user, comma separated (first: the selected account)',
    'idle_timeout': 'seconds without requests before the brokerage session drops (0 or "none": never)',
    'start_time': 'simulated time at start, epoch seconds or ISO 8601 like 2024-01-02T15:30:00Z',
    'latency': "extra seconds before answering a route, e.g. 'GET /iserver/accounts=0.2' or "
    "'/iserver/marketdata/snapshot=0.05' (repeatable)",
}
DEFAULT_TEXT: Dict[str, str] = {'start_time': 'now'}
NOT_ON_COMMAND_LINE = {'oauth'}  # objects, configured in code: GatewaySimulator(oauth=...)


# ----------------------------------------------------------------- value parsers


def _optional_seconds(text: str) -> float:
    """Seconds, where 'none'/'off'/'never' mean 0: switched off (SimConfig treats a None option as not given)."""
    if text.strip().lower() in ('none', 'off', 'never'):
        return 0.0
    return _non_negative(text)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None
    if value < 0:
        raise argparse.ArgumentTypeError(f'expected a number >= 0, got {text!r}')
    return value


def _epoch(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace('Z', '+00:00'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected epoch seconds or an ISO 8601 time, got {text!r}') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.timestamp()


def _comma_list(text: str) -> Tuple[str, ...]:
    items = tuple(item.strip() for item in text.split(',') if item.strip())
    if not items:
        raise argparse.ArgumentTypeError('expected at least one value, e.g. DU1234567,DU7654321')
    return items


def _key_seconds(text: str) -> Tuple[str, float]:
    key, separator, value = text.rpartition('=')
    if not separator or not key.strip():
        raise argparse.ArgumentTypeError(f"expected ROUTE=SECONDS like 'GET /iserver/accounts=0.2', got {text!r}")
    return key.strip(), _non_negative(value)


def _json_value(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f'expected JSON ({error}), got {text!r}') from None


class _MergeIntoDict(argparse.Action):
    """``--latency A=1 --latency B=2`` -> ``{'A': 1.0, 'B': 2.0}``."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: Optional[str] = None,
    ) -> None:
        merged = dict(getattr(namespace, self.dest) or {})
        key, value = values
        merged[key] = value
        setattr(namespace, self.dest, merged)


# ----------------------------------------------------------------- options from SimConfig


def _field_comments() -> Tuple[Dict[str, str], Dict[str, str]]:
    """(field -> its trailing comment, field -> the '# --- section' it is declared under) from SimConfig's source."""
    try:
        source = inspect.getsource(SimConfig)
    except (OSError, TypeError):  # no source (frozen or zipped install): options still work, with terse help
        return {}, {}
    comments: Dict[str, str] = {}
    sections: Dict[str, str] = {}
    section = 'simulator options'
    for line in source.splitlines():
        header = re.match(r'\s*#\s*---\s*(.+?)\s*$', line)
        if header:
            section = header.group(1)
            continue
        declared = re.match(r'\s{4}(\w+)\s*:[^#]*(?:#\s*(.*))?$', line)
        if declared and not line.strip().startswith('#'):
            sections[declared.group(1)] = section
            if declared.group(2):
                comments[declared.group(1)] = declared.group(2).strip()
    return comments, sections


def _unwrap_optional(hint: Any) -> Tuple[Any, bool]:
    if typing.get_origin(hint) is typing.Union:
        arguments = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(arguments) == 1:
            return arguments[0], True
    return hint, False


def _describe_default(value: Any) -> str:
    if isinstance(value, bool):
        return 'on' if value else 'off'
    if isinstance(value, tuple):
        return ','.join(str(v) for v in value)
    if value is None:
        return 'none'
    return str(value)


def _default_of(field: dataclasses.Field) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    raise TypeError(f'SimConfig.{field.name} has no default')  # every option has one


def _type_of_default(field: dataclasses.Field) -> Any:
    default = _default_of(field)
    return type(default) if default is not None else Any


def _add_config_option(group: argparse._ArgumentGroup, field: dataclasses.Field, hint: Any, comment: str) -> None:
    name = field.name
    flags = list(ALIASES.get(name, ('--' + name.replace('_', '-'),)))
    shown_default = DEFAULT_TEXT.get(name) or _describe_default(_default_of(field))
    text = HELP_OVERRIDES.get(name, comment or name.replace('_', ' '))
    base, optional = _unwrap_optional(hint)
    common: Dict[str, Any] = {'dest': name, 'default': None}
    if base is bool:
        group.add_argument(
            *flags, action=argparse.BooleanOptionalAction, help=f'{text} (default: {shown_default})', **common
        )
        return
    metavar = METAVARS.get(name)
    if name == 'start_time':
        parse: Callable[[str], Any] = _epoch
    elif typing.get_origin(base) is tuple:
        parse = _comma_list
        metavar = metavar or 'VALUE[,VALUE...]'
    elif typing.get_origin(base) is dict and typing.get_args(base)[1:] == (float,):
        group.add_argument(
            *flags, type=_key_seconds, action=_MergeIntoDict, metavar=metavar or 'KEY=VALUE', help=text, **common
        )
        return
    elif base is float:
        parse = _optional_seconds if optional else _non_negative
        metavar = metavar or 'SECONDS'
    elif base is int:
        parse = int
        metavar = metavar or 'N'
    elif base is str:
        parse = str
        metavar = metavar or 'TEXT'
    else:  # structured values (dicts of lists, ...) are given as JSON
        parse = _json_value
        metavar = metavar or 'JSON'
    group.add_argument(*flags, type=parse, metavar=metavar, help=f'{text} (default: {shown_default})', **common)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description='Run ibind.sim, a stateful simulator of the IBKR Client Portal gateway (Web API 1.0), '
        'until Ctrl-C. The REST API is served under /v1/api/, the control API under /sim/.',
        epilog='Boolean options have a --no- form to switch them off, e.g. --no-preflight-snapshot. '
        'Documentation: docs/simulator.md.',
    )
    server = parser.add_argument_group('server')
    server.add_argument('--host', default='127.0.0.1', help='address to listen on (default: 127.0.0.1)')
    server.add_argument('--port', type=int, default=5000, help='port to listen on; 0 picks a free one (default: 5000)')
    server.add_argument(
        '--tls',
        action='store_true',
        help='serve HTTPS with a certificate made at start-up; prints the CA file to pass as cacert',
    )
    server.add_argument(
        '--tls-dir',
        metavar='DIR',
        help='directory for the generated CA, certificate and key (default: a new temporary one)',
    )

    comments, sections = _field_comments()
    hints = typing.get_type_hints(SimConfig)  # SimConfig's annotations must resolve: a test runs this
    groups: Dict[str, argparse._ArgumentGroup] = {}
    for field in dataclasses.fields(SimConfig):
        title = sections.get(field.name, 'simulator options')
        if title not in groups:
            groups[title] = parser.add_argument_group(title)
        if field.name in NOT_ON_COMMAND_LINE:
            continue
        _add_config_option(
            groups[title], field, hints.get(field.name) or _type_of_default(field), comments.get(field.name, '')
        )

    oauth_group = groups.get(sections.get('oauth', '')) or parser.add_argument_group('OAuth 1.0a')
    oauth = oauth_group.add_mutually_exclusive_group()
    oauth.add_argument(
        '--oauth',
        metavar='FILE',
        dest='oauth_file',
        help='serve in OAuth 1.0a mode for the consumer described in FILE (the oauth_server.json '
        'that ibind.sim.oauth.make_test_credentials writes); /iserver then needs ssodh/init',
    )
    oauth.add_argument(
        '--oauth-test-credentials',
        metavar='DIR',
        dest='oauth_test_dir',
        help='make a throwaway OAuth consumer (keys, DH group, access token) in DIR, serve in '
        'OAuth mode for it, and print the IBIND_* settings a client needs',
    )
    return parser


def config_from_args(args: argparse.Namespace, oauth: Any = None) -> SimConfig:
    """A SimConfig with every option that was given; the rest keep SimConfig's defaults."""
    names = {field.name for field in dataclasses.fields(SimConfig)}
    given = {name: value for name, value in vars(args).items() if name in names and value is not None}
    if oauth is not None:
        given['oauth'] = oauth
    return SimConfig.from_kwargs(**given)


def _oauth_from_args(args: argparse.Namespace) -> Tuple[Any, Any]:
    """(OAuthServerConfig or None, TestCredentials or None) for --oauth / --oauth-test-credentials."""
    if args.oauth_file:
        from ibind.sim.oauth import OAuthServerConfig

        return OAuthServerConfig.load(args.oauth_file), None
    if args.oauth_test_dir:
        from ibind.sim.oauth import make_test_credentials

        credentials = make_test_credentials(args.oauth_test_dir)
        return credentials.server, credentials
    return None, None


# ----------------------------------------------------------------- running


def _banner(sim: Any, credentials: Any = None) -> List[str]:
    config = sim.config
    lines = [
        'ibind.sim: IBKR gateway simulator running',
        f'  REST API:    {sim.url}',
        f'  control API: {sim.control_url}',
    ]
    if sim.cacert:
        lines.append(f'  CA file:     {sim.cacert}   (IbkrClient(cacert=...), curl --cacert ...)')
    lines.append(f'  accounts:    {",".join(config.accounts)}   seed: {config.seed}')
    if config.oauth is not None:
        lines.append(f'  mode:        OAuth 1.0a, consumer {config.oauth.consumer_key}')
    if credentials is not None:
        env_file = credentials.write_env_file(sim.url, sim.cacert)
        lines.append(f'  OAuth files: {credentials.directory}; a client needs these settings, written to')
        lines.append(f'  {env_file} (export IBIND_ENV_FILE={env_file}):')
        lines.extend('    ' + line for line in credentials.env_lines(sim.url, sim.cacert).splitlines() if line)
    lines.append('Press Ctrl-C to stop.')
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        oauth, credentials = _oauth_from_args(args)
        config = config_from_args(args, oauth=oauth)
    except (TypeError, ValueError, OSError) as error:
        parser.error(str(error))

    from ibind.sim.transport.server import GatewaySimulator

    try:
        sim = GatewaySimulator(host=args.host, port=args.port, tls=args.tls, tls_dir=args.tls_dir, config=config)
    except (OSError, ValueError) as error:  # e.g. an unreadable or malformed --instruments file
        print(f'{PROG}: cannot start: {error}', file=sys.stderr)
        return 2
    stop = threading.Event()
    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            sim.start()
        except ImportError as error:  # --tls without the 'sim' extra (trustme): the message says what to install
            print(f'{PROG}: cannot serve TLS: {error}', file=sys.stderr)
            return 2
        except OSError as error:
            print(f'{PROG}: cannot listen on {args.host}:{args.port}: {error}', file=sys.stderr)
            return 1
        print('\n'.join(_banner(sim, credentials)), flush=True)
        while not stop.wait(0.5):
            pass
        print('ibind.sim: stopping', flush=True)
        sim.stop()
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == '__main__':
    sys.exit(main())
