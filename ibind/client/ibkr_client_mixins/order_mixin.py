"""OrderMixin: the order category of the IBKR Client Portal Web API."""

from __future__ import annotations


class OrderMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#order"""
