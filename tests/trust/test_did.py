"""WHO GDHCN DID trust lists: written, read back, read as published (quirks), refused."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.codec import b64
from healthcert.codec.ecdsa import der_signature
from healthcert.errors import TrustStoreError
from healthcert.keys.kid import kid_of
from healthcert.keys.material import CertifiedKey
from healthcert.trust.certificates import parse_der
from healthcert.trust.did import (
    country_of_participant,
    entry_path,
    import_did_document,
    is_did_document,
)
from healthcert.trust.did_proof import ProofError, verify_proof
from healthcert.trust.did_write import (
    DidEntry,
    participant_code,
    select_entries,
    trustlist_did,
    write_did_document,
)
from healthcert.trust.store import TrustStore, load_trust

from . import pki

HOST = "gateway.healthcert.test"
DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"


def _world() -> dict[str, Any]:
    de_csca, fr_csca = pki.csca("DE"), pki.csca("FR")
    return {
        "de_csca": de_csca,
        "fr_csca": fr_csca,
        "de_dsc": pki.dsc(de_csca),
        "fr_dsc": pki.dsc(fr_csca),
        "signer": pki.csca("XA"),  # the gateway's list signer; any certified key does
    }


def _entries(world: dict[str, Any]) -> list[DidEntry]:
    return [
        DidEntry(world["de_csca"].certificate, "DE", "SCA"),
        DidEntry(world["de_dsc"].certificate, "DE", "DSC", issuer=world["de_csca"].certificate),
        DidEntry(world["fr_csca"].certificate, "FR", "SCA"),
        DidEntry(world["fr_dsc"].certificate, "FR", "DSC", issuer=world["fr_csca"].certificate),
    ]


def _write(world: dict[str, Any], entries: list[DidEntry] | None = None) -> dict[str, Any]:
    signer: CertifiedKey = world["signer"]
    return write_did_document(
        _entries(world) if entries is None else entries,
        domain="DCC",
        participant="-",
        usage="-",
        did_id=trustlist_did(HOST, "DCC", "-", "-"),
        signer_key=signer.private_key,
        signer_certificate=signer.certificate,
        nonce="n-1",
    )


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    return _world()


# -- writing, then reading back ------------------------------------------------------------------


def test_round_trip_keys_anchors_and_proof(world: dict[str, Any]) -> None:
    document = _write(world)
    assert document["id"] == "did:web:gateway.healthcert.test:v2:trustlist:DCC:-:-"
    ids = [method["id"] for method in document["verificationMethod"]]
    de_kid = base64.b64encode(kid_of(world["de_dsc"].certificate)).decode()
    fragment = de_kid.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    assert ids[1] == f"did:web:gateway.healthcert.test:v2:trustlist:DCC:DEU:DSC#{fragment}"
    assert document["verificationMethod"][2]["participant"] == {"code": "#FRA"}
    assert document["proof"]["jws"].split(".")[1] == ""  # detached
    header = json.loads(b64.urlsafe_decode(document["proof"]["jws"].split(".")[0]))
    assert header == {"alg": "ES256", "b64": False, "crit": ["b64"]}

    batch = import_did_document(document, "did.json", signers=[world["signer"].certificate])
    assert batch.notes[0].reason == "proof checked (ES256)"
    assert sorted(anchor.country for anchor in batch.anchors) == ["DE", "FR"]
    assert {(key.kid, key.country) for key in batch.keys} == {
        (kid_of(world["de_dsc"].certificate), "DE"),
        (kid_of(world["fr_dsc"].certificate), "FR"),
    }
    store = TrustStore()
    result = store.add_batch(batch, source="did.json")
    assert (result.added, result.anchors, result.skipped) == (2, 2, ())
    assert result.notes[0].reason == "proof checked (ES256)"


def test_json_file_through_the_store(world: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "did.json"
    path.write_text(json.dumps(_write(world)))
    store = load_trust([path], did_signers=[world["signer"].certificate])
    assert len(store) == 2 and len(store.cscas_for("de")) == 1
    unchecked = load_trust([path])
    assert len(unchecked) == 2  # read all the same, with the proof unchecked


def test_unchecked_proof_is_said(world: dict[str, Any]) -> None:
    batch = import_did_document(_write(world), "did.json")
    assert batch.notes[0].reason == "proof not checked (a proof, and no list signer given)"
    del_proof = {k: v for k, v in _write(world).items() if k != "proof"}
    batch = import_did_document(del_proof, "did.json")
    assert batch.notes[0].reason == "proof not checked (no proof, and no list signer given)"


def test_rsa_signer_and_rsa_entries() -> None:
    key = pki.rsa_key()
    signer = CertifiedKey(key, pki.build(pki.Spec(country="XA", ca=True), key))
    dsc_key = pki.rsa_key()
    authority = pki.csca("DE")
    dsc = pki.build(pki.Spec(key_cert_sign=False), dsc_key, authority)
    document = write_did_document(
        [DidEntry(dsc, "DE", "DSC")],
        domain="DCC",
        participant="DEU",
        usage="DSC",
        did_id=trustlist_did(HOST, "DCC", "DEU", "DSC"),
        signer_key=signer.private_key,
        signer_certificate=signer.certificate,
    )
    assert document["verificationMethod"][0]["publicKeyJwk"]["kty"] == "RSA"
    batch = import_did_document(document, "did.json", signers=[signer.certificate])
    assert batch.notes[0].reason == "proof checked (PS256)"
    assert [key.kid for key in batch.keys] == [kid_of(dsc)]


def test_signer_certificate_must_match_key(world: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="not for the signer key"):
        write_did_document(
            [],
            domain="DCC",
            participant="-",
            usage="-",
            did_id="did:web:x",
            signer_key=pki.ec_key(),
            signer_certificate=world["signer"].certificate,
        )


# -- the gateway's filter ------------------------------------------------------------------------


def test_select_entries_wildcards(world: dict[str, Any]) -> None:
    entries = _entries(world)
    assert len(select_entries(entries, domain="-", participant="-", usage="-")) == 4
    assert select_entries(entries, domain="DCC", participant="DEU", usage="DSC") == [entries[1]]
    assert select_entries(entries, domain="DCC", participant="de", usage="-") == entries[:2]
    assert select_entries(entries, domain="-", participant="-", usage="SCA") == [
        entries[0],
        entries[2],
    ]
    assert select_entries(entries, domain="IPS", participant="-", usage="-") == []
    with pytest.raises(ValueError, match="unknown participant"):
        select_entries(entries, domain="-", participant="QQQ", usage="-")
    with pytest.raises(ValueError, match="unknown key usage"):
        select_entries(entries, domain="-", participant="-", usage="SIGN")


def test_country_codes() -> None:
    assert [participant_code(c) for c in ("DE", "FR", "AE", "JM", "XA", "XK")] == [
        "DEU",
        "FRA",
        "ARE",
        "JAM",
        "XXA",
        "RKS",  # Doc 9303's code: Kosovo has no ISO 3166 one
    ]
    assert [country_of_participant(c) for c in ("DEU", "ARE", "JAM", "XXB", "fra", "NL")] == [
        "DE",
        "AE",
        "JM",
        "XB",
        "FR",
        "NL",
    ]
    assert country_of_participant("QQQ") is None
    path = entry_path("did:web:tng-cdn.example:v2:trustlist:DCC:XXA:DSC#abc%2B%3D")
    assert (path.domain, path.participant, path.usage, path.fragment) == (
        "DCC",
        "XXA",
        "DSC",
        "abc+=",
    )
    assert entry_path("did:web:h:v2:trustlist:-:-:SCA").domain is None


# -- as the WHO network publishes them: the reference's shape and its quirks ----------------------


def _published(world: dict[str, Any]) -> dict[str, Any]:
    """A list in the shape of the reference: entries without kid in the JWK, codes as ``#X``,
    and the proof's ES256 signature DER-encoded, as published lists carry it."""
    document = _write(world)
    for method in document["verificationMethod"]:
        method["publicKeyJwk"].pop("kid")
    document = _resign(document, world["signer"])
    header_b64, _, signature_b64 = document["proof"]["jws"].split(".")
    der = der_signature(b64.urlsafe_decode(signature_b64), 32)
    document["proof"]["jws"] = f"{header_b64}..{b64.urlsafe_encode(der)}"
    return document


def test_der_signature_in_the_proof_is_tolerated(world: dict[str, Any]) -> None:
    document = _published(world)
    assert len(b64.urlsafe_decode(document["proof"]["jws"].split(".")[2])) in range(68, 73)
    assert is_did_document(document)
    batch = import_did_document(document, "did.json", signers=[world["signer"].certificate])
    assert batch.notes[0].reason == (
        "proof checked (ES256); its signature is DER, not r||s (tolerated)"
    )
    assert len(batch.keys) == 2 and not batch.skipped  # kids from the ids' fragments


def _with_leading_zero(jwk: dict[str, Any], name: str) -> None:
    jwk[name] = b64.urlsafe_encode(b"\0" + b64.urlsafe_decode(jwk[name]))


def test_33_byte_coordinates_are_read(world: dict[str, Any]) -> None:
    document = _write(world)
    jwk = document["verificationMethod"][1]["publicKeyJwk"]
    _with_leading_zero(jwk, "x")
    _with_leading_zero(jwk, "y")
    assert len(b64.urlsafe_decode(jwk["x"])) == 33
    # The proof covers the coordinates as written: re-sign as the publisher did.
    document = _resign(document, world["signer"])
    batch = import_did_document(document, "did.json", signers=[world["signer"].certificate])
    [de_key] = [key for key in batch.keys if key.country == "DE"]
    assert de_key.public_key.public_numbers() == (
        world["de_dsc"].certificate.public_key().public_numbers()
    )


def _resign(document: dict[str, Any], signer: CertifiedKey) -> dict[str, Any]:
    from healthcert.trust.did_proof import sign_proof

    body = {k: v for k, v in document.items() if k != "proof"}
    method = document["proof"]["verificationMethod"]
    return {**body, "proof": sign_proof(body, signer.private_key, verification_method=method)}


def test_real_certificates_from_a_national_list(world: dict[str, Any]) -> None:
    """Real DSCs and CSCAs (the German national mirror of the EU list) in the DID form read
    back to the same trusted keys as the EU list itself gives."""
    mirror = json.loads(DE_LIST.read_text())["certificates"]
    countries = {"NL", "AT", "FR"}
    chosen = [e for e in mirror if e["country"] in countries][:60]
    entries = []
    for entry in chosen:
        cert = parse_der(base64.b64decode(entry["rawData"]))
        usage = "SCA" if entry["certificateType"] == "CSCA" else entry["certificateType"]
        entries.append(DidEntry(cert, entry["country"], usage))
    document = _published_from(world, entries)
    did_store = TrustStore()
    did_store.add_batch(
        import_did_document(document, "did.json", signers=[world["signer"].certificate])
    )
    eu_store = TrustStore()
    from healthcert.trust.eulist import import_eu_list

    eu_store.add_batch(import_eu_list(chosen, "eu.json"))
    assert len(eu_store) > 10
    assert {(k.kid, k.country) for k in did_store} == {(k.kid, k.country) for k in eu_store}


def _published_from(world: dict[str, Any], entries: list[DidEntry]) -> dict[str, Any]:
    return _write(world, entries)


# -- refusals ------------------------------------------------------------------------------------


def test_tampered_document_is_refused(world: dict[str, Any]) -> None:
    document = _write(world)
    tampered = copy.deepcopy(document)
    tampered["verificationMethod"].pop(0)  # drop the German CSCA
    with pytest.raises(TrustStoreError, match="does not verify with the given signing key"):
        import_did_document(tampered, "did.json", signers=[world["signer"].certificate])
    tampered = copy.deepcopy(document)
    tampered["proof"]["created"] = "2030-01-01T00:00:00Z"
    with pytest.raises(TrustStoreError, match="does not verify"):
        import_did_document(tampered, "did.json", signers=[world["signer"].certificate])


def test_every_signature_byte_matters(world: dict[str, Any]) -> None:
    document = _write(world)
    header_b64, _, signature_b64 = document["proof"]["jws"].split(".")
    signature = b64.urlsafe_decode(signature_b64)
    for position in range(len(signature)):
        flipped = bytearray(signature)
        flipped[position] ^= 0x01
        document["proof"]["jws"] = f"{header_b64}..{b64.urlsafe_encode(bytes(flipped))}"
        with pytest.raises(ProofError):
            verify_proof(document, [world["signer"].certificate])


def test_wrong_signer_is_refused(world: dict[str, Any]) -> None:
    other = pki.csca("XB")
    with pytest.raises(TrustStoreError, match="does not verify with the given signing key"):
        import_did_document(_write(world), "did.json", signers=[other.certificate])
    public_only: list[Any] = [world["signer"].certificate.public_key()]
    assert (
        import_did_document(_write(world), "d", signers=public_only)
        .notes[0]
        .reason.startswith("proof checked")
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("proof"), "has no proof"),
        (lambda d: d["proof"].update(type="Ed25519Signature2020"), "not JsonWebSignature2020"),
        (lambda d: d["proof"].update(jws="abc"), "not a JWS of three parts"),
        (lambda d: d["proof"].update(jws="e30.cGF5bG9hZA.c2ln"), "carries its payload"),
        (
            lambda d: d["proof"].update(jws="eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2V9..AAAA"),
            "without naming it in crit",
        ),
        (lambda d: d["proof"].update(jws="!!..AAAA"), "JWS header"),
    ],
)
def test_broken_proofs_are_refused_when_checked(
    world: dict[str, Any], change: Any, message: str
) -> None:
    document = _write(world)
    change(document)
    with pytest.raises(TrustStoreError, match=message):
        import_did_document(document, "did.json", signers=[world["signer"].certificate])


def test_unreadable_entries_are_skipped_with_a_reason(world: dict[str, Any]) -> None:
    document = _write(world)
    methods = document["verificationMethod"]
    bad = [copy.deepcopy(methods[1]) for _ in range(8)]
    bad[0].pop("publicKeyJwk")
    bad[1]["publicKeyJwk"]["x5c"] = ["not base64!"]
    bad[2]["publicKeyJwk"]["crv"] = "secp256k1"
    bad[3]["participant"] = {"code": "#QQQ"}
    bad[3]["id"] = bad[3]["id"].replace(":DEU:", ":QQQ:")
    bad[4]["publicKeyJwk"]["x5c"] = [methods[3]["publicKeyJwk"]["x5c"][0]]  # the French DSC
    bad[5]["publicKeyJwk"]["kid"] = base64.b64encode(b"12345678").decode()
    bad[6]["publicKeyJwk"]["x5c"][1] = methods[2]["publicKeyJwk"]["x5c"][0]  # the wrong CA
    bad[7]["participant"] = {"code": "#FRA"}
    bad[7]["id"] = bad[7]["id"].replace(":DEU:", ":FRA:")
    document["verificationMethod"] = [*bad, "did:web:elsewhere"]
    batch = import_did_document(document, "did.json")
    reasons = [skipped.reason for skipped in batch.skipped]
    assert reasons == [
        "no publicKeyJwk",
        "x5c holds a certificate that is not base64",
        "invalid EC key: unsupported curve 'secp256k1'",
        "participant 'QQQ' is no ISO 3166 country code",
        "the x5c certificate is for another key than the JWK",
        reasons[5],
        "x5c[0] is not signed by the CA certificate x5c[1] given with it",
        "listed for FR but the certificate's subject says DE",
        "entry is not a JSON object",
    ]
    assert reasons[5].startswith("listed kid MTIzNDU2Nzg= differs from the certificate's")
    assert batch.keys == []


def test_dsc_not_signed_by_the_listed_csca_is_dropped(world: dict[str, Any]) -> None:
    rogue = pki.dsc(pki.csca("DE"))  # a German DSC from a CSCA the list does not trust
    entries = [*_entries(world), DidEntry(rogue.certificate, "DE", "DSC")]
    store = TrustStore()
    result = store.add_batch(import_did_document(_write(world, entries), "did.json"))
    assert result.added == 2
    [skipped] = result.skipped
    assert skipped.reason == "not signed by any trusted CSCA of DE"


def test_other_usages_are_ignored_and_refs_refused(world: dict[str, Any]) -> None:
    upload = DidEntry(world["de_dsc"].certificate, "DE", "UP")
    batch = import_did_document(_write(world, [upload]), "did.json")
    assert (batch.ignored, batch.keys, batch.skipped) == (1, [], [])
    refs = {"id": "did:web:h:v2:trustlist-ref:DCC", "verificationMethod": ["did:web:h:a"]}
    with pytest.raises(TrustStoreError, match="trustlist-ref document lists DIDs"):
        import_did_document(refs, "refs.json")


def test_bare_key_without_certificate(world: dict[str, Any]) -> None:
    document = _write(world, [DidEntry(world["fr_dsc"].certificate, "FR", "DSC")])
    document["verificationMethod"][0]["publicKeyJwk"].pop("x5c")
    [key] = import_did_document(document, "did.json").keys
    assert key.kid == kid_of(world["fr_dsc"].certificate) and key.certificate is None
    assert isinstance(key.public_key, ec.EllipticCurvePublicKey) and key.country == "FR"
    assert isinstance(world["fr_dsc"].certificate, x509.Certificate)


# -- the command line ----------------------------------------------------------------------------


def test_verify_with_a_did_list_and_trust_add(
    world: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from healthcert.cli import app
    from healthcert.keys.home import HOME_ENV
    from healthcert.keys.signer import signer_from

    from .test_csca_as_dsc import vaccination, verify

    did_path = tmp_path / "did.json"
    did_path.write_text(json.dumps(_published(world)))
    hc1 = vaccination(signer_from(world["de_dsc"]))
    report = verify(hc1, did_path)
    assert report["valid"] is True and report["issuer"]["country"] == "DE"
    stranger = vaccination(signer_from(pki.dsc(pki.csca("DE"))))
    assert [e["code"] for e in verify(stranger, did_path)["errors"]] == ["KID_UNKNOWN"]

    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    runner = CliRunner()
    signer_pem = tmp_path / "signer.pem"
    signer_pem.write_bytes(pki.pem(world["signer"].certificate))
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(pki.pem(pki.csca("XB").certificate))
    checked = ["verify", "--json", "--trust", str(did_path), "--at", "2026-01-02T12:00:00Z"]
    result = runner.invoke(app, [*checked, "--did-signer", str(signer_pem), hc1])
    assert result.exit_code == 0 and json.loads(result.stdout)["valid"] is True, result.output
    result = runner.invoke(app, [*checked, "--did-signer", str(other_pem), hc1])
    assert result.exit_code == 3 and "refused: the proof's signature does not verify" in " ".join(
        result.stderr.split()
    )
    added = runner.invoke(
        app, ["trust", "add", "--json", "--did-signer", str(signer_pem), str(did_path)]
    )
    assert added.exit_code == 0, added.output
    result = json.loads(added.stdout)
    assert (result["added"], result["anchors"]) == (2, 2)
    assert result["notes"] == [
        {
            "entry": "did.json",
            "note": "proof checked (ES256); its signature is DER, not r||s (tolerated)",
        }
    ]
    plain = runner.invoke(app, ["trust", "add", str(did_path)])
    assert "note did.json: proof not checked (a proof, and no list signer given)" in " ".join(
        plain.stdout.split()
    )
    refused = runner.invoke(app, ["trust", "add", "--did-signer", str(other_pem), str(did_path)])
    assert refused.exit_code == 3, refused.output
    assert "refused: the proof's signature does not verify" in " ".join(refused.output.split())
    assert "Traceback" not in refused.output


def test_the_reference_example_is_read_and_its_placeholders_refused() -> None:
    path = Path(__file__).parents[1] / "data" / "trustlists" / "who-did-reference-shape.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert is_did_document(document)
    batch = import_did_document(document, "reference.json")
    assert batch.notes[0].reason == "proof not checked (a proof, and no list signer given)"
    assert (batch.keys, batch.anchors, batch.ignored) == ([], [], 0)
    [skipped] = batch.skipped
    assert skipped.source == "reference.json [0] DSC#<kid>"
    assert skipped.reason == "x5c holds a certificate that is not base64"
    with pytest.raises(TrustStoreError, match="proof's signature: not base64url"):
        import_did_document(document, "reference.json", signers=[pki.csca("XA").certificate])
    store = load_trust([path])
    assert len(store) == 0 and [s.reason for s in store.skipped] == [skipped.reason]
