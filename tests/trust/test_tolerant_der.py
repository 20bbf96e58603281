"""Signer certificates that strict DER parsers refuse: read tolerantly, kept with a warning.

Every certificate here is built by hand (see ``quirky``) and signed with the CSCA's real key;
each test first shows that cryptography refuses it, so the tolerant path is what runs.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from typer.testing import CliRunner

from healthcert import report as codes
from healthcert.cli import app
from healthcert.issuance import issue_hc1, parse_request
from healthcert.keys.home import HOME_ENV
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import Signer
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.trust.certificates import import_certificates, read_facts
from healthcert.trust.der import DerError, read_certificate
from healthcert.trust.store import load_trust

from . import pki, quirky

EXAMPLES = Path(__file__).parents[2] / "examples"
PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
runner = CliRunner()


def strict_refuses(der: bytes) -> bool:
    """Whether cryptography fails to read what a verifier needs from ``der``."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        certificate.extensions  # noqa: B018 - extensions are parsed on first access
        certificate.public_key()
    except ValueError:
        return True
    return False


def payload(signer: Signer, quirk: quirky.Quirky) -> str:
    request = parse_request(json.loads((EXAMPLES / "request-vaccination.json").read_text()))
    return issue_hc1(request, signer, now=quirky.issued_at(quirk))


def verify(hc1: str, quirk: quirky.Quirky, *trust: Path, home: Path | None = None) -> Any:
    moment = (quirky.issued_at(quirk)).strftime("%Y-%m-%dT%H:%M:%SZ")
    options = [arg for path in trust for arg in ("--trust", str(path))]
    env = {HOME_ENV: str(home)} if home is not None else None
    result = runner.invoke(app, ["verify", "--json", *options, "--at", moment, hc1], env=env)
    assert "Traceback" not in result.output
    [report] = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == (0 if report["valid"] else 1)
    return report


def eu_list(path: Path, csca: x509.Certificate | None, *dscs: bytes) -> Path:
    entries = [pki.list_entry(csca, certificate_type="CSCA")] if csca is not None else []
    entries += [_entry(der) for der in dscs]
    path.write_text(json.dumps({"certificates": entries}))
    return path


def _entry(der: bytes) -> dict[str, str]:
    return {
        "kid": base64.b64encode(hashlib.sha256(der).digest()[:8]).decode(),
        "country": "DE",
        "certificateType": "DSC",
        "thumbprint": hashlib.sha256(der).hexdigest(),
        "rawData": base64.b64encode(der).decode(),
    }


@pytest.fixture(scope="module")
def csca() -> CertifiedKey:
    return pki.csca("DE")


@pytest.mark.parametrize("name", sorted(quirky.QUIRKS))
def test_each_quirk_is_trusted_with_a_warning_that_names_it(
    name: str, csca: CertifiedKey, tmp_path: Path
) -> None:
    quirk_of, defect = quirky.QUIRKS[name]
    quirk = quirky.rebuild(pki.dsc(csca), quirk_of, csca.private_key)
    assert strict_refuses(quirk.der)
    store = load_trust([eu_list(tmp_path / "list.json", csca.certificate, quirk.der)])
    assert store.skipped == []
    [key] = store.keys_for(quirk.kid)
    assert key.warning is not None and defect in key.warning
    assert key.warning.startswith("not strict DER, read tolerantly: ")
    assert key.certificate is None and key.der == quirk.der
    assert key.not_after == quirk.normal.certificate.not_valid_after_utc

    report = verify(payload(quirk.signer(), quirk), quirk, tmp_path / "list.json")
    assert report["valid"] is True and report["errors"] == []
    assert report["issuer"]["warning"] == key.warning
    assert report["checks"]["signature"] is True and report["checks"]["key_usage"] is True


def test_the_key_usage_of_a_quirky_dsc_comes_from_its_eku(
    csca: CertifiedKey, tmp_path: Path
) -> None:
    normal = pki.dsc(csca, [EntryKind.TEST])
    quirk = quirky.rebuild(normal, quirky.explicit_ca_false, csca.private_key)
    unbound = dataclasses.replace(quirk.signer(), kinds=ALL_KINDS)  # the issuer would refuse
    report = verify(payload(unbound, quirk), quirk, eu_list(tmp_path / "l.json", None, quirk.der))
    assert [error["code"] for error in report["errors"]] == [codes.KEY_USAGE_MISMATCH]


def test_a_forged_payload_signature_is_still_refused(csca: CertifiedKey, tmp_path: Path) -> None:
    quirk = quirky.rebuild(pki.dsc(csca), quirky.explicit_ca_false, csca.private_key)
    impostor = pki.dsc(csca)  # another key, claiming the quirky DSC's kid
    forged = quirky.Quirky(quirk.der, impostor.private_key, impostor).signer()
    trust = eu_list(tmp_path / "list.json", csca.certificate, quirk.der)
    report = verify(payload(forged, quirk), quirk, trust)
    assert report["valid"] is False
    assert [error["code"] for error in report["errors"]] == [codes.SIGNATURE_INVALID]


def test_a_tampered_tbs_is_refused(csca: CertifiedKey, tmp_path: Path) -> None:
    quirk = quirky.rebuild(pki.dsc(csca), quirky.explicit_ca_false, csca.private_key)
    tampered = quirk.der.replace(b"healthcert DSC DE", b"healthcert DSC DF")
    assert tampered != quirk.der and strict_refuses(tampered)
    store = load_trust([eu_list(tmp_path / "list.json", csca.certificate, tampered)])
    assert len(store) == 0
    [skipped] = store.skipped
    assert skipped.reason == "not signed by any trusted CSCA of DE"
    # Without the CSCA there is nothing to check it against: the list is the only word.
    assert len(load_trust([eu_list(tmp_path / "bare.json", None, tampered)])) == 1


def test_a_signature_by_another_csca_is_refused(csca: CertifiedKey, tmp_path: Path) -> None:
    other = pki.csca("DE")
    quirk = quirky.rebuild(pki.dsc(csca), quirky.path_length_without_ca, other.private_key)
    store = load_trust([eu_list(tmp_path / "list.json", csca.certificate, quirk.der)])
    assert (len(store), [s.reason for s in store.skipped]) == (
        0,
        ["not signed by any trusted CSCA of DE"],
    )
    report = verify(payload(quirk.signer(), quirk), quirk, tmp_path / "list.json")
    assert [error["code"] for error in report["errors"]] == [codes.KID_UNKNOWN]


def test_the_signature_is_checked_over_the_tbs_as_given(csca: CertifiedKey, tmp_path: Path) -> None:
    # Signed over the minimal encoding, published with a long-form length: a reader that
    # re-encoded the TBS before checking would accept a certificate nobody signed as given.
    quirk = quirky.rebuild(pki.dsc(csca), quirky.long_form_length, csca.private_key)
    tbs = quirky.parse(quirk.der).value[0]  # type: ignore[index]
    minimal = quirky.encode(quirky.Tlv(tbs.tag, tbs.value))
    assert minimal != read_certificate(quirk.der).tbs
    resigned = quirky.with_signature(quirk.der, quirky.sign_tbs(csca.private_key, minimal, None))
    store = load_trust([eu_list(tmp_path / "list.json", csca.certificate, resigned)])
    assert len(store) == 0 and store.skipped[0].reason == "not signed by any trusted CSCA of DE"


def test_rsa_pss_csca_over_a_quirky_dsc(tmp_path: Path) -> None:
    key = pki.rsa_key()
    rsa_csca = CertifiedKey(key, pki.build(pki.Spec(ca=True, key_cert_sign=True), key))
    normal_certificate = pki.build(pki.Spec(), dsc_key := pki.ec_key(), rsa_csca, rsa_padding=PSS)
    normal = CertifiedKey(dsc_key, normal_certificate)
    quirk = quirky.rebuild(normal, quirky.non_minimal_serial, key, rsa_padding=PSS)
    assert strict_refuses(quirk.der)
    store = load_trust([eu_list(tmp_path / "list.json", rsa_csca.certificate, quirk.der)])
    assert store.skipped == [] and len(store.keys_for(quirk.kid)) == 1
    wrong_salt = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=20)
    bad = quirky.rebuild(normal, quirky.non_minimal_serial, key, rsa_padding=wrong_salt)
    store = load_trust([eu_list(tmp_path / "bad.json", rsa_csca.certificate, bad.der)])
    assert len(store) == 0  # the PSS parameters say 32 bytes of salt; these signed with 20


def test_a_certificate_file_is_read_tolerantly_too(csca: CertifiedKey, tmp_path: Path) -> None:
    quirk = quirky.rebuild(pki.dsc(csca), quirky.explicit_v1, csca.private_key)
    path = tmp_path / "dsc.der"
    path.write_bytes(quirk.der)
    report = verify(payload(quirk.signer(), quirk), quirk, path)
    assert report["valid"] is True
    assert report["issuer"]["warning"].endswith("the DEFAULT version v1 is encoded explicitly")


def test_what_even_the_tolerant_reader_cannot_read_stays_refused(csca: CertifiedKey) -> None:
    quirk = quirky.rebuild(pki.dsc(csca), quirky.explicit_ca_false, csca.private_key)
    batch = import_certificates(quirk.der + b"\x00", "dsc.der")
    [skipped] = batch.skipped
    assert skipped.reason.startswith("unreadable certificate: ")
    assert skipped.reason.endswith("(tolerant reader: bytes after the certificate)")
    indefinite = quirk.der[:4] + b"\x30\x80" + quirk.der[6:]
    with pytest.raises(DerError, match="indefinite length"):
        read_certificate(quirk.der[:4] + b"\x30\x80" + quirk.der[6:])
    assert import_certificates(indefinite, "dsc.der").keys == []


def test_a_csca_is_never_trusted_tolerantly(tmp_path: Path) -> None:
    key = pki.ec_key()
    anchor = CertifiedKey(key, pki.build(pki.Spec(ca=True, key_cert_sign=True), key))
    quirk = quirky.rebuild(anchor, quirky.non_minimal_serial, key)
    assert strict_refuses(quirk.der) and read_facts(quirk.der).is_ca
    expected = "a CSCA must be strict DER to be trusted (not strict DER, read tolerantly: "
    [skipped] = import_certificates(quirk.der, "csca.der").skipped
    assert skipped.reason.startswith(expected)
    listed = {"certificates": [{**_entry(quirk.der), "certificateType": "CSCA"}]}
    (tmp_path / "list.json").write_text(json.dumps(listed))
    store = load_trust([tmp_path / "list.json"])
    assert store.anchors == () and store.skipped[0].reason.startswith(expected)


def test_the_local_store_keeps_and_shows_the_warning(csca: CertifiedKey, tmp_path: Path) -> None:
    quirk = quirky.rebuild(pki.dsc(csca), quirky.explicit_ca_false, csca.private_key)
    trust = eu_list(tmp_path / "list.json", csca.certificate, quirk.der)
    env = {HOME_ENV: str(tmp_path / "home")}
    added = runner.invoke(app, ["trust", "add", str(trust)], env=env)
    assert added.exit_code == 0, added.output
    assert "1 keys added, 0 skipped" in added.stdout
    warning = "not strict DER, read tolerantly: BasicConstraints encodes its DEFAULT cA FALSE"
    assert f"warning list.json DE kid {quirk.kid.hex()}: {warning}" in " ".join(
        added.stdout.split()
    )
    listed = runner.invoke(app, ["trust", "list"], env=env)
    kid = base64.b64encode(quirk.kid).decode()
    assert f"warning kid {kid}: {warning}" in " ".join(listed.stdout.split())
    [summary] = [
        json.loads(line)
        for line in runner.invoke(app, ["trust", "list", "--json"], env=env).stdout.splitlines()
    ]
    assert summary["warning"].startswith(warning)
    report = verify(payload(quirk.signer(), quirk), quirk, home=tmp_path / "home")
    assert report["valid"] is True and report["issuer"]["warning"].startswith(warning)
