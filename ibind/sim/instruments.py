"""The built-in instrument universe of the simulator.

Conids are IBKR's real ones where the docs or public sources give them (AAPL 265598, IBM 8314, ...).
"""

from __future__ import annotations

from typing import List

from ibind.sim.universe import Instrument


def default_instruments() -> List[Instrument]:
    return [
        Instrument(265598, 'AAPL', name='APPLE INC', exchange='NASDAQ', listing_exchange='NASDAQ.NMS', price=190.0,
                   volatility=0.28, daily_volume=55_000_000, sector='Technology', industry='Computers',
                   category='Computers', chinese_name='苹果公司'),
        Instrument(272093, 'MSFT', name='MICROSOFT CORP', exchange='NASDAQ', listing_exchange='NASDAQ.NMS',
                   price=410.0, volatility=0.25, daily_volume=22_000_000, sector='Technology',
                   industry='Software', category='Applications Software'),
        Instrument(8314, 'IBM', name='INTL BUSINESS MACHINES CORP', exchange='NYSE', price=170.0, volatility=0.22,
                   daily_volume=4_000_000, sector='Technology', industry='Computers', category='Computer Services',
                   chinese_name='国际商业机器'),
        Instrument(756733, 'SPY', name='SPDR S&P 500 ETF TRUST', exchange='ARCA', stock_type='ETF', price=510.0,
                   volatility=0.15, daily_volume=70_000_000, sector='Funds', industry='Equity Fund',
                   category='Growth&Income-Large Cap'),
    ]
