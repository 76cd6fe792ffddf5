"""The channels against real loopback servers: aiosmtpd and a stand-in Bot API."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systok.errors import DeliveryDeferred, DeliveryRefused
from systok.notify.channels.smtp import Attachment, SmtpChannel
from systok.notify.channels.telegram import TelegramChannel, message_text
from systok.notify.schemas import Channel, OutboxMessage, OutboxStatus
from tests.notify.servers import (
    BAD_GATEWAY,
    FORBIDDEN_BLOCKED,
    TOKEN,
    TOO_MANY,
    bot_api,
    free_port,
    smtp_server,
)

SUBJECT = "Вам перевели 5.000000 STK — Ёж, Щука, Объём"


def message(channel: Channel = Channel.EMAIL, address: str = "anna@example.org") -> OutboxMessage:
    return OutboxMessage(
        id=1,
        idempotency_key="transfer:1:anna:email",
        kind="transfer_received",
        member_id="anna",
        channel=channel,
        address=address,
        language="ru",
        subject=SUBJECT,
        body="Участник m1 перевёл вам 5.000000 STK.\n",
        message_id="<abc123@notify.systok>",
        status=OutboxStatus.SENDING,
        attempts=1,
        next_attempt_at_us=0,
        last_error=None,
        created_at_us=0,
        sent_at_us=None,
    )


def smtp(port: int) -> SmtpChannel:
    return SmtpChannel("127.0.0.1", port, "SysTok <systok@example.org>", starttls=False)


def test_email_cyrillic_subject_is_rfc2047_and_decodes_back_equal() -> None:
    with smtp_server() as server:
        smtp(server.port).send(
            message(), attachments=(Attachment("выписка-2026-W05.pdf", b"%PDF-1.7 test"),)
        )
    [got] = server.received
    raw_subject = got.get("Subject", failobj="")
    assert str(make_header(decode_header(raw_subject))) == SUBJECT
    assert got["Message-ID"] == "<abc123@notify.systok>"
    assert got["To"] == "anna@example.org"
    body = got.get_body(preferencelist=("plain",))
    assert body is not None and "перевёл вам 5.000000 STK" in body.get_content()
    [attachment] = list(got.iter_attachments())
    assert attachment.get_filename() == "выписка-2026-W05.pdf"
    assert attachment.get_content() == b"%PDF-1.7 test"


def test_email_subject_on_the_wire_is_encoded_words() -> None:
    """The raw header is ASCII (``=?utf-8?…?=``): a Cyrillic subject never goes raw."""
    from systok.notify.channels.smtp import build_email

    wire = build_email(message(), sender="systok@example.org").as_bytes()
    subject_line = next(line for line in wire.split(b"\n") if line.startswith(b"Subject:"))
    assert subject_line.isascii() and b"=?utf-8?" in subject_line


def test_email_recipient_refused_is_permanent() -> None:
    with (
        smtp_server(refuse={"gone@example.org"}) as server,
        pytest.raises(DeliveryRefused, match="550"),
    ):
        smtp(server.port).send(message(address="gone@example.org"))
    assert server.received == []


def test_email_recipient_deferred_is_temporary() -> None:
    with (
        smtp_server(defer={"busy@example.org"}) as server,
        pytest.raises(DeliveryDeferred, match="451"),
    ):
        smtp(server.port).send(message(address="busy@example.org"))


def test_email_server_down_is_temporary() -> None:
    with pytest.raises(DeliveryDeferred, match="unreachable"):
        smtp(free_port()).send(message())


def telegram(url: str) -> TelegramChannel:
    return TelegramChannel(url, TOKEN, timeout_seconds=5)


def test_telegram_sends_subject_and_body_as_plain_text() -> None:
    with bot_api() as api:
        telegram(api.url).send(message(Channel.TELEGRAM, "123456789"))
    [sent] = api.accepted
    assert sent["chat_id"] == 123456789
    assert sent["text"] == f"{SUBJECT}\n\nУчастник m1 перевёл вам 5.000000 STK."
    assert "parse_mode" not in sent


def test_telegram_429_defers_at_least_retry_after() -> None:
    with bot_api([TOO_MANY]) as api, pytest.raises(DeliveryDeferred) as caught:
        telegram(api.url).send(message(Channel.TELEGRAM, "42"))
    assert caught.value.retry_after_seconds == 7
    assert "Too Many Requests" in caught.value.reason


def test_telegram_blocked_is_permanent_and_5xx_temporary() -> None:
    with bot_api([FORBIDDEN_BLOCKED, BAD_GATEWAY]) as api:
        with pytest.raises(DeliveryRefused, match="bot was blocked by the user"):
            telegram(api.url).send(message(Channel.TELEGRAM, "42"))
        with pytest.raises(DeliveryDeferred, match="502"):
            telegram(api.url).send(message(Channel.TELEGRAM, "42"))
        telegram(api.url).send(message(Channel.TELEGRAM, "@systok_news"))
    assert [m["chat_id"] for m in api.accepted] == ["@systok_news"]


def test_telegram_wrong_token_and_network_failure_are_temporary() -> None:
    with bot_api() as api, pytest.raises(DeliveryDeferred, match="404"):
        TelegramChannel(api.url, "wrong", 5).send(message(Channel.TELEGRAM, "42"))
    with pytest.raises(DeliveryDeferred, match="unreachable"):
        telegram(f"http://127.0.0.1:{free_port()}").send(message(Channel.TELEGRAM, "42"))


def test_telegram_text_is_cut_to_the_bot_api_limit() -> None:
    long = message(Channel.TELEGRAM, "42")
    long = OutboxMessage(**{**long.__dict__, "body": "Щ" * 5000})
    text = message_text(long)
    assert len(text) == 4096 and text.endswith("…")


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp")),
        min_size=1,
        max_size=200,
    ).filter(lambda t: t.strip() == t and "  " not in t)
)
def test_any_subject_goes_out_as_ascii_and_decodes_back_equal(subject: str) -> None:
    """Property: whatever the subject (Cyrillic, emoji, quotes), the header on the wire is
    ASCII and a reader decodes it back to the same text."""
    from email import policy
    from email.parser import BytesParser

    from systok.notify.channels.smtp import build_email

    one = OutboxMessage(**{**message().__dict__, "subject": subject})
    wire = build_email(one, sender="systok@example.org").as_bytes()
    header_block = wire.split(b"\n\n", 1)[0]
    assert header_block.isascii()
    parsed = BytesParser(policy=policy.default).parsebytes(wire)
    assert parsed["Subject"] == subject
