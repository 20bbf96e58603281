"""``TrustStore.from_paths``: what ``--trust`` accepts, as one trust store a library can use."""

from __future__ import annotations

import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.codec import b64, jws
from healthcert.errors import TrustStoreError
from healthcert.keys.kid import kid_of
from healthcert.report import ErrorCode
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify_payload

from . import pki

SHC_EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"
ISSUER_DIR = SHC_EXAMPLES / "issuer"
JWKS_PATH = ISSUER_DIR / ".well-known" / "jwks.json"
ISS = "https://spec.smarthealth.cards/examples/issuer"
PLAIN_KID = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
X5C_KID = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"
INSIDE = datetime(2023, 7, 1, tzinfo=UTC)  # within the example cards' validity


def _card() -> str:
    return (SHC_EXAMPLES / "example-00-d-jws.txt").read_text(encoding="utf-8").strip()


def test_no_sources_is_an_empty_store_not_the_local_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHCERT_HOME", str(tmp_path))
    store = TrustStore.from_paths([])
    assert len(store) == 0 and store.anchors == () and not store


def test_certificate_files_and_a_csca_that_refuses_a_dsc_it_did_not_sign(tmp_path: Path) -> None:
    germany = pki.csca("DE")
    signed, stranger = pki.dsc(germany), pki.dsc(pki.csca("DE"))
    files = []
    for name, cert in (
        ("signed.pem", signed.certificate),
        ("stranger.pem", stranger.certificate),
        ("csca.pem", germany.certificate),  # last: it still applies to the DSCs before it
    ):
        (tmp_path / name).write_bytes(pki.pem(cert))
        files.append(tmp_path / name)
    store = TrustStore.from_paths(files)
    assert [key.kid for key in store] == [kid_of(signed.certificate)]
    assert store.cscas_for("de") == (germany.certificate,)
    assert [skipped.reason for skipped in store.skipped] == ["not signed by any trusted CSCA of DE"]
    # A directory of the same files is the same store; str and Path are both paths.
    assert [key.kid for key in TrustStore.from_paths([str(tmp_path)])] == [
        kid_of(signed.certificate)
    ]


def test_an_issuer_bound_jwks_trusts_its_keys_for_that_issuer_only() -> None:
    store = TrustStore.from_paths([f"{ISS}={JWKS_PATH}"])
    assert {(b64.urlsafe_encode(key.kid), key.issuer_url) for key in store} == {
        (PLAIN_KID, ISS),
        (X5C_KID, ISS),
    }
    report = verify_payload(_card(), context(store, INSIDE))
    assert report.valid, report.to_dict()
    assert report.checks["signature"] is True

    elsewhere = TrustStore.from_paths([f"{ISS}/other={JWKS_PATH}"])
    report = verify_payload(_card(), context(elsewhere, INSIDE))
    assert report.error_codes == [ErrorCode.ISSUER_UNKNOWN]


def test_a_jwks_without_an_issuer_is_no_issuer_binding() -> None:
    store = TrustStore.from_paths([JWKS_PATH])
    assert {key.issuer_url for key in store} == {None}
    report = verify_payload(_card(), context(store, INSIDE))
    assert report.error_codes == [ErrorCode.ISSUER_UNKNOWN]


def test_bound_keys_are_checked_as_the_command_checks_them(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    good: dict[str, object] = {**jws.public_jwk(key.public_key()), "use": "sig", "alg": "ES256"}
    good["kid"] = jws.jwk_thumbprint(good)
    wrong_kid = {**good, "kid": PLAIN_KID}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [wrong_kid, good]}))
    store = TrustStore.from_paths([f"https://issuer.example/shc={path}"])
    assert [b64.urlsafe_encode(key.kid) for key in store] == [good["kid"]]
    (skipped,) = store.skipped
    assert skipped.source == str(path)
    assert "RFC 7638 thumbprint" in skipped.reason and PLAIN_KID in skipped.reason


def test_a_vci_directory_snapshot_binds_each_issuer(tmp_path: Path) -> None:
    keys = json.loads(JWKS_PATH.read_text())["keys"]
    snapshot = tmp_path / "vci-issuers.json"
    snapshot.write_text(json.dumps({"issuerInfo": [{"issuer": {"iss": ISS}, "keys": keys}]}))
    store = TrustStore.from_paths([snapshot])
    assert {key.issuer_url for key in store} == {ISS} and len(store) == 2
    assert verify_payload(_card(), context(store, INSIDE)).valid


def test_an_issuer_with_revocation_lists_is_refused_not_trusted_without_them(
    tmp_path: Path,
) -> None:
    with pytest.raises(
        TrustStoreError, match=f"{re.escape(ISS)}: revocation lists .*load_verifier_trust"
    ):
        TrustStore.from_paths([f"{ISS}={ISSUER_DIR}"])
    # The same issuer directory without its CRLs is its keys.
    bare = tmp_path / "issuer"
    shutil.copytree(ISSUER_DIR, bare)
    shutil.rmtree(bare / ".well-known" / "crl")
    assert len(TrustStore.from_paths([f"{ISS}={bare}"])) == 2


def test_a_source_that_cannot_be_read_names_itself(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match=r"absent\.pem"):
        TrustStore.from_paths([tmp_path / "absent.pem"])
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(TrustStoreError, match=r"garbage\.pem: not a certificate"):
        TrustStore.from_paths([garbage])
    with pytest.raises(TrustStoreError, match=r"absent\.json"):
        TrustStore.from_paths([f"{ISS}={tmp_path / 'absent.json'}"])
