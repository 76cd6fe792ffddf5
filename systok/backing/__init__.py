"""The RUB backing book: inflows to the backing fund, and the directive price (ADR 0026)."""
