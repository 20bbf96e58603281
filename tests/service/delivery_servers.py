"""Real servers the delivery tests send to: an SMTP server (aiosmtpd) that requires STARTTLS and
AUTH, with a certificate made for 127.0.0.1, and an HTTP SMS gateway that checks its bearer token.
Both listen on free ports of 127.0.0.1."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

SMTP_USER = "healthcert"
SMTP_PASSWORD = "relay-password"
SMS_TOKEN = "gateway-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def localhost_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "healthcert test relay")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Mailbox:
    """What the SMTP server received, and who logged in."""

    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> Any:
        from aiosmtpd.smtp import AuthResult

        user, password = data.login.decode(), data.password.decode()
        ok = (user, password) == (SMTP_USER, SMTP_PASSWORD)
        if ok:
            self.logins.append(user)
        return AuthResult(success=ok)


@contextmanager
def smtp_server(folder: Path) -> Iterator[tuple[int, Mailbox, Path]]:
    """(port, mailbox, CA file) of a running SMTP server that requires STARTTLS and AUTH."""
    from aiosmtpd.controller import Controller

    cert_file, key_file = localhost_certificate(folder)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert_file, key_file)
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        auth_required=True,
        authenticator=mailbox.authenticate,
    )
    controller.start()
    try:
        yield port, mailbox, cert_file
    finally:
        controller.stop()


@dataclass
class Gateway:
    """What the SMS gateway received; ``failures`` answers 503 so many times per recipient."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def texts_to(self, recipient: str) -> list[str]:
        return [item["text"] for item in self.received if item["to"] == recipient]


@contextmanager
def sms_gateway() -> Iterator[Gateway]:
    gateway = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.headers.get("Authorization") != f"Bearer {SMS_TOKEN}":
                self._answer(401)
                return
            length = int(self.headers.get("Content-Length") or 0)
            document = json.loads(self.rfile.read(length))
            if gateway.delay:
                threading.Event().wait(gateway.delay)
            with gateway.lock:
                left = gateway.failures.get(document["to"], 0)
                if left:
                    gateway.failures[document["to"]] = left - 1
                else:
                    gateway.received.append(document)
            self._answer(503 if left else 202)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_address[1]}/messages"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
