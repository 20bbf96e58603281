"""A CSCA that is also its own DSC, as the HCERT specification allows, and one that is not.

A self-signed CSCA signs payloads when it is trusted as a DSC: listed as one in an EU list, or
given as a certificate whose keyUsage includes digitalSignature. A CSCA trusted only to vouch
for DSCs (an EU list's CSCA entry, or keyUsage without digitalSignature) is not a signer, and
a payload naming it says so with SIGNER_NOT_DSC rather than KID_UNKNOWN.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from typer.testing import CliRunner

from healthcert import report as codes
from healthcert.cli import app
from healthcert.issuance import issue_hc1, parse_request
from healthcert.keys.eku import EKU_OIDS
from healthcert.keys.home import HOME_ENV
from healthcert.keys.kid import kid_of
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import ALL_KINDS, EntryKind

from . import pki

EXAMPLES = Path(__file__).parents[2] / "examples"
ISSUED_AT = pki.NOW + timedelta(days=1)
runner = CliRunner()


def signing_csca(eku: list[str] | None = None) -> CertifiedKey:
    """A self-signed CSCA whose keyUsage lets it sign documents as well as certificates."""
    key = pki.ec_key()
    subject = pki.name(pki.Spec(name="CSCA and DSC"))
    usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(pki.NOW - timedelta(days=10))
        .not_valid_after(pki.NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(usage, critical=True)
    )
    if eku is not None:
        oids = [x509.ObjectIdentifier(oid) for oid in eku]
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    return CertifiedKey(key, builder.sign(key, hashes.SHA256()))


def vaccination(signer: Signer) -> str:
    request = parse_request(json.loads((EXAMPLES / "request-vaccination.json").read_text()))
    return issue_hc1(request, signer, now=ISSUED_AT)


def verify(hc1: str, *trust: Path, home: Path | None = None) -> Any:
    moment = (ISSUED_AT + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = [arg for path in trust for arg in ("--trust", str(path))]
    env = {HOME_ENV: str(home)} if home is not None else None
    result = runner.invoke(app, ["verify", "--json", *options, "--at", moment, hc1], env=env)
    assert "Traceback" not in result.output
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    return report


def error_codes(report: Any) -> list[str]:
    return [error["code"] for error in report["errors"]]


def write(path: Path, data: bytes | object) -> Path:
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(json.dumps(data))
    return path


def test_a_csca_with_digital_signature_signs_as_its_own_dsc(tmp_path: Path) -> None:
    csca = signing_csca()
    trust = write(tmp_path / "csca.pem", pki.pem(csca.certificate))
    report = verify(vaccination(signer_from(csca)), trust)
    assert report["valid"] is True, report["errors"]
    assert report["issuer"]["kid"] == pki.list_entry(csca.certificate)["kid"]
    assert "warning" not in report["issuer"]


def test_its_eku_limits_what_it_may_sign(tmp_path: Path) -> None:
    csca = signing_csca(eku=[EKU_OIDS[EntryKind.TEST]])
    trust = write(tmp_path / "csca.pem", pki.pem(csca.certificate))
    signer = dataclasses.replace(signer_from(csca), kinds=ALL_KINDS)
    assert error_codes(verify(vaccination(signer), trust)) == [codes.KEY_USAGE_MISMATCH]


def test_a_forged_signature_under_its_kid_is_refused(tmp_path: Path) -> None:
    csca = signing_csca()
    trust = write(tmp_path / "csca.pem", pki.pem(csca.certificate))
    forged = dataclasses.replace(signer_from(signing_csca()), kid=kid_of(csca.certificate))
    assert error_codes(verify(vaccination(forged), trust)) == [codes.SIGNATURE_INVALID]


def test_an_eu_list_may_list_its_csca_as_a_dsc(tmp_path: Path) -> None:
    # Even a CSCA whose keyUsage does not say so: the list names its role.
    csca = pki.csca("DE")
    listed = [
        pki.list_entry(csca.certificate, certificate_type="CSCA"),
        pki.list_entry(csca.certificate, certificate_type="DSC"),
    ]
    trust = write(tmp_path / "list.json", {"certificates": listed})
    report = verify(vaccination(signer_from(csca)), trust)
    assert report["valid"] is True, report["errors"]


def test_a_csca_trusted_only_as_an_anchor_is_not_a_signer(tmp_path: Path) -> None:
    csca = pki.csca("DE")  # keyUsage keyCertSign and cRLSign only, as CSCAs usually have
    trust = write(tmp_path / "csca.pem", pki.pem(csca.certificate))
    report = verify(vaccination(signer_from(csca)), trust)
    assert report["valid"] is False
    assert error_codes(report) == [codes.SIGNER_NOT_DSC]
    assert report["errors"][0]["message"].startswith("the kid names a CSCA of DE (from csca.pem)")
    assert report["checks"]["signature"] is False


def test_an_eu_list_csca_entry_is_only_an_anchor(tmp_path: Path) -> None:
    csca = signing_csca()  # could sign, but the list trusts it as a CSCA only
    listed = [pki.list_entry(csca.certificate, certificate_type="CSCA")]
    trust = write(tmp_path / "list.json", {"certificates": listed})
    assert error_codes(verify(vaccination(signer_from(csca)), trust)) == [codes.SIGNER_NOT_DSC]


def test_the_local_store_knows_both_roles(tmp_path: Path) -> None:
    home = tmp_path / "home"
    anchor_only, own_dsc = pki.csca("DE"), signing_csca()
    anchor_file = write(tmp_path / "de.pem", pki.pem(anchor_only.certificate))
    own_file = write(tmp_path / "own.pem", pki.pem(own_dsc.certificate))
    added = runner.invoke(
        app, ["trust", "add", str(anchor_file), str(own_file)], env={HOME_ENV: str(home)}
    )
    assert added.exit_code == 0, added.output
    out = " ".join(added.stdout.split())
    assert "de.pem: 0 keys added, 0 skipped, 1 CSCAs trusted" in out
    assert "own.pem: 1 keys added, 0 skipped, 1 CSCAs trusted" in out
    report = verify(vaccination(signer_from(anchor_only)), home=home)
    assert error_codes(report) == [codes.SIGNER_NOT_DSC]
    assert verify(vaccination(signer_from(own_dsc)), home=home)["valid"] is True


def test_an_unknown_kid_is_still_kid_unknown(tmp_path: Path) -> None:
    trust = write(tmp_path / "csca.pem", pki.pem(pki.csca("DE").certificate))
    stranger = signer_from(signing_csca())
    assert error_codes(verify(vaccination(stranger), trust)) == [codes.KID_UNKNOWN]
