"""CMS SignedData (RFC 5652) over the exact content, as gateway clients send their uploads.

Signing uses ``cryptography``'s PKCS#7 builder (content embedded, signed attributes with the
signing time). Reading checks every part itself with asn1crypto: one signer, SHA-256, the
message digest over the embedded content, and the signature over the signed attributes made by
the certificate the signer names. Who that signer may be is the caller's question.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from healthcert.keys.material import CertifiedKey

# A DSC is about 1 KB, a revocation batch of 1,000 hashes about 40 KB: more is not an upload.
MAX_CMS_BYTES = 512 * 1024
_SET_OF_TAG = b"\x31"


class CmsError(ValueError):
    """The bytes are not a CMS SignedData we accept, or its signature does not hold."""


@dataclass(frozen=True, slots=True)
class SignedContent:
    """What a verified CMS SignedData carries: the content, its signer and signing time."""

    content: bytes
    signer: x509.Certificate
    signing_time: datetime | None
    digest: bytes  # SHA-256 of the whole CMS: an upload seen twice is a replay


def sign_cms(content: bytes, party: CertifiedKey) -> bytes:
    """``content`` embedded in a CMS SignedData signed by ``party`` (DER)."""
    key = party.private_key
    options = [pkcs7.PKCS7Options.Binary, pkcs7.PKCS7Options.NoCapabilities]
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
    builder = builder.add_signer(party.certificate, key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, options)


def read_cms(data: bytes) -> SignedContent:
    """The content of a CMS SignedData whose signature holds; CmsError says what fails."""
    if len(data) > MAX_CMS_BYTES:
        raise CmsError(f"larger than {MAX_CMS_BYTES} bytes")
    signed = _signed_data(data)
    content = _content(signed)
    signer_info = _only_signer(signed)
    attributes = _signed_attributes(signer_info, signed, content)
    certificate = _signer_certificate(signed, signer_info)
    _check_signature(certificate, signer_info, _SET_OF_TAG + attributes.dump()[1:])
    return SignedContent(
        content=content,
        signer=certificate,
        signing_time=_signing_time(attributes),
        digest=hashlib.sha256(data).digest(),
    )


def _signed_data(data: bytes) -> asn1_cms.SignedData:
    try:
        info = asn1_cms.ContentInfo.load(data, strict=True)
        if info["content_type"].native != "signed_data":
            raise CmsError("not a SignedData")
        signed = info["content"]
        signed.native  # noqa: B018 - parse every part now, not halfway through the checks
    except CmsError:
        raise
    except (ValueError, TypeError, KeyError) as error:
        raise CmsError(f"not a CMS SignedData: {error}") from None
    if not isinstance(signed, asn1_cms.SignedData):
        raise CmsError("not a SignedData")
    return signed


def _content(signed: asn1_cms.SignedData) -> bytes:
    encapsulated = signed["encap_content_info"]
    if encapsulated["content_type"].native != "data":
        raise CmsError("the content type is not id-data")
    content = encapsulated["content"]
    if not isinstance(content, asn1_core.OctetString) or content.native is None:
        raise CmsError("no embedded content (a detached signature is not an upload)")
    value = content.native
    if not isinstance(value, bytes):
        raise CmsError("the content is not an OCTET STRING")
    return value


def _only_signer(signed: asn1_cms.SignedData) -> asn1_cms.SignerInfo:
    infos = signed["signer_infos"]
    if len(infos) != 1:
        raise CmsError(f"exactly one signer is accepted, found {len(infos)}")
    info = infos[0]
    if info["digest_algorithm"]["algorithm"].native != "sha256":
        raise CmsError("the digest algorithm must be SHA-256")
    return info


def _signed_attributes(
    info: asn1_cms.SignerInfo, signed: asn1_cms.SignedData, content: bytes
) -> asn1_cms.CMSAttributes:
    attributes = info["signed_attrs"]
    if not isinstance(attributes, asn1_cms.CMSAttributes) or not len(attributes):
        raise CmsError("no signed attributes (the message digest must be signed)")
    found = {attribute["type"].native: attribute["values"] for attribute in attributes}
    digest = found.get("message_digest")
    if digest is None or len(digest) != 1:
        raise CmsError("no message digest among the signed attributes")
    if digest[0].native != hashlib.sha256(content).digest():
        raise CmsError("the message digest does not match the content")
    kind = found.get("content_type")
    if kind is None or kind[0].native != signed["encap_content_info"]["content_type"].native:
        raise CmsError("the signed content type does not match the content")
    return attributes


def _signing_time(attributes: asn1_cms.CMSAttributes) -> datetime | None:
    for attribute in attributes:
        if attribute["type"].native == "signing_time":
            value = attribute["values"][0].native
            return value if isinstance(value, datetime) else None
    return None


def _signer_certificate(signed: asn1_cms.SignedData, info: asn1_cms.SignerInfo) -> x509.Certificate:
    sid = info["sid"]
    for choice in signed["certificates"] or []:
        candidate = choice.chosen
        if not isinstance(candidate, asn1_cms.Certificate):
            continue
        if _names_signer(sid, candidate):
            return x509.load_der_x509_certificate(candidate.dump())
    raise CmsError("the signer's certificate is not in the SignedData")


def _names_signer(sid: asn1_cms.SignerIdentifier, candidate: asn1_cms.Certificate) -> bool:
    if sid.name == "issuer_and_serial_number":
        wanted = sid.chosen
        return bool(
            wanted["serial_number"].native == candidate.serial_number
            and wanted["issuer"] == candidate.issuer
        )
    return bool(sid.chosen.native == candidate.key_identifier)


def _check_signature(
    certificate: x509.Certificate, info: asn1_cms.SignerInfo, signed: bytes
) -> None:
    algorithm = info["signature_algorithm"]["algorithm"].native
    signature = info["signature"].native
    key = certificate.public_key()
    try:
        if isinstance(key, ec.EllipticCurvePublicKey) and algorithm in {"sha256_ecdsa", "ecdsa"}:
            key.verify(signature, signed, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey) and algorithm in {"rsassa_pkcs1v15", "sha256_rsa"}:
            key.verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, rsa.RSAPublicKey) and algorithm == "rsassa_pss":
            pss = padding.PSS(padding.MGF1(hashes.SHA256()), padding.PSS.DIGEST_LENGTH)
            key.verify(signature, signed, pss, hashes.SHA256())
        else:
            raise CmsError(f"unsupported signature algorithm {algorithm}")
    except InvalidSignature:
        raise CmsError("the signature does not match the signer's certificate") from None
