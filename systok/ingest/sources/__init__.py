"""Source adapters that turn external payloads into IncomingEvent records."""
