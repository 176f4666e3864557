"""Orders category (client: ``order_mixin.py``): placing, answering questions, modifying, cancelling, fills.

``book`` owns the order book (tickets, questions, working orders and their fills as simulated time passes);
``routes`` serves /iserver/account/{accountId}/order(s), /iserver/reply and related endpoints.
"""
