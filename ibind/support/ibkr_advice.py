"""What to do about IBKR's terse error texts: advice the client adds to its exceptions.

The gateway answers failures with short texts ("not authenticated", "Account U123 not found"). Users
need to know what to do next, against the real gateway as much as against ibind.sim, so the advice lives
here, on the client side, and ``raise_for_failure`` appends it to the exception message:
``not authenticated -- log in to the Client Portal Gateway first ...``.

One table, matched in order on (HTTP status or None for any, lower-cased text fragment).
"""

from __future__ import annotations

from typing import Optional, Tuple

ADVICE: Tuple[Tuple[Optional[int], str, str], ...] = (
    (
        None,
        'no bridge',
        'the gateway has no connection to IBKR (e.g. the nightly reset); wait and call '
        '/iserver/auth/ssodh/init, or log in again',
    ),
    (
        None,
        'competing',
        'another session (TWS, the mobile app, another gateway) took the brokerage session; '
        'close it or re-open this one with /iserver/auth/ssodh/init',
    ),
    (
        None,
        'not authenticated',
        'log in to the Client Portal Gateway first (open its URL in a browser), or with '
        'OAuth check the access token; an expired brokerage session re-opens with '
        '/iserver/auth/ssodh/init',
    ),
    (
        None,
        'please query /accounts first',
        'call /iserver/accounts once per brokerage session before snapshots and orders (IbkrClient does this itself)',
    ),
    (
        None,
        'please query /portfolio/accounts',
        'call /portfolio/accounts (or /portfolio/subaccounts) once before other /portfolio endpoints',
    ),
    (
        None,
        'not found',
        "check the account id: it must be one of this user's accounts (/iserver/accounts or "
        '/portfolio/accounts list them)',
    ),
    (
        None,
        'must exceed the initial margin',
        'the account lacks the margin for this position: reduce the size, or add funds',
    ),
)


def advice_for(status: Optional[int], message: Optional[str]) -> Optional[str]:
    """The advice for an IBKR error text, or None when the text is not a known one."""
    if not message:
        return None
    text = message.lower()
    for wanted_status, fragment, advice in ADVICE:
        if (wanted_status is None or wanted_status == status) and fragment in text:
            if fragment == 'not found' and 'account' not in text:
                continue
            return advice
    return None


def with_advice(status: Optional[int], message: Optional[str]) -> Optional[str]:
    """``message -- advice`` for a known IBKR text; the message unchanged otherwise."""
    advice = advice_for(status, message)
    return f'{message} -- {advice}' if advice else message
