"""Sealed certificates ``HCS1:``: only the destination's border key opens them, the signature
inside is verified after opening, and a report that could not open one tells nothing."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pytest
import segno

from healthcert.codec import base45, qr
from healthcert.errors import RequestError
from healthcert.formats import cwt
from healthcert.formats.eu_dcc import payload as eu_dcc_payload
from healthcert.formats.sealed import payload as sealed
from healthcert.issuance import issue_health_code
from healthcert.keys.border import BORDER_OID, border_kid, border_public_key, create_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.eku import kinds_from_certificate
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import signer_from
from healthcert.report import Report
from healthcert.trust.certificates import import_certificates
from healthcert.trust.store import TrustStore
from healthcert.verification import context, verify, verify_payload

from ..rules.certs import (
    CLOCK,
    KEYS_MADE,
    Issuer,
    lab_test,
    make_issuer,
    recovery,
    vaccination,
)
from . import test_health_code as hcd

# What a report may never show of a certificate it could not open: the holder and the entry.
SECRETS = ("WANG", "XIAOMING", "1985-07-21", "王", "EU/1/20/1528", "URN:UVCI", "E12345678")
# A phone shows a version 25 code (117 modules) at a size a scanner reads.
MAX_QR_VERSION = 25


@cache
def _border(country: str) -> CertifiedKey:
    return create_border_key(create_csca(country, now=KEYS_MADE), now=KEYS_MADE)


@cache
def _issuer() -> Issuer:
    return make_issuer("DE")


def _seal_to(payload: str, country: str = "CN") -> str:
    return sealed.seal(payload, border_public_key(_border(country).certificate))


def _open(text: str, *keys: str, clock: datetime = CLOCK) -> Report:
    unseal = [_border(country).private_key for country in keys]
    return verify_payload(text, context(_issuer().trust, clock, unseal_keys=unseal))


def _holder_free(report: Report) -> None:
    document = json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in document
    assert report.certificate is None and report.issuer == {"country": None, "kid": None}


def test_opened_with_its_key_it_is_the_inner_certificate_plus_sealed() -> None:
    plain = _issuer().issue(vaccination())
    text = _seal_to(plain)
    assert text.startswith("HCS1:")
    report = _open(text, "CN")
    bare = _issuer().verify(plain)
    assert (report.valid, report.format, report.errors) == (True, "eu-dcc", [])
    assert report.checks == {**bare.checks, "sealed": True}
    assert report.certificate == bare.certificate
    assert report.issuer == bare.issuer
    # Another country's key among those given is no obstacle: the kid picks the right one.
    assert _open(text, "DE", "CN").valid


@pytest.mark.parametrize("keys", [(), ("DE",), ("DE", "FR")])
def test_without_its_key_it_is_sealed_and_says_nothing(keys: tuple[str, ...]) -> None:
    report = _open(_seal_to(_issuer().issue(vaccination())), *keys)
    assert report.valid is False
    assert report.error_codes == ["SEALED"]
    assert report.checks["sealed"] is False and report.format == "sealed"
    expected = "than those given" if keys else "give it to open the certificate"
    assert expected in report.errors[0].message
    _holder_free(report)


def test_the_whole_json_of_a_refused_seal() -> None:
    text = _seal_to(_issuer().issue(vaccination()))
    document = _open(text).to_dict()
    kid = border_kid(border_public_key(_border("CN").certificate)).hex()
    assert document["valid"] is False
    assert document["format"] == "sealed"
    assert document["errors"] == [
        {
            "code": "SEALED",
            "message": f"sealed for a border key (kid {kid}): give it to open the certificate",
        }
    ]
    assert document["certificate"] is None
    assert document["issuer"] == {"country": None, "kid": None}
    assert set(document) <= {
        "input",
        "format",
        "valid",
        "checks",
        "errors",
        "issuer",
        "payload",
        "certificate",
    }
    assert document["checks"]["sealed"] is False


def test_the_signature_inside_is_verified_after_opening() -> None:
    # Sealed by someone holding the border certificate, but signed by a DSC nobody trusts.
    stranger = make_issuer("DE").issue(vaccination())
    report = _open(_seal_to(stranger), "CN")
    assert report.valid is False and report.error_codes == ["KID_UNKNOWN"]
    assert report.checks["sealed"] is True
    expired = _open(
        _seal_to(_issuer().issue(vaccination())), "CN", clock=CLOCK + timedelta(days=60)
    )
    assert expired.error_codes == ["EXPIRED"] and expired.checks["sealed"] is True


def test_every_changed_character_is_refused() -> None:
    text = _seal_to(_issuer().issue(vaccination()))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
    body_start = len(sealed.PREFIX)
    for position in range(body_start, len(text)):
        other = alphabet[(alphabet.index(text[position]) + 1) % len(alphabet)]
        changed = text[:position] + other + text[position + 1 :]
        report = _open(changed, "CN")
        assert report.valid is False, position
        assert report.error_codes[0] in {
            "SEALED",
            "BASE45_INVALID",
            "COSE_INVALID",
            "CBOR_INVALID",
        }, (position, report.errors)
        _holder_free(report)


def test_every_changed_byte_is_refused() -> None:
    text = _seal_to(_issuer().issue(vaccination()))
    data = base45.decode(text[len(sealed.PREFIX) :])
    for position in range(len(data)):
        for flip in (0x01, 0x80):
            changed = bytearray(data)
            changed[position] ^= flip
            report = _open(sealed.PREFIX + base45.encode(bytes(changed)), "CN")
            assert report.valid is False, (position, flip)
            assert report.checks.get("sealed") is not True
            _holder_free(report)


def test_lookalike_encodings_are_refused() -> None:
    """A label or crv written as true, or an integer written long, would decode to the same
    key in Python: the reader takes only the encoding healthcert writes."""
    data = base45.decode(_seal_to(_issuer().issue(vaccination()))[len(sealed.PREFIX) :])
    ephemeral_head = b"\xa4\x01\x02\x20\x01"  # {1: 2, -1: 1, ...
    assert data.count(ephemeral_head) == 1
    for lookalike in (b"\xa4\x01\x02\x20\xf5", b"\xa4\xf5\x02\x20\x01"):  # true for 1
        changed = data.replace(ephemeral_head, lookalike)
        assert _open(sealed.PREFIX + base45.encode(changed), "CN").error_codes == ["COSE_INVALID"]
    iv_head = b"\xa1\x05\x4c"  # {5: 12 bytes
    assert data.count(iv_head) == 1
    long_int = data.replace(iv_head, b"\xa1\x18\x05\x4c")
    assert _open(sealed.PREFIX + base45.encode(long_int), "CN").error_codes == ["COSE_INVALID"]


def test_the_envelope_is_rfc_9052_cose_encrypt() -> None:
    text = _seal_to(_issuer().issue(vaccination()))
    item = cbor2.loads(base45.decode(text[len(sealed.PREFIX) :]))
    assert item.tag == 96
    protected, unprotected, ciphertext, recipients = item.value
    assert cbor2.loads(protected) == {1: 3, -65537: "HC1:"}
    assert list(unprotected) == [5] and len(unprotected[5]) == 12
    [[r_protected, r_unprotected, r_ciphertext]] = recipients
    assert cbor2.loads(r_protected) == {1: -25}
    assert r_ciphertext == b""
    key = r_unprotected[-1]
    assert (key[1], key[-1], len(key[-2]), len(key[-3])) == (2, 1, 32, 32)
    assert r_unprotected[4] == border_kid(border_public_key(_border("CN").certificate))
    # A GCM tag's 16 bytes beyond the compressed COSE_Sign1.
    inner = base45.decode(_issuer().issue(vaccination())[4:])
    assert len(ciphertext) - 16 in range(len(inner) - 8, len(inner) + 8)


def test_decryption_matches_an_independent_kdf() -> None:
    """The content key as RFC 9053 derives it, computed here from its definition."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    plain = _issuer().issue(vaccination())
    text = _seal_to(plain)
    protected, unprotected, ciphertext, [[r_protected, r_unprotected, _]] = cbor2.loads(
        base45.decode(text[5:])
    ).value
    key = r_unprotected[-1]
    point = b"\x04" + key[-2] + key[-3]
    ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    secret = _border("CN").private_key.exchange(ec.ECDH(), ephemeral)
    info = cbor2.dumps([3, [None, None, None], [None, None, None], [256, r_protected]])
    content_key = HKDF(hashes.SHA256(), 32, salt=None, info=info).derive(secret)
    aad = cbor2.dumps(["Encrypt", protected, b""])
    opened = AESGCM(content_key).decrypt(unprotected[5], ciphertext, aad)
    assert opened == base45.decode(plain[4:])


def test_health_codes_are_sealed_too() -> None:
    code = issue_health_code(hcd.health_code(), hcd.signer(), hcd.ISSUED)
    text = _seal_to(code)
    clock = hcd.ISSUED + timedelta(hours=1)
    report = verify_payload(
        text, context(hcd.trust(), clock, unseal_keys=[_border("CN").private_key])
    )
    assert (report.valid, report.format, report.checks["sealed"]) == (True, "health-code", True)
    refused = verify_payload(text, context(hcd.trust(), clock))
    assert refused.error_codes == ["SEALED"]
    _holder_free(refused)
    assert "verdict" not in refused.to_dict() or refused.to_dict()["verdict"] is None


def test_only_cwt_payloads_are_sealed() -> None:
    with pytest.raises(RequestError, match="only eu-dcc and health-code payloads"):
        _seal_to("shc:/5676290952432060346029243740")
    with pytest.raises(RequestError, match="not a payload to seal"):
        _seal_to("HC1:!!")


def test_the_library_verify_takes_unseal_keys() -> None:
    text = _seal_to(_issuer().issue(vaccination()))
    keys = [_border("CN").private_key]
    assert verify(text, trust=_issuer().trust, at=CLOCK, unseal_keys=keys).valid
    assert verify(text, trust=_issuer().trust, at=CLOCK).error_codes == ["SEALED"]


# -- the border key ------------------------------------------------------------------------------


def test_the_border_key_is_no_dsc() -> None:
    border = _border("CN")
    certificate = border.certificate
    assert kinds_from_certificate(certificate) == frozenset()
    usage = certificate.extensions.get_extension_for_class(
        __import__("cryptography").x509.KeyUsage
    ).value
    assert usage.key_agreement and not usage.digital_signature
    assert BORDER_OID.startswith("2.25.")
    # Trusted as if it were a DSC, what it signs is still refused for its key usage.
    store = TrustStore()
    store.add_batch(import_certificates(qr_pem(certificate), "border-CN.pem"))
    # Issuance refuses the border key as a signer; signed below issuance, it still fails.
    with pytest.raises(RequestError, match="may not sign vaccination"):
        Issuer("CN", signer_from(border), store, b"").issue(vaccination())
    _, claims = cwt.open_envelope(_issuer().issue(vaccination()), "HC1:", "EU DCC", ())
    forged = eu_dcc_payload.encode(
        claims[-260][1],
        issuer_country="CN",
        issued_at=CLOCK - timedelta(hours=1),
        expires=CLOCK + timedelta(days=1),
        signer=signer_from(border),
    )
    report = verify_payload(forged, context(store, CLOCK))
    assert report.valid is False and report.error_codes == ["KEY_USAGE_MISMATCH"]
    assert report.checks["key_usage"] is False and report.checks["signature"] is True


def qr_pem(certificate: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    pem: bytes = certificate.public_bytes(Encoding.PEM)
    return pem


def test_a_border_certificate_is_required_to_seal(tmp_path: Path) -> None:
    from healthcert.errors import KeyStoreError
    from healthcert.keys.border import load_recipient
    from healthcert.keys.keyfile import write_certificate

    with pytest.raises(KeyStoreError, match="not a border key certificate"):
        border_public_key(create_csca("CN", now=KEYS_MADE).certificate)
    path = tmp_path / "border-CN.pem"
    write_certificate(path, _border("CN").certificate)
    assert load_recipient(path, KEYS_MADE + timedelta(days=1)) is not None
    with pytest.raises(KeyStoreError, match="valid from 2026-01-01 to 2028-01-01, not now"):
        load_recipient(path, KEYS_MADE + timedelta(days=800))


# -- fitting a phone's QR code ------------------------------------------------------------------


def _kinds() -> dict[str, str]:
    today = CLOCK.date()
    return {
        "vaccination": _issuer().issue(vaccination()),
        "test": _issuer().issue(lab_test()),
        "recovery": _issuer().issue(
            recovery(
                first_positive=today - timedelta(days=20),
                valid_from=today - timedelta(days=9),
                valid_until=today + timedelta(days=150),
            )
        ),
        "health code": issue_health_code(hcd.health_code(), hcd.signer(), hcd.ISSUED),
    }


def test_sealed_sizes_and_qr_versions(capsys: pytest.CaptureFixture[str]) -> None:
    lines = []
    for kind, plain in _kinds().items():
        text = _seal_to(plain)
        level = qr.default_error_level(text)
        version = segno.make_qr(text, error=level.lower(), boost_error=False).version
        bare = segno.make_qr(plain, error=qr.default_error_level(plain).lower()).version
        lines.append(
            f"{kind}: {len(plain)} -> {len(text)} characters sealed, QR version {bare} -> "
            f"{version} (level {level})"
        )
        assert version <= MAX_QR_VERSION, lines[-1]
        assert len(text) < len(plain) + 240  # the envelope's ~150 bytes, in Base45
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert date.today() is not None


def test_a_batch_gives_the_reports_one_by_one_gives() -> None:
    from healthcert.verification import verify_payloads

    plain = [_issuer().issue(vaccination(days_before=days)) for days in (10, 20, 30)]
    texts = [_seal_to(p) for p in plain] + [_seal_to(plain[0], "DE"), "HCS1:!!"]
    ctx = context(_issuer().trust, CLOCK, unseal_keys=[_border("CN").private_key])
    batch = verify_payloads([(text, None) for text in texts], ctx)
    single = [verify_payload(text, ctx) for text in texts]
    assert [r.to_dict() for r in batch] == [r.to_dict() for r in single]
    assert [r.valid for r in batch] == [True, True, True, False, False]
    assert [r.error_codes for r in batch[3:]] == [["SEALED"], ["BASE45_INVALID"]]


def test_the_fast_reader_and_the_general_one_agree() -> None:
    from healthcert.codec import cose_encrypt

    texts = [_seal_to(p) for p in _kinds().values()]
    for text in texts:
        data = base45.decode(text[len(sealed.PREFIX) :])
        fast, general = cose_encrypt._common_shape(data), cose_encrypt._decode_general(data)
        assert fast is not None
        for field in ("protected_raw", "protected", "iv", "ciphertext", "kid"):
            assert getattr(fast, field) == getattr(general, field)
        assert fast.recipient_protected_raw == general.recipient_protected_raw
        numbers = fast.ephemeral_key.public_numbers()
        assert numbers == general.ephemeral_key.public_numbers()
        # Any byte changed: the fast reader either reads the same shape (and then the general
        # one reads it alike) or leaves it to the general one.
        for position in range(len(data)):
            changed = bytearray(data)
            changed[position] ^= 0x01
            try:
                expected = cose_encrypt._decode_general(bytes(changed))
            except cose_encrypt.EncryptError:
                expected = None
            got = cose_encrypt._common_shape(bytes(changed))
            if got is not None:
                assert expected is not None, position
                assert (got.iv, got.ciphertext, got.kid, got.protected) == (
                    expected.iv,
                    expected.ciphertext,
                    expected.kid,
                    expected.protected,
                )
