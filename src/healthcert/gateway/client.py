"""A country's connection to a gateway: HTTPS (the server checked against the gateway's
anchor, this country's AUTHENTICATION certificate as the client's), or plain HTTP to a
gateway behind a proxy. Only the standard library: a core install publishes and syncs."""

from __future__ import annotations

import http.client
import json
import ssl
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.errors import HealthcertError
from healthcert.gateway.wire import SIGNATURE_HEADER, DownloadStamp, check_download

MAX_RESPONSE_BYTES = 256 * 1024 * 1024
TIMEOUT = 30.0


class GatewayError(HealthcertError):
    """The gateway cannot be reached, or answered with an error; the message says which."""


class DownloadRejected(HealthcertError):
    """A download whose signature, sequence or expiry is wrong: nothing of it is used."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: Message
    body: bytes


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """The TLS client certificate and its encrypted key file, with the passphrase."""

    certificate: Path
    key: Path
    passphrase: bytes = field(repr=False)


class Connection:
    """One keep-alive connection to a gateway, reopened when the server closes it."""

    def __init__(
        self, url: str, anchor: x509.Certificate, identity: ClientIdentity | None = None
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise GatewayError(f"{url}: not an http:// or https:// URL")
        self.url = url.rstrip("/")
        self.anchor = anchor
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._context = _tls_context(anchor, identity) if parts.scheme == "https" else None
        self._connection: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(self, method: str, target: str, body: bytes | None = None) -> Answer:
        """Send one request; GatewayError when the gateway cannot be reached."""
        headers = {"Content-Type": "application/cms"} if body is not None else {}
        for attempt in (1, 2):
            connection = self._open()
            try:
                connection.request(method, self._prefix + target, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read(MAX_RESPONSE_BYTES + 1)
            except (ConnectionError, http.client.HTTPException, ssl.SSLError, OSError) as error:
                self.close()
                if attempt == 2 or isinstance(error, ssl.SSLError | TimeoutError):
                    raise GatewayError(f"{self.url}: {_reason(error)}") from None
                continue  # a kept-alive connection the server had closed: open a new one
            if len(data) > MAX_RESPONSE_BYTES:
                raise GatewayError(f"{self.url}{target}: larger than {MAX_RESPONSE_BYTES} bytes")
            return Answer(response.status, response.headers, data)
        raise AssertionError("unreachable")

    def signed_get(
        self, target: str, *, min_seq: int = 0, now: datetime | None = None
    ) -> tuple[Answer, DownloadStamp]:
        """GET ``target`` and check its signature; DownloadRejected when it does not hold."""
        answer = self.request("GET", target)
        if answer.status not in (200, 204):
            raise GatewayError(f"{self.url}{target}: HTTP {answer.status} {_detail(answer)}")
        try:
            stamp = check_download(
                self.anchor,
                answer.headers.get(SIGNATURE_HEADER),
                answer.body,
                target=self._prefix + target,
                min_seq=min_seq,
                now=now,
            )
        except ValueError as error:
            raise DownloadRejected(f"{self.url}{target}: {error}") from None
        return answer, stamp

    def _open(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self._context is not None:
                self._connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=TIMEOUT, context=self._context
                )
            else:
                self._connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=TIMEOUT
                )
        return self._connection


def _tls_context(anchor: x509.Certificate, identity: ClientIdentity | None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # The gateway's TLS certificate is signed by its anchor: that alone is trusted here.
    context.load_verify_locations(cadata=anchor.public_bytes(Encoding.PEM).decode("ascii"))
    if identity is not None:
        try:
            context.load_cert_chain(identity.certificate, identity.key, identity.passphrase)
        except (ssl.SSLError, OSError) as error:
            raise GatewayError(f"cannot use the client certificate: {_reason(error)}") from None
    return context


def _reason(error: BaseException) -> str:
    return str(getattr(error, "reason", "") or error or type(error).__name__)


def _detail(answer: Answer) -> str:
    text = answer.body[:500].decode("utf-8", "replace")
    try:
        detail = json.loads(text).get("detail")
        return str(detail) if detail else text
    except (ValueError, AttributeError):
        return text
