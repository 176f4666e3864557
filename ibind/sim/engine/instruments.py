"""The built-in instrument universe of the simulator.

Two kinds of content live here:

* ``default_instruments()``: the static universe -- US stocks and ETFs, their foreign listings and
  Canadian CDRs (what ``StockQuery`` filtering exists for), indices, forex pairs and corporate bonds.
  Conids are IBKR's real ones where IBKR's docs show them, well-known public ones otherwise, and a few
  plausible made-up ones; docs/simulator/contract.md lists which is which.
* ``dated_instruments(universe, today)``: options and futures, whose expiries only make sense relative
  to a date. The gateway generates them from the simulated clock's date when its state is (re)built.
  A derivative's conid depends only on its underlying, expiry month, strike and right, never on the
  day the simulator started, so the same contract always has the same conid.

Everything here is deterministic: no randomness, no wall clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Tuple

from ibind.sim.engine.market import black_scholes
from ibind.sim.engine.universe import Instrument, Universe

# The venues IBKR lists for a US stock (SMART first, the primary exchange added per stock).
US_STOCK_VENUES = (
    'SMART,AMEX,NYSE,CBOE,PHLX,ISE,CHX,ARCA,ISLAND,DRCTEDGE,BEX,BATS,EDGEA,BYX,IEX,EDGX,'
    'FOXRIVER,PEARL,NYSENAT,LTSE,MEMX,TPLUS1,IBEOS,OVERNIGHT,PSX'
)
US_OPTION_VENUES = (
    'SMART,AMEX,CBOE,PHLX,PSE,ISE,BOX,BATS,NASDAQOM,CBOE2,NASDAQBX,MIAX,GEMINI,EDGX,MERCURY,PEARL,EMERALD,MEMX,IBUSOPT'
)
LISTING_EXCHANGES = {'NASDAQ': 'NASDAQ.NMS'}


def _venues(primary: str) -> str:
    names = US_STOCK_VENUES.split(',')
    if primary not in names:
        names.append(primary)
    return ','.join(names)


def us_stock(
    conid: int,
    symbol: str,
    name: str,
    exchange: str,
    price: float,
    *,
    volatility: float = 0.3,
    daily_volume: int = 5_000_000,
    sector: str = '',
    industry: str = '',
    category: str = '',
    chinese_name: str = '',
    stock_type: str = 'COMMON',
) -> Instrument:
    """A US-listed stock or ETF, tradable on the usual US venues."""
    return Instrument(
        conid,
        symbol,
        name=name,
        exchange=exchange,
        listing_exchange=LISTING_EXCHANGES.get(exchange, exchange),
        valid_exchanges=_venues(exchange),
        price=price,
        volatility=volatility,
        daily_volume=daily_volume,
        sector=sector,
        industry=industry,
        category=category,
        chinese_name=chinese_name,
        stock_type=stock_type,
    )


def foreign_listing(
    conid: int,
    symbol: str,
    name: str,
    exchange: str,
    currency: str,
    country: str,
    price: float,
    *,
    chinese_name: str = '',
    stock_type: str = 'COMMON',
    sector: str = '',
    industry: str = '',
    category: str = '',
) -> Instrument:
    """The same company (or a CDR / tracker of it) on a non-US exchange: isUS false, local currency."""
    return Instrument(
        conid,
        symbol,
        name=name,
        exchange=exchange,
        currency=currency,
        country=country,
        is_us=False,
        price=price,
        volatility=0.3,
        daily_volume=200_000,
        chinese_name=chinese_name,
        stock_type=stock_type,
        sector=sector,
        industry=industry,
        category=category,
    )


def _us_stocks() -> List[Instrument]:
    tech = dict(sector='Technology')
    stocks = [
        # conids shown in IBKR's docs (seed 002 / the OpenAPI examples)
        us_stock(
            265598,
            'AAPL',
            'APPLE INC',
            'NASDAQ',
            190.0,
            volatility=0.28,
            daily_volume=55_000_000,
            industry='Computers',
            category='Computers',
            chinese_name='苹果公司',
            **tech,
        ),
        us_stock(
            8314,
            'IBM',
            'INTL BUSINESS MACHINES CORP',
            'NYSE',
            170.0,
            volatility=0.22,
            daily_volume=4_000_000,
            industry='Computers',
            category='Computer Services',
            chinese_name='国际商业机器',
            **tech,
        ),
        us_stock(
            272093,
            'MSFT',
            'MICROSOFT CORP',
            'NASDAQ',
            410.0,
            volatility=0.25,
            daily_volume=22_000_000,
            industry='Software',
            category='Applications Software',
            chinese_name='微软公司',
            **tech,
        ),
        us_stock(
            4391,
            'AMD',
            'ADVANCED MICRO DEVICES',
            'NASDAQ',
            150.0,
            volatility=0.5,
            daily_volume=50_000_000,
            industry='Semiconductors',
            category='Electronic Compo-Semicon',
            chinese_name='超威半导体',
            **tech,
        ),
        us_stock(
            9408,
            'MCD',
            "MCDONALD'S CORP",
            'NYSE',
            280.0,
            volatility=0.18,
            daily_volume=3_000_000,
            sector='Consumer, Cyclical',
            industry='Retail',
            category='Retail-Restaurants',
            chinese_name='麦当劳',
        ),
        us_stock(
            5094,
            'BMO',
            'BANK OF MONTREAL',
            'NYSE',
            95.0,
            volatility=0.2,
            daily_volume=1_000_000,
            sector='Financial',
            industry='Banks',
            category='Commer Banks Non-US',
            chinese_name='蒙特利尔银行',
        ),
        us_stock(
            15156975,
            'BNS',
            'BANK OF NOVA SCOTIA',
            'NYSE',
            48.0,
            volatility=0.2,
            daily_volume=1_500_000,
            sector='Financial',
            industry='Banks',
            category='Commer Banks Non-US',
        ),
        us_stock(
            756733,
            'SPY',
            'SPDR S&P 500 ETF TRUST',
            'ARCA',
            580.0,
            volatility=0.15,
            daily_volume=70_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Equity Fund',
            category='Growth&Income-Large Cap',
        ),
        us_stock(
            43645865,
            'IBKR',
            'INTERACTIVE BROKERS GRO-CL A',
            'NASDAQ',
            110.0,
            volatility=0.3,
            daily_volume=1_000_000,
            sector='Financial',
            industry='Diversified Finan Serv',
            category='Finance-Invest Bnkr/Brkr',
            chinese_name='盈透证券',
        ),
        us_stock(
            76792991,
            'TSLA',
            'TESLA INC',
            'NASDAQ',
            240.0,
            volatility=0.6,
            daily_volume=100_000_000,
            sector='Consumer, Cyclical',
            industry='Auto Manufacturers',
            category='Auto-Cars/Light Trucks',
            chinese_name='特斯拉',
        ),
        us_stock(
            107113386,
            'META',
            'META PLATFORMS INC-CLASS A',
            'NASDAQ',
            480.0,
            volatility=0.4,
            daily_volume=15_000_000,
            sector='Communications',
            industry='Internet',
            category='Internet Content-Entmnt',
        ),
        us_stock(
            8894,
            'KO',
            'COCA-COLA CO/THE',
            'NYSE',
            62.0,
            volatility=0.15,
            daily_volume=12_000_000,
            sector='Consumer, Non-cyclical',
            industry='Beverages',
            category='Beverages-Non-alcoholic',
            chinese_name='可口可乐',
        ),
        # well-known public conids
        us_stock(
            3691937,
            'AMZN',
            'AMAZON.COM INC',
            'NASDAQ',
            180.0,
            volatility=0.35,
            daily_volume=45_000_000,
            sector='Communications',
            industry='Internet',
            category='E-Commerce/Products',
            chinese_name='亚马逊',
        ),
        us_stock(
            208813720,
            'GOOG',
            'ALPHABET INC-CL C',
            'NASDAQ',
            170.0,
            volatility=0.3,
            daily_volume=20_000_000,
            sector='Communications',
            industry='Internet',
            category='Web Portals/ISP',
            chinese_name='谷歌',
        ),
        us_stock(
            208813719,
            'GOOGL',
            'ALPHABET INC-CL A',
            'NASDAQ',
            168.0,
            volatility=0.3,
            daily_volume=25_000_000,
            sector='Communications',
            industry='Internet',
            category='Web Portals/ISP',
            chinese_name='谷歌',
        ),
        us_stock(
            4815747,
            'NVDA',
            'NVIDIA CORP',
            'NASDAQ',
            130.0,
            volatility=0.55,
            daily_volume=250_000_000,
            industry='Semiconductors',
            category='Electronic Compo-Semicon',
            chinese_name='英伟达',
            **tech,
        ),
        us_stock(
            15124833,
            'NFLX',
            'NETFLIX INC',
            'NASDAQ',
            650.0,
            volatility=0.4,
            daily_volume=4_000_000,
            sector='Communications',
            industry='Internet',
            category='Internet Content-Entmnt',
        ),
        us_stock(
            320227571,
            'QQQ',
            'INVESCO QQQ TRUST SERIES 1',
            'NASDAQ',
            490.0,
            volatility=0.2,
            daily_volume=40_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Equity Fund',
            category='Growth-Large Cap',
        ),
        us_stock(
            1520593,
            'JPM',
            'JPMORGAN CHASE & CO',
            'NYSE',
            200.0,
            volatility=0.22,
            daily_volume=9_000_000,
            sector='Financial',
            industry='Banks',
            category='Money Center Banks',
            chinese_name='摩根大通',
        ),
        us_stock(
            270639,
            'INTC',
            'INTEL CORP',
            'NASDAQ',
            30.0,
            volatility=0.45,
            daily_volume=60_000_000,
            industry='Semiconductors',
            category='Electronic Compo-Semicon',
            chinese_name='英特尔',
            **tech,
        ),
        us_stock(
            268084,
            'CSCO',
            'CISCO SYSTEMS INC',
            'NASDAQ',
            50.0,
            volatility=0.22,
            daily_volume=18_000_000,
            sector='Communications',
            industry='Telecommunications',
            category='Networking Products',
        ),
        us_stock(
            13977,
            'XOM',
            'EXXON MOBIL CORP',
            'NYSE',
            115.0,
            volatility=0.25,
            daily_volume=16_000_000,
            sector='Energy',
            industry='Oil&Gas',
            category='Oil Comp-Integrated',
        ),
        us_stock(
            13824,
            'WMT',
            'WALMART INC',
            'NYSE',
            70.0,
            volatility=0.18,
            daily_volume=18_000_000,
            sector='Consumer, Cyclical',
            industry='Retail',
            category='Retail-Discount',
        ),
        us_stock(
            6459,
            'DIS',
            'WALT DISNEY CO/THE',
            'NYSE',
            100.0,
            volatility=0.28,
            daily_volume=9_000_000,
            sector='Communications',
            industry='Media',
            category='Multimedia',
        ),
        us_stock(
            8719,
            'JNJ',
            'JOHNSON & JOHNSON',
            'NYSE',
            155.0,
            volatility=0.15,
            daily_volume=7_000_000,
            sector='Consumer, Non-cyclical',
            industry='Pharmaceuticals',
            category='Medical-Drugs',
        ),
        us_stock(
            49462172,
            'V',
            'VISA INC-CLASS A SHARES',
            'NYSE',
            280.0,
            volatility=0.2,
            daily_volume=6_000_000,
            sector='Financial',
            industry='Diversified Finan Serv',
            category='Finance-Credit Card',
        ),
        us_stock(
            72063691,
            'BRK B',
            'BERKSHIRE HATHAWAY INC-CL B',
            'NYSE',
            420.0,
            volatility=0.16,
            daily_volume=3_500_000,
            sector='Financial',
            industry='Insurance',
            category='Reinsurance',
        ),
        us_stock(
            9579970,
            'IWM',
            'ISHARES RUSSELL 2000 ETF',
            'ARCA',
            210.0,
            volatility=0.22,
            daily_volume=30_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Equity Fund',
            category='Small Cap',
        ),
        us_stock(
            73128548,
            'DIA',
            'SPDR DJIA TRUST',
            'ARCA',
            400.0,
            volatility=0.14,
            daily_volume=3_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Equity Fund',
            category='Growth&Income-Large Cap',
        ),
        us_stock(
            51529211,
            'GLD',
            'SPDR GOLD SHARES',
            'ARCA',
            220.0,
            volatility=0.15,
            daily_volume=8_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Commodity Fund',
            category='Precious Metals',
        ),
        us_stock(
            15547841,
            'TLT',
            'ISHARES 20+ YEAR TREASURY BO',
            'NASDAQ',
            92.0,
            volatility=0.16,
            daily_volume=30_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Debt Fund',
            category='Government Bond',
        ),
        us_stock(
            272800,
            'ORCL',
            'ORACLE CORP',
            'NYSE',
            140.0,
            volatility=0.3,
            daily_volume=9_000_000,
            industry='Software',
            category='Enterprise Software/Serv',
            **tech,
        ),
        us_stock(
            265768,
            'ADBE',
            'ADOBE INC',
            'NASDAQ',
            520.0,
            volatility=0.33,
            daily_volume=3_000_000,
            industry='Software',
            category='Applications Software',
            **tech,
        ),
        us_stock(
            199169591,
            'PYPL',
            'PAYPAL HOLDINGS INC',
            'NASDAQ',
            65.0,
            volatility=0.4,
            daily_volume=15_000_000,
            sector='Financial',
            industry='Commercial Services',
            category='Commercial Serv-Finance',
        ),
        us_stock(
            166090175,
            'BABA',
            'ALIBABA GROUP HOLDING-SP ADR',
            'NYSE',
            85.0,
            volatility=0.45,
            daily_volume=15_000_000,
            stock_type='ADR',
            sector='Communications',
            industry='Internet',
            category='E-Commerce/Services',
            chinese_name='阿里巴巴',
        ),
        us_stock(
            365207014,
            'UBER',
            'UBER TECHNOLOGIES INC',
            'NYSE',
            70.0,
            volatility=0.45,
            daily_volume=20_000_000,
            industry='Internet',
            category='Internet Application Sftwr',
            **tech,
        ),
        us_stock(
            10291,
            'NKE',
            'NIKE INC -CL B',
            'NYSE',
            95.0,
            volatility=0.28,
            daily_volume=9_000_000,
            sector='Consumer, Cyclical',
            industry='Apparel',
            category='Athletic Footwear',
        ),
        us_stock(
            272997,
            'COST',
            'COSTCO WHOLESALE CORP',
            'NASDAQ',
            720.0,
            volatility=0.2,
            daily_volume=2_000_000,
            sector='Consumer, Cyclical',
            industry='Retail',
            category='Retail-Discount',
        ),
        us_stock(
            11017,
            'PEP',
            'PEPSICO INC',
            'NASDAQ',
            170.0,
            volatility=0.15,
            daily_volume=5_000_000,
            sector='Consumer, Non-cyclical',
            industry='Beverages',
            category='Beverages-Non-alcoholic',
        ),
        us_stock(
            4762,
            'BA',
            'BOEING CO/THE',
            'NYSE',
            190.0,
            volatility=0.35,
            daily_volume=7_000_000,
            sector='Industrial',
            industry='Aerospace/Defense',
            category='Aerospace/Defense',
        ),
        us_stock(
            37018770,
            'T',
            'AT&T INC',
            'NYSE',
            18.0,
            volatility=0.2,
            daily_volume=35_000_000,
            sector='Communications',
            industry='Telecommunications',
            category='Telephone-Integrated',
        ),
        # plausible conids (not checked against IBKR)
        us_stock(
            10098,
            'BAC',
            'BANK OF AMERICA CORP',
            'NYSE',
            36.0,
            volatility=0.28,
            daily_volume=40_000_000,
            sector='Financial',
            industry='Banks',
            category='Super-Regional Banks-US',
        ),
        us_stock(
            11808,
            'PFE',
            'PFIZER INC',
            'NYSE',
            28.0,
            volatility=0.22,
            daily_volume=30_000_000,
            sector='Consumer, Non-cyclical',
            industry='Pharmaceuticals',
            category='Medical-Drugs',
        ),
        us_stock(
            4215235,
            'XLF',
            'FINANCIAL SELECT SECTOR SPDR',
            'ARCA',
            42.0,
            volatility=0.2,
            daily_volume=40_000_000,
            stock_type='ETF',
            sector='Funds',
            industry='Equity Fund',
            category='Financial',
        ),
    ]
    return stocks


def _foreign_listings() -> List[Instrument]:
    return [
        # AAPL as /trsrv/stocks shows it in IBKR's docs: the company on MEXI and EBS, a tracker, and a CDR
        foreign_listing(
            38708077,
            'AAPL',
            'APPLE INC',
            'MEXI',
            'MXN',
            'MX',
            3250.0,
            chinese_name='苹果公司',
            sector='Technology',
            industry='Computers',
            category='Computers',
        ),
        foreign_listing(
            273982664,
            'AAPL',
            'APPLE INC',
            'EBS',
            'CHF',
            'CH',
            168.0,
            chinese_name='苹果公司',
            sector='Technology',
            industry='Computers',
            category='Computers',
        ),
        foreign_listing(493546048, 'AAPL', 'LS 1X AAPL', 'LSEETF', 'USD', 'GB', 24.0, stock_type='ETF'),
        foreign_listing(
            532640894,
            'AAPL',
            'APPLE INC-CDR',
            'AEQLIT',
            'CAD',
            'CA',
            32.0,
            chinese_name='苹果公司',
            sector='Technology',
            industry='Computers',
            category='Computers',
        ),
        # IBM as the OpenAPI example shows it
        foreign_listing(
            1411277,
            'IBM',
            'INTL BUSINESS MACHINES CORP',
            'IBIS',
            'EUR',
            'DE',
            157.0,
            chinese_name='国际商业机器',
            sector='Technology',
            industry='Computers',
        ),
        foreign_listing(
            38709473,
            'IBM',
            'INTL BUSINESS MACHINES CORP',
            'MEXI',
            'MXN',
            'MX',
            2900.0,
            chinese_name='国际商业机器',
            sector='Technology',
            industry='Computers',
        ),
        foreign_listing(
            41645598,
            'IBM',
            'INTL BUSINESS MACHINES CORP',
            'LSE',
            'USD',
            'GB',
            170.0,
            chinese_name='国际商业机器',
            sector='Technology',
            industry='Computers',
        ),
        foreign_listing(
            530091934,
            'IBM',
            'INTL BUSINESS MACHINES C-CDR',
            'AEQLIT',
            'CAD',
            'CA',
            29.0,
            chinese_name='国际商业机器',
            sector='Technology',
            industry='Computers',
        ),
        # GOOG's Canadian CDR (plausible conid)
        foreign_listing(
            558385416,
            'GOOG',
            'ALPHABET INC - CDR',
            'AEQLIT',
            'CAD',
            'CA',
            31.0,
            chinese_name='谷歌',
            sector='Communications',
            industry='Internet',
        ),
    ]


SPX_CONID = 416904
ES_INDEX_CONID = 11004968
MES_INDEX_CONID = 362673777


def _indices() -> List[Instrument]:
    return [
        Instrument(
            SPX_CONID,
            'SPX',
            sec_type='IND',
            name='S&P 500 Stock Index',
            exchange='CBOE',
            valid_exchanges='CBOE',
            price=5800.0,
            volatility=0.16,
            tick=0.01,
            daily_volume=0,
            category='Index',
        ),
        Instrument(
            ES_INDEX_CONID,
            'ES',
            sec_type='IND',
            name='E-mini S&P 500',
            exchange='CME',
            valid_exchanges='CME',
            price=5800.0,
            volatility=0.16,
            tick=0.01,
            daily_volume=0,
            category='Index',
        ),
        Instrument(
            MES_INDEX_CONID,
            'MES',
            sec_type='IND',
            name='Micro E-Mini S&P 500 Stock Price Index',
            exchange='CME',
            valid_exchanges='CME',
            price=5800.0,
            volatility=0.16,
            tick=0.01,
            daily_volume=0,
            category='Index',
        ),
    ]


# (conid, pair, reference rate). Conids from IBKR's docs where shown (EUR.USD and the USD pairs of the
# currency-pairs example), well-known public ones for the majors, plausible ones for the rest.
_FOREX = [
    (12087792, 'EUR.USD', 1.08),
    (12087797, 'GBP.USD', 1.27),
    (14433401, 'AUD.USD', 0.66),
    (15016059, 'USD.JPY', 150.0),
    (15016062, 'USD.CAD', 1.36),
    (12087820, 'USD.CHF', 0.88),
    (37928772, 'USD.SGD', 1.34),
    (38231133, 'USD.RON', 4.6),
    (34838409, 'USD.CZK', 23.0),
    (28454968, 'USD.RUB', 90.0),
    (35045199, 'USD.MXN', 17.1),
    (12087817, 'USD.HKD', 7.8),
    (12087807, 'EUR.GBP', 0.85),
    (14321016, 'EUR.JPY', 162.0),
    (113342317, 'USD.CNH', 7.2),
]


def _forex() -> List[Instrument]:
    pairs = []
    for conid, pair, rate in _FOREX:
        base, quote = pair.split('.')
        tick = 0.00005 if rate < 10 else 0.0005 if rate < 50 else 0.005
        pairs.append(
            Instrument(
                conid,
                pair,
                sec_type='CASH',
                name=pair,
                currency=quote,
                exchange='IDEALPRO',
                valid_exchanges='IDEALPRO',
                country='',
                is_us=False,
                price=rate,
                volatility=0.08,
                tick=tick,
                daily_volume=1_000_000_000,
                extra={'base_currency': base},
            )
        )
    return pairs


# Corporate bonds: (conid, family symbol, issuer id, issuer name, coupon, issue date, maturity, currency, cusip).
# Issuer e1400715 is the one of the bond-filters example in IBKR's docs (its filters list EUR, coupon 1.301,
# issue date Sep 18 2014); e1400789 and e5499005 are the IBM issuers of the OpenAPI search example.
# The bond conids and CUSIPs are plausible, not IBKR's.
_BONDS = [
    (140071501, 'AAPL', 'e1400715', 'Apple Inc', 1.301, '20140918', '20340115', 'EUR', None),
    (140071502, 'AAPL', 'e1400715', 'Apple Inc', 3.45, '20150209', '20450209', 'USD', '037833BA7'),
    (140071503, 'AAPL', 'e1400715', 'Apple Inc', 2.2, '20190911', '20290911', 'USD', '037833DP2'),
    (
        140078901,
        'IBM',
        'e1400789',
        'International Business Machines Corp',
        4.15,
        '20190515',
        '20390515',
        'USD',
        '459200JZ5',
    ),
    (140078902, 'IBM', 'e1400789', 'International Business Machines Corp', 1.25, '20190129', '20310129', 'EUR', None),
    (
        549900501,
        'IBM',
        'e5499005',
        'IBM International Capital Pte Ltd',
        4.6,
        '20230205',
        '20290205',
        'USD',
        '44932HAH6',
    ),
]


def bond_description(symbol: str, coupon: float, maturity: str) -> str:
    """IBKR's bond naming: ``AAPL 3.45 02/09/45``."""
    return f'{symbol} {coupon:g} {maturity[4:6]}/{maturity[6:8]}/{maturity[2:4]}'


def _bonds() -> List[Instrument]:
    bonds = []
    for conid, family, issuer_id, issuer, coupon, issued, maturity, currency, cusip in _BONDS:
        bonds.append(
            Instrument(
                conid,
                family,
                sec_type='BOND',
                name=bond_description(family, coupon, maturity),
                currency=currency,
                exchange='SMART',
                valid_exchanges='SMART',
                price=100.0,
                volatility=0.05,
                tick=0.001,
                daily_volume=500,
                issuer_id=issuer_id,
                expiry=maturity,
                cusip=cusip,
                extra={
                    'issuer_name': issuer,
                    'coupon': coupon,
                    'issue_date': issued,
                    'bond_type': 'Corporate Fixed Income',
                },
            )
        )
    return bonds


def default_instruments() -> List[Instrument]:
    """The static universe: stocks/ETFs, foreign listings, indices, forex pairs, bonds (no dated derivatives)."""
    return _us_stocks() + _foreign_listings() + _indices() + _forex() + _bonds()


def default_universe() -> Universe:
    """The classic built-in universe: the instruments listed in this module (see ibind.sim.engine.synthetic
    for the broad one the gateway uses by default)."""
    return Universe(default_instruments())


# --------------------------------------------------------------------------- dated derivatives


@dataclass(frozen=True)
class OptionChainSpec:
    """How to list monthly options on one underlying."""

    underlying_conid: int
    slot: int  # keeps the conids of different chains apart
    strike_step: float
    strikes_each_side: int
    exchange: str
    valid_exchanges: str
    tick: float
    months: int = 6


@dataclass(frozen=True)
class FutureSpec:
    """How to list quarterly futures on one underlying index."""

    symbol: str
    underlying_conid: int
    slot: int
    multiplier: float
    name: str
    known_conids: Dict[int, int] = field(default_factory=dict)  # YYYYMM -> IBKR's conid
    quarters: int = 5
    exchange: str = 'CME'
    tick: float = 0.25


OPTION_CHAINS = (
    OptionChainSpec(
        SPX_CONID,
        slot=1,
        strike_step=50.0,
        strikes_each_side=10,
        exchange='CBOE',
        valid_exchanges='SMART,CBOE,IBUSOPT',
        tick=0.05,
    ),
    OptionChainSpec(
        265598,
        slot=2,
        strike_step=5.0,
        strikes_each_side=8,
        exchange='CBOE',
        valid_exchanges=US_OPTION_VENUES,
        tick=0.01,
    ),
)

FUTURES = (
    # ES conids from IBKR's docs: DEC23 (seed 002), DEC24, DEC25, MAR26 and DEC28 (OpenAPI examples)
    FutureSpec(
        'ES',
        ES_INDEX_CONID,
        slot=1,
        multiplier=50.0,
        name='E-mini S&P 500',
        known_conids={202312: 495512552, 202412: 495512557, 202512: 495512563, 202603: 649180695, 202812: 654503299},
    ),
    FutureSpec(
        'MES',
        MES_INDEX_CONID,
        slot=2,
        multiplier=5.0,
        name='Micro E-Mini S&P 500 Stock Price Index',
        known_conids={202312: 586139726},
    ),
)

_OPTION_CONID_BASE = 700_000_000
_FUTURE_CONID_BASE = 490_000_000


def month_code(year: int, month: int) -> str:
    """IBKR's month notation: ``JAN25``."""
    return f'{calendar.month_abbr[month].upper()}{year % 100:02d}'


def third_friday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (calendar.FRIDAY - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 14)


def _months_ahead(year: int, month: int, count: int) -> Iterable[Tuple[int, int]]:
    for step in range(count):
        index = year * 12 + month - 1 + step
        yield index // 12, index % 12 + 1


def next_monthly_expiries(today: dt.date, count: int) -> List[dt.date]:
    """The third Fridays of the next ``count`` months whose expiry is today or later."""
    expiries = [third_friday(y, m) for y, m in _months_ahead(today.year, today.month, count + 1)]
    return [e for e in expiries if e >= today][:count]


def next_quarterly_expiries(today: dt.date, count: int) -> List[dt.date]:
    expiries = [third_friday(y, m) for y, m in _months_ahead(today.year, today.month, 3 * count + 3) if m % 3 == 0]
    return [e for e in expiries if e >= today][:count]


def _month_number(expiry: dt.date) -> int:
    return (expiry.year - 2000) * 12 + expiry.month - 1


def option_conid(spec: OptionChainSpec, expiry: dt.date, strike: float, right: str) -> int:
    """A stable conid for one option: the same contract gets the same conid whatever day the simulator starts."""
    strike_key = int(round(strike / spec.strike_step))
    return (
        _OPTION_CONID_BASE
        + spec.slot * 25_000_000
        + _month_number(expiry) * 20_000
        + strike_key * 2
        + (1 if right == 'P' else 0)
    )


def future_conid(spec: FutureSpec, expiry: dt.date) -> int:
    known = spec.known_conids.get(expiry.year * 100 + expiry.month)
    if known:
        return known
    return _FUTURE_CONID_BASE + spec.slot * 1000 + _month_number(expiry)


def option_chain(
    underlying: Instrument, spec: OptionChainSpec, today: dt.date, spot: Optional[float] = None
) -> List[Instrument]:
    """Calls and puts for the next monthly expiries, strikes centred on ``spot`` (default: the reference price)."""
    spot = spot or underlying.price
    centre = round(spot / spec.strike_step) * spec.strike_step
    strikes = [centre + spec.strike_step * k for k in range(-spec.strikes_each_side, spec.strikes_each_side + 1)]
    options = []
    for expiry in next_monthly_expiries(today, spec.months):
        years = (expiry - today).days / 365.0
        for strike in strikes:
            for right in ('C', 'P'):
                # the reference price; once listed, the market prices an option from its underlying's path
                price = max(
                    black_scholes(spot, strike, max(years, 1.0 / 365.0), underlying.volatility, right), spec.tick
                )
                leverage = min(max(spot * 0.5 / price, 1.0), 10.0)  # used only where no underlying is known
                options.append(
                    Instrument(
                        option_conid(spec, expiry, strike, right),
                        underlying.symbol,
                        sec_type='OPT',
                        name=underlying.name,
                        currency=underlying.currency,
                        exchange=spec.exchange,
                        listing_exchange=spec.exchange,
                        valid_exchanges=spec.valid_exchanges,
                        country=underlying.country,
                        is_us=underlying.is_us,
                        price=round(price, 2),
                        volatility=min(underlying.volatility * leverage, 3.0),
                        tick=spec.tick,
                        daily_volume=2_000,
                        multiplier=100.0,
                        underlying_conid=underlying.conid,
                        expiry=expiry.strftime('%Y%m%d'),
                        month=month_code(expiry.year, expiry.month),
                        strike=float(strike),
                        right=right,
                        trading_class=underlying.symbol,
                        sector=underlying.sector,
                        industry=underlying.industry,
                        category=underlying.category,
                    )
                )
    return options


def futures_strip(
    underlying: Instrument, spec: FutureSpec, today: dt.date, spot: Optional[float] = None
) -> List[Instrument]:
    """The next quarterly futures on an index; later expiries carry a little more cost of carry."""
    spot = spot or underlying.price
    contracts = []
    for number, expiry in enumerate(next_quarterly_expiries(today, spec.quarters)):
        contracts.append(
            Instrument(
                future_conid(spec, expiry),
                spec.symbol,
                sec_type='FUT',
                name=spec.name,
                currency=underlying.currency,
                exchange=spec.exchange,
                valid_exchanges=spec.exchange,
                price=round(spot * (1 + 0.01 * (number + 1)), 2),
                volatility=underlying.volatility,
                tick=spec.tick,
                daily_volume=1_500_000 // (number + 1),
                multiplier=spec.multiplier,
                underlying_conid=underlying.conid,
                expiry=expiry.strftime('%Y%m%d'),
                month=month_code(expiry.year, expiry.month),
                trading_class=spec.symbol,
                category='Index',
            )
        )
    return contracts


def dated_instruments(
    find_underlying: Callable[[int], Optional[Instrument]],
    today: dt.date,
    spot: Optional[Callable[[Instrument], float]] = None,
) -> List[Instrument]:
    """Options and futures listed as of ``today`` on the underlyings ``find_underlying(conid)`` knows.

    ``spot(underlying)`` gives the underlying's price that day, around which strikes are listed and from which
    derivative reference prices are derived (default: the underlying's reference price).
    """
    dated: List[Instrument] = []
    for chain in OPTION_CHAINS:
        underlying = find_underlying(chain.underlying_conid)
        if underlying is not None:
            dated.extend(option_chain(underlying, chain, today, spot(underlying) if spot else None))
    for future in FUTURES:
        underlying = find_underlying(future.underlying_conid)
        if underlying is not None:
            dated.extend(futures_strip(underlying, future, today, spot(underlying) if spot else None))
    return dated
