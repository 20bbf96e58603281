"""The pages' fixtures: one service over SQLite whose trust store holds a German DSC, a
verifier key, and QR images of a genuine and of a forged EU DCC (signed by a key the
service does not trust). The browser tests run it in uvicorn on a free local port."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from healthcert.service.audit import Actor
from healthcert.service.person import Person
from tests.rules.certs import Issuer, make_issuer, vaccination

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext
    from tests.web.consular_steps import Officers

# The clock the check page is set to: the sample certificates are valid then.
CLOCK_FIELD = "2026-11-20T08:00"


@dataclass(frozen=True)
class Samples:
    verifier_key: str
    recorder_key: str
    genuine_png: Path
    forged_png: Path


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return make_issuer("DE")


@pytest.fixture(scope="session")
def web_ctx(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    from healthcert.keys.csca import create_csca
    from healthcert.keys.dsc import create_dsc
    from healthcert.keys.signer import signer_from
    from healthcert.model.kinds import EntryKind
    from healthcert.service.context import open_context

    context = open_context(f"sqlite:///{tmp_path_factory.mktemp('webdb') / 'web.db'}")
    context.trust_loader = lambda: issuer.trust
    # The service's own authority (CN): one DSC signs the travellers' certificates, another
    # their health codes.
    csca = create_csca("CN")
    certificates = signer_from(create_dsc(csca))
    codes = signer_from(create_dsc(csca, [EntryKind.HEALTH_CODE]))
    context.signer_loader = lambda: certificates
    context.health_code_signer_loader = lambda: codes
    yield context
    context.engine.dispose()


@pytest.fixture(scope="session")
def samples(
    issuer: Issuer, web_ctx: ServiceContext, tmp_path_factory: pytest.TempPathFactory
) -> Samples:
    from healthcert.codec.qr import render
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    folder = tmp_path_factory.mktemp("qr")
    genuine = issuer.issue(vaccination())
    forged = make_issuer("DE").issue(vaccination())
    render(genuine, folder / "genuine.png")
    render(forged, folder / "forged.png")
    operator = Actor("admin", "web tests")
    return Samples(
        verifier_key=create_key(web_ctx, "verifier", "web tests verifier", operator).secret,
        recorder_key=create_key(web_ctx, "recorder", "web tests recorder", operator).secret,
        genuine_png=folder / "genuine.png",
        forged_png=folder / "forged.png",
    )


@pytest.fixture(scope="session")
def officers(web_ctx: ServiceContext, samples: Samples) -> Officers:
    """The US and GB posts' officers, one pair for every module of the session."""
    from tests.web.consular_steps import make_officers

    return make_officers(web_ctx, samples)


@pytest.fixture(scope="session")
def web_app(web_ctx: ServiceContext) -> FastAPI:
    from healthcert.api.app import create_app

    return create_app(web_ctx)


@pytest.fixture(scope="session")
def web_client(web_app: FastAPI) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    with TestClient(web_app) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """``app`` in uvicorn on 127.0.0.1, in a thread of this process: its base URL."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not start within 20 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_url(web_app: FastAPI) -> Iterator[str]:
    """The service in uvicorn on 127.0.0.1, in a thread of this process."""
    with served(web_app) as url:
        yield url


@dataclass(frozen=True)
class Holder:
    """A traveller with a vaccination and a test recorded, the vaccination's certificate, and a
    revoked certificate of the test; a passport office gave their contact."""

    document_number: str
    date_of_birth: str
    records: tuple[int, int]
    certificate: int
    revoked: int
    document_type: str = "passport"
    issuing_country: str = "CN"

    @property
    def person(self) -> Person:
        return Person.of(
            self.document_type, self.issuing_country, self.document_number, self.date_of_birth
        )


_RECORDERS: dict[int, Actor] = {}


def _recorder(ctx: ServiceContext) -> Actor:
    """The actor of a recorder's key (records are sent with a key), made once per context."""
    from healthcert.service.apikeys import create_key

    if id(ctx) not in _RECORDERS:
        label = f"web tests recorder {secrets.token_hex(4)}"
        key = create_key(ctx, "recorder", label, Actor("admin", "web tests"))
        _RECORDERS[id(ctx)] = Actor("recorder", key.label, key.id)
    return _RECORDERS[id(ctx)]


def make_holder(ctx: ServiceContext) -> Holder:
    """A new traveller (their own document number), recorded and issued through the service,
    with a contact from the context's identity source."""
    from healthcert.service.contacts import Contact, set_contact
    from healthcert.service.issuance import issue_for_record
    from healthcert.service.records import parse_record, store_record
    from healthcert.service.revocation import revoke
    from tests.service import samples
    from tests.service.declaration_steps import identity_source, pcr_test

    number = f"E{secrets.token_hex(4).upper()}"
    ids = []
    for entry in (samples.vaccination(), pcr_test()):
        record = parse_record(samples.record(entry, document_number=number))
        ids.append(store_record(ctx, record, _recorder(ctx)).record.id)
    issuer = Actor("issuer", "web tests")
    certificate = issue_for_record(ctx, ids[0], "eu-dcc", issuer).certificate.id
    revoked = issue_for_record(ctx, ids[1], "eu-dcc", issuer).certificate.id
    revoke(ctx, revoked, "issued in error", issuer)
    holder = Holder(number, "1985-07-21", (ids[0], ids[1]), certificate, revoked)
    office = identity_source(ctx)
    office_actor = Actor(office.role, office.label, office.id)
    set_contact(ctx, holder.person, Contact.parse("+8613800000000"), office_actor)
    return holder


@pytest.fixture
def holder(web_ctx: ServiceContext) -> Holder:
    return make_holder(web_ctx)


def open_session(ctx: ServiceContext, holder: Holder) -> str:
    """A session token for ``holder``, opened through the use case from an address of its own
    (the page sign-in is tested on its own; the per-address limits stay for it)."""
    from healthcert.service.signin import request_code, sign_in
    from tests.service.declaration_steps import last_code

    address = f"web-{holder.document_number}"
    request_code(ctx, holder.person, address)
    return sign_in(ctx, holder.person, last_code(ctx), address).token


@pytest.fixture(scope="session")
def foreign_png(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A German EU DCC issued an hour ago, as a QR image: a foreign certificate a traveller
    gives in a declaration (the service trusts Germany's DSC)."""
    from datetime import UTC, datetime, timedelta

    from healthcert.codec.qr import render

    target = tmp_path_factory.mktemp("foreign") / "foreign-dcc.png"
    payload = issuer.issue(vaccination(), issued_at=datetime.now(UTC) - timedelta(hours=1))
    render(payload, target)
    return target
