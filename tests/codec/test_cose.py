"""COSE_Sign1 on real keys: signing, every envelope the spec allows, and malformed structures.

The variants a verifier meets in the wild (untagged, CWT tag 61 around tag 18, kid in the
unprotected header) are built here by hand with cbor2, not with the code under test.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec import cose
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from

PAYLOAD = cbor2.dumps({1: "CN", 4: 1_900_000_000, 6: 1_800_000_000, -260: {1: {"ver": "1.3.0"}}})
DECODE_CODES = {"COSE_INVALID", "CBOR_INVALID"}


@cache
def signer(algorithm: str) -> Signer:
    csca = create_csca("CN")
    return signer_from(create_dsc(csca, algorithm="PS256" if algorithm == "PS256" else "ES256"))


def public_key(algorithm: str) -> Any:
    return signer(algorithm).certificate.public_key()


def signed_parts(
    algorithm: str, protected: dict[int, Any] | None = None, payload: bytes = PAYLOAD
) -> tuple[bytes, bytes, bytes]:
    """(protected header bytes, payload, signature), signed by hand."""
    key = signer(algorithm)
    header = protected if protected is not None else {1: cose.ALGORITHM_IDS[algorithm], 4: key.kid}
    protected_raw = cbor2.dumps(header)
    message = cbor2.dumps(["Signature1", protected_raw, b"", payload])
    return protected_raw, payload, key.sign(message)


def envelope(
    parts: tuple[bytes, bytes, bytes],
    unprotected: dict[int, Any] | None = None,
    tags: tuple[int, ...] = (18,),
) -> bytes:
    protected_raw, payload, signature = parts
    item: Any = [protected_raw, unprotected or {}, payload, signature]
    for tag in tags:
        item = cbor2.CBORTag(tag, item)
    return cbor2.dumps(item)


# -- round trips ------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_sign_verify_round_trip(algorithm: str) -> None:
    key = signer(algorithm)
    data = cose.sign(PAYLOAD, key)
    sign1 = cose.decode_sign1(data)
    assert sign1.payload == PAYLOAD
    assert sign1.kid == key.kid
    assert sign1.algorithm == cose.ALGORITHM_IDS[algorithm]
    assert cose.verify(sign1, public_key(algorithm))
    decoded = cbor2.loads(data)
    assert isinstance(decoded, cbor2.CBORTag) and decoded.tag == 18


def test_es256_signature_is_raw_r_and_s() -> None:
    sign1 = cose.decode_sign1(cose.sign(PAYLOAD, signer("ES256")))
    assert len(sign1.signature) == 64


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_another_key_of_the_same_type_does_not_verify(algorithm: str) -> None:
    sign1 = cose.decode_sign1(cose.sign(PAYLOAD, signer(algorithm)))
    other = signer_from(create_dsc(create_csca("DE"), algorithm=algorithm))  # type: ignore[arg-type]
    assert not cose.verify(sign1, other.certificate.public_key())  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
@pytest.mark.parametrize(
    "tags", [(18,), (), (18, 61)], ids=["tagged-18", "untagged", "tag-61-around-18"]
)
def test_envelopes_the_spec_allows(algorithm: str, tags: tuple[int, ...]) -> None:
    data = envelope(signed_parts(algorithm), tags=tags)
    sign1 = cose.decode_sign1(data)
    assert sign1.kid == signer(algorithm).kid
    assert sign1.payload == PAYLOAD
    assert cose.verify(sign1, public_key(algorithm))


@pytest.mark.parametrize("tags", [(98,), (17,), (61,) * 2, (18, 18), (61, 18)])
def test_other_tags_are_not_cose_sign1(tags: tuple[int, ...]) -> None:
    with pytest.raises(cose.CoseError) as caught:
        cose.decode_sign1(envelope(signed_parts("ES256"), tags=tags))
    assert caught.value.code == "COSE_INVALID"


def test_kid_in_the_unprotected_header() -> None:
    key = signer("ES256")
    parts = signed_parts("ES256", protected={1: cose.ES256})
    sign1 = cose.decode_sign1(envelope(parts, unprotected={4: key.kid}))
    assert sign1.kid == key.kid
    assert cose.verify(sign1, public_key("ES256"))


def test_protected_kid_wins_over_unprotected() -> None:
    key = signer("ES256")
    parts = signed_parts("ES256")
    sign1 = cose.decode_sign1(envelope(parts, unprotected={4: b"\x00" * 8}))
    assert sign1.kid == key.kid
    assert cose.verify(sign1, public_key("ES256"))


def test_kid_that_is_not_bytes_is_no_kid() -> None:
    parts = signed_parts("ES256", protected={1: cose.ES256, 4: "text-kid"})
    assert cose.decode_sign1(envelope(parts)).kid is None


def test_empty_protected_header_has_no_algorithm() -> None:
    _, payload, signature = signed_parts("ES256")
    sign1 = cose.decode_sign1(envelope((b"", payload, signature)))
    assert sign1.algorithm is None
    assert not cose.verify(sign1, public_key("ES256"))


# -- invalid signatures are False, never an exception -----------------------------------------


@pytest.mark.parametrize(("header_alg", "key_alg"), [("ES256", "PS256"), ("PS256", "ES256")])
def test_algorithm_that_does_not_fit_the_key_type(header_alg: str, key_alg: str) -> None:
    parts = signed_parts(key_alg, protected={1: cose.ALGORITHM_IDS[header_alg]})
    sign1 = cose.decode_sign1(envelope(parts))
    assert cose.verify(sign1, public_key(key_alg)) is False


@pytest.mark.parametrize("alg", [-8, -35, -36, -257, 0, "ES256", None])
def test_unsupported_algorithm_is_invalid(alg: Any) -> None:
    parts = signed_parts("ES256", protected={1: alg})
    assert cose.verify(cose.decode_sign1(envelope(parts)), public_key("ES256")) is False


def test_der_encoded_es256_signature_is_invalid_not_a_crash() -> None:
    protected_raw, payload, raw = signed_parts("ES256")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    assert len(der) >= 68
    sign1 = cose.decode_sign1(envelope((protected_raw, payload, der)))
    assert cose.verify(sign1, public_key("ES256")) is False


@pytest.mark.parametrize("length", [0, 1, 32, 63, 65, 96, 128, 512])
def test_es256_signature_of_the_wrong_length(length: int) -> None:
    protected_raw, payload, raw = signed_parts("ES256")
    signature = (raw * 10)[:length]
    sign1 = cose.decode_sign1(envelope((protected_raw, payload, signature)))
    assert cose.verify(sign1, public_key("ES256")) is False


@pytest.mark.parametrize("signature", [b"", b"\x00" * 384, b"\xff" * 384, b"\x01" * 10])
def test_ps256_garbage_signature(signature: bytes) -> None:
    protected_raw, payload, _ = signed_parts("PS256")
    sign1 = cose.decode_sign1(envelope((protected_raw, payload, signature)))
    assert cose.verify(sign1, public_key("PS256")) is False


def test_zero_and_out_of_range_scalars() -> None:
    protected_raw, payload, _ = signed_parts("ES256")
    for signature in (b"\x00" * 64, b"\xff" * 64):
        sign1 = cose.decode_sign1(envelope((protected_raw, payload, signature)))
        assert cose.verify(sign1, public_key("ES256")) is False


def test_es256_on_p384_needs_96_bytes() -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    protected_raw = cbor2.dumps({1: cose.ES256})
    message = cose.signed_bytes(protected_raw, PAYLOAD)
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(48, "big") + s.to_bytes(48, "big")
    sign1 = cose.decode_sign1(envelope((protected_raw, PAYLOAD, raw)))
    assert cose.verify(sign1, key.public_key())
    short = cose.decode_sign1(envelope((protected_raw, PAYLOAD, raw[:64])))
    assert not cose.verify(short, key.public_key())


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_tampered_parts_do_not_verify(algorithm: str) -> None:
    protected_raw, payload, signature = signed_parts(algorithm)
    key = public_key(algorithm)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    other_protected = cbor2.dumps({1: cose.ALGORITHM_IDS[algorithm], 4: b"12345678"})
    for parts in (
        (protected_raw, payload + b"\x00", signature),
        (protected_raw, payload[:-1], signature),
        (protected_raw, payload, flipped),
        (other_protected, payload, signature),
    ):
        assert not cose.verify(cose.decode_sign1(envelope(parts)), key)


def test_unprotected_header_is_not_signed() -> None:
    parts = signed_parts("ES256")
    sign1 = cose.decode_sign1(envelope(parts, unprotected={99: "anything", 4: b"x"}))
    assert cose.verify(sign1, public_key("ES256"))


# -- the signed structure ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [0, 1, 23, 24, 255, 256, 65535, 65536, 70000])
def test_sig_structure_is_the_cbor_rfc_9052_defines(length: int) -> None:
    payload = bytes(range(256)) * (length // 256) + bytes(length % 256)
    protected_raw = b"\xa1\x01\x26" * (length // 3 if length < 100 else 1)
    expected = cbor2.dumps(["Signature1", protected_raw, b"", payload])
    assert cose.signed_bytes(protected_raw, payload) == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=3000))
def test_sig_structure_property(protected_raw: bytes, payload: bytes) -> None:
    expected = cbor2.dumps(["Signature1", protected_raw, b"", payload])
    assert cose.signed_bytes(protected_raw, payload) == expected


# -- malformed structures: CoseError with a decode code ---------------------------------------


def _decode_error(data: bytes) -> str:
    with pytest.raises(cose.CoseError) as caught:
        cose.decode_sign1(data)
    assert caught.value.code in DECODE_CODES
    assert str(caught.value)
    return caught.value.code


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
@pytest.mark.parametrize("tags", [(18,), (), (18, 61)])
def test_every_truncation_is_a_decode_error(algorithm: str, tags: tuple[int, ...]) -> None:
    data = envelope(signed_parts(algorithm), tags=tags)
    for end in range(len(data)):
        assert _decode_error(data[:end]) == "CBOR_INVALID"


@pytest.mark.parametrize(
    "item",
    [
        [],
        [b"", {}, b""],
        [b"", {}, b"", b"", b""],
        {"a": 1},
        b"just bytes",
        "text",
        42,
        None,
        ["protected", {}, b"payload", b"signature"],
        [b"", [], b"payload", b"signature"],
        [b"", {}, "payload", b"signature"],
        [b"", {}, b"payload", None],
        [b"", None, b"payload", b"signature"],
        cbor2.CBORTag(18, [b"", {}, b"payload"]),
        cbor2.CBORTag(61, [b"", {}]),
        cbor2.CBORTag(61, cbor2.CBORTag(18, "x")),
    ],
)
def test_wrong_shapes_are_cose_invalid(item: Any) -> None:
    assert _decode_error(cbor2.dumps(item)) == "COSE_INVALID"


@pytest.mark.parametrize(
    "protected_raw",
    [
        b"\xa1\x01",  # a map with a key and no value
        b"\x82\x01\x26",  # an array, not a map
        b"\x26",  # an integer
        b"\xff",
        b"\xa2\x01\x26\x01\x38\x24",  # the algorithm twice
    ],
)
def test_bad_protected_header(protected_raw: bytes) -> None:
    _, payload, signature = signed_parts("ES256")
    assert _decode_error(envelope((protected_raw, payload, signature))) == "COSE_INVALID"


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff", b"\x1c", b"\x5f\x41", b"\xd8\x12", b"\x84" + b"\x40" * 3, b"\x9f\x40\x40"],
)
def test_not_cbor_at_all(data: bytes) -> None:
    assert _decode_error(data) == "CBOR_INVALID"


def test_nesting_deeper_than_the_limit() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = [deep]
    parts = signed_parts("ES256")
    assert _decode_error(envelope(parts, unprotected={7: deep})) == "CBOR_INVALID"


def test_duplicate_keys_in_the_unprotected_header() -> None:
    protected_raw, payload, signature = signed_parts("ES256")
    # [protected, {4: h'01', 4: h'02'}, payload, signature], encoded by hand.
    unprotected = b"\xa2\x04\x41\x01\x04\x41\x02"
    data = (
        b"\xd2\x84"
        + cbor2.dumps(protected_raw)
        + unprotected
        + cbor2.dumps(payload)
        + cbor2.dumps(signature)
    )
    assert _decode_error(data) == "CBOR_INVALID"


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_never_raise_anything_else(data: bytes) -> None:
    try:
        cose.decode_sign1(data)
    except cose.CoseError as error:
        assert error.code in DECODE_CODES


@pytest.mark.parametrize("algorithm", ["ES256", "PS256"])
def test_sign_writes_the_bytes_a_cbor_encoder_writes(algorithm: str) -> None:
    # sign() assembles the envelope by hand; it must be the canonical CBOR of the same structure.
    key = signer(algorithm)
    data = cose.sign(PAYLOAD, key)
    parts = cbor2.loads(data)
    assert parts.tag == cose.TAG_SIGN1
    protected_raw, unprotected, payload, signature = parts.value
    assert cbor2.loads(protected_raw) == {1: cose.ALGORITHM_IDS[algorithm], 4: key.kid}
    assert (unprotected, payload) == ({}, PAYLOAD)
    assert data == cbor2.dumps(cbor2.CBORTag(18, [protected_raw, {}, PAYLOAD, signature]))
