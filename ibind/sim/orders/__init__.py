"""Orders category (client: ``order_mixin.py``): placing, answering questions, modifying, cancelling, fills.

``tickets`` parses what a request asks for and holds the accepted ``SimOrder``; ``questions`` owns the
precautionary question rules and the submission waiting for a reply; ``book`` owns the order book (submit,
reply, modify, cancel, working orders and their fills as simulated time passes); ``routes`` serves
/iserver/account/{accountId}/order(s), /iserver/reply and related endpoints.
"""
