"""WatchlistMixin: the watchlist category of the IBKR Client Portal Web API."""

from __future__ import annotations


class WatchlistMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#watchlist"""
