"""Trust in SMART Health Card issuers: JWKS bound to an issuer URL, VCI directories, CRLs, x5c."""

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.codec import b64, jws
from healthcert.errors import TrustStoreError
from healthcert.formats.shc import issuers as shc_issuers
from healthcert.formats.shc import x5c
from healthcert.formats.shc.issuers import ShcIssuers

EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"
ISSUER_DIR = EXAMPLES / "issuer"
JWKS_PATH = ISSUER_DIR / ".well-known" / "jwks.json"
ISS = "https://spec.smarthealth.cards/examples/issuer"
PLAIN_KID = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
X5C_KID = "EBKOr72QQDcTBUuVzAzkfBTGew0ZA16GuWty64nS-sw"


def _jwks() -> dict[str, list[dict[str, object]]]:
    document: dict[str, list[dict[str, object]]] = json.loads(JWKS_PATH.read_text())
    return document


def _jwk_of(key: ec.EllipticCurvePrivateKey) -> dict[str, object]:
    jwk: dict[str, object] = {**jws.public_jwk(key.public_key()), "use": "sig", "alg": "ES256"}
    jwk["kid"] = jws.jwk_thumbprint(jwk)
    return jwk


def test_issuer_directory_binding_reads_keys_and_crls() -> None:
    issuers = shc_issuers.load_issuer_binding(f"{ISS}={ISSUER_DIR}")
    issuer = issuers.issuer(ISS)
    assert issuer is not None
    assert set(issuer.keys) == {PLAIN_KID, X5C_KID}
    assert issuer.keys[PLAIN_KID].crl_version == 1
    assert len(issuer.keys[X5C_KID].x5c) == 3
    crl = issuer.crls[PLAIN_KID]
    assert crl.ctr == 1
    assert crl.rids == {
        "vwAjHdarZuc": 1687450765.0,
        "FKDIxsTCGlU": None,
        "XkNHp2Iyk0Y": 1687450765.0,
        "TqB_qu_6OtM": None,
    }
    assert issuers.skipped == []


def test_jwks_file_binding_and_exact_issuer_match() -> None:
    issuers = shc_issuers.load_issuer_binding(f"{ISS}={JWKS_PATH}")
    assert ISS in issuers
    for near_miss in (ISS + "/", ISS.replace("https:", "http:"), ISS.upper()):
        assert issuers.issuer(near_miss) is None
    issuers.add_issuer(ISS, name="SMART examples", country="US")  # known after the keys
    trusted = issuers.trusted_keys()
    assert {(key.issuer_url, key.country, key.subject) for key in trusted} == {
        (ISS, "US", "SMART examples")
    }
    assert {key.kid for key in trusted} == {
        b64.urlsafe_decode(PLAIN_KID),
        b64.urlsafe_decode(X5C_KID),
    }


def test_revocation_by_rid_with_and_without_timestamp() -> None:
    crl = shc_issuers.RevocationList("k", "rid", 1, {"always": None, "before": 1000.0})
    assert crl.revokes("always", 5000.0)
    assert crl.revokes("before", 999.5)
    assert not crl.revokes("before", 1000.0)
    assert not crl.revokes("other", 1.0)


def test_a_later_crl_replaces_an_earlier_one_and_bad_entries_are_skipped() -> None:
    issuers = ShcIssuers()
    issuers.add_crl(ISS, {"kid": "k", "method": "rid", "ctr": 2, "rids": ["a"]})
    issuers.add_crl(ISS, {"kid": "k", "method": "rid", "ctr": 1, "rids": ["b"]})
    issuers.add_crl(
        ISS, {"kid": "k", "method": "rid", "ctr": 3, "rids": ["c", "c.100", "bad rid", "d.x", 7]}
    )
    issuer = issuers.issuer(ISS)
    assert issuer is not None
    assert issuer.crls["k"].rids == {"c": None}
    assert len(issuers.skipped) == 3
    issuers.add_crl(ISS, {"kid": "k", "method": "hash-fhir", "ctr": 9, "rids": []})
    assert issuer.crls["k"].ctr == 3


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"kid": "not-the-thumbprint"}, "thumbprint"),
        ({"d": "secret"}, "private"),
        ({"alg": "ES384"}, "ES256"),
        ({"use": "enc"}, "ES256"),
        ({"crv": "P-384"}, "P-256"),
        ({"crlVersion": 0}, "crlVersion"),
        ({"x5c": "not-a-list"}, "x5c"),
    ],
)
def test_keys_breaking_the_framework_rules_are_skipped_with_a_reason(
    change: dict[str, object], reason: str
) -> None:
    good = _jwk_of(ec.generate_private_key(ec.SECP256R1()))
    issuers = ShcIssuers()
    issuers.add_jwks(ISS, {"keys": [{**good, **change}, good]})
    issuer = issuers.issuer(ISS)
    assert issuer is not None and list(issuer.keys) == [good["kid"]]
    assert len(issuers.skipped) == 1 and reason in issuers.skipped[0]


def test_vci_directory_snapshot() -> None:
    other = _jwk_of(ec.generate_private_key(ec.SECP256R1()))
    crl = json.loads(next((ISSUER_DIR / ".well-known" / "crl").glob("*.json")).read_text())
    document = {
        "issuerInfo": [
            {
                "issuer": {"iss": ISS, "name": "SMART Example"},
                "keys": _jwks()["keys"],
                "crls": [crl],
            },
            {"issuer": {"iss": "https://other.example/shc", "name": "Other"}, "keys": [other]},
            {"issuer": {"name": "no url"}, "keys": []},
        ]
    }
    assert shc_issuers.is_vci_directory(document)
    issuers = ShcIssuers()
    assert issuers.add_vci_directory(document) == 2
    example = issuers.issuer(ISS)
    assert example is not None and example.name == "SMART Example"
    assert PLAIN_KID in example.crls
    assert issuers.issuers_holding(str(other["kid"])) == ["https://other.example/shc"]
    assert len(issuers.skipped) == 1


def test_vci_directory_file(tmp_path: Path) -> None:
    path = tmp_path / "vci-issuers.json"
    path.write_text(json.dumps({"issuerInfo": [{"issuer": {"iss": ISS}, "keys": _jwks()["keys"]}]}))
    assert len(shc_issuers.load_vci_directory(path)) == 1


@pytest.mark.parametrize(
    "spec", ["jwks.json", "issuer.example=jwks.json", "https://issuer.example=", "ftp://x=y"]
)
def test_bindings_need_an_http_url_and_a_path(spec: str) -> None:
    assert not shc_issuers.is_issuer_binding(spec)
    with pytest.raises(TrustStoreError):
        shc_issuers.parse_issuer_binding(spec)


def test_binding_files_that_cannot_be_read_raise(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="No such file"):
        shc_issuers.load_issuer_binding(f"{ISS}={tmp_path / 'missing.json'}")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(TrustStoreError, match="not JSON"):
        shc_issuers.load_issuer_binding(f"{ISS}={tmp_path / 'bad.json'}")
    (tmp_path / "list.json").write_text("[]")
    with pytest.raises(TrustStoreError, match="keys"):
        shc_issuers.load_issuer_binding(f"{ISS}={tmp_path / 'list.json'}")
    with pytest.raises(TrustStoreError, match=r"jwks\.json"):
        shc_issuers.load_issuer_binding(f"{ISS}={tmp_path}")


def _x5c_key() -> shc_issuers.ShcKey:
    issuers = shc_issuers.load_issuer_binding(f"{ISS}={JWKS_PATH}")
    issuer = issuers.issuer(ISS)
    assert issuer is not None
    return issuer.keys[X5C_KID]


def test_x5c_is_ignored_unless_its_root_is_trusted() -> None:
    key = _x5c_key()
    clock = datetime(2021, 7, 1, tzinfo=UTC)
    assert not x5c.check_x5c(key, ISS, [], clock).checked
    assert not x5c.check_x5c(key, ISS, [_self_signed_ca()], clock).checked


def test_x5c_with_a_trusted_root_is_checked_at_the_clock() -> None:
    key = _x5c_key()
    root = _x5c_certificates(key)[-1]
    inside = x5c.check_x5c(key, ISS, [root], datetime(2021, 7, 1, tzinfo=UTC))
    assert inside.checked and inside.problem is None
    # The example leaf expired on 2022-06-01, a year before the example cards were signed.
    after = x5c.check_x5c(key, ISS, [root], datetime(2023, 7, 1, tzinfo=UTC))
    assert after.checked and after.problem is not None and "not valid" in after.problem


def test_x5c_leaf_must_name_the_issuer_and_hold_the_key() -> None:
    key = _x5c_key()
    root = _x5c_certificates(key)[-1]
    clock = datetime(2021, 7, 1, tzinfo=UTC)
    other_issuer = x5c.check_x5c(key, "https://elsewhere.example", [root], clock)
    assert other_issuer.problem is not None and "does not name" in other_issuer.problem
    swapped = dataclasses.replace(
        key, public_key=ec.generate_private_key(ec.SECP256R1()).public_key()
    )
    assert "another key" in str(x5c.check_x5c(swapped, ISS, [root], clock).problem)


def _x5c_certificates(key: shc_issuers.ShcKey) -> list[x509.Certificate]:
    return [x509.load_der_x509_certificate(der) for der in key.x5c]


def _self_signed_ca() -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "Other root")])
    now = datetime(2021, 1, 1, tzinfo=UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
