"""The verify endpoint consults what the last gateway sync kept: the other countries'
revocation lists beside this service's own revocations, and the rules each country published."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from healthcert.api.app import create_app
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.issuance import issue_hc1_many, parse_request
from healthcert.keys.signer import Signer
from healthcert.service.apikeys import create_key
from healthcert.service.audit import Actor
from healthcert.service.context import ServiceContext, open_context
from healthcert.service.verification import Ask, verify_text
from healthcert.trust.revocation import SIGNATURE, UCI, hashes_of
from healthcert.trust.store import TrustStore
from healthcert.trust.synced import REVOCATIONS_FILE, RULES_FILE, sync_dir

from .samples import vaccination

RULE_SAMPLE = "src/healthcert/rules/data/policies/DE.json"


@pytest.fixture
def service(
    tmp_path: Path, issuer_keys: tuple[Signer, Path], trust: TrustStore
) -> Iterator[ServiceContext]:
    context = open_context(f"sqlite:///{tmp_path / 'service.db'}")
    context.key_home = tmp_path / "home"
    context.signer_loader = lambda: issuer_keys[0]
    context.trust_loader = lambda: trust
    yield context
    context.engine.dispose()


def _issued(signer: Signer, uvci: str) -> str:
    holder = {"family_name": "WANG", "given_name": "XIAOMING", "date_of_birth": "1985-07-21"}
    entry = vaccination(country="CN", issuer="National Health Commission", certificate_id=uvci)
    [payload] = issue_hc1_many([parse_request({"holder": holder, "entry": entry})], signer)
    assert isinstance(payload, str)
    return payload


def _write_synced(home: Path, kind: str, digests: list[bytes], expires: datetime) -> None:
    folder = sync_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    batch = {
        "expires": expires.isoformat(),
        "hashType": kind,
        "hashes": [base64.b64encode(digest).decode() for digest in digests],
    }
    (folder / REVOCATIONS_FILE).write_text(json.dumps({"batch-1": batch}))


def _codes(ctx: ServiceContext, payload: str) -> list[str]:
    report = verify_text(ctx, payload, Ask())
    return [error["code"] for error in report["errors"]]


@pytest.mark.parametrize("kind", [UCI, SIGNATURE])
def test_a_certificate_another_country_revoked_is_refused(
    service: ServiceContext, issuer_keys: tuple[Signer, Path], kind: str
) -> None:
    uvci = f"URN:UVCI:01:CN:SYNCED{kind.upper()}#A"
    listed, other = _issued(issuer_keys[0], uvci), _issued(issuer_keys[0], uvci + "B")
    assert _codes(service, listed) == []
    signature = eu_dcc.decode(listed).sign1.signature
    digest = hashes_of(uvci, "CN", signature)[kind]
    assert service.key_home is not None
    _write_synced(service.key_home, kind, [digest], datetime.now(UTC) + timedelta(days=1))
    service.revocations_changed()
    assert _codes(service, listed) == ["REVOKED"]
    assert _codes(service, other) == []


def test_a_new_sync_is_read_without_a_restart(
    service: ServiceContext, issuer_keys: tuple[Signer, Path]
) -> None:
    uvci = "URN:UVCI:01:CN:SYNCEDAGAIN#A"
    payload = _issued(issuer_keys[0], uvci)
    assert service.key_home is not None
    later = datetime.now(UTC) + timedelta(days=1)
    _write_synced(service.key_home, UCI, [b"\0" * 16], later)
    service.revocations_changed()
    assert _codes(service, payload) == []
    path = sync_dir(service.key_home) / REVOCATIONS_FILE
    digest = hashes_of(uvci, "CN", eu_dcc.decode(payload).sign1.signature)[UCI]
    _write_synced(service.key_home, UCI, [b"\0" * 16, digest], later)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    service.revocations_changed()
    assert _codes(service, payload) == ["REVOKED"]


def test_a_damaged_synced_list_is_not_passed_over(
    service: ServiceContext, issuer_keys: tuple[Signer, Path]
) -> None:
    assert service.key_home is not None
    folder = sync_dir(service.key_home)
    folder.mkdir(parents=True)
    (folder / REVOCATIONS_FILE).write_text('{"batch-1": {"hashType": "UCI"}}')
    with TestClient(create_app(service)) as client:
        key = create_key(service, "verifier", "post", Actor("admin", "tests")).secret
        payload = _issued(issuer_keys[0], "URN:UVCI:01:CN:DAMAGED#A")
        answer = client.post(
            "/api/v1/verify", json={"payload": payload}, headers={"X-API-Key": key}
        )
    assert answer.status_code == 503
    assert "damaged synced revocations" in answer.json()["detail"]


def test_the_rules_of_a_new_sync_judge_the_next_request(
    service: ServiceContext, issuer_keys: tuple[Signer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert service.key_home is not None
    monkeypatch.setenv("HEALTHCERT_HOME", str(service.key_home))
    payload = _issued(issuer_keys[0], "URN:UVCI:01:CN:RULES#A")
    ask = Ask(country="FR", origin="CN", view="full")
    assert verify_text(service, payload, ask).get("rules", []) == [], "no rules for FR"
    rule = json.loads((Path(__file__).parents[2] / RULE_SAMPLE).read_text())["rules"][0]
    rule.update(Identifier="GR-FR-0001", Country="FR", Logic={"===": [1, 2]})
    (sync_dir(service.key_home) / RULES_FILE).parent.mkdir(parents=True, exist_ok=True)
    (sync_dir(service.key_home) / RULES_FILE).write_text(json.dumps({"FR": [rule]}))
    report = verify_text(service, payload, ask)
    outcomes = report["rules"]
    assert [(outcome["id"], outcome["result"]) for outcome in outcomes] == [
        ("GR-FR-0001", "failed")
    ]
