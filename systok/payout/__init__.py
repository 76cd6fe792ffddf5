"""Payouts on Solana: adapters, batch planning, confirmation, wallets, reconciliation.

The ledger is the book of record; the chain mirrors the part of it that left custody
(ADR 0007). The rooms (ADR 0024): ``service`` plans batches in the caller's unit of
work and holds the commands' reads; ``driver`` sends and confirms them, a unit of work
per step; ``repository`` holds all the SQL; ``schemas`` the statuses and reports;
``adapters/`` one module per chain (custodial, litesvm, rpc) and the choice between
them; ``chain`` builds and sizes transactions; ``embedded`` is the in-process chain;
``wallets`` links wallets by proof; ``reconcile`` compares chain and ledger.
"""
