"""A small, realistic ForecastEx universe: markets on an underlier, strikes with a YES (call) and NO (put) each."""

from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ibind.sim.transport.http import ApiError

EXCHANGE = 'FORECASTX'
TIMEZONE = 'America/Chicago'
RULES_LINK = 'https://forecastex.com/rules'

# category id -> (label, parent id); the leaves hold the markets (three levels, as the docs describe)
CATEGORIES: Dict[str, Tuple[str, Optional[str]]] = {
    'g1003': ('Economic Indicators', None),
    'g17574': ('Industry', 'g1003'),
    'g17654': ('United States', 'g17574'),
    'g1004': ('Financial Markets', None),
    'g17500': ('Interest Rates', 'g1004'),
    'g17501': ('Federal Reserve', 'g17500'),
    'g1005': ('Climate', None),
    'g17600': ('Temperature', 'g1005'),
    'g17601': ('Global', 'g17600'),
}


@dataclass(frozen=True)
class MarketSpec:
    symbol: str
    name: str
    underlying_conid: int
    category: str
    logo: str
    question: str  # with {strike} and {period}
    strikes: Tuple[Tuple[float, str], ...]  # (strike, label)
    source: str
    measured: str  # how the period is named


MARKETS: Tuple[MarketSpec, ...] = (
    MarketSpec(
        'FF',
        'Fed Funds Target Rate',
        704491370,
        'g17501',
        'fed',
        'Will the Fed Funds target rate upper bound be above {strike}% after the {period} FOMC meeting?',
        ((4.0, '4.00%'), (4.25, '4.25%'), (4.5, '4.50%'), (4.75, '4.75%')),
        'Federal Reserve',
        'FOMC meeting',
    ),
    MarketSpec(
        'USIP',
        'US Industrial Production',
        751047561,
        'g17654',
        'economy',
        'Will US industrial production grow more than {strike}% month over month in {period}?',
        ((-0.2, '-0.2%'), (0.0, '0.0%'), (0.2, '0.2%'), (0.4, '0.4%')),
        'Federal Reserve Board',
        'month',
    ),
    MarketSpec(
        'GT',
        'Global Temperature Anomaly',
        686720218,
        'g17601',
        'climate',
        'Will the global temperature anomaly for {period} exceed {strike} degrees Celsius?',
        ((1.1, '1.10C'), (1.2, '1.20C'), (1.3, '1.30C')),
        'NASA GISS',
        'month',
    ),
)
FIRST_CONTRACT_ID = 770_000_000


@dataclass(frozen=True)
class EventContract:
    conid: int
    market: MarketSpec
    strike: float
    strike_label: str
    side: str  # 'Y' (YES, a call) or 'N' (NO, a put)
    expiration: str  # YYYYMMDD
    period: str  # e.g. 'Feb 2024'
    partner: int  # the conid of the opposite side of the same strike


def _month_end(year: int, month: int) -> _dt.date:
    return _dt.date(year, month, calendar.monthrange(year, month)[1])


class ForecastUniverse:
    def __init__(self, now: float):
        today = _dt.datetime.fromtimestamp(now, _dt.timezone.utc).date()
        self.contracts: Dict[int, EventContract] = {}
        self.by_market: Dict[int, List[EventContract]] = {}
        conid = FIRST_CONTRACT_ID
        for market in MARKETS:
            rows: List[EventContract] = []
            for months_ahead in (1, 2):  # the next two monthly resolutions
                index = today.year * 12 + today.month - 1 + months_ahead
                expiry = _month_end(index // 12, index % 12 + 1)
                period = expiry.strftime('%b %Y')
                for strike, label in market.strikes:
                    yes = EventContract(conid, market, strike, label, 'Y', expiry.strftime('%Y%m%d'), period, conid + 1)
                    no = EventContract(conid + 1, market, strike, label, 'N', yes.expiration, period, conid)
                    rows += [yes, no]
                    conid += 2
            self.by_market[market.underlying_conid] = rows
            for contract in rows:
                self.contracts[contract.conid] = contract

    def market(self, underlying: str) -> List[EventContract]:
        try:
            rows = self.by_market.get(int(underlying))
        except ValueError:
            rows = None
        if rows is None:
            raise ApiError(400, f'Bad Request: no event contract market on underlying {underlying!r}')
        return rows

    def contract(self, conid: str) -> EventContract:
        try:
            found = self.contracts.get(int(conid))
        except ValueError:
            found = None
        if found is None:
            raise ApiError(400, f'Bad Request: {conid!r} is not an event contract')
        return found

    @staticmethod
    def question(contract: EventContract) -> str:
        return contract.market.question.format(strike=contract.strike_label.rstrip('%C'), period=contract.period)
