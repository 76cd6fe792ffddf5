"""Payouts on Solana: adapters, batch planning, confirmation, wallets, reconciliation.

The ledger is the book of record; the chain mirrors the part of it that left custody
(ADR 0007).
"""
