"""Market data snapshot fields: IBKR's numeric field ids and readable names for them.

``/iserver/marketdata/snapshot`` takes and returns fields as numeric ids ("31" is the last price,
"84" the bid). Code that says ``'bid'`` is easier to read and review than code that says ``'84'``,
so ibind names every field of IBKR's field table (Market Data Fields in the Web API docs) in
snake_case and converts in both directions. The docs give a few fields the same title (7219/7220
"Contract Description", 7694/7700 "Probability of Max Return"); their names carry a suffix so that
every name maps to exactly one id.

Values come back from IBKR as strings (numbers formatted for display, e.g. ``"193.18"``, ``"55.2M"``),
except ``conid`` (6008) and ``underlying_conid`` (6457), which are integers.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Tuple

# (field id, ibind name, title in IBKR's field table)
SNAPSHOT_FIELDS: Tuple[Tuple[str, str, str], ...] = (
    ('31', 'last_price', 'Last Price'),
    ('55', 'symbol', 'Symbol'),
    ('58', 'text', 'Text'),
    ('70', 'high', 'High'),
    ('71', 'low', 'Low'),
    ('73', 'market_value', 'Market Value'),
    ('74', 'avg_price', 'Avg Price'),
    ('75', 'unrealized_pnl', 'Unrealized PnL'),
    ('76', 'formatted_position', 'Formatted position'),
    ('77', 'formatted_unrealized_pnl', 'Formatted Unrealized PnL'),
    ('78', 'daily_pnl', 'Daily PnL'),
    ('79', 'realized_pnl', 'Realized PnL'),
    ('80', 'unrealized_pnl_percent', 'Unrealized PnL %'),
    ('82', 'change', 'Change'),
    ('83', 'change_percent', 'Change %'),
    ('84', 'bid', 'Bid Price'),
    ('85', 'ask_size', 'Ask Size'),
    ('86', 'ask', 'Ask Price'),
    ('87', 'volume', 'Volume'),
    ('88', 'bid_size', 'Bid Size'),
    ('201', 'right', 'Right'),
    ('6004', 'exchange', 'Exchange'),
    ('6008', 'conid', 'Conid'),
    ('6070', 'sec_type', 'SecType'),
    ('6072', 'months', 'Months'),
    ('6073', 'regular_expiry', 'Regular Expiry'),
    ('6119', 'marker', 'Marker for market data delivery method (similar to request id)'),
    ('6457', 'underlying_conid', 'Underlying Conid'),
    ('6508', 'service_params', 'Service Params.'),
    ('6509', 'market_data_availability', 'Market Data Availability'),
    ('7051', 'company_name', 'Company name'),
    ('7057', 'ask_exch', 'Ask Exch'),
    ('7058', 'last_exch', 'Last Exch'),
    ('7059', 'last_size', 'Last Size'),
    ('7068', 'bid_exch', 'Bid Exch'),
    ('7084', 'implied_vol_hist_vol_percent', 'Implied Vol./Hist. Vol %'),
    ('7085', 'put_call_interest', 'Put/Call Interest'),
    ('7086', 'put_call_volume', 'Put/Call Volume'),
    ('7087', 'hist_vol_percent', 'Hist. Vol. %'),
    ('7088', 'hist_vol_close_percent', 'Hist. Vol. Close %'),
    ('7089', 'opt_volume', 'Opt. Volume'),
    ('7094', 'conid_exchange', 'Conid + Exchange'),
    ('7184', 'can_be_traded', 'canBeTraded'),
    ('7219', 'contract_description_1', 'Contract Description'),
    ('7220', 'contract_description_2', 'Contract Description'),
    ('7221', 'listing_exchange', 'Listing Exchange'),
    ('7280', 'industry', 'Industry'),
    ('7281', 'category', 'Category'),
    ('7282', 'average_volume', 'Average Volume'),
    ('7283', 'option_implied_vol_percent', 'Option Implied Vol. %'),
    ('7284', 'historical_volatility_percent', 'Historical volatility % (deprecated, see 7087)'),
    ('7285', 'put_call_ratio', 'Put/Call Ratio'),
    ('7286', 'dividend_amount', 'Dividend Amount'),
    ('7287', 'dividend_yield_percent', 'Dividend Yield %'),
    ('7288', 'ex_date', 'Ex-date of the dividend'),
    ('7289', 'market_cap', 'Market Cap'),
    ('7290', 'p_e', 'P/E'),
    ('7291', 'eps', 'EPS'),
    ('7292', 'cost_basis', 'Cost Basis'),
    ('7293', 'week_52_high', '52 Week High'),
    ('7294', 'week_52_low', '52 Week Low'),
    ('7295', 'open', 'Open'),
    ('7296', 'close', 'Close'),
    ('7308', 'delta', 'Delta'),
    ('7309', 'gamma', 'Gamma'),
    ('7310', 'theta', 'Theta'),
    ('7311', 'vega', 'Vega'),
    ('7607', 'opt_volume_change_percent', 'Opt. Volume Change %'),
    ('7633', 'implied_vol_percent', 'Implied Vol. %'),
    ('7635', 'mark', 'Mark'),
    ('7636', 'shortable_shares', 'Shortable Shares'),
    ('7637', 'fee_rate', 'Fee Rate'),
    ('7638', 'option_open_interest', 'Option Open Interest'),
    ('7639', 'percent_of_mark_value', '% of Mark Value'),
    ('7644', 'shortable', 'Shortable'),
    ('7655', 'morningstar_rating', 'Morningstar Rating'),
    ('7671', 'dividends', 'Dividends'),
    ('7672', 'dividends_ttm', 'Dividends TTM'),
    ('7674', 'ema_200', 'EMA(200)'),
    ('7675', 'ema_100', 'EMA(100)'),
    ('7676', 'ema_50', 'EMA(50)'),
    ('7677', 'ema_20', 'EMA(20)'),
    ('7678', 'price_ema_200', 'Price/EMA(200)'),
    ('7679', 'price_ema_100', 'Price/EMA(100)'),
    ('7724', 'price_ema_50', 'Price/EMA(50)'),
    ('7681', 'price_ema_20', 'Price/EMA(20)'),
    ('7682', 'change_since_open', 'Change Since Open'),
    ('7683', 'upcoming_event', 'Upcoming Event'),
    ('7684', 'upcoming_event_date', 'Upcoming Event Date'),
    ('7685', 'upcoming_analyst_meeting', 'Upcoming Analyst Meeting'),
    ('7686', 'upcoming_earnings', 'Upcoming Earnings'),
    ('7687', 'upcoming_misc_event', 'Upcoming Misc Event'),
    ('7688', 'recent_analyst_meeting', 'Recent Analyst Meeting'),
    ('7689', 'recent_earnings', 'Recent Earnings'),
    ('7690', 'recent_misc_event', 'Recent Misc Event'),
    ('7694', 'probability_of_max_return_1', 'Probability of Max Return'),
    ('7695', 'break_even', 'Break Even'),
    ('7696', 'spx_delta', 'SPX Delta'),
    ('7697', 'futures_open_interest', 'Futures Open Interest'),
    ('7698', 'last_yield', 'Last Yield'),
    ('7699', 'bid_yield', 'Bid Yield'),
    ('7700', 'probability_of_max_return_2', 'Probability of Max Return'),
    ('7702', 'probability_of_max_loss', 'Probability of Max Loss'),
    ('7703', 'profit_probability', 'Profit Probability'),
    ('7704', 'organization_type', 'Organization Type'),
    ('7705', 'debt_class', 'Debt Class'),
    ('7706', 'ratings', 'Ratings'),
    ('7707', 'bond_state_code', 'Bond State Code'),
    ('7708', 'bond_type', 'Bond Type'),
    ('7714', 'last_trading_date', 'Last Trading Date'),
    ('7715', 'issue_date', 'Issue Date'),
    ('7718', 'beta', 'Beta'),
    ('7720', 'ask_yield', 'Ask Yield'),
    ('7741', 'prior_close', 'Prior Close'),
    ('7762', 'volume_long', 'Volume Long'),
    ('7768', 'has_trading_permissions', 'hasTradingPermissions'),
    ('7920', 'daily_pnl_raw', 'Daily PnL Raw'),
    ('7921', 'cost_basis_raw', 'Cost Basis Raw'),
)

snapshot_by_id: Dict[str, str] = {field_id: name for field_id, name, _ in SNAPSHOT_FIELDS}
"""Field id -> ibind name, e.g. ``snapshot_by_id['84'] == 'bid'``."""

snapshot_by_key: Dict[str, str] = {name: field_id for field_id, name, _ in SNAPSHOT_FIELDS}
"""ibind name -> field id, e.g. ``snapshot_by_key['bid'] == '84'``."""

snapshot_titles: Dict[str, str] = {field_id: title for field_id, _, title in SNAPSHOT_FIELDS}
"""Field id -> the title IBKR's field table gives it."""


def snapshot_keys_to_ids(keys: Iterable[str]) -> List[str]:
    """Field names or ids -> field ids, in the given order, ready for the snapshot's ``fields`` parameter.

    Names come from ``snapshot_by_key`` (``'bid'`` -> ``'84'``). Anything that already is a numeric id
    (``'84'`` or ``84``) passes through as a string, also ids the docs' table does not list, because IBKR
    serves more fields than it documents. Anything else raises a ValueError that names every unknown key.
    """
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise TypeError(f"'keys' must be a list of field names or ids, got {type(keys).__name__}")
    ids: List[str] = []
    unknown: List[str] = []
    for key in keys:
        field_id = _field_id(key)
        if field_id is None:
            unknown.append(repr(key))
        else:
            ids.append(field_id)
    if unknown:
        raise ValueError(
            f'unknown market data field(s) {", ".join(unknown)}: expected names like '
            "'last_price', 'bid', 'ask' (see ibind.client.ibkr_definitions.snapshot_by_key) "
            "or numeric field ids like '31'"
        )
    return ids


def snapshot_field_name(field_id: str) -> str:
    """The ibind name of a field id; an id the table does not list keeps its id as its name."""
    return snapshot_by_id.get(str(field_id), str(field_id))


def _field_id(key: object) -> Optional[str]:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return str(key) if key > 0 else None
    if not isinstance(key, str):
        return None
    text = key.strip()
    if text in snapshot_by_key:
        return snapshot_by_key[text]
    if text.isdigit() and text.isascii() and int(text) > 0:
        return str(int(text))
    return None
