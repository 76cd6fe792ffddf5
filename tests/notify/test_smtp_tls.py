"""SMTP over TLS with AUTH, and what happens after the server took the data (issue 14,
defects 4 and 6), against real aiosmtpd servers on loopback.

The certificate is self-signed for ``127.0.0.1`` and made afresh by ``cryptography``
(valid from an hour before the real time to a day after, so no test date matters);
the channel trusts exactly it, with host name checking on, as production trusts the
system's CAs. The server refuses AUTH before STARTTLS (aiosmtpd ``auth_require_tls``)
and mail before AUTH (``auth_required``), so a delivered message proves both ran.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from systok.errors import DeliveryDeferred
from systok.notify.channels.smtp import SmtpChannel
from tests.notify.servers import smtp_server
from tests.notify.test_channels import message

USER, PASSWORD = "systok", "s3cret-pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A self-signed certificate for 127.0.0.1 and its key (PEM files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)  # validity only; nothing asserted depends on it
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    yield cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def client_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth: Any) -> Any:
    """Accept exactly USER / PASSWORD."""
    ok = isinstance(auth, LoginPassword) and (auth.login, auth.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535


def secured(certificate: tuple[Path, Path], *, implicit: bool = False) -> dict[str, Any]:
    options: dict[str, Any] = {
        "authenticator": authenticator,
        "auth_required": True,
        "auth_require_tls": True,
    }
    if implicit:
        # the whole connection is TLS; aiosmtpd 1.4 does not see an implicit-TLS
        # transport as secure, so it would hide AUTH if ``auth_require_tls`` stayed on
        options["ssl_context"] = server_context(certificate)
        options["auth_require_tls"] = False
    else:
        options["tls_context"] = server_context(certificate)
        options["require_starttls"] = True
    return options


def channel(port: int, certificate: tuple[Path, Path], **changes: Any) -> SmtpChannel:
    fields: dict[str, Any] = {
        "user": USER,
        "password": PASSWORD,
        "tls_context": client_context(certificate),
        "timeout_seconds": 5,
    }
    return SmtpChannel("127.0.0.1", port, "systok@example.org", **(fields | changes))


def test_starttls_then_auth_then_mail(certificate: tuple[Path, Path]) -> None:
    with smtp_server(smtp=secured(certificate)) as server:
        channel(server.port, certificate).send(message())
    [got] = server.received
    assert got["Message-ID"] == "<abc123@notify.systok>" and got["To"] == "anna@example.org"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_port(certificate: tuple[Path, Path]) -> None:
    """``SYSTOK_SMTP_SSL``: TLS from the first byte (SMTPS), then AUTH; an untrusted
    certificate is refused there too."""
    with smtp_server(smtp=secured(certificate, implicit=True)) as server:
        channel(server.port, certificate, implicit_tls=True).send(message())
        with pytest.raises(DeliveryDeferred, match="CERTIFICATE_VERIFY_FAILED"):
            channel(server.port, certificate, implicit_tls=True, tls_context=None).send(message())
    assert len(server.received) == 1


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"starttls": False}, "offers no AUTH"),  # no TLS: the server hides AUTH
        ({"password": "wrong"}, "SMTP login refused: 535"),
        ({"password": "пароль"}, "user or password is not ASCII"),  # not a crash
        ({"tls_context": None}, "CERTIFICATE_VERIFY_FAILED"),  # an untrusted certificate
    ],
)
def test_no_tls_a_wrong_password_or_an_untrusted_server_defer(
    certificate: tuple[Path, Path], changes: dict[str, Any], reason: str
) -> None:
    with (
        smtp_server(smtp=secured(certificate)) as server,
        pytest.raises(DeliveryDeferred, match=reason),
    ):
        channel(server.port, certificate, **changes).send(message())
    assert server.received == []


@pytest.mark.parametrize(
    "handler",
    [
        {"quit_reply": "421 4.3.2 Shutting down"},
        {"quit_reply": "554 5.0.0 Go away"},
        {"quit_delay_seconds": 2.0},  # QUIT answered after the 1 s client timeout
    ],
)
def test_a_failed_quit_after_the_data_was_accepted_counts_as_sent(
    handler: dict[str, Any],
) -> None:
    """The server answered 250 to the data: the message is delivered whatever QUIT
    gets. Before the fix the 421 was deferred (sent again), the 554 parked, the
    timeout deferred."""
    with smtp_server(**handler) as server:
        SmtpChannel(
            "127.0.0.1", server.port, "systok@example.org", starttls=False, timeout_seconds=1
        ).send(message())
    assert len(server.received) == 1
