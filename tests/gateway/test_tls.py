"""Mutual TLS terminated by the gateway itself: uvicorn's TLS with client certificates
required, the onboarded certificates trusted. No certificate and an unknown one are refused
at the handshake; an UPLOAD certificate gets through it and is told (403) it is the wrong
one; the AUTHENTICATION certificate uploads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from healthcert.gateway.anchor import GatewayFiles, init_gateway
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.client import ClientIdentity, Connection, GatewayError
from healthcert.gateway.server import tls_context
from healthcert.keys.keyfile import write_certificate, write_private_key
from healthcert.keys.material import CertifiedKey
from healthcert.keys.party import create_party
from tests.gateway.world import Country, cms, der, onboard_country, running

PASSPHRASE = b"tls test passphrase"


def _identity(party: CertifiedKey, folder: Path) -> ClientIdentity:
    folder.mkdir(parents=True, exist_ok=True)
    write_certificate(folder / "cert.pem", party.certificate)
    write_private_key(folder / "key.pem", party.private_key, PASSPHRASE)
    return ClientIdentity(folder / "cert.pem", folder / "key.pem", PASSPHRASE)


@pytest.fixture
def tls_gateway(
    engine: Engine, de: Country, tmp_path: Path
) -> Iterator[tuple[str, GatewaySettings]]:
    files = GatewayFiles(tmp_path / "gateway")
    anchor = init_gateway(files, PASSPHRASE)
    onboard_country(engine, anchor, de)
    settings = GatewaySettings(anchor, engine)
    with running(settings, tls_context(files, PASSPHRASE, settings)) as url:
        yield url, settings


def _upload(
    url: str, settings: GatewaySettings, de: Country, identity: ClientIdentity | None
) -> int:
    with Connection(url, settings.anchor.certificate, identity) as connection:
        return connection.request(
            "POST", "/signerCertificate", cms(der(de.new_dsc()), de.upload)
        ).status


def test_the_authentication_certificate_uploads(
    tls_gateway: tuple[str, GatewaySettings], de: Country, tmp_path: Path
) -> None:
    url, settings = tls_gateway
    assert url.startswith("https://")
    assert _upload(url, settings, de, _identity(de.auth, tmp_path / "auth")) == 201


def test_no_client_certificate_is_refused(
    tls_gateway: tuple[str, GatewaySettings], de: Country
) -> None:
    url, settings = tls_gateway
    with pytest.raises(GatewayError):
        _upload(url, settings, de, None)


def test_an_unknown_certificate_is_refused(
    tls_gateway: tuple[str, GatewaySettings], de: Country, tmp_path: Path
) -> None:
    url, settings = tls_gateway
    with pytest.raises(GatewayError):
        _upload(url, settings, de, _identity(create_party("DE", "auth"), tmp_path / "stranger"))


def test_the_upload_certificate_as_client_gets_403(
    tls_gateway: tuple[str, GatewaySettings], de: Country, tmp_path: Path
) -> None:
    url, settings = tls_gateway
    assert _upload(url, settings, de, _identity(de.upload, tmp_path / "upload")) == 403


def test_a_server_not_signed_by_the_anchor_is_refused(
    tls_gateway: tuple[str, GatewaySettings], de: Country, tmp_path: Path
) -> None:
    from tests.gateway.world import new_anchor

    url, _settings = tls_gateway
    with (
        Connection(url, new_anchor().certificate, _identity(de.auth, tmp_path / "a")) as connection,
        pytest.raises(GatewayError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"),
    ):
        connection.request("GET", "/health")
