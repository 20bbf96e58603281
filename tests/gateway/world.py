"""The parts of a gateway test: an anchor, a database, countries with their keys, onboarded."""

from __future__ import annotations

import base64
import json
import urllib.parse
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
