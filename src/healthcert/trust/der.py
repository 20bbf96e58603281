"""Tolerant reading of the few X.509 fields a verifier needs, from DER that strict parsers refuse.

Real trust lists carry signer certificates whose encoding breaks a DER rule (a BasicConstraints
that spells out its DEFAULT ``cA FALSE``, a pathLenConstraint beside ``cA FALSE``, a non-minimal
INTEGER, an explicit default version). A verifier needs only the public key, the validity, the
extended key usage, the names and the issuer's signature over the TBSCertificate: this module
walks the DER for those, accepting BER-isms that change no value, and names each rule broken so
the operator sees it. The TBSCertificate is kept exactly as given: the issuer signed those bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

_SEQUENCE, _SET, _INTEGER, _BOOLEAN = 0x30, 0x31, 0x02, 0x01
_BIT_STRING, _OCTET_STRING, _OID = 0x03, 0x04, 0x06
_UTC_TIME, _GENERALIZED_TIME = 0x17, 0x18
_VERSION, _ISSUER_UID, _SUBJECT_UID, _EXTENSIONS = 0xA0, 0x81, 0x82, 0xA3

_BASIC_CONSTRAINTS, _KEY_USAGE, _EKU = "2.5.29.19", "2.5.29.15", "2.5.29.37"
_EXTENSION_NAMES = {
    _BASIC_CONSTRAINTS: "BasicConstraints",
    _KEY_USAGE: "KeyUsage",
    _EKU: "ExtendedKeyUsage",
}
_KEY_USAGE_DIGITAL_SIGNATURE, _KEY_USAGE_CERT_SIGN = 0, 5

_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "ascii",  # PrintableString
    0x16: "ascii",  # IA5String
    0x14: "latin-1",  # TeletexString, as every real issuer uses it
    0x1E: "utf-16-be",  # BMPString
    0x1C: "utf-32-be",  # UniversalString
}

_SHA1, _SHA256, _SHA384, _SHA512 = hashes.SHA1(), hashes.SHA256(), hashes.SHA384(), hashes.SHA512()
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "1.3.14.3.2.26": _SHA1,
    "2.16.840.1.101.3.4.2.1": _SHA256,
    "2.16.840.1.101.3.4.2.2": _SHA384,
    "2.16.840.1.101.3.4.2.3": _SHA512,
}
_ECDSA: dict[str, hashes.HashAlgorithm] = {
    "1.2.840.10045.4.3.2": _SHA256,
    "1.2.840.10045.4.3.3": _SHA384,
    "1.2.840.10045.4.3.4": _SHA512,
}
_RSA_PKCS1: dict[str, hashes.HashAlgorithm] = {
    "1.2.840.113549.1.1.11": _SHA256,
    "1.2.840.113549.1.1.12": _SHA384,
    "1.2.840.113549.1.1.13": _SHA512,
}
_RSA_PSS = "1.2.840.113549.1.1.10"

SignatureParameters = ec.ECDSA | padding.PKCS1v15 | padding.PSS


class DerError(ValueError):
    """The bytes are not a certificate even for a tolerant reader; the message says where."""


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """How the issuer signed: what ``verify`` of the issuer's public key needs."""

    parameters: SignatureParameters
    digest: hashes.HashAlgorithm


@dataclass(frozen=True, slots=True)
class LooseCertificate:
    """The fields of a certificate a verifier uses, and the DER rules its encoding broke."""

    tbs: bytes  # the TBSCertificate exactly as given, tag and length included
    signature: bytes
    scheme: SignatureScheme | None  # None: an algorithm this reader does not know
    issuer: bytes  # the issuer Name, as encoded
    subject: x509.Name
    subject_der: bytes
    not_before: datetime
    not_after: datetime
    spki: bytes
    eku: tuple[str, ...] | None  # dotted OIDs; None without the extension
    is_ca: bool
    key_usage: frozenset[int] | None  # KeyUsage bits set; None without the extension
    defects: tuple[str, ...]

    @property
    def may_sign_certificates(self) -> bool | None:
        return None if self.key_usage is None else _KEY_USAGE_CERT_SIGN in self.key_usage

    @property
    def may_sign_documents(self) -> bool | None:
        return None if self.key_usage is None else _KEY_USAGE_DIGITAL_SIGNATURE in self.key_usage


@dataclass(frozen=True, slots=True)
class _Node:
    tag: int
    start: int  # offset of the tag
    body: int  # offset of the contents
    end: int


class _Reader:
    """A cursor over ``data`` that records every DER rule the encoding breaks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.defects: list[str] = []

    def defect(self, text: str) -> None:
        if text not in self.defects:
            self.defects.append(text)

    def node(self, offset: int, limit: int) -> _Node:
        data = self.data
        if offset + 2 > limit:
            raise DerError(f"truncated element at byte {offset}")
        tag, first = data[offset], data[offset + 1]
        if tag & 0x1F == 0x1F:
            raise DerError(f"multi-byte tag at byte {offset}")
        body = offset + 2
        if first & 0x80:
            count = first & 0x7F
            if count == 0:
                raise DerError(f"indefinite length at byte {offset}")
            if count > 4 or body + count > limit:
                raise DerError(f"impossible length at byte {offset}")
            length = int.from_bytes(data[body : body + count], "big")
            if length < 0x80 or data[body] == 0:
                self.defect("a length in non-minimal form")
            body += count
        else:
            length = first
        if body + length > limit:
            raise DerError(f"element at byte {offset} runs past its container")
        return _Node(tag, offset, body, body + length)

    def children(self, parent: _Node) -> list[_Node]:
        found, offset = [], parent.body
        while offset < parent.end:
            child = self.node(offset, parent.end)
            found.append(child)
            offset = child.end
        return found

    def only(self, parent: _Node, what: str) -> _Node:
        """The one element inside an explicitly tagged field."""
        found = self.children(parent)
        if len(found) != 1:
            raise DerError(f"{what}: {len(found)} elements where one belongs")
        return found[0]

    def expect(self, node: _Node, tag: int, what: str) -> _Node:
        if node.tag != tag:
            raise DerError(f"{what}: tag 0x{node.tag:02x} where 0x{tag:02x} belongs")
        return node

    def content(self, node: _Node) -> bytes:
        return self.data[node.body : node.end]

    def raw(self, node: _Node) -> bytes:
        return self.data[node.start : node.end]

    def integer(self, node: _Node, what: str) -> int:
        value = self.content(self.expect(node, _INTEGER, what))
        if not value:
            raise DerError(f"{what}: empty INTEGER")
        if len(value) > 1 and (
            (value[0] == 0 and value[1] < 0x80) or (value[0] == 0xFF and value[1] >= 0x80)
        ):
            self.defect(f"{what} is a non-minimal INTEGER")
        return int.from_bytes(value, "big", signed=True)

    def boolean(self, node: _Node, what: str) -> bool:
        value = self.content(self.expect(node, _BOOLEAN, what))
        if len(value) != 1:
            raise DerError(f"{what}: BOOLEAN of {len(value)} bytes")
        if value[0] not in (0x00, 0xFF):
            self.defect(f"{what} is a BOOLEAN that is neither 00 nor FF")
        return value[0] != 0

    def oid(self, node: _Node, what: str) -> str:
        return _dotted(self.content(self.expect(node, _OID, what)), what)


def read_certificate(data: bytes) -> LooseCertificate:
    """The verifier's fields of the certificate ``data``; DerError when it cannot be read."""
    try:
        return _certificate(_Reader(data))
    except DerError:
        raise
    except (ValueError, IndexError) as error:  # a structure of the wrong shape somewhere
        raise DerError(f"malformed certificate ({error})") from error


def _certificate(reader: _Reader) -> LooseCertificate:
    data = reader.data
    outer = reader.expect(reader.node(0, len(data)), _SEQUENCE, "Certificate")
    if outer.end != len(data):
        raise DerError("bytes after the certificate")
    parts = reader.children(outer)
    if len(parts) != 3:
        raise DerError(f"Certificate has {len(parts)} parts, not 3")
    tbs, algorithm, signature = parts
    bits = reader.content(reader.expect(signature, _BIT_STRING, "signatureValue"))
    if not bits or bits[0] != 0:
        raise DerError("signatureValue is not a whole number of bytes")
    scheme = _scheme(reader, reader.expect(algorithm, _SEQUENCE, "signatureAlgorithm"))
    items = reader.children(reader.expect(tbs, _SEQUENCE, "TBSCertificate"))
    if items and items[0].tag == _VERSION:
        _version(reader, items.pop(0))
    if len(items) < 6:
        raise DerError("TBSCertificate lacks fields")
    serial, _, issuer, validity, subject, spki = items[:6]
    reader.integer(serial, "serialNumber")
    not_before, not_after = _validity(reader, reader.expect(validity, _SEQUENCE, "validity"))
    eku, is_ca, key_usage = _extensions(reader, items[6:])
    return LooseCertificate(
        tbs=reader.raw(tbs),
        signature=bits[1:],
        scheme=scheme,
        issuer=reader.raw(reader.expect(issuer, _SEQUENCE, "issuer")),
        subject=_name(reader, reader.expect(subject, _SEQUENCE, "subject")),
        subject_der=reader.raw(subject),
        not_before=not_before,
        not_after=not_after,
        spki=reader.raw(reader.expect(spki, _SEQUENCE, "subjectPublicKeyInfo")),
        eku=eku,
        is_ca=is_ca,
        key_usage=key_usage,
        defects=tuple(reader.defects),
    )


def _version(reader: _Reader, node: _Node) -> None:
    version = reader.integer(reader.only(node, "version"), "version")
    if version == 0:
        reader.defect("the DEFAULT version v1 is encoded explicitly")
    elif version not in (1, 2):
        raise DerError(f"unknown version {version}")


def _validity(reader: _Reader, node: _Node) -> tuple[datetime, datetime]:
    times = reader.children(node)
    if len(times) != 2:
        raise DerError("validity is not two times")
    return _time(reader, times[0]), _time(reader, times[1])


def _time(reader: _Reader, node: _Node) -> datetime:
    text = reader.content(node).decode("ascii", "replace")
    if node.tag == _UTC_TIME:
        formats = ("%y%m%d%H%M%SZ", "%y%m%d%H%MZ")
    elif node.tag == _GENERALIZED_TIME:
        formats = ("%Y%m%d%H%M%SZ", "%Y%m%d%H%MZ")
    else:
        raise DerError(f"validity time of tag 0x{node.tag:02x}")
    for number, layout in enumerate(formats):
        try:
            when = datetime.strptime(text, layout).replace(tzinfo=UTC)
        except ValueError:
            continue
        if number:
            reader.defect("a validity time without seconds")
        # strptime's %y pivots at 69; RFC 5280 pivots UTCTime at 50.
        if node.tag == _UTC_TIME and when.year >= 2050:
            when = when.replace(year=when.year - 100)
        return when
    raise DerError(f"unreadable validity time {text!r}")


def _name(reader: _Reader, node: _Node) -> x509.Name:
    rdns = []
    for rdn in reader.children(node):
        attributes = []
        for pair in reader.children(reader.expect(rdn, _SET, "RelativeDistinguishedName")):
            kind, value = reader.children(reader.expect(pair, _SEQUENCE, "AttributeTypeAndValue"))
            oid = x509.ObjectIdentifier(reader.oid(kind, "attribute type"))
            attributes.append(_attribute(oid, value.tag, reader.content(value)))
        if attributes:
            rdns.append(x509.RelativeDistinguishedName(attributes))
    return x509.Name(rdns)


def _attribute(oid: x509.ObjectIdentifier, tag: int, value: bytes) -> x509.NameAttribute[str]:
    codec = _STRING_CODECS.get(tag)
    if codec is None:
        raise DerError(f"name attribute {oid.dotted_string} of tag 0x{tag:02x}")
    try:
        text = value.decode(codec)
        return x509.NameAttribute(oid, text)
    except ValueError as error:
        raise DerError(f"name attribute {oid.dotted_string}: {error}") from error


_ExtensionFacts = tuple[tuple[str, ...] | None, bool, frozenset[int] | None]


def _extensions(reader: _Reader, rest: list[_Node]) -> _ExtensionFacts:
    found: dict[str, bytes] = {}
    for node in rest:
        if node.tag in (_ISSUER_UID, _SUBJECT_UID):
            continue
        reader.expect(node, _EXTENSIONS, "extensions")
        listing = reader.only(node, "extensions")
        for extension in reader.children(reader.expect(listing, _SEQUENCE, "Extensions")):
            oid, value = _extension(reader, extension)
            if oid in _EXTENSION_NAMES and oid in found:
                raise DerError(f"{_EXTENSION_NAMES[oid]} appears twice")
            found[oid] = value
    return (
        _eku(reader, found[_EKU]) if _EKU in found else None,
        _is_ca(reader, found[_BASIC_CONSTRAINTS]) if _BASIC_CONSTRAINTS in found else False,
        _key_usage(reader, found[_KEY_USAGE]) if _KEY_USAGE in found else None,
    )


def _extension(reader: _Reader, node: _Node) -> tuple[str, bytes]:
    parts = reader.children(reader.expect(node, _SEQUENCE, "Extension"))
    if len(parts) not in (2, 3):
        raise DerError("an Extension of neither two nor three parts")
    oid = reader.oid(parts[0], "extension")
    label = _EXTENSION_NAMES.get(oid, f"extension {oid}")
    if len(parts) == 3 and not reader.boolean(parts[1], f"{label} critical"):
        reader.defect(f"{label} encodes its DEFAULT critical FALSE explicitly")
    return oid, reader.content(reader.expect(parts[-1], _OCTET_STRING, label))


def _inner(reader: _Reader, value: bytes, tag: int, what: str) -> tuple[_Reader, _Node]:
    """The single element inside an extension's OCTET STRING, read with its own cursor."""
    inner = _Reader(value)
    node = inner.expect(inner.node(0, len(value)), tag, what)
    if node.end != len(value):
        raise DerError(f"{what}: bytes after the value")
    inner.defects = reader.defects  # one list: every broken rule is named once
    return inner, node


def _is_ca(reader: _Reader, value: bytes) -> bool:
    inner, node = _inner(reader, value, _SEQUENCE, "BasicConstraints")
    parts = inner.children(node)
    ca = False
    if parts and parts[0].tag == _BOOLEAN:
        ca = inner.boolean(parts.pop(0), "BasicConstraints cA")
        if not ca:
            inner.defect("BasicConstraints encodes its DEFAULT cA FALSE explicitly")
    if parts:
        inner.integer(parts.pop(0), "BasicConstraints pathLenConstraint")
        if not ca:
            inner.defect("BasicConstraints has a pathLenConstraint with cA FALSE")
    if parts:
        raise DerError("BasicConstraints has more than two fields")
    return ca


def _key_usage(reader: _Reader, value: bytes) -> frozenset[int]:
    inner, node = _inner(reader, value, _BIT_STRING, "KeyUsage")
    bits = inner.content(node)
    if not bits or bits[0] > 7:
        raise DerError("KeyUsage is not a BIT STRING")
    body = bits[1:]
    return frozenset(
        index for index in range(len(body) * 8) if body[index // 8] & (0x80 >> (index % 8))
    )


def _eku(reader: _Reader, value: bytes) -> tuple[str, ...]:
    inner, node = _inner(reader, value, _SEQUENCE, "ExtendedKeyUsage")
    return tuple(inner.oid(child, "ExtendedKeyUsage") for child in inner.children(node))


def _scheme(reader: _Reader, node: _Node) -> SignatureScheme | None:
    parts = reader.children(node)
    if not parts:
        raise DerError("empty signatureAlgorithm")
    oid = reader.oid(parts[0], "signatureAlgorithm")
    if oid in _ECDSA:
        return SignatureScheme(ec.ECDSA(_ECDSA[oid]), _ECDSA[oid])
    if oid in _RSA_PKCS1:
        return SignatureScheme(padding.PKCS1v15(), _RSA_PKCS1[oid])
    if oid == _RSA_PSS and len(parts) == 2:
        return _pss(reader, reader.expect(parts[1], _SEQUENCE, "RSASSA-PSS parameters"))
    return None


def _pss(reader: _Reader, node: _Node) -> SignatureScheme | None:
    """RSASSA-PSS-params (RFC 4055): [0] hash, [1] MGF1 with its hash, [2] salt length."""
    digest: hashes.HashAlgorithm | None = _SHA1
    mgf_digest: hashes.HashAlgorithm | None = _SHA1
    salt = 20
    for field in reader.children(node):
        inner = reader.only(field, "RSASSA-PSS parameter")
        if field.tag == 0xA0:
            digest = _HASHES.get(reader.oid(reader.children(inner)[0], "PSS hash"))
        elif field.tag == 0xA1:
            mgf = reader.children(inner)
            mgf_digest = _HASHES.get(reader.oid(reader.children(mgf[1])[0], "MGF1 hash"))
        elif field.tag == 0xA2:
            salt = reader.integer(inner, "PSS saltLength")
    if digest is None or mgf_digest is None:
        return None
    pss = padding.PSS(mgf=padding.MGF1(mgf_digest), salt_length=salt)
    return SignatureScheme(pss, digest)


def _dotted(value: bytes, what: str) -> str:
    if not value or value[-1] & 0x80:
        raise DerError(f"{what}: malformed OBJECT IDENTIFIER")
    numbers, current = [], 0
    for byte in value:
        current = (current << 7) | (byte & 0x7F)
        if not byte & 0x80:
            numbers.append(current)
            current = 0
    first = min(numbers[0] // 40, 2)
    return ".".join(str(n) for n in (first, numbers[0] - 40 * first, *numbers[1:]))
