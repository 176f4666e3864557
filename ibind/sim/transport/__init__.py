"""Transport: the HTTP(S) server, the request/response types, the route table and TLS material.

No broker logic lives here: the server parses bytes into a ``SimRequest`` and hands it to the gateway.
"""
