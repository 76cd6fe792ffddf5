"""Email over SMTP with the standard library (``smtplib`` + ``email.message``).

The message is an ``EmailMessage`` under the default policy, which encodes a Cyrillic
subject as RFC 2047 encoded words and the body as UTF-8; its Message-ID is the one
fixed at enqueue time. STARTTLS (``SYSTOK_SMTP_STARTTLS``, on by default) comes before
AUTH, so a password never crosses the network in clear text; ``SYSTOK_SMTP_SSL`` speaks
TLS from the first byte instead (port 465).

What the server says decides the message's fate (RFC 5321 §4.2.1): a 4xx reply, a
refused or dropped connection or a timeout is temporary (``DeliveryDeferred``); a 5xx
reply to the recipient or the data is permanent (``DeliveryRefused``). A refused login
is deferred, not parked: it is the deployment's fault, and every message would fail
the same way until it is fixed.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from systok import clock
from systok.errors import DeliveryDeferred, DeliveryRefused
from systok.notify.schemas import OutboxMessage

PERMANENT_FROM = 500


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email (the weekly PDF statement)."""

    filename: str
    content: bytes
    mime_type: str = "application/pdf"


def build_email(
    message: OutboxMessage, *, sender: str, attachments: tuple[Attachment, ...] = ()
) -> EmailMessage:
    """The email of an outbox message: its subject, body and fixed Message-ID."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = Address(addr_spec=message.address)
    email["Subject"] = message.subject
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(clock.now())
    email["Content-Language"] = message.language
    email.set_content(message.body)
    for item in attachments:
        maintype, _, subtype = item.mime_type.partition("/")
        email.add_attachment(
            item.content, maintype=maintype, subtype=subtype, filename=item.filename
        )
    return email


@dataclass(frozen=True)
class SmtpChannel:
    """An SMTP server to send through (``SYSTOK_SMTP_*``)."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = True
    timeout_seconds: float = 20.0
    implicit_tls: bool = False
    """TLS from the first byte (``SYSTOK_SMTP_SSL``, port 465) instead of STARTTLS."""
    tls_context: ssl.SSLContext | None = None
    """Whom to trust (default: the system's CAs, host name checked)."""

    def send(self, message: OutboxMessage, attachments: tuple[Attachment, ...] = ()) -> None:
        """Hand the message to the server.

        Once the server has accepted the data (250 after DATA) the message is sent:
        a failed QUIT afterwards (another reply than 221, a timeout, a dropped
        connection) changes nothing and is not reported, so it is neither resent nor
        parked.

        Raises:
            DeliveryDeferred: try again later (4xx, connection, timeout, login).
            DeliveryRefused: the server refused the recipient or the message (5xx).
        """
        email = build_email(message, sender=self.sender, attachments=attachments)
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            if self.starttls and not self.implicit_tls:
                client.starttls(context=self._context())
            if self.user:
                client.login(self.user, self.password or "")
            client.send_message(email, to_addrs=[message.address])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            detail = "; ".join(
                f"{c} {t.decode('utf-8', 'replace')}" for c, t in error.recipients.values()
            )
            reason = f"SMTP refused the recipient: {detail}"
            if all(code >= PERMANENT_FROM for code in codes):
                raise DeliveryRefused(reason) from None
            raise DeliveryDeferred(reason) from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryDeferred(f"SMTP login refused: {_reply(error)}") from None
        except smtplib.SMTPNotSupportedError:
            raise DeliveryDeferred(
                "SMTP server offers no AUTH on this connection (it may need STARTTLS or "
                "SYSTOK_SMTP_SSL)"
            ) from None
        except UnicodeEncodeError:
            # smtplib sends AUTH PLAIN/LOGIN as ASCII only: a deployment fault, like a
            # refused login (the password itself is never put in the reason)
            raise DeliveryDeferred("SMTP login impossible: user or password is not ASCII") from None
        except smtplib.SMTPResponseException as error:
            reason = f"SMTP replied {_reply(error)}"
            if error.smtp_code >= PERMANENT_FROM:
                raise DeliveryRefused(reason) from None
            raise DeliveryDeferred(reason) from None
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryDeferred(
                f"SMTP {self.host}:{self.port} unreachable: {type(error).__name__}: {error}"
            ) from None
        finally:
            if client is not None:
                _quit(client)

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout_seconds, context=self._context()
            )
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout_seconds)

    def _context(self) -> ssl.SSLContext:
        return self.tls_context or ssl.create_default_context()


def _quit(client: smtplib.SMTP) -> None:
    """Say QUIT and close, whatever the server answers: by now the message either went
    (the server took the data) or its failure is already being reported."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _reply(error: smtplib.SMTPResponseException) -> str:
    text = error.smtp_error
    shown = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{error.smtp_code} {shown}"
