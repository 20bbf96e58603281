"""A country's sync against a running gateway: what it keeps, and what it refuses while
keeping the last good copy (a tampered download, a replayed older list, an expired one, a
gateway with another anchor, a DSC its CSCA never signed)."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.database.db import session_factory
from healthcert.gateway.app import GatewaySettings
from healthcert.gateway.client import Connection, DownloadRejected
from healthcert.gateway.repository import next_change
from healthcert.gateway.sync import sync
from healthcert.gateway.tables import SignerCertificate
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.kid import kid_of
from healthcert.trust.local import load_local_trust
from healthcert.trust.synced import load_synced_revocations, read_state, trust_note
from tests.gateway.world import Country, batch_document, cms, der, intercepting, new_anchor, running


def _publish(settings: GatewaySettings, url: str, de: Country) -> bytes:
    """DE uploads a DSC and a revocation batch (through the HTTP API)."""
    from tests.gateway.world import gateway_client

    client = gateway_client(settings)
    dsc = de.new_dsc()
    for path, body in (
        ("/signerCertificate", der(dsc)),
        ("/revocation-list", batch_document("DE", b"\x07" * 16)),
    ):
        assert (
            client.post(path, content=cms(body, de.upload), headers=de.auth_header()).status_code
            == 201
        )
    return der(dsc)


def _kids(home: Path) -> set[bytes]:
    return {key.kid for key in load_local_trust(home) if key.source == "gateway"}


@pytest.fixture
def synced(
    settings: GatewaySettings, de: Country, tmp_path: Path
) -> tuple[GatewaySettings, Path, bytes]:
    """FR's home after one good sync of DE's DSC and batch."""
    with running(settings) as url:
        dsc = _publish(settings, url, de)
        with Connection(url, settings.anchor.certificate) as connection:
            result = sync(connection, tmp_path)
    assert result.full and result.dscs == 1 and result.revocation_batches == 1
    return settings, tmp_path, dsc


def test_a_good_sync_keeps_the_dscs_revocations_and_its_stamp(
    synced: tuple[GatewaySettings, Path, bytes],
) -> None:
    _settings, home, dsc = synced
    assert _kids(home) == {hashlib.sha256(dsc).digest()[:8]}
    revocations = load_synced_revocations(home)
    assert revocations is not None and ("UCI", b"\x07" * 16) in revocations.hashes
    state = read_state(home)
    assert state is not None and state.seq == 8
    assert "warning" not in trust_note(state)


def test_a_delta_with_nothing_new_changes_nothing(
    synced: tuple[GatewaySettings, Path, bytes],
) -> None:
    settings, home, _dsc = synced
    with running(settings) as url, Connection(url, settings.anchor.certificate) as connection:
        # Another port, another URL: the first sync there is a full one; the next, a delta.
        assert sync(connection, home).full is True
        result = sync(connection, home)
    assert (result.changed, result.full) == (False, False)


def _refused_and_kept(home: Path, before: object, kids: set[bytes], error: str) -> None:
    assert read_state(home) == before
    assert _kids(home) == kids
    assert error


def test_a_tampered_download_is_refused_and_the_old_copy_kept(
    synced: tuple[GatewaySettings, Path, bytes], de: Country
) -> None:
    settings, home, _dsc = synced
    before, kids = read_state(home), _kids(home)

    def tamper(
        path: str, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        return (
            status,
            headers,
            body.replace(b'"FR"', b'"DE"') if path.startswith("/trustList") else body,
        )

    with running(settings) as url:
        _publish(settings, url, de)
        with (
            intercepting(url, tamper) as attacker,
            Connection(attacker, settings.anchor.certificate) as connection,
            pytest.raises(DownloadRejected, match="wrong signature") as refused,
        ):
            sync(connection, home)
    _refused_and_kept(home, before, kids, str(refused.value))


def test_a_replayed_older_list_is_refused(
    settings: GatewaySettings, de: Country, tmp_path: Path
) -> None:
    recorded: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}

    def record(
        path: str, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        recorded.setdefault(path, (status, headers, body))  # an attacker keeps the first answers
        return recorded[path]

    with running(settings) as url, intercepting(url, record) as attacker:
        with Connection(attacker, settings.anchor.certificate) as connection:
            old = sync(connection, tmp_path / "elsewhere")  # recorded: the list at this sequence
        _publish(settings, url, de)
        with Connection(url, settings.anchor.certificate) as direct:
            new = sync(direct, tmp_path)
        assert new.seq > old.seq
        before, kids = read_state(tmp_path), _kids(tmp_path)
        with (
            Connection(attacker, settings.anchor.certificate) as connection,
            pytest.raises(
                DownloadRejected, match=f"old sequence {old.seq}: already holding {new.seq}"
            ),
        ):
            sync(connection, tmp_path)
    assert read_state(tmp_path) == before and _kids(tmp_path) == kids and len(kids) == 1


def test_an_expired_list_is_refused_and_the_verifier_keeps_the_last_good_one(
    synced: tuple[GatewaySettings, Path, bytes],
) -> None:
    settings, home, _dsc = synced
    before, kids = read_state(home), _kids(home)
    later = datetime.now(UTC) + timedelta(days=2)
    with (
        running(settings) as url,
        Connection(url, settings.anchor.certificate) as connection,
        pytest.raises(DownloadRejected, match="expired") as refused,
    ):
        sync(connection, home, now=later)
    assert read_state(home) == before and _kids(home) == kids
    assert before is not None
    note = trust_note(before, later)
    assert note["warning"].startswith("the synced trust list expired at")
    assert str(refused.value)


def test_a_gateway_with_another_anchor_is_refused(
    synced: tuple[GatewaySettings, Path, bytes],
) -> None:
    settings, home, _dsc = synced
    before = read_state(home)
    with (
        running(settings) as url,
        Connection(url, new_anchor().certificate) as connection,
        pytest.raises(DownloadRejected, match="wrong signature"),
    ):
        sync(connection, home)
    assert read_state(home) == before


def test_a_dsc_its_csca_never_signed_is_not_trusted(
    settings: GatewaySettings, de: Country, tmp_path: Path
) -> None:
    # Written straight into the database, past the upload checks, as a broken gateway might.
    stranger = create_dsc(create_csca("DE")).certificate
    raw = stranger.public_bytes(Encoding.DER)
    with session_factory(settings.engine, writes=True)() as session:
        row = SignerCertificate(
            country="DE",
            kid=base64.b64encode(kid_of(stranger)).decode(),
            thumbprint=hashlib.sha256(raw).hexdigest(),
            raw_data=raw,
            signature="",
            created_at=datetime.now(UTC),
            change=next_change(session),
            deleted=False,
        )
        session.add(row)
        session.commit()
    with running(settings) as url, Connection(url, settings.anchor.certificate) as connection:
        result = sync(connection, tmp_path)
    assert result.dscs == 0 and _kids(tmp_path) == set()
    assert [skip.reason for skip in result.skipped] == ["not signed by any trusted CSCA of DE"]
