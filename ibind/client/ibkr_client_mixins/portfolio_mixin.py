"""PortfolioMixin: the portfolio category of the IBKR Client Portal Web API."""

from __future__ import annotations


class PortfolioMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#portfolio"""
