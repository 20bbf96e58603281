"""The parts of a gateway test: an anchor, a database, countries with their keys, onboarded."""

from __future__ import annotations

import asyncio
import base64
import http.client
import http.server
import json
import ssl
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from healthcert.database.db import session_factory
from healthcert.gateway.anchor import GatewayAnchor, create_anchor
from healthcert.gateway.app import GatewaySettings, create_gateway_app
from healthcert.gateway.cms import sign_cms
from healthcert.gateway.onboarding import onboard
from healthcert.gateway.server import bind, build_server
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.material import CertifiedKey
from healthcert.keys.party import create_party

PROXY = "testclient"  # the address Starlette's test client calls from


@dataclass
class Country:
    code: str
    csca: CertifiedKey
    upload: CertifiedKey
    auth: CertifiedKey
    dscs: list[CertifiedKey] = field(default_factory=list)

    @classmethod
    def make(cls, code: str) -> Country:
        return cls(
            code, create_csca(code), create_party(code, "upload"), create_party(code, "auth")
        )

    def new_dsc(self) -> CertifiedKey:
        dsc = create_dsc(self.csca)
        self.dscs.append(dsc)
        return dsc

    def auth_header(self, party: CertifiedKey | None = None) -> dict[str, str]:
        pem = (party or self.auth).certificate.public_bytes(Encoding.PEM).decode()
        return {"X-SSL-Client-Cert": urllib.parse.quote(pem)}


def onboard_country(engine: Engine, anchor: GatewayAnchor, country: Country) -> None:
    with session_factory(engine, writes=True)() as session:
        onboard(session, anchor, country.code, "CSCA", country.csca.certificate)
        onboard(session, anchor, country.code, "UPLOAD", country.upload.certificate)
        onboard(session, anchor, country.code, "AUTHENTICATION", country.auth.certificate)
        session.commit()


def new_anchor() -> GatewayAnchor:
    return create_anchor("test gateway", datetime.now(UTC))


def gateway_client(settings: GatewaySettings) -> TestClient:
    return TestClient(create_gateway_app(settings))


def upload(settings: GatewaySettings, country: Country, path: str, body: bytes) -> None:
    """``country`` uploads ``body`` at ``path`` (as CMS by its UPLOAD key); it must be taken."""
    answer = gateway_client(settings).post(
        path, content=cms(body, country.upload), headers=country.auth_header()
    )
    assert answer.status_code == 201, answer.text


def der(party: CertifiedKey) -> bytes:
    return party.certificate.public_bytes(Encoding.DER)


def cms(content: bytes, signer: CertifiedKey) -> bytes:
    return base64.b64encode(sign_cms(content, signer))


def rule_document(identifier: str = "VR-DE-0001", **overrides: Any) -> bytes:
    """A valid acceptance rule starting 49 hours from now; keywords replace fields."""
    start = datetime.now(UTC) + timedelta(hours=49)
    document: dict[str, Any] = {
        "Identifier": identifier,
        "Type": "Acceptance",
        "Country": identifier[3:5],
        "Version": "1.0.0",
        "SchemaVersion": "1.3.0",
        "Engine": "CERTLOGIC",
        "EngineVersion": "1.3.2",
        "CertificateType": "Vaccination",
        "Description": [{"lang": "en", "desc": f"rule {identifier}"}],
        "ValidFrom": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "ValidTo": "2031-06-01T00:00:00Z",
        "AffectedFields": ["v.0"],
        "Logic": {"===": [1, 1]},
    }
    document.update(overrides)
    return json.dumps(document).encode()


def batch_document(country: str, *hashes: bytes, days: int = 30) -> bytes:
    expires = datetime.now(UTC) + timedelta(days=days)
    return json.dumps(
        {
            "country": country,
            "expires": expires.isoformat(),
            "hashType": "UCI",
            "entries": [{"hash": base64.b64encode(digest).decode()} for digest in hashes],
        }
    ).encode()


@contextmanager
def running(settings: GatewaySettings, context: ssl.SSLContext | None = None) -> Iterator[str]:
    """The gateway served by uvicorn on a free loopback port, in a thread; its URL."""
    sock = bind("127.0.0.1", 0)
    server = build_server(create_gateway_app(settings), sock, context)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])))
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise AssertionError("the gateway did not start")
            time.sleep(0.02)
        scheme = "https" if context is not None else "http"
        yield f"{scheme}://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


Mutation = Callable[
    [str, int, list[tuple[str, str]], bytes], tuple[int, list[tuple[str, str]], bytes]
]


@contextmanager
def intercepting(upstream: str, mutate: Mutation) -> Iterator[str]:
    """A forwarding HTTP proxy in front of ``upstream`` that passes every GET answer through
    ``mutate`` (path, status, headers, body): a network attacker, for the client's checks."""
    target = urllib.parse.urlsplit(upstream)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            connection = http.client.HTTPConnection(target.hostname or "", target.port, timeout=30)
            connection.request("GET", self.path)
            answer = connection.getresponse()
            body = answer.read()
            status, headers, body = mutate(self.path, answer.status, answer.getheaders(), body)
            connection.close()
            self.send_response(status)
            for name, value in headers:
                if name.lower() not in (
                    "content-length",
                    "transfer-encoding",
                    "connection",
                    "date",
                    "server",
                ):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}"
    finally:
        proxy.shutdown()
        proxy.server_close()
