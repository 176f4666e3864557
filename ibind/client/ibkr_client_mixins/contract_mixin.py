"""ContractMixin: the contract category of the IBKR Client Portal Web API."""

from __future__ import annotations


class ContractMixin:
    """https://ibkrcampus.com/ibkr-api-page/cpapi-v1/#contract"""
