"""First start: keys are created once, and the service trusts its own CSCA and DSCs."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_keys_are_made_once_and_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcert.keys.directory import KeyDirectory
    from healthcert.keys.eku import kinds_from_certificate
    from healthcert.service.bootstrap import ensure_issuer_keys, service_trust

    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", "test-only")
    assert ensure_issuer_keys("cn", tmp_path) is True
    assert ensure_issuer_keys("cn", tmp_path) is False
    from healthcert.model.kinds import ALL_KINDS, EntryKind
    from healthcert.service.authority import certificate_signer, health_code_signer

    dscs = KeyDirectory(tmp_path).dscs()
    kinds = {dsc.kid: kinds_from_certificate(dsc.certificate) for dsc in dscs}
    assert sorted(kinds.values(), key=len) == [frozenset({EntryKind.HEALTH_CODE}), ALL_KINDS]
    # Each purpose has its signer, though the health code's DSC is the newer.
    assert kinds[certificate_signer(tmp_path).kid] == ALL_KINDS
    assert kinds[health_code_signer(tmp_path).kid] == {EntryKind.HEALTH_CODE}
    trust = service_trust(tmp_path)
    assert all(trust.keys_for(dsc.kid) for dsc in dscs)
    assert trust.cscas_for("CN")


def test_keys_made_before_health_codes_get_a_dsc_for_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthcert.keys.csca import create_csca
    from healthcert.keys.directory import KeyDirectory
    from healthcert.keys.dsc import create_dsc
    from healthcert.service.authority import health_code_signer
    from healthcert.service.bootstrap import ensure_issuer_keys

    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", "test-only")
    directory = KeyDirectory(tmp_path)
    csca = create_csca("CN")
    directory.save_csca(csca, b"test-only")
    first = directory.save_dsc(create_dsc(csca), b"test-only")
    assert ensure_issuer_keys("cn", tmp_path) is False
    signer = health_code_signer(tmp_path)
    assert signer.kid != first
    assert ensure_issuer_keys("cn", tmp_path) is False  # once only
    assert sorted(dsc.kid for dsc in directory.dscs()) == sorted([first, signer.kid])
