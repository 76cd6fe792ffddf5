"""Notification operations: members' profiles, and enqueueing messages in the caller's
unit of work (the transactional outbox, ADR 0037).

``enqueue`` takes the session of the event that causes the message: the message is
committed with the event or not at all, so a refused transfer notifies nobody and a
committed one cannot lose its message when SMTP or Telegram is down. It renders the
message at once in the recipient's language and fixes its Message-ID, so what is sent
later — once, or again after a crash — is exactly what was decided here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from email.headerregistry import Address
from typing import Any

from sqlalchemy import Subquery
from sqlalchemy.orm import Session

from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.errors import MessageNotFound, MessageNotRetryable, ProfileInvalid, UnknownMember
from systok.notify import repository as repo
from systok.notify.render import Params, render
from systok.notify.schemas import MessageKind, OutboxMessage, OutboxStatus, Profile, ProfileChange

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
EMAIL_PATTERN = rf"^{_ATEXT}+(?:\.{_ATEXT}+)*@{_LABEL}(?:\.{_LABEL})*$"
"""An address SMTP takes as it is (RFC 5321 §4.1.2, RFC 5322 §3.4.1): a dot-atom local
part of at most 64 ASCII ``atext`` characters (no quoted strings, no comments, no
``( ) : [ ] < > , ;``, controls, NUL or DEL, which would change who receives the mail)
and a host name of letters, digits and inner hyphens; at most 254 characters in all."""
EMAIL_MAX = 254
TELEGRAM_CHAT_PATTERN = r"^(-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{4,31})$"
"""A chat id (a user's positive id, a group's negative one) or a public ``@channel``."""
MESSAGE_ID_DOMAIN = "notify.systok"
"""The right-hand side of every Message-ID (RFC 5322 §3.6.4: a unique id@domain)."""
LIST_LIMIT_MAX = 1000
KEY_STORED_MAX = 200
"""Length of ``notify_outbox.idempotency_key``."""
KEY_DIGEST_SEPARATOR = "#"


def _not_found(member_id: str) -> UnknownMember:
    return UnknownMember(f"member {member_id!r} is not known to SysTok")


def profile(session: Session, member_id: str) -> Profile:
    """The member's profile; a member who never set one gets the defaults (Russian, no
    channels, so nothing is sent to them).

    Raises:
        UnknownMember: the member is not known.
    """
    row = repo.profile_row(session, member_id)
    if row is None:
        if not repo.member_exists(session, member_id):
            raise _not_found(member_id)
        return Profile(member_id, None, None, DEFAULT_LANGUAGE, frozenset(), admin=False)
    return _profile_of(member_id, row)


def _profile_of(member_id: str, row: Any) -> Profile:
    return Profile(
        member_id=member_id,
        email=row.email,
        telegram_chat_id=row.telegram_chat_id,
        language=Language(row.language),
        opt_outs=frozenset(MessageKind(k) for k in row.opt_outs.split()),
        admin=bool(row.admin),
    )


def update_profile(
    session: Session,
    member_id: str,
    change: ProfileChange,
    *,
    now_us: int,
    field_name: Callable[[str], str],
) -> Profile:
    """Apply the fields ``change`` names to the member's profile and store it.

    ``field_name`` is how the caller names a field in a refusal (``body.email`` for
    the API, ``--email`` for the CLI). Every field is checked before anything is written.

    Raises:
        UnknownMember, ProfileInvalid (naming the field).
    """
    current = profile(session, member_id)
    email, chat, language, opt_outs, admin = (
        current.email,
        current.telegram_chat_id,
        current.language,
        current.opt_outs,
        current.admin,
    )
    if "email" in change.changed:
        email = _email(change.email, field_name("email"))
    if "telegram_chat_id" in change.changed:
        chat = _checked(
            change.telegram_chat_id,
            TELEGRAM_CHAT_PATTERN,
            field_name("telegram_chat_id"),
            "a Telegram chat id (digits, negative for a group) or @channel",
        )
    if "language" in change.changed:
        language = _language(change.language, field_name("language"))
    if "opt_outs" in change.changed:
        opt_outs = _kinds(change.opt_outs, field_name("opt_outs"))
    if "admin" in change.changed and change.admin is not None:
        admin = change.admin
    repo.save_profile(
        session,
        {
            "member_id": member_id,
            "email": email,
            "telegram_chat_id": chat,
            "language": language.value,
            "opt_outs": " ".join(sorted(k.value for k in opt_outs)),
            "admin": admin,
            "updated_at_us": now_us,
        },
    )
    return Profile(member_id, email, chat, language, opt_outs, admin)


def _checked(value: str | None, pattern: str, field: str, what: str) -> str | None:
    if value is None or value == "":
        return None
    if not re.fullmatch(pattern, value):
        raise ProfileInvalid(field, f"{value[:80]!r} is not {what}")
    return value


def _email(value: str | None, field: str) -> str | None:
    """The address, if it is one SMTP delivers to exactly that mailbox; the standard
    library's ``Address`` must read it back unchanged (no display name, no route)."""
    what = "an email address (name@host, letters, digits and .!#$%&'*+/=?^_`{|}~- only)"
    checked = _checked(value, EMAIL_PATTERN, field, what)
    if checked is None:
        return None
    local, _, domain = checked.rpartition("@")
    if len(checked) > EMAIL_MAX or len(local) > 64:
        raise ProfileInvalid(field, f"{checked[:80]!r} is longer than an email address may be")
    try:
        parsed = Address(username=local, domain=domain)
    except (ValueError, IndexError):
        parsed = None
    if parsed is None or parsed.addr_spec != checked:
        raise ProfileInvalid(field, f"{checked[:80]!r} is not {what}")
    return checked


def _language(value: str | None, field: str) -> Language:
    try:
        return Language(value or DEFAULT_LANGUAGE.value)
    except ValueError:
        known = ", ".join(lang.value for lang in Language)
        raise ProfileInvalid(
            field, f"{value!r} is not a language SysTok writes in ({known})"
        ) from None


def _kinds(values: tuple[str, ...], field: str) -> frozenset[MessageKind]:
    kinds = set()
    for value in values:
        try:
            kinds.add(MessageKind(value))
        except ValueError:
            known = ", ".join(k.value for k in MessageKind)
            raise ProfileInvalid(field, f"{value!r} is not a message kind ({known})") from None
    return frozenset(kinds)


# --- the outbox ------------------------------------------------------------------------


def message_id_for(idempotency_key: str) -> str:
    """The Message-ID of a message, derived from its idempotency key: stable for ever,
    so every send of the message (a resend after a crash too) carries the same id."""
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:40]
    return f"<{digest}@{MESSAGE_ID_DOMAIN}>"


def stored_key(idempotency_key: str) -> str:
    """The outbox column's form of an idempotency key, at most ``KEY_STORED_MAX`` chars.

    A key that fits is stored as it is (readable; rows queued before issue 14 keep
    matching). A longer one — a 128-char member id, a long ``Idempotency-Key`` — keeps
    its first 135 characters for reading and ends with ``#`` and the sha256 hex of the
    whole key, so two keys that differ only past the cut (the ``:email`` and
    ``:telegram`` tails) never collide and neither channel is dropped by
    ``ON CONFLICT``. 135 + 1 + 64 = 200.
    """
    if len(idempotency_key) <= KEY_STORED_MAX:
        return idempotency_key
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()
    head = KEY_STORED_MAX - len(KEY_DIGEST_SEPARATOR) - len(digest)
    return f"{idempotency_key[:head]}{KEY_DIGEST_SEPARATOR}{digest}"


def enqueue(
    session: Session,
    kind: MessageKind,
    member_id: str,
    *,
    event_key: str,
    params: Params,
    now_us: int,
) -> int:
    """Queue the message about ``event_key`` for ``member_id`` on each of their channels,
    in the caller's unit of work; returns how many messages were added.

    Nothing is queued for a member without a profile or channels, or who opted out of
    ``kind``. The same ``event_key`` queues once per channel however often it is called
    (a replayed request or a rerun stage adds nothing).
    """
    found = repo.profile_row(session, member_id)
    return enqueue_to_profile(
        session, kind, member_id, found, event_key=event_key, params=params, now_us=now_us
    )


def profile_query(member_id: str) -> Subquery:
    """The member's profile row as a subquery a caller may outer-join into its own read
    (then ``enqueue_to_profile`` with what it read saves ``enqueue``'s round trip)."""
    return repo.profile_subquery(member_id)


def enqueue_to_profile(
    session: Session,
    kind: MessageKind,
    member_id: str,
    profile: Any | None,
    *,
    event_key: str,
    params: Params,
    now_us: int,
) -> int:
    """``enqueue`` with the member's profile row read already (None: no profile)."""
    if profile is None:
        return 0
    return _enqueue_for(
        session,
        _profile_of(member_id, profile),
        kind,
        event_key=event_key,
        params=params,
        now_us=now_us,
    )


def enqueue_many(
    session: Session,
    kind: MessageKind,
    items: Sequence[tuple[str, str, Params]],
    *,
    now_us: int,
    due_at_us: int | None = None,
) -> int:
    """``enqueue`` for many members at once — ``(member_id, event_key, params)`` each —
    reading the profiles once (a weekly run tells every rewarded member); the messages
    are due at ``due_at_us`` (default: now)."""
    profiles = {row.member_id: row for row in repo.profile_rows_with_channels(session)}
    added = 0
    for member_id, event_key, params in items:
        if member_id in profiles:
            recipient = _profile_of(member_id, profiles[member_id])
            added += _enqueue_for(
                session,
                recipient,
                kind,
                event_key=event_key,
                params=params,
                now_us=now_us,
                due_at_us=due_at_us,
            )
    return added


def enqueue_admins(
    session: Session, kind: MessageKind, *, event_key: str, params: Params, now_us: int
) -> int:
    """Queue the message for every profile marked ``admin``; returns how many were added."""
    added = 0
    for row in repo.admin_profile_rows(session):
        recipient = _profile_of(row.member_id, row)
        added += _enqueue_for(
            session, recipient, kind, event_key=event_key, params=params, now_us=now_us
        )
    return added


def _enqueue_for(
    session: Session,
    recipient: Profile,
    kind: MessageKind,
    *,
    event_key: str,
    params: Params,
    now_us: int,
    due_at_us: int | None = None,
) -> int:
    if kind in recipient.opt_outs:
        return 0
    rendered = render(kind, recipient.language, params)
    added = 0
    for channel, address in recipient.addresses().items():
        key = f"{event_key}:{recipient.member_id}:{channel.value}"
        added += repo.insert_message(
            session,
            {
                "idempotency_key": stored_key(key),
                "kind": kind.value,
                "member_id": recipient.member_id,
                "channel": channel.value,
                "address": address,
                "language": recipient.language.value,
                "subject": rendered.subject,
                "body": rendered.body,
                "message_id": message_id_for(key),
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at_us": now_us if due_at_us is None else due_at_us,
                "lease_until_us": None,
                "last_error": None,
                "created_at_us": now_us,
                "sent_at_us": None,
            },
        )
    return added


def list_messages(
    session: Session, *, status: OutboxStatus | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Outbox messages, newest first (``status``: only those)."""
    bounded = max(1, min(limit, LIST_LIMIT_MAX))
    return [repo.as_message(r) for r in repo.message_rows(session, status=status, limit=bounded)]


def retry_message(session: Session, message_id: int, *, now_us: int) -> OutboxMessage:
    """Make a parked (or waiting) message due now, its attempts counted afresh.

    Raises:
        MessageNotFound, MessageNotRetryable (sent already, or being sent now).
    """
    row = repo.message_row(session, message_id)
    if row is None:
        raise MessageNotFound(f"no outbox message has id {message_id}")
    if row.status == OutboxStatus.SENT.value:
        raise MessageNotRetryable(f"message {message_id} was sent already; it is not repeated")
    if row.status == OutboxStatus.SENDING.value and (row.lease_until_us or 0) >= now_us:
        raise MessageNotRetryable(f"message {message_id} is being sent by a dispatcher now")
    repo.requeue(session, message_id, now_us)
    fresh = repo.message_row(session, message_id)
    assert fresh is not None
    return repo.as_message(fresh)


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status (every status named, zeros included)."""
    counts = repo.status_counts(session)
    return {status.value: counts.get(status.value, 0) for status in OutboxStatus}
