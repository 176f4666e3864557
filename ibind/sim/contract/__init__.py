"""Contract category (client: ``contract_mixin.py``): secdef search, contract info, rules, strikes, trsrv.

``state`` owns the derivative listings of the day; ``routes`` serves the endpoints.
"""
