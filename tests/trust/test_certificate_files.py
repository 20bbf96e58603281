"""X.509 files: several PEM certificates, DER, CSCA or DSC, and broken ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcert.errors import TrustStoreError
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.certificates import import_certificates, is_anchor, read_facts
from healthcert.trust.store import load_trust

from . import pki


def test_pem_with_csca_and_dscs(tmp_path: Path) -> None:
    csca = pki.csca("AT")
    first, second = pki.dsc(csca), pki.dsc(csca)
    path = tmp_path / "austria.pem"
    path.write_bytes(
        b"issuer: AT\n" + pki.pem(csca.certificate, first.certificate, second.certificate)
    )
    store = load_trust([path])
    assert len(store) == 2 and store.cscas_for("AT") == (csca.certificate,)
    key = store.keys_for(read_facts(pki.der(first.certificate)).kid)[0]
    assert key.country == "AT" and key.source == "austria.pem"
    assert key.subject == "CN=healthcert DSC AT,C=AT"
    assert key.not_before == first.certificate.not_valid_before_utc
    assert key.not_after == first.certificate.not_valid_after_utc
    assert key.types == ALL_KINDS


def test_der_file(tmp_path: Path) -> None:
    dsc = pki.dsc(pki.csca())
    path = tmp_path / "dsc.der"
    path.write_bytes(pki.der(dsc.certificate))
    assert len(load_trust([path])) == 1


def test_a_broken_pem_block_does_not_spoil_the_others() -> None:
    dsc = pki.dsc(pki.csca())
    good = pki.pem(dsc.certificate)
    damaged = good.replace(good.splitlines()[3], b"A" * 64)
    batch = import_certificates(
        damaged + good + b"-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n",
        "mixed.pem",
    )
    assert len(batch.keys) == 1
    assert [skipped.source for skipped in batch.skipped] == ["mixed.pem #1"]
    assert batch.skipped[0].reason.startswith("unreadable certificate")


def test_anchor_classification() -> None:
    key = pki.ec_key()
    assert is_anchor(read_facts(pki.der(pki.build(pki.Spec(ca=True), key))))
    # Self-signed without keyUsage: an anchor, as a CSCA published bare would be.
    assert is_anchor(read_facts(pki.der(pki.build(pki.Spec(), key))))
    # Self-signed but limited to signing documents: a (self-signed) DSC, as some countries use.
    signing_only = pki.build(pki.Spec(key_cert_sign=False), key)
    assert not is_anchor(read_facts(pki.der(signing_only)))
    assert not is_anchor(read_facts(pki.der(pki.dsc(pki.csca()).certificate)))


def test_csca_without_country_is_skipped() -> None:
    cert = pki.build(pki.Spec(ca=True, country=None), pki.ec_key())
    batch = import_certificates(pki.pem(cert), "nameless.pem")
    assert batch.anchors == [] and "without a country" in batch.skipped[0].reason


def test_unusable_files_raise(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="no such file"):
        load_trust([tmp_path / "absent.pem"])
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(TrustStoreError, match="not a certificate"):
        load_trust([text])
