"""The persisted trust store: add, reload lazily, replace, remove, damaged index."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from healthcert.errors import TrustStoreError
from healthcert.keys.home import HOME_ENV
from healthcert.trust import certificates, local
from healthcert.trust.local import (
    add_to_local_trust,
    kid_matches,
    load_local_trust,
    remove_from_local_trust,
)

from . import pki
from .test_jwks import ec_jwk

DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"
NL_KID = base64.b64decode("+7gPaASOAJY=")


def test_empty_until_something_is_added(tmp_path: Path) -> None:
    assert len(load_local_trust(tmp_path)) == 0
    assert not (tmp_path / "trust").exists()


def test_round_trip_keeps_every_fact(tmp_path: Path) -> None:
    [result] = add_to_local_trust([DE_LIST], home=tmp_path)
    assert (result.added, len(result.skipped), len(result.tolerated)) == (832, 0, 6)
    reloaded = load_local_trust(tmp_path)
    assert len(reloaded) == 832
    [key] = reloaded.keys_for(NL_KID)
    assert key.country == "NL" and key.certificate is not None
    assert key.source == "eu-national-mirror-de.json"
    assert key.public_key.public_numbers() == key.certificate.public_key().public_numbers()  # type: ignore[union-attr]


def test_loading_parses_no_certificate_until_a_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_to_local_trust([DE_LIST], home=tmp_path)
    parsed: list[bytes] = []
    original = certificates.parse_der

    def counting(der: bytes):  # type: ignore[no-untyped-def]
        parsed.append(der)
        return original(der)

    monkeypatch.setattr(certificates, "parse_der", counting)
    store = load_local_trust(tmp_path)
    assert len(store) == 832 and parsed == []
    assert len(store.keys_for(NL_KID)) == 1 and len(parsed) == 1


def test_the_environment_names_the_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    add_to_local_trust([DE_LIST])
    assert (tmp_path / "trust" / "index.json").exists()
    assert len(local.load_local_trust()) == 832


def test_adding_a_source_again_replaces_its_keys(tmp_path: Path) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [ec_jwk(pki.ec_key(), kid="key one")]}))
    add_to_local_trust([path], home=tmp_path)
    path.write_text(json.dumps({"keys": [ec_jwk(pki.ec_key(), kid="key two")]}))
    [result] = add_to_local_trust([path], home=tmp_path)
    assert (result.added, result.replaced) == (1, 1)
    assert [key.kid for key in load_local_trust(tmp_path)] == [b"key two"]


def test_bare_keys_and_anchors_persist(tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [ec_jwk(pki.ec_key(), kid="k")]}))
    csca = pki.csca("XA")
    anchor = tmp_path / "xa.pem"
    anchor.write_bytes(pki.pem(csca.certificate, pki.dsc(csca).certificate))
    results = add_to_local_trust([jwks, anchor], home=tmp_path, issuer_url="https://i.example")
    assert [(r.added, r.anchors) for r in results] == [(1, 0), (1, 1)]
    store = load_local_trust(tmp_path)
    assert store.cscas_for("XA") == (csca.certificate,)
    bare = next(key for key in store if key.certificate is None)
    assert bare.issuer_url == "https://i.example" and bare.not_after is None


def test_a_bad_path_leaves_the_store_untouched(tmp_path: Path) -> None:
    add_to_local_trust([DE_LIST], home=tmp_path)
    with pytest.raises(TrustStoreError):
        add_to_local_trust([DE_LIST, tmp_path / "absent.json"], home=tmp_path)
    assert len(load_local_trust(tmp_path)) == 832


def test_remove_by_kid_spellings_and_by_source(tmp_path: Path) -> None:
    add_to_local_trust([DE_LIST], home=tmp_path)
    assert remove_from_local_trust(kid="+7gPaASOAJY=", home=tmp_path) == 1
    assert remove_from_local_trust(kid=NL_KID.hex(), home=tmp_path) == 0
    assert len(load_local_trust(tmp_path)) == 831
    assert remove_from_local_trust(source="eu-national-mirror-de.json", home=tmp_path) == 831
    assert len(load_local_trust(tmp_path)) == 0
    with pytest.raises(TrustStoreError, match="name a kid or a source"):
        remove_from_local_trust(home=tmp_path)


def test_kid_spellings() -> None:
    kid = bytes.fromhex("fbb80f68048e0096")
    for text in ("+7gPaASOAJY=", "+7gPaASOAJY", "-7gPaASOAJY=", "-7gPaASOAJY", "FBB80F68048E0096"):
        assert kid_matches(kid, text), text
    assert not kid_matches(kid, "AAAAAAAAAAA=")


@pytest.mark.parametrize("content", ["{", '{"format": "other"}', "[]"])
def test_damaged_index(tmp_path: Path, content: str) -> None:
    (tmp_path / "trust").mkdir()
    (tmp_path / "trust" / local.INDEX_NAME).write_text(content)
    with pytest.raises(TrustStoreError, match="add the sources again"):
        load_local_trust(tmp_path)
