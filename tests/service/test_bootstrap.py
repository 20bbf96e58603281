"""First start: keys are created once, and the service trusts its own CSCA and DSCs."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_keys_are_made_once_and_trusted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from healthcert.keys.directory import KeyDirectory
    from healthcert.service.bootstrap import ensure_issuer_keys, service_trust

    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", "test-only")
    assert ensure_issuer_keys("cn", tmp_path) is True
    assert ensure_issuer_keys("cn", tmp_path) is False
    [dsc] = KeyDirectory(tmp_path).dscs()
    trust = service_trust(tmp_path)
    assert trust.keys_for(dsc.kid)
    assert trust.cscas_for("CN")
