"""ScannerMixin: the scanner category of the IBKR Client Portal Web API."""

from __future__ import annotations


class ScannerMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#scanner"""
