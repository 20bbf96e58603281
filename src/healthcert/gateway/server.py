"""Running the gateway: uvicorn, terminating TLS itself with client certificates required,
or plain HTTP behind a proxy that terminates TLS and passes the certificate on.

With TLS, the server's certificate is ``tls.pem`` (signed by the anchor, so a country that
holds ``anchor.pem`` checks the server too), and a client must present a certificate the
gateway knows: the onboarded AUTHENTICATION and UPLOAD certificates are the trusted ones (an
UPLOAD certificate is let through the handshake so that it is told, 403, that it is the wrong
one). Certificates onboarded while the gateway runs are added within ``REFRESH`` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import uvicorn
from cryptography.hazmat.primitives.serialization import Encoding
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from healthcert.database.db import session_factory
from healthcert.gateway import repository
from healthcert.gateway.anchor import GatewayFiles
from healthcert.gateway.app import GatewaySettings, create_gateway_app
from healthcert.trust.certificates import parse_der

REFRESH = 10.0
_CLIENT_TYPES = ("AUTHENTICATION", "UPLOAD")

Scope = MutableMapping[str, Any]
Asgi = Callable[[Scope, Any, Any], Awaitable[None]]


class ClientCertificateProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, handing the TLS client certificate to the app as the ASGI TLS
    extension does (uvicorn itself does not)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        if der:
            pem = parse_der(der).public_bytes(Encoding.PEM).decode("ascii")
            self.app = _with_certificate(self.app, pem)


def _with_certificate(app: Any, pem: str) -> Asgi:
    async def wrapped(scope: Scope, receive: Any, send: Any) -> None:
        extensions = dict(scope.get("extensions") or {})
        extensions["tls"] = {"client_cert_chain": [pem]}
        scope["extensions"] = extensions
        await app(scope, receive, send)

    return wrapped


@dataclass(frozen=True, slots=True)
class Listening:
    """Where the gateway listens (the port chosen when 0 was asked for)."""

    host: str
    port: int
    tls: bool

    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"


def client_certificates_pem(settings: GatewaySettings) -> str:
    """The onboarded certificates a TLS client may present, as one PEM text."""
    with session_factory(settings.engine)() as session:
        parties = repository.parties(session)
        ders = [p.raw_data for p in parties if p.certificate_type in _CLIENT_TYPES]
    return "".join(parse_der(der).public_bytes(Encoding.PEM).decode("ascii") for der in ders)


def tls_context(
    files: GatewayFiles, passphrase: bytes, settings: GatewaySettings
) -> ssl.SSLContext:
    """The server's TLS: its certificate, and client certificates required."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(files.tls_cert, files.tls_key, password=passphrase)
    context.verify_mode = ssl.CERT_REQUIRED
    known = client_certificates_pem(settings)
    if known:
        context.load_verify_locations(cadata=known)
    return context


def bind(host: str, port: int) -> socket.socket:
    """A listening socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def build_server(
    app: FastAPI, sock: socket.socket, context: ssl.SSLContext | None
) -> uvicorn.Server:
    """A uvicorn server on ``sock``; with ``context``, TLS terminated here."""
    config = uvicorn.Config(
        app,
        http=ClientCertificateProtocol,
        lifespan="off",
        log_level="warning",
        access_log=False,
        ssl_context_factory=(lambda _config, _default: context) if context is not None else None,
    )
    return uvicorn.Server(config)


async def refresh_clients(settings: GatewaySettings, context: ssl.SSLContext) -> None:
    """Trust, for new handshakes, the client certificates onboarded since the start."""
    while True:
        await asyncio.sleep(REFRESH)
        with contextlib.suppress(Exception):  # a database hiccup must not stop the server
            known = await asyncio.to_thread(client_certificates_pem, settings)
            if known:
                context.load_verify_locations(cadata=known)


async def serve(
    settings: GatewaySettings, sock: socket.socket, context: ssl.SSLContext | None
) -> None:
    """Serve until interrupted."""
    server = build_server(create_gateway_app(settings), sock, context)
    refresher = asyncio.create_task(refresh_clients(settings, context)) if context else None
    try:
        await server.serve(sockets=[sock])
    finally:
        if refresher is not None:
            refresher.cancel()
