"""Event contracts (ForecastEx): a small category tree, markets, and their YES/NO contracts by strike.

``state.ForecastUniverse`` (``gw.forecast``) is built from the simulated clock at reset (expirations are the
coming months); ``routes`` serves ``/forecast/category/tree`` and ``/forecast/contract/{market,details,rules,
schedules}``. See docs/simulator/forecast.md.
"""
