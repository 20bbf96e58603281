"""ECDSA signatures between DER (what OpenSSL signs and verifies) and r||s (what COSE and JOSE
carry), both ways, against cryptography's own DER codec."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec.ecdsa import der_signature, raw_signature

CURVES = [(ec.SECP256R1(), 32), (ec.SECP384R1(), 48), (ec.SECP521R1(), 66)]


@pytest.mark.parametrize(("curve", "size"), CURVES, ids=["P-256", "P-384", "P-521"])
def test_real_signatures_read_as_decode_dss_signature_reads_them(
    curve: ec.EllipticCurve, size: int
) -> None:
    key = ec.generate_private_key(curve)
    for index in range(200):  # enough for halves with leading zeros and high bits
        der = key.sign(index.to_bytes(4, "big"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        raw = raw_signature(der, size)
        assert raw == r.to_bytes(size, "big") + s.to_bytes(size, "big")
        assert der_signature(raw, size) == der


@settings(max_examples=300, deadline=None)
@given(
    size=st.sampled_from([32, 48, 66]),
    halves=st.binary(min_size=132, max_size=132),
    zeros=st.integers(0, 66),
)
def test_raw_signature_undoes_der_signature(size: int, halves: bytes, zeros: int) -> None:
    # Leading zero bytes and high bits are where DER integers differ from raw ones.
    raw = bytes(min(zeros, size)) + halves[: 2 * size - min(zeros, size)]
    der = der_signature(raw, size)
    assert der == encode_dss_signature(
        int.from_bytes(raw[:size], "big"), int.from_bytes(raw[size:], "big")
    )
    assert raw_signature(der, size) == raw


@pytest.mark.parametrize(
    "der",
    [
        b"",
        b"\x30",
        b"\x31\x06\x02\x01\x01\x02\x01\x01",  # a SET, not a SEQUENCE
        b"\x30\x07\x02\x01\x01\x02\x01\x01",  # the SEQUENCE's length is wrong
        b"\x30\x06\x04\x01\x01\x02\x01\x01",  # r is not an INTEGER
        b"\x30\x06\x02\x01\x01\x04\x01\x01",  # s is not an INTEGER
        b"\x30\x06\x02\x05\x01\x02\x01\x01",  # r runs past the end
        b"\x30\x07\x02\x01\x01\x02\x01\x01\x00",  # a byte after s
    ],
)
def test_what_is_not_an_ecdsa_signature_is_refused(der: bytes) -> None:
    with pytest.raises(ValueError, match="not a DER ECDSA signature"):
        raw_signature(der, 32)


def test_a_half_longer_than_the_curve_is_refused() -> None:
    der = encode_dss_signature(2**256, 1)
    with pytest.raises(ValueError, match="longer than the curve"):
        raw_signature(der, 32)
    assert raw_signature(der, 48) == (2**256).to_bytes(48, "big") + (1).to_bytes(48, "big")
