"""The ledger: the only writer of balances. See ``service.Ledger``."""
