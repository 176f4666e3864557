"""OrderRequest and make_order_request: an order as Python fields, sent as IBKR's camelCase JSON."""
