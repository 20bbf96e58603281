"""What a certificate's subject says about its holder: the country (C) a CSCA or DSC serves."""

from __future__ import annotations

from functools import lru_cache

from cryptography import x509
from cryptography.x509.oid import NameOID


@lru_cache(maxsize=256)
def subject_country(certificate: x509.Certificate) -> str | None:
    """The subject's country, upper case, or None; cached, as issuing asks for it per payload
    and reading a subject costs more than a signature."""
    countries = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(countries[0].value).upper() if countries else None
