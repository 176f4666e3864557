"""MarketdataMixin: the marketdata category of the IBKR Client Portal Web API."""

from __future__ import annotations


class MarketdataMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#marketdata"""
