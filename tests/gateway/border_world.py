"""Border certificates for the gateway tests: a country's real one (``keys.border``), and ones
its CSCA signs with one thing wrong, as a careless or hostile uploader would send them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from healthcert.keys.border import BORDER_OID, create_border_key
from healthcert.keys.material import CertifiedKey
from tests.gateway.world import Country

KEY_AGREEMENT: dict[str, bool] = dict(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=True,
    key_cert_sign=False,
    crl_sign=False,
    encipher_only=False,
    decipher_only=False,
)


def border_of(country: Country) -> CertifiedKey:
    """A border key of ``country`` certified by its CSCA, as ``keys border`` makes it."""
    return create_border_key(country.csca)


def made_by_csca(
    country: Country,
    *,
    ca: bool = False,
    usage: dict[str, bool] | None = None,
    eku: bool = True,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | None = None,
    days: tuple[int, int] = (0, 30),
) -> bytes:
    """A certificate of ``country`` its CSCA signs, a border certificate but for what the
    keywords change (a CA, another key usage, no border EKU, another key, other dates)."""
    subject_key = key or ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC).replace(microsecond=0)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country.code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"test border key {country.code}"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(country.csca.certificate.subject)
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days[0]))
        .not_valid_after(now + timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(**(usage or KEY_AGREEMENT)), critical=True)
    )
    if eku:
        oids = [x509.ObjectIdentifier(BORDER_OID)]
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    return builder.sign(country.csca.private_key, hashes.SHA256()).public_bytes(Encoding.DER)
