"""StockQuery: which of the instruments and contracts /trsrv/stocks returns for a symbol a caller means."""
