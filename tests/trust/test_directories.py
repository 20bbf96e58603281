"""A directory of trust sources, sniffed by content, bad files noted but not fatal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from healthcert.errors import TrustStoreError
from healthcert.trust import sources
from healthcert.trust.store import TrustStore, load_trust

from . import pki

DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"


def test_directory_of_mixed_sources(tmp_path: Path) -> None:
    root = tmp_path / "trust"
    (root / "at").mkdir(parents=True)
    # XA: a user-assigned code, so that this CSCA drops none of the list's real DSCs.
    csca = pki.csca("XA")
    (root / "at" / "csca.crt").write_bytes(pki.pem(csca.certificate))
    (root / "at" / "dsc.der").write_bytes(pki.der(pki.dsc(csca).certificate))
    (root / "at" / "foreign.pem").write_bytes(pki.pem(pki.dsc(pki.csca("XA")).certificate))
    shutil.copy(DE_LIST, root / "eu.json")
    (root / "README.md").write_text("lists fetched nightly")
    (root / "broken.json").write_text("{")
    (root / ".hidden.pem").write_text("ignored")
    (root / "nameless").write_bytes(pki.pem(pki.dsc(pki.csca("BE")).certificate))
    store = load_trust([root])
    assert len(store) == 832 + 1 + 1  # the list, the AT DSC, the sniffed file without suffix
    assert store.cscas_for("XA") == (csca.certificate,)
    reasons = {s.source.split(" ")[0]: s.reason for s in store.skipped}
    assert reasons["trust/broken.json"].startswith("invalid JSON")
    assert reasons["trust/at/foreign.pem"] == "not signed by any trusted CSCA of XA"
    assert len(store.skipped) == 2
    assert store.ignored == 1  # README.md
    assert {key.source for key in store} == {"trust/eu.json", "trust/at/dsc.der", "trust/nameless"}


def test_too_large_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_SOURCE_BYTES", 1000)
    with pytest.raises(TrustStoreError, match="larger than"):
        load_trust([DE_LIST])


def test_add_source_reports(tmp_path: Path) -> None:
    path = tmp_path / "gateway.json"
    csca = pki.csca("DE")
    path.write_text(json.dumps([pki.list_entry(pki.dsc(csca).certificate)]))
    store = TrustStore()
    result = store.add_source(path)
    assert (result.added, result.source, len(store)) == (1, str(path), 1)


def test_deep_json_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TrustStoreError):
        load_trust([path])


def test_a_key_directory_gives_its_certificates_only(tmp_path: Path) -> None:
    from healthcert.keys.directory import KeyDirectory

    keys = KeyDirectory(tmp_path)
    csca = pki.csca("XB")
    keys.save_csca(csca, b"pw")
    keys.save_dsc(pki.dsc(csca), b"pw")
    store = load_trust([keys.root])
    assert (len(store), len(store.anchors), store.ignored, store.skipped) == (1, 1, 2, [])
