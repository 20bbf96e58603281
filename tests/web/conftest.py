"""The pages' fixtures: one service over SQLite whose trust store holds a German DSC, a
verifier key, and QR images of a genuine and of a forged EU DCC (signed by a key the
service does not trust). The browser tests run it in uvicorn on a free local port."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.rules.certs import Issuer, make_issuer, vaccination

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

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
    from healthcert.service.context import open_context

    context = open_context(f"sqlite:///{tmp_path_factory.mktemp('webdb') / 'web.db'}")
    context.trust_loader = lambda: issuer.trust
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


@pytest.fixture(scope="session")
def live_url(web_app: FastAPI) -> Iterator[str]:
    """The service in uvicorn on 127.0.0.1, in a thread of this process."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning")
    )
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
