"""What an operator sees of SysTok besides its answers: logs and database-backed metrics.

- ``systok.observability.logs``: one logger namespace (``systok``), JSON or text lines on
  stderr, each carrying its reason and context (run, week, stage, route, client).
- ``systok.observability.collector``: Prometheus metrics computed from the database at
  scrape time (weekly runs, ingestion, quarantine, payouts, reconciliation), so they
  survive restarts and agree across several API processes.
- ``systok.observability.records``: the facts those metrics need that nothing else
  stored (each stage's duration, the last reconciliation's summary).
- ``systok.observability.repository``: all their SQL (the scrape's snapshot queries and
  those facts); ``systok.observability.schemas``: the snapshot's shapes.
"""
