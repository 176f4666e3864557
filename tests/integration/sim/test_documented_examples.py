"""Every simulator route answers with the keys (and value types) of the JSON example seed 002 shows for it.

``EXAMPLES`` is the table: route -> the keys of the documented example, written as a shape and taken
from the seed text (``L...`` = line numbers in seed 002, ``002_ece69be2263c3505.txt``). The request is the
route's probe from ``sim_route_probes.PROBES`` (a fresh simulator, the documented prerequisites first)
unless an entry needs the situation its example shows (a filled order, a question, a second read).

Shapes:
  ``STR``, ``NUM``, ``BOOL``   the key is present with a string / number (int or float, not bool) / bool
  ``ANY``                      the key is present; the example does not settle its type (null or a placeholder)
  ``Maybe(shape)``             the shape or null (the text says "null if ..." or the example shows both)
  ``{key: shape}``             an object with at least these keys
  ``[shape]``                  a non-empty list, every item of that shape; ``[]``: a list (the example's is empty)
  ``Each(shape)``              an object keyed by account ids, currencies, symbols, ...: every value of that shape

Routes for which seed 002 has no JSON example (only a field list, or nothing) are listed too, so that a
new route must be classified here: a field list becomes an entry (marked as such), no documentation at
all an entry of ``NOT_IN_SEED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import pytest

from sim_route_probes import (
    AAPL,
    IBM,
    KO,
    PROBES,
    WATCHLIST_ID,
    Probe,
    far_limit_order,
    filled_order,
    resting_order,
    run_probes,
)

STR, NUM, BOOL, ANY = 'string', 'number', 'boolean', 'any'


@dataclass(frozen=True)
class Maybe:
    shape: Any


@dataclass(frozen=True)
class Each:
    shape: Any


@dataclass(frozen=True)
class Example:
    """The documented example of a route: where it is (seed 002 lines) and its shape."""

    route: str
    lines: str
    shape: Any
    probe: Optional[Probe] = None  # default: PROBES[route]
    select: Optional[Callable[[Any], Any]] = None  # the part of the answer the example shows
    note: str = ''


def mismatches(shape: Any, value: Any, path: str = '') -> List[str]:
    """Where ``value`` does not carry ``shape``: a list of 'json/path: what is wrong'."""
    where = path or '(top)'
    if isinstance(shape, Maybe):
        return [] if value is None else mismatches(shape.shape, value, path)
    if shape == ANY:
        return []
    if shape in (STR, NUM, BOOL):
        return [] if _is(shape, value) else [f'{where}: expected a {shape}, got {value!r:.60}']
    if isinstance(shape, Each):
        if not isinstance(value, dict) or not value:
            return [f'{where}: expected a non-empty object, got {value!r:.60}']
        return [problem for key, item in value.items() for problem in mismatches(shape.shape, item, f'{path}/{key}')]
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            return [f'{where}: expected an object, got {value!r:.60}']
        problems = [f'{path}/{key}: missing' for key in shape if key not in value]
        return problems + [
            problem
            for key, sub in shape.items()
            if key in value
            for problem in mismatches(sub, value[key], f'{path}/{key}')
        ]
    if isinstance(shape, list):
        if not isinstance(value, list):
            return [f'{where}: expected a list, got {value!r:.60}']
        if not shape:
            return []
        if not value:
            return [f'{where}: empty, the example shows items']
        return [
            problem for index, item in enumerate(value) for problem in mismatches(shape[0], item, f'{path}/{index}')
        ]
    raise TypeError(f'not a shape: {shape!r}')


def _is(kind: str, value: Any) -> bool:
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == NUM:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


# =========================================================================== shapes shared by several routes

SERVER_INFO = {'serverName': STR, 'serverVersion': STR}
AUTH_STATUS = {
    'authenticated': BOOL,
    'competing': BOOL,
    'connected': BOOL,
    'message': STR,
    'MAC': STR,
    'serverInfo': SERVER_INFO,
}
ORDER_ACK = [{'order_id': STR, 'order_status': STR, 'encrypt_message': STR}]
ORDER_QUESTION = [{'id': STR, 'message': [STR], 'isSuppressed': BOOL, 'messageIds': [STR]}]
# L7424-7455 (and the same object at L7559-7590, L7712-7743, L7837-7866)
PORTFOLIO_ACCOUNT = {
    'id': STR,
    'PrepaidCrypto-Z': BOOL,
    'PrepaidCrypto-P': BOOL,
    'brokerageAccess': BOOL,
    'accountId': STR,
    'accountVan': STR,
    'accountTitle': STR,
    'displayName': STR,
    'accountAlias': ANY,
    'accountStatus': NUM,
    'currency': STR,
    'type': STR,
    'tradingType': STR,
    'businessType': STR,
    'ibEntity': STR,
    'faclient': BOOL,
    'clearingStatus': STR,
    'covestor': BOOL,
    'noClientTrading': BOOL,
    'trackVirtualFXPortfolio': BOOL,
    'parent': {'mmc': [], 'accountId': STR, 'isMParent': BOOL, 'isMChild': BOOL, 'isMultiplex': BOOL},
    'desc': STR,
}
# the position row of L8458-8528 (also L9042-9090, L9523-9547, and L8817-8874 before its contract part)
POSITION_ROW = {
    'acctId': STR,
    'conid': NUM,
    'contractDesc': STR,
    'position': NUM,
    'mktPrice': NUM,
    'mktValue': NUM,
    'currency': STR,
    'avgCost': NUM,
    'avgPrice': NUM,
    'realizedPnl': NUM,
    'unrealizedPnl': NUM,
    'exchs': ANY,
    'expiry': ANY,
    'putOrCall': ANY,
    'multiplier': ANY,
    'strike': NUM,
    'exerciseStyle': ANY,
    'conExchMap': [],
    'assetClass': STR,
    'undConid': NUM,
    'model': STR,
}
INCREMENT_RULES = [{'lowerEdge': NUM, 'increment': NUM}]
DISPLAY_RULE = {'magnification': NUM, 'displayRuleStep': [{'decimalDigits': NUM, 'lowerEdge': NUM, 'wholeDigits': NUM}]}
CONTRACT_INFO = {  # L1948-1975
    'cfi_code': STR,
    'symbol': STR,
    'cusip': ANY,
    'expiry_full': ANY,
    'con_id': NUM,
    'maturity_date': ANY,
    'industry': STR,
    'instrument_type': STR,
    'trading_class': STR,
    'valid_exchanges': STR,
    'allow_sell_long': BOOL,
    'is_zero_commission_security': BOOL,
    'local_symbol': STR,
    'contract_clarification_type': ANY,
    'classifier': ANY,
    'currency': STR,
    'text': ANY,
    'underlying_con_id': NUM,
    'r_t_h': BOOL,
    'multiplier': ANY,
    'underlying_issuer': ANY,
    'contract_month': ANY,
    'company_name': STR,
    'smart_available': BOOL,
    'exchange': STR,
    'category': STR,
}
CONTRACT_RULES = {  # L2880-2969
    'algoEligible': BOOL,
    'overnightEligible': BOOL,
    'costReport': BOOL,
    'canTradeAcctIds': [STR],
    'error': ANY,
    'orderTypes': [STR],
    'ibAlgoTypes': [STR],
    'fraqTypes': [],
    'forceOrderPreview': BOOL,
    'cqtTypes': [STR],
    'orderDefaults': {'LMT': {'LP': STR}},
    'orderTypesOutside': [STR],
    'defaultSize': NUM,
    'cashSize': NUM,
    'sizeIncrement': NUM,
    'tifTypes': [STR],
    'tifDefaults': {'TIF': STR, 'SIZE': STR},
    'limitPrice': NUM,
    'stopprice': NUM,
    'orderOrigination': ANY,
    'preview': BOOL,
    'displaySize': ANY,
    'fraqInt': NUM,
    'cashCcy': STR,
    'cashQtyIncr': NUM,
    'priceMagnifier': ANY,
    'negativeCapable': BOOL,
    'incrementType': NUM,
    'incrementRules': INCREMENT_RULES,
    'hasSecondary': BOOL,
    'increment': NUM,
    'incrementDigits': NUM,
}
ALLOCATION = {side: {'long': Each(NUM), 'short': Each(NUM)} for side in ('assetClass', 'sector', 'group')}
LEDGER_ENTRY = {  # L9290-9354, the BASE entry (the USD entry adds endofbundle)
    'commoditymarketvalue': NUM,
    'futuremarketvalue': NUM,
    'settledcash': NUM,
    'exchangerate': NUM,
    'sessionid': NUM,
    'cashbalance': NUM,
    'corporatebondsmarketvalue': NUM,
    'warrantsmarketvalue': NUM,
    'netliquidationvalue': NUM,
    'interest': NUM,
    'unrealizedpnl': NUM,
    'stockmarketvalue': NUM,
    'moneyfunds': NUM,
    'currency': STR,
    'realizedpnl': NUM,
    'funds': NUM,
    'acctcode': STR,
    'issueroptionsmarketvalue': NUM,
    'key': STR,
    'timestamp': NUM,
    'severity': NUM,
    'stockoptionmarketvalue': NUM,
    'futuresonlypnl': NUM,
    'tbondsmarketvalue': NUM,
    'futureoptionmarketvalue': NUM,
    'cashbalancefxsegment': NUM,
    'secondkey': STR,
    'tbillsmarketvalue': NUM,
    'dividends': NUM,
}
RETURNS_SERIES = {
    'data': [{'idType': STR, 'start': STR, 'end': STR, 'returns': [NUM], 'id': STR, 'baseCurrency': STR}],
    'freq': STR,
    'dates': [STR],
}
TICKLE = {
    'session': STR,
    'ssoExpires': NUM,
    'collission': BOOL,
    'userId': NUM,
    'hmds': {'error': STR},
    'iserver': {'authStatus': AUTH_STATUS},
}  # L10724-10745


def _adaptive_priority(body: Any) -> Any:
    """The Adaptive algo's first parameter: the one parameter of the example with every key (L2413-2425)."""
    adaptive = next(algo for algo in body['algos'] if algo['id'] == 'Adaptive')
    return next(parameter for parameter in adaptive['parameters'] if parameter['id'] == 'adaptivePriority')


def _watchlist_like_the_example(api) -> Dict[str, Any]:
    """IBM and KO, as in the example (L11151-11178), read once already (the first read may be partial)."""
    api.ok(
        'POST',
        'iserver/watchlist',
        body={'id': WATCHLIST_ID, 'name': 'Test Watchlist', 'rows': [{'C': IBM}, {'C': KO}]},
    )
    api.ok('GET', 'iserver/watchlist', {'id': WATCHLIST_ID})
    return {}


# =========================================================================== the table

EXAMPLES: Tuple[Example, ...] = (
    # ---- session (seed 002 "Session")
    Example('POST /iserver/auth/status', 'L10542-10554', {**AUTH_STATUS, 'hardware_info': STR, 'fail': STR}),
    Example('POST /iserver/auth/ssodh/init', 'L10635-10645', AUTH_STATUS),
    Example('POST /tickle', 'L10724-10745', TICKLE),
    Example('GET /tickle', 'L10724-10745', TICKLE, note='the same endpoint; the pacing table lists it as GET (L359)'),
    Example('POST /iserver/reauthenticate', 'L10782-10784', {'message': STR}),
    Example('POST /logout', 'L10674', {'status': BOOL}, note='field list only: "status: bool"'),
    Example(
        'GET /sso/validate',
        'L10861-10887',
        {
            'USER_ID': NUM,
            'USER_NAME': STR,
            'RESULT': BOOL,
            'AUTH_TIME': NUM,
            'SF_ENABLED': BOOL,
            'IS_FREE_TRIAL': BOOL,
            'CREDENTIAL': STR,
            'IP': STR,
            'EXPIRES': NUM,
            'QUALIFIED_FOR_MOBILE_AUTH': ANY,
            'LANDING_APP': STR,
            'IS_MASTER': BOOL,
            'lastAccessed': NUM,
            'LOGIN_TYPE': NUM,
            'PAPER_USER_NAME': STR,
            'features': {
                'env': STR,
                'wlms': BOOL,
                'realtime': BOOL,
                'bond': BOOL,
                'optionChains': BOOL,
                'calendar': BOOL,
                'newMf': BOOL,
            },
            'region': STR,
        },
    ),
    Example(
        'POST /oauth/live_session_token',
        'L13630-13634',
        {'diffie_hellman_response': STR, 'live_session_token_signature': STR, 'live_session_token_expiration': NUM},
    ),
    # ---- accounts
    Example(
        'GET /iserver/account/pnl/partitioned',
        'L1186-1197',
        {'upnl': Each({'rowType': NUM, 'dpl': NUM, 'nl': NUM, 'upl': NUM, 'el': NUM, 'mv': NUM})},
    ),
    Example(
        'GET /iserver/account/search/{searchPattern}',
        'L1261-1270',
        {'matchedAccounts': [{'accountId': STR, 'alias': STR, 'allocationId': STR}], 'pattern': STR},
    ),
    Example(
        'POST /iserver/dynaccount',
        'L1326-1329',
        {'set': STR, 'acctId': STR},
        note='"set" is the string "true" in the example (the text says bool)',
    ),
    Example(
        'GET /acesws/{accountId}/signatures-and-owners',
        'L1401-1433',
        {
            'accountId': STR,
            'users': [
                {
                    'roleId': STR,
                    'hasRightCodeInd': BOOL,
                    'userName': STR,
                    'entity': {'firstName': STR, 'lastName': STR, 'entityType': STR, 'entityName': STR},
                }
            ],
            'applicant': {'signatures': [STR]},
        },
    ),
    Example('POST /iserver/account', 'L1479-1482', {'set': BOOL, 'acctId': STR}),
    Example(
        'GET /iserver/accounts',
        'L1610-1665',
        {
            'accounts': [STR],
            'acctProps': Each(
                {
                    'hasChildAccounts': BOOL,
                    'supportsCashQty': BOOL,
                    'noFXConv': BOOL,
                    'isProp': BOOL,
                    'supportsFractions': BOOL,
                    'allowCustomerTime': BOOL,
                }
            ),
            'aliases': Each(STR),
            'allowFeatures': {
                'showGFIS': BOOL,
                'showEUCostReport': BOOL,
                'allowEventContract': BOOL,
                'allowFXConv': BOOL,
                'allowFinancialLens': BOOL,
                'allowMTA': BOOL,
                'allowTypeAhead': BOOL,
                'allowEventTrading': BOOL,
                'snapshotRefreshTimeout': NUM,
                'liteUser': BOOL,
                'showWebNews': BOOL,
                'research': BOOL,
                'debugPnl': BOOL,
                'showTaxOpt': BOOL,
                'showImpactDashboard': BOOL,
                'allowDynAccount': BOOL,
                'allowCrypto': BOOL,
                'allowedAssetTypes': STR,
            },
            'chartPeriods': Each([STR]),
            'groups': [],
            'profiles': [],
            'selectedAccount': STR,
            'serverInfo': SERVER_INFO,
            'sessionId': STR,
            'isFT': BOOL,
            'isPaper': BOOL,
        },
    ),
    # ---- contract
    Example(
        'GET /trsrv/secdef',
        'L1781-1827',
        {
            'secdef': [
                {
                    'conid': NUM,
                    'currency': STR,
                    'time': NUM,
                    'chineseName': STR,
                    'allExchanges': STR,
                    'listingExchange': STR,
                    'countryCode': STR,
                    'name': STR,
                    'assetClass': STR,
                    'expiry': ANY,
                    'lastTradingDay': ANY,
                    'group': STR,
                    'putOrCall': ANY,
                    'sector': STR,
                    'sectorGroup': STR,
                    'strike': STR,
                    'ticker': STR,
                    'undConid': NUM,
                    'multiplier': NUM,
                    'type': STR,
                    'hasOptions': BOOL,
                    'fullName': STR,
                    'isUS': BOOL,
                    'incrementRules': INCREMENT_RULES,
                    'displayRule': DISPLAY_RULE,
                    'isEventContract': BOOL,
                    'pageSize': NUM,
                }
            ]
        },
        probe=Probe('trsrv/secdef', {'conids': f'{AAPL},{IBM}'}),
        note='stocks, like the AAPL example',
    ),
    Example('GET /trsrv/all-conids', 'L1868-1880', [{'ticker': STR, 'conid': NUM, 'exchange': STR}]),
    Example('GET /iserver/contract/{conid}/info', 'L1948-1975', CONTRACT_INFO),
    Example('GET /iserver/contract/{conid}/info-and-rules', 'L2193-2319', {**CONTRACT_INFO, 'rules': CONTRACT_RULES}),
    Example('POST /iserver/contract/rules', 'L2880-2969', CONTRACT_RULES),
    Example('GET /iserver/currency/pairs', 'L2020-2034', {'USD': [{'symbol': STR, 'conid': NUM, 'ccyPair': STR}]}),
    Example('GET /iserver/exchangerate', 'L2070', {'rate': NUM}, note='field list only: "rate: float"'),
    Example(
        'GET /iserver/contract/{conid}/algos',
        'L2407-2497',
        {
            'algos': [
                {
                    'name': STR,
                    'id': STR,
                    'parameters': [{'guiRank': NUM, 'name': STR, 'id': STR, 'valueClassName': STR}],
                }
            ]
        },
        note='the keys every parameter of the example has',
    ),
    Example(
        'GET /iserver/contract/{conid}/algos',
        'L2413-2425',
        {
            'guiRank': NUM,
            'defaultValue': STR,
            'name': STR,
            'id': STR,
            'legalStrings': [STR],
            'required': STR,
            'valueClassName': STR,
        },
        select=_adaptive_priority,
        note='the Adaptive priority parameter',
    ),
    Example(
        'GET /iserver/secdef/bond-filters',
        'L2548-2590',
        {'bondFilters': [{'displayText': STR, 'columnId': NUM, 'options': [{'value': STR}]}]},
        note='"text" only on some options in the example',
    ),
    Example(
        'GET /iserver/secdef/search',
        'L2710-2721',
        [
            {
                'conid': STR,
                'companyHeader': STR,
                'companyName': STR,
                'symbol': STR,
                'description': ANY,
                'restricted': ANY,
                'sections': [],
                'secType': STR,
            }
        ],
        probe=Probe('iserver/secdef/search', {'symbol': 'IBKR'}),
        note='the example searches IBKR',
    ),
    Example(
        'GET /iserver/secdef/info',
        'L3057-3076',
        [
            {
                'conid': NUM,
                'symbol': STR,
                'secType': STR,
                'exchange': STR,
                'listingExchange': ANY,
                'right': STR,
                'strike': NUM,
                'currency': STR,
                'cusip': ANY,
                'coupon': STR,
                'desc1': STR,
                'desc2': STR,
                'maturityDate': STR,
                'multiplier': STR,
                'tradingClass': STR,
                'validExchanges': STR,
            }
        ],
    ),
    Example('GET /iserver/secdef/strikes', 'L3129-3142', {'call': [NUM], 'put': [NUM]}),
    Example(
        'GET /trsrv/futures',
        'L3197-3222',
        Each(
            [
                {
                    'symbol': STR,
                    'conid': NUM,
                    'underlyingConid': NUM,
                    'expirationDate': NUM,
                    'ltd': NUM,
                    'shortFuturesCutOff': NUM,
                    'longFuturesCutOff': NUM,
                }
            ]
        ),
    ),
    Example(
        'GET /trsrv/stocks',
        'L3277-3326',
        Each(
            [
                {
                    'name': STR,
                    'chineseName': Maybe(STR),
                    'assetClass': STR,
                    'contracts': [{'conid': NUM, 'exchange': STR, 'isUS': BOOL}],
                }
            ]
        ),
        note='chineseName is null at L3303',
    ),
    Example(
        'GET /trsrv/secdef/schedule',
        'L3415-3442',
        [
            {
                'id': STR,
                'tradeVenueId': STR,
                'timezone': STR,
                'schedules': [
                    {
                        'clearingCycleEndTime': STR,
                        'tradingScheduleDate': STR,
                        'sessions': [{'openingTime': STR, 'closingTime': STR, 'prop': STR}],
                        'tradingtimes': [{'openingTime': STR, 'closingTime': STR, 'cancelDayOrders': STR}],
                    }
                ],
            }
        ],
    ),
    # ---- market data
    Example(
        'GET /iserver/marketdata/snapshot',
        'L4795-4807',
        [
            {
                '_updated': NUM,
                'conidEx': STR,
                'conid': NUM,
                'server_id': STR,
                '6119': STR,
                '31': STR,
                '84': STR,
                '86': STR,
                '6509': STR,
            }
        ],
    ),
    Example(
        'GET /md/regsnapshot',
        'L4911-4928',
        {
            'conid': ANY,
            'conidEx': ANY,
            'BboExchange': ANY,
            'HasDelayed': ANY,
            '84': ANY,
            '86': ANY,
            '88': ANY,
            '85': ANY,
            'BestBidExch': ANY,
            'BestAskExch': ANY,
            '31': ANY,
            '7059': ANY,
            'LastExch': ANY,
            '7057': ANY,
            '7068': ANY,
            '7058': ANY,
        },
        note='the example shows placeholders ("Bid", Bid_Size), so keys only',
    ),
    Example(
        'GET /iserver/marketdata/history',
        'L5253-5286',
        {
            'serverId': STR,
            'symbol': STR,
            'text': STR,
            'priceFactor': NUM,
            'startTime': STR,
            'high': STR,
            'low': STR,
            'timePeriod': STR,
            'barLength': NUM,
            'mdAvailability': STR,
            'mktDataDelay': NUM,
            'outsideRth': BOOL,
            'tradingDayDuration': NUM,
            'volumeFactor': NUM,
            'priceDisplayRule': NUM,
            'priceDisplayValue': STR,
            'chartPanStartTime': STR,
            'direction': NUM,
            'negativeCapable': BOOL,
            'messageVersion': NUM,
            'data': [{'o': NUM, 'c': NUM, 'h': NUM, 'l': NUM, 'v': NUM, 't': NUM}],
            'points': NUM,
            'travelTime': NUM,
        },
    ),
    Example(
        'GET /hmds/history',
        'L5416-5434',
        {
            'startTime': STR,
            'startTimeVal': NUM,
            'endTime': STR,
            'endTimeVal': NUM,
            'data': [{'t': NUM, 'o': NUM, 'c': NUM, 'h': NUM, 'l': NUM, 'v': NUM}],
            'points': NUM,
            'mktDataDelay': NUM,
        },
    ),
    Example(
        'POST /iserver/marketdata/unsubscribe', 'L5507', {'success': BOOL}, note='field list only: "success: bool"'
    ),
    Example(
        'GET /iserver/marketdata/unsubscribeall',
        'L5544',
        {'confirmed': STR},
        note='field list only: "confirmed: String"',
    ),
    # ---- orders
    Example(
        'GET /iserver/account/orders',
        'L5821-5856',
        {
            'orders': [
                {
                    'acct': STR,
                    'conidex': STR,
                    'conid': NUM,
                    'account': STR,
                    'orderId': NUM,
                    'cashCcy': STR,
                    'sizeAndFills': STR,
                    'orderDesc': STR,
                    'description1': STR,
                    'ticker': STR,
                    'secType': STR,
                    'listingExchange': STR,
                    'remainingQuantity': NUM,
                    'filledQuantity': NUM,
                    'totalSize': NUM,
                    'companyName': STR,
                    'status': STR,
                    'order_ccp_status': STR,
                    'avgPrice': STR,
                    'origOrderType': STR,
                    'supportsTaxOpt': STR,
                    'lastExecutionTime': STR,
                    'orderType': STR,
                    'bgColor': STR,
                    'fgColor': STR,
                    'order_ref': STR,
                    'timeInForce': STR,
                    'lastExecutionTime_r': NUM,
                    'side': STR,
                }
            ],
            'snapshot': BOOL,
        },
        probe=Probe('iserver/account/orders', prepare=filled_order),
        note='a filled order placed with a cOID, as in the example (order_ref, avgPrice)',
    ),
    Example(
        'GET /iserver/account/order/status/{orderId}',
        'L6025-6068',
        {
            'sub_type': ANY,
            'request_id': STR,
            'server_id': STR,
            'order_id': NUM,
            'conidex': STR,
            'conid': NUM,
            'symbol': STR,
            'side': STR,
            'contract_description_1': STR,
            'listing_exchange': STR,
            'option_acct': STR,
            'company_name': STR,
            'size': STR,
            'total_size': STR,
            'currency': STR,
            'account': STR,
            'order_type': STR,
            'cum_fill': STR,
            'order_status': STR,
            'order_ccp_status': STR,
            'order_status_description': STR,
            'tif': STR,
            'fg_color': STR,
            'bg_color': STR,
            'order_not_editable': BOOL,
            'editable_fields': STR,
            'cannot_cancel_order': BOOL,
            'deactivate_order': BOOL,
            'sec_type': STR,
            'available_chart_periods': STR,
            'order_description': STR,
            'order_description_with_contract': STR,
            'alert_active': NUM,
            'child_order_type': STR,
            'order_clearing_account': STR,
            'size_and_fills': STR,
            'exit_strategy_display_price': STR,
            'exit_strategy_chart_description': STR,
            'average_price': STR,
            'exit_strategy_tool_availability': STR,
            'allowed_duplicate_opposite': BOOL,
            'order_time': STR,
        },
        probe=Probe('iserver/account/order/status/{order_id}', prepare=filled_order),
        note='a filled order, as in the example (average_price)',
    ),
    Example(
        'GET /iserver/account/trades',
        'L6201-6231',
        [
            {
                'execution_id': STR,
                'symbol': STR,
                'supports_tax_opt': STR,
                'side': STR,
                'order_description': STR,
                'trade_time': STR,
                'trade_time_r': NUM,
                'size': NUM,
                'price': STR,
                'order_ref': STR,
                'submitter': STR,
                'exchange': STR,
                'commission': STR,
                'net_amount': NUM,
                'account': STR,
                'accountCode': STR,
                'account_allocation_name': STR,
                'company_name': STR,
                'contract_description_1': STR,
                'sec_type': STR,
                'listing_exchange': STR,
                'conid': NUM,
                'conidEx': STR,
                'clearing_id': STR,
                'clearing_name': STR,
                'liquidation_trade': STR,
                'is_event_trading': STR,
            }
        ],
    ),
    Example('POST /iserver/account/{accountId}/orders', 'L6516-6522', ORDER_ACK),
    Example(
        'POST /iserver/account/{accountId}/orders',
        'L6547-6558',
        ORDER_QUESTION,
        probe=Probe('iserver/account/{account}/orders', body={'orders': ['{far_order}']}, prepare=far_limit_order),
        note='the question answer ("Alternate Response Object")',
    ),
    Example('POST /iserver/reply/{replyId}', 'L6634-6640', ORDER_ACK),
    Example(
        'POST /iserver/account/{accountId}/orders/whatif',
        'L6824-6852',
        {
            'amount': {'amount': STR, 'commission': STR, 'total': STR},
            'equity': {'current': STR, 'change': STR, 'after': STR},
            'initial': {'current': STR, 'change': STR, 'after': STR},
            'maintenance': {'current': STR, 'change': STR, 'after': STR},
            'position': {'current': STR, 'change': STR, 'after': STR},
            'warn': Maybe(STR),
            'error': ANY,
        },
        note='warn: "Returns null if no warning is possible" (L6812-6814)',
    ),
    Example(
        'DELETE /iserver/account/{accountId}/order/{orderId}',
        'L7063-7068',
        {'msg': STR, 'order_id': NUM, 'conid': NUM, 'account': STR},
    ),
    Example('POST /iserver/account/{accountId}/order/{orderId}', 'L7168-7174', ORDER_ACK),
    Example(
        'POST /iserver/account/{accountId}/order/{orderId}',
        'L7197-7208',
        ORDER_QUESTION,
        probe=Probe('iserver/account/{account}/order/{order_id}', body='{far_modified}', prepare=resting_order),
        note='the question answer ("Alternate Response Object")',
    ),
    Example('POST /iserver/questions/suppress', 'L7252-7254', {'status': STR}),
    Example('POST /iserver/questions/suppress/reset', 'L7316-7318', {'status': STR}),
    # ---- portfolio and PortfolioAnalyst
    Example('GET /portfolio/accounts', 'L7424-7455', [PORTFOLIO_ACCOUNT]),
    Example('GET /portfolio/subaccounts', 'L7559-7590', [PORTFOLIO_ACCOUNT]),
    Example(
        'GET /portfolio/subaccounts2',
        'L7712-7743',
        [PORTFOLIO_ACCOUNT],
        select=lambda body: body['subaccounts'],
        note='the example is a bare list; the text (L7650-7711) wraps it in {metadata, subaccounts}, and so do '
        'we: the example shows one item of "subaccounts"',
    ),
    Example('GET /portfolio/{accountId}/meta', 'L7837-7866', PORTFOLIO_ACCOUNT),
    Example(
        'GET /portfolio/{accountId}/allocation',
        'L7928-7970',
        ALLOCATION,
        note='keyed by the asset classes, sectors and groups held',
    ),
    Example('POST /portfolio/allocation', 'L8227-8269', ALLOCATION),
    Example('GET /portfolio/{accountId}/positions/{pageId}', 'L8458-8528', [POSITION_ROW]),
    Example(
        'GET /portfolio2/{accountId}/positions',
        'L8630-8648',
        [
            {
                'position': NUM,
                'conid': STR,
                'avgCost': NUM,
                'avgPrice': NUM,
                'currency': STR,
                'description': STR,
                'isLastToLoq': BOOL,
                'marketPrice': NUM,
                'marketValue': NUM,
                'realizedPnl': NUM,
                'secType': STR,
                'timestamp': NUM,
                'unrealizedPnl': NUM,
                'assetClass': STR,
                'sector': STR,
                'group': STR,
                'model': STR,
            }
        ],
        note='the example (typographic quotes, no code block) shows one row of the list',
    ),
    Example(
        'GET /portfolio/{acctId}/position/{conid}',
        'L8817-8874',
        [
            {
                **POSITION_ROW,
                'multiplier': NUM,
                'strike': STR,
                'time': NUM,
                'chineseName': STR,
                'allExchanges': STR,
                'listingExchange': STR,
                'countryCode': STR,
                'name': STR,
                'lastTradingDay': ANY,
                'group': STR,
                'sector': STR,
                'sectorGroup': STR,
                'ticker': STR,
                'type': STR,
                'hasOptions': BOOL,
                'fullName': STR,
                'isUS': BOOL,
                'incrementRules': INCREMENT_RULES,
                'displayRule': DISPLAY_RULE,
                'isEventContract': BOOL,
                'pageSize': NUM,
            }
        ],
        note='a second request: the first returns only the portfolio part (L8799-8801)',
    ),
    Example('POST /portfolio/{accountId}/positions/invalidate', 'L9042-9090', [POSITION_ROW]),
    Example(
        'GET /portfolio/{accountId}/summary',
        'L9149-9167',
        Each(
            {
                'amount': NUM,
                'currency': Maybe(STR),
                'isNull': BOOL,
                'timestamp': NUM,
                'value': Maybe(STR),
                'severity': NUM,
            }
        ),
        note='the second entry of the example spells isNull "isNone" (L9162), a typo',
    ),
    Example(
        'GET /portfolio/{accountId}/ledger',
        'L9290-9354',
        {'USD': {**LEDGER_ENTRY, 'endofbundle': NUM}, 'BASE': LEDGER_ENTRY},
    ),
    Example('GET /portfolio/positions/{conid}', 'L9523-9547', [POSITION_ROW]),
    Example(
        'GET /portfolio/{accountId}/combo/positions',
        'L8094-8154',
        [],
        note='the simulator books no combination orders, so the list is empty and its items (name, '
        'description, legs, positions) cannot be compared',
    ),
    Example(
        'POST /pa/performance',
        'L9712-9809',
        {
            'currencyType': STR,
            'rc': NUM,
            'nav': {
                'data': [
                    {
                        'idType': STR,
                        'navs': [NUM],
                        'start': STR,
                        'end': STR,
                        'id': STR,
                        'startNAV': {'date': STR, 'val': NUM},
                        'baseCurrency': STR,
                    }
                ],
                'freq': STR,
                'dates': [STR],
            },
            'nd': NUM,
            'cps': RETURNS_SERIES,
            'tpps': RETURNS_SERIES,
            'id': STR,
            'included': [STR],
            'pm': STR,
        },
    ),
    Example(
        'POST /pa/transactions',
        'L9960-9996',
        {
            'rc': NUM,
            'nd': NUM,
            'rpnl': {
                'data': [
                    {'date': STR, 'cur': STR, 'fxRate': NUM, 'side': STR, 'acctid': STR, 'amt': STR, 'conid': STR}
                ],
                'amt': STR,
            },
            'currency': STR,
            'from': NUM,
            'id': STR,
            'to': NUM,
            'includesRealTime': BOOL,
            'transactions': [
                {
                    'date': STR,
                    'cur': STR,
                    'fxRate': NUM,
                    'pr': NUM,
                    'qty': NUM,
                    'acctid': STR,
                    'amt': NUM,
                    'conid': NUM,
                    'type': STR,
                    'desc': STR,
                }
            ],
        },
    ),
    # ---- scanners
    Example(
        'GET /iserver/scanner/params',
        'L10096-10132',
        {
            'scan_type_list': [{'display_name': STR, 'code': STR, 'instruments': []}],
            'instrument_list': [{'display_name': STR, 'type': STR, 'filters': []}],
            'filter_list': [{'group': STR, 'display_name': STR, 'code': STR, 'type': STR}],
            'location_tree': [
                {'display_name': STR, 'type': STR, 'locations': [{'display_name': STR, 'type': STR, 'locations': []}]}
            ],
        },
    ),
    Example(
        'POST /iserver/scanner/run',
        'L10247-10263',
        {
            'contracts': [
                {
                    'server_id': STR,
                    'symbol': STR,
                    'conidex': STR,
                    'con_id': NUM,
                    'available_chart_periods': STR,
                    'company_name': STR,
                    'scan_data': STR,
                    'contract_description_1': STR,
                    'listing_exchange': STR,
                    'sec_type': STR,
                }
            ],
            'scan_data_column_name': STR,
        },
    ),
    Example(
        'GET /hmds/scanner/params',
        'L10338-10366',
        {
            'instrument_list': [{'display_name': STR, 'type': STR, 'filters': []}],
            'scan_type_list': [{'display_name': STR, 'code': STR, 'instruments': []}],
            'location_tree': [
                {
                    'display_name': STR,
                    'type': STR,
                    'locations': [{'display_name': STR, 'locationCode': STR, 'locations': []}],
                }
            ],
        },
    ),
    Example(
        'POST /hmds/scanner/run',
        'L10460-10474',
        {
            'total': STR,
            'size': STR,
            'offset': STR,
            'scanTime': STR,
            'id': STR,
            'position': STR,
            'Contracts': {'Contract': [{'inScanTime': STR, 'contractID': STR}]},
        },
        note='the example is not valid JSON (a trailing comma, a missing brace); its keys are clear',
    ),
    # ---- watchlists
    Example(
        'POST /iserver/watchlist',
        'L10971-10977',
        {'id': STR, 'hash': STR, 'name': STR, 'readOnly': BOOL, 'instruments': []},
    ),
    Example(
        'GET /iserver/watchlists',
        'L11069-11087',
        {
            'data': {
                'scanners_only': BOOL,
                'show_scanners': BOOL,
                'bulk_delete': BOOL,
                'user_lists': [
                    {'is_open': BOOL, 'read_only': BOOL, 'name': STR, 'modified': NUM, 'id': STR, 'type': STR}
                ],
            },
            'action': STR,
            'MID': STR,
        },
    ),
    Example(
        'GET /iserver/watchlist',
        'L11151-11178',
        {
            'id': STR,
            'hash': STR,
            'name': STR,
            'readOnly': BOOL,
            'instruments': [
                {
                    'ST': STR,
                    'C': STR,
                    'conid': NUM,
                    'name': STR,
                    'fullName': STR,
                    'assetClass': STR,
                    'ticker': STR,
                    'chineseName': STR,
                }
            ],
        },
        probe=Probe('iserver/watchlist', {'id': WATCHLIST_ID}, prepare=_watchlist_like_the_example),
        note='a second read of a list of IBM and KO, like the example',
    ),
    Example('DELETE /iserver/watchlist', 'L11220-11226', {'data': {'deleted': STR}, 'action': STR, 'MID': STR}),
)

# [fullapi] the routes of the whole API (issue 13): their examples and classification live in their own module
from documented_examples_fullapi import NOT_IN_SEED as _FULL_API_NOT_IN_SEED  # noqa: E402
from documented_examples_fullapi import examples as _full_api_examples  # noqa: E402

EXAMPLES += _full_api_examples(Example, Maybe)

# Simulator routes seed 002 does not document at all (no example, no field list), and where their shape comes from.
NOT_IN_SEED: Dict[str, str] = {
    'GET /iserver/account/{accountId}/summary': "IBKR's OpenAPI spec (checked by test_openapi_conformance)",
    'GET /iserver/account/{accountId}/summary/available_funds': "IBKR's OpenAPI spec",
    'GET /iserver/account/{accountId}/summary/balances': "IBKR's OpenAPI spec",
    'GET /iserver/account/{accountId}/summary/margins': "IBKR's OpenAPI spec",
    'GET /iserver/account/{accountId}/summary/market_value': "IBKR's OpenAPI spec",
}
NOT_IN_SEED.update(_FULL_API_NOT_IN_SEED)


def _example_id(example: Example) -> str:
    return f'{example.route} {example.lines}'


@pytest.fixture(scope='module')
def served_routes() -> List[str]:
    from ibind.sim import GatewaySimulator

    with GatewaySimulator(port=0) as sim:
        return sim.control.routes()


def test_every_served_route_is_classified(served_routes):
    documented = {example.route for example in EXAMPLES}
    assert sorted(set(served_routes) - documented - set(NOT_IN_SEED)) == [], (
        'add the seed example of these routes to EXAMPLES (or say in NOT_IN_SEED where their shape comes from)'
    )
    assert sorted((documented | set(NOT_IN_SEED)) - set(served_routes)) == [], 'no longer served'
    assert documented.isdisjoint(NOT_IN_SEED)


@pytest.fixture(scope='module')
def responses() -> Dict[str, Any]:
    """The answer to every example's request (sent at once, each to a fresh simulator), by example id."""
    return run_probes(
        {_example_id(example): (example.route, example.probe or PROBES[example.route]) for example in EXAMPLES}
    )


@pytest.mark.parametrize('example', EXAMPLES, ids=_example_id)
def test_response_carries_the_documented_example_keys(responses, example):
    response = responses[_example_id(example)]
    if isinstance(response, BaseException):
        raise response
    assert response.status_code == 200, response.text
    body = response.json()
    shown = example.select(body) if example.select else body
    assert mismatches(example.shape, shown) == [], f'{example.route} vs seed 002 {example.lines} {example.note}'


@pytest.mark.parametrize(
    'shape, value, problem',
    [
        ({'a': STR}, {}, '/a: missing'),
        ({'a': NUM}, {'a': True}, '/a: expected a number'),
        ({'a': BOOL}, {'a': 'true'}, '/a: expected a boolean'),
        ([{'a': STR}], [], '(top): empty'),
        ([{'a': STR}], [{'a': 'x'}, {'b': 'y'}], '/1/a: missing'),
        (Each({'a': NUM}), {'U1': {'a': 1}, 'U2': {'a': None}}, '/U2/a: expected a number'),
        ({'a': Maybe(STR)}, {'a': 3}, '/a: expected a string'),
    ],
)
def test_mismatches_finds_what_is_wrong(shape, value, problem):
    assert any(found.startswith(problem) for found in mismatches(shape, value))


@pytest.mark.parametrize(
    'shape, value',
    [
        ({'a': ANY, 'b': Maybe(NUM), 'c': []}, {'a': None, 'b': None, 'c': [], 'extra': 1}),
        (Each([STR]), {'STK': ['*'], 'OPT': ['*']}),
        ({'a': NUM}, {'a': 1.5}),
    ],
)
def test_mismatches_accepts_what_the_example_allows(shape, value):
    assert mismatches(shape, value) == []
