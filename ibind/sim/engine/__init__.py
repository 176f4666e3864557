"""The shared market engine every category reads: simulated clock, instruments and universe, prices, history bars.

``universe`` holds the instrument table (``Instrument``); ``instruments`` builds the default listing from it;
``market`` derives deterministic prices from the seed and the clock; ``history_bars`` the bar windows of
``/iserver/marketdata/history``.
"""
