"""HTTP API of SysTok: event ingestion (batches, Discourse webhooks), API keys, health."""
