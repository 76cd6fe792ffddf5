"""Notifications: members' profiles, the transactional outbox, templates, and the
dispatcher that sends by email (SMTP) and Telegram (ADR 0037)."""
