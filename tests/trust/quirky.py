"""Signer certificates whose DER breaks a rule, as some national lists publish them.

Each starts as a sound DSC built with cryptography; its TBSCertificate is then taken apart as a
tree of TLVs, changed by hand, encoded again and signed with the CSCA's real key, so the
certificate is as genuine as its issuer's signature makes it, and only its encoding is off.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from healthcert.keys.kid import kid_of_der
from healthcert.keys.material import CertifiedKey, PrivateKey
from healthcert.keys.signer import Signer, signer_from

from . import pki

_BASIC_CONSTRAINTS = bytes.fromhex("551d13")


@dataclass
class Tlv:
    """One DER element: a constructed one holds its children, a primitive one its bytes."""

    tag: int
    value: bytes | list[Tlv]
    # A length written in this many bytes of long form, even where fewer would do.
    long_length: int | None = None


def parse(data: bytes) -> Tlv:
    node, end = _parse_at(data, 0)
    assert end == len(data)
    return node


def _parse_at(data: bytes, offset: int) -> tuple[Tlv, int]:
    tag, first = data[offset], data[offset + 1]
    body = offset + 2
    length, long_length = first, None
    if first & 0x80:
        count = first & 0x7F
        length = int.from_bytes(data[body : body + count], "big")
        body += count
        if _length(length, None) != data[offset + 1 : body]:
            long_length = count  # kept, so that encoding gives back the same bytes
    content = data[body : body + length]
    if not tag & 0x20:
        return Tlv(tag, content, long_length), body + length
    children, position = [], 0
    while position < len(content):
        child, position = _parse_at(content, position)
        children.append(child)
    return Tlv(tag, children, long_length), body + length


def encode(node: Tlv) -> bytes:
    content = node.value if isinstance(node.value, bytes) else b"".join(map(encode, node.value))
    return bytes([node.tag]) + _length(len(content), node.long_length) + content


def _length(length: int, long_length: int | None) -> bytes:
    if long_length is None and length < 0x80:
        return bytes([length])
    size = long_length or (length.bit_length() + 7) // 8
    return bytes([0x80 | size]) + length.to_bytes(size, "big")


def children(node: Tlv) -> list[Tlv]:
    assert isinstance(node.value, list)
    return node.value


@dataclass
class Quirky:
    """A DSC rebuilt with a quirk, the private key of the DSC, and the DER as published."""

    der: bytes
    private_key: PrivateKey
    normal: CertifiedKey

    @property
    def kid(self) -> bytes:
        return kid_of_der(self.der)

    def signer(self) -> Signer:
        """Signs payloads with the DSC's key, under the kid of the quirky certificate."""
        return dataclasses.replace(signer_from(self.normal), kid=self.kid)


Quirk = Callable[[Tlv], None]


def rebuild(
    normal: CertifiedKey,
    quirk: Quirk,
    issuer_key: PrivateKey,
    *,
    rsa_padding: padding.PSS | padding.PKCS1v15 | None = None,
) -> Quirky:
    """``normal`` with ``quirk`` applied to its TBSCertificate, signed by ``issuer_key``."""
    outer = parse(pki.der(normal.certificate))
    tbs, algorithm, _ = children(outer)
    quirk(tbs)
    signed = encode(tbs)
    signature = sign_tbs(issuer_key, signed, rsa_padding)
    der = encode(Tlv(0x30, [tbs, algorithm, Tlv(0x03, b"\x00" + signature)]))
    assert der.find(signed) in (2, 3, 4)  # what was signed is the TBS exactly as published
    return Quirky(der, normal.private_key, normal)


def with_signature(der: bytes, signature: bytes) -> bytes:
    """The certificate ``der`` with another signatureValue, every other byte as it was."""
    outer = parse(der)
    children(outer)[2] = Tlv(0x03, b"\x00" + signature)
    return encode(outer)


def sign_tbs(
    key: PrivateKey, data: bytes, rsa_padding: padding.PSS | padding.PKCS1v15 | None
) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(hashes.SHA256()))
    assert isinstance(key, rsa.RSAPrivateKey)
    return key.sign(data, rsa_padding or padding.PKCS1v15(), hashes.SHA256())


# -- the quirks ---------------------------------------------------------------------------------


def _basic_constraints(tbs: Tlv) -> Tlv:
    """The extnValue OCTET STRING of the BasicConstraints extension."""
    extensions = children(children(children(tbs)[-1])[0])
    for extension in extensions:
        parts = children(extension)
        if parts[0].value == _BASIC_CONSTRAINTS:
            return parts[-1]
    raise AssertionError("the DSC has no BasicConstraints")


def explicit_ca_false(tbs: Tlv) -> None:
    """BasicConstraints { cA FALSE }: the DEFAULT spelled out, as some Finnish DSCs have it."""
    _basic_constraints(tbs).value = encode(Tlv(0x30, [Tlv(0x01, b"\x00")]))


def path_length_without_ca(tbs: Tlv) -> None:
    """BasicConstraints { pathLenConstraint 0 } beside the default cA FALSE (a Spanish DSC)."""
    _basic_constraints(tbs).value = encode(Tlv(0x30, [Tlv(0x02, b"\x00")]))


def explicit_ca_false_with_path_length(tbs: Tlv) -> None:
    """Both at once: BasicConstraints { cA FALSE, pathLenConstraint 0 }."""
    value = Tlv(0x30, [Tlv(0x01, b"\x00"), Tlv(0x02, b"\x00")])
    _basic_constraints(tbs).value = encode(value)


def non_minimal_serial(tbs: Tlv) -> None:
    """The serial number INTEGER with a superfluous leading zero byte."""
    serial = children(tbs)[1]
    assert isinstance(serial.value, bytes) and serial.tag == 0x02
    serial.value = b"\x00" + serial.value


def explicit_v1(tbs: Tlv) -> None:
    """A v1 certificate that writes its DEFAULT version 0 (and so carries no extensions)."""
    fields = children(tbs)
    fields[0] = Tlv(0xA0, [Tlv(0x02, b"\x00")])
    del fields[-1]


def long_form_length(tbs: Tlv) -> None:
    """The TBSCertificate's own length in four bytes where two would do."""
    tbs.long_length = 4


QUIRKS: dict[str, tuple[Quirk, str]] = {
    "explicit cA FALSE": (explicit_ca_false, "encodes its DEFAULT cA FALSE explicitly"),
    "pathLen without cA": (
        path_length_without_ca,
        "BasicConstraints has a pathLenConstraint with cA FALSE",
    ),
    "cA FALSE and pathLen": (
        explicit_ca_false_with_path_length,
        "encodes its DEFAULT cA FALSE explicitly; BasicConstraints has a pathLenConstraint",
    ),
    "non-minimal serial": (non_minimal_serial, "serialNumber is a non-minimal INTEGER"),
    "explicit v1": (explicit_v1, "the DEFAULT version v1 is encoded explicitly"),
    "long-form length": (long_form_length, "a length in non-minimal form"),
}


def issued_at(quirky: Quirky) -> datetime:
    """A moment inside the DSC's validity."""
    return quirky.normal.certificate.not_valid_before_utc + timedelta(hours=2)
