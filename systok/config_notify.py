"""What members receive: the notification settings (SMTP, Telegram, the outbox's retry
numbers) and whether weekly runs write PDF statements, mixed into
``systok.config.Settings``: kept in their own module so ``config`` stays within the
file-size limit. Read as ``SYSTOK_SMTP_HOST`` etc. like every other setting.

The retry numbers are operations, not economics: they decide when a message is tried
again, never what anybody earns, so they are settings rather than policy.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings


class NotifySettings(BaseSettings):
    """Channels and the dispatcher's timing (ADR 0037, docs/notifications.md), and the
    weekly statements (ADR 0038)."""

    run_statements: bool = Field(
        default=True, description="Weekly runs write each member's PDF statement (ADR 0038)."
    )

    public_url: str | None = Field(
        default=None,
        description="Base URL of the SysTok API as members reach it (https://stk.example.org): "
        "the weekly reward message links the statement there. Unset: the message names the "
        "API path.",
    )

    smtp_host: str | None = Field(
        default=None, description="SMTP server for email notifications. Unset: email waits."
    )
    smtp_port: int = Field(default=587, gt=0, lt=65536, description="SMTP server port.")
    smtp_user: str | None = Field(default=None, description="SMTP login (unset: no AUTH).")
    smtp_password: str | None = Field(default=None, description="SMTP password.")
    smtp_starttls: bool = Field(
        default=True,
        description="Upgrade the SMTP connection with STARTTLS before AUTH and sending "
        "(turn off only for a loopback relay).",
    )
    smtp_ssl: bool = Field(
        default=False,
        description="Implicit TLS from the first byte (SMTPS, usually port 465) instead of "
        "STARTTLS.",
    )
    smtp_from: str = Field(
        default="SysTok <systok@localhost>", description="From: of notification emails."
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Telegram Bot API base URL."
    )
    telegram_bot_token: str | None = Field(
        default=None, description="Telegram bot token (unset: Telegram messages wait)."
    )
    notify_retry_first_seconds: int = Field(
        default=60, gt=0, description="Wait after a message's first temporary failure."
    )
    notify_retry_max_seconds: int = Field(
        default=6 * 3600,
        gt=0,
        description="Longest wait between tries (the wait doubles after each failure).",
    )
    notify_attempts_max: int = Field(
        default=20,
        gt=0,
        description="Tries before a message that keeps failing temporarily is parked.",
    )
    notify_lease_seconds: int = Field(
        default=300,
        gt=0,
        description="How long a claimed message is a dispatcher's own; after it, another "
        "dispatcher may send it again (the window that can repeat a message).",
    )
    notify_batch_max: int = Field(
        default=100, gt=0, description="Messages one dispatcher claims at a time."
    )
    notify_poll_seconds: float = Field(
        default=10.0, gt=0, description="Pause of `systok notify dispatch` when nothing is due."
    )
