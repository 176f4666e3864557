"""Contract category (client: ``contract_mixin.py``): secdef search, contract info, rules, strikes, trsrv.

``state`` owns the derivative listings of the day and the searches of this session; ``shapes`` describes an
instrument as the endpoints do; ``routes`` serves the endpoints.
"""
