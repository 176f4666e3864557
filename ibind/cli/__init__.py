"""``ibind``: the Client Portal Web API from the shell, for cron jobs that need no Python file.

    ibind health                                   # is the session usable? (exit 0 / 4)
    ibind positions --format csv -o positions.csv
    ibind history AAPL MSFT --period 1y --bar 1d --format json
    ibind snapshot AAPL MSFT --fields last_price,bid,ask
    ibind diagnose                                 # what is wrong with this setup, step by step

Configured like ``IbkrClient()``: ``IBIND_*`` variables or a ``.env`` file, overridden by ``--url``,
``--account`` and ``--cacert``. Quiet unless ``-v`` (ibind's log on stderr; ``-vv`` for debug). The exit
code tells a scheduler what happened (see ``EXIT_CODES``).
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any, List, Optional

EXIT_OK = 0
EXIT_BROKER_ERROR = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_UNREACHABLE = 3
EXIT_NOT_AUTHENTICATED = 4
EXIT_RATE_LIMITED = 5
EXIT_INTERRUPTED = 130

EXIT_CODES = {
    EXIT_OK: 'ok',
    EXIT_BROKER_ERROR: 'the broker answered with an error (or some symbols failed)',
    EXIT_BAD_ARGUMENTS: 'bad arguments or settings',
    EXIT_UNREACHABLE: 'gateway unreachable (nothing listens, wrong protocol or certificate, no answer in time)',
    EXIT_NOT_AUTHENTICATED: 'not authenticated (logged out, brokerage session closed, no bridge, competing session)',
    EXIT_RATE_LIMITED: 'rate limited by IBKR: try again later',
    EXIT_INTERRUPTED: 'interrupted (Ctrl-C)',
}
"""Exit code -> what it means."""

_EPILOG = 'exit codes: ' + '; '.join(f'{code} {meaning}' for code, meaning in EXIT_CODES.items())


def _common_options(top_level: bool) -> argparse.ArgumentParser:
    """Options accepted before and after the command; after it, only what is given overrides (SUPPRESS)."""
    from ibind.cli.output import FORMATS

    def default(value: Any) -> Any:
        return value if top_level else argparse.SUPPRESS

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        '--url',
        default=default(None),
        help="the gateway's REST URL (default IBIND_REST_URL or https://localhost:5000/v1/api/)",
    )
    common.add_argument('--account', default=default(None), help='the account id (default IBIND_ACCOUNT_ID)')
    common.add_argument(
        '--cacert',
        default=default(None),
        help="CA file for the gateway's certificate, or 'false' not to verify (default IBIND_CACERT)",
    )
    common.add_argument(
        '--timeout', type=float, default=default(None), help='seconds per request (default IBIND_TIMEOUT)'
    )
    common.add_argument('--format', choices=FORMATS, default=default('table'), help='output format (default: table)')
    common.add_argument(
        '-o', '--output', metavar='FILE', default=default(None), help='write the output to FILE instead of stdout'
    )
    common.add_argument(
        '-v', '--verbose', action='count', default=default(0), help="ibind's log on stderr (-vv: debug)"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The ``ibind`` argument parser (exposed for documentation and tests)."""
    common = _common_options(top_level=False)
    parser = argparse.ArgumentParser(
        prog='ibind',
        description='The IBKR Client Portal Web API from the shell.',
        epilog=_EPILOG,
        parents=[_common_options(top_level=True)],
    )
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    commands.add_parser('health', parents=[common], help='is the brokerage session usable? (exit 0 or 4)')
    commands.add_parser('tickle', parents=[common], help='keep the session alive')
    commands.add_parser('accounts', parents=[common], help='the accounts of this login')
    commands.add_parser('positions', parents=[common], help='every position of the account (all pages)')
    commands.add_parser('orders', parents=[common], help='live orders')
    history = commands.add_parser('history', parents=[common], help='historical bars of stocks by symbol')
    history.add_argument('symbols', nargs='+', metavar='SYMBOL')
    history.add_argument('--period', default='1d', help='e.g. 1d, 1w, 6m (months), 1y (default 1d)')
    history.add_argument('--bar', default='1h', help='e.g. 5min, 1h, 1d (default 1h)')
    history.add_argument('--outside-rth', action='store_true', help='include bars outside regular trading hours')
    snapshot = commands.add_parser('snapshot', parents=[common], help='current market data of stocks by symbol')
    snapshot.add_argument('symbols', nargs='+', metavar='SYMBOL')
    snapshot.add_argument(
        '--fields', help='comma-separated field names (default last_price,bid,ask,volume,change_percent)'
    )
    diagnose = commands.add_parser('diagnose', parents=[common], help='explain what is wrong with this setup')
    diagnose.add_argument('--conid', default='265598', help='the contract whose market data is checked (AAPL)')
    diagnose.add_argument(
        '--oauth', action='store_true', default=None, help='diagnose an OAuth 1.0a setup (as IBIND_USE_OAUTH=true)'
    )
    return parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run ``ibind`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 2 on bad arguments and 0 for --help
        return int(exit_.code or 0)
    args.warn = lambda message: print(f'ibind: {message}', file=sys.stderr)
    _configure_logging(args.verbose)
    try:
        return _run(args)
    except KeyboardInterrupt:
        args.warn('interrupted')
        return EXIT_INTERRUPTED


def _configure_logging(verbose: int) -> None:
    if not verbose:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter('%(asctime)s %(levelname)s %(name)s: %(message)s'))
    logger = logging.getLogger('ibind')
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def _run(args: argparse.Namespace) -> int:
    from ibind.support.errors import ExternalBrokerError, NotAuthenticatedError, RateLimitError, TransportError

    try:
        cacert = _cacert(args.cacert)
        if args.command == 'diagnose':
            return _diagnose(args, cacert)
        from ibind.cli.commands import COMMANDS

        with _client(args, cacert) as client:
            rows, code = COMMANDS[args.command](client, args)
    except NotAuthenticatedError as error:
        return _fail(args, error, EXIT_NOT_AUTHENTICATED)
    except TransportError as error:
        return _fail(args, error, EXIT_UNREACHABLE)
    except RateLimitError as error:
        return _fail(args, error, EXIT_RATE_LIMITED)
    except ExternalBrokerError as error:
        return _fail(args, error, EXIT_BROKER_ERROR)
    except (ValueError, TypeError) as error:
        return _fail(args, error, EXIT_BAD_ARGUMENTS)
    from ibind.cli.output import render

    _write(args, render(rows, args.format))
    return code


def _cacert(value: Optional[str]) -> Any:
    if value is None:
        return None
    from ibind.var import parse_cacert

    return parse_cacert(value)


def _client(args: argparse.Namespace, cacert: Any) -> Any:
    from ibind import IbkrClient

    options: dict = {}
    if args.url:
        options['url'] = args.url
    if args.account:
        options['account_id'] = args.account
    if cacert is not None:
        options['cacert'] = cacert
    if args.timeout is not None:
        options['timeout'] = args.timeout
    return IbkrClient(**options)


def _diagnose(args: argparse.Namespace, cacert: Any) -> int:
    from ibind.diagnosis import diagnose

    kwargs = {'timeout': args.timeout} if args.timeout is not None else {}
    result = diagnose(
        url=args.url, account_id=args.account, cacert=cacert, conid=args.conid, use_oauth=args.oauth, **kwargs
    )
    if args.format == 'table':
        _write(args, str(result) + '\n')
    else:
        from ibind.cli.output import render

        _write(args, render([vars(check) for check in result.checks], args.format))
    return {'ok': EXIT_OK, 'unreachable': EXIT_UNREACHABLE, 'not_authenticated': EXIT_NOT_AUTHENTICATED}.get(
        result.kind, EXIT_BROKER_ERROR
    )


def _fail(args: argparse.Namespace, error: BaseException, code: int) -> int:
    args.warn(f'{type(error).__name__}: {error} ({EXIT_CODES[code]}; exit {code})')
    if code in (EXIT_UNREACHABLE, EXIT_NOT_AUTHENTICATED):
        args.warn("run 'ibind diagnose' to find out why")
    return code


def _write(args: argparse.Namespace, text: str) -> None:
    if args.output:
        with open(args.output, 'w', encoding='utf-8', newline='') as file:
            file.write(text)
    else:
        sys.stdout.write(text)
