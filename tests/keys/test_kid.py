from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from healthcert.keys.kid import kid_from_text, kid_of, kid_of_der
from healthcert.trust.certificates import parse_der

from .certs import self_signed

DE_LIST = Path(__file__).parents[1] / "data" / "trustlists" / "eu-national-mirror-de.json"


def test_kid_is_the_first_eight_bytes_of_the_der_sha256() -> None:
    cert = self_signed()
    der = cert.public_bytes(serialization.Encoding.DER)
    assert kid_of(cert) == hashlib.sha256(der).digest()[:8]
    assert kid_of_der(der) == kid_of(cert)


def test_kid_agrees_with_the_eu_list() -> None:
    entries = json.loads(DE_LIST.read_text())["certificates"][:20]
    for entry in entries:
        cert = parse_der(base64.b64decode(entry["rawData"]))
        assert kid_of(cert) == base64.b64decode(entry["kid"])


def test_kid_from_text_base64url_thumbprint() -> None:
    text = "3Kfdg-XwP-7gXyywtUfUADwBumDOPKMQx-iELL11W9s"
    assert kid_from_text(text) == base64.urlsafe_b64decode(text + "=")
    assert len(kid_from_text(text)) == 32


def test_kid_from_text_falls_back_to_utf8() -> None:
    assert kid_from_text("key 1") == b"key 1"  # not base64url
    assert kid_from_text("key-1") == b"key-1"  # five characters cannot be base64
    assert kid_from_text("abd") == b"abd"  # non-canonical trailing bits
    assert kid_from_text("") == b""


def test_kid_from_text_accepts_padding() -> None:
    assert kid_from_text("AAECAwQFBgc=") == bytes(range(8))
    assert kid_from_text("AAECAwQFBgc") == bytes(range(8))
