"""ICAO VDS-NC seals: issue and verify vaccination and test seals on a real CSCA and BSC."""

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from healthcert import report as codes
from healthcert.codec import b64, canonical_json, jws
from healthcert.errors import RequestError
from healthcert.formats.base import VerificationContext
from healthcert.formats.vdsnc import seal as vdsnc
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.model import codes as model_codes
from healthcert.model.certificate import Certificate, Holder, Recovery, TestResult, Vaccination
from healthcert.report import Report
from healthcert.trust.store import Anchor, TrustStore

BSC_FROM = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
BSC_UNTIL = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CLOCK = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
ISSUED = dt.datetime(2024, 5, 31, 8, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Signer:
    private_key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate


def _name(country: str, common_name: str, organisation: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)]
    if organisation:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attributes)


def _csca(country: str) -> Signer:
    key = ec.generate_private_key(ec.SECP384R1())
    subject = _name(country, f"CSCA {country}")
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(BSC_FROM - dt.timedelta(days=365))
        .not_valid_after(BSC_UNTIL + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA384())
    )
    return Signer(key, certificate)


def _bsc(csca: Signer, country: str, curve: ec.EllipticCurve | None = None) -> Signer:
    key = ec.generate_private_key(curve or ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(country, "Barcode Signer 1", "Department of Health"))
        .issuer_name(csca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(BSC_FROM)
        .not_valid_after(BSC_UNTIL)
        .sign(csca.private_key, hashes.SHA384())
    )
    return Signer(key, certificate)


CSCA_AU = _csca("AU")
CSCA_NZ = _csca("NZ")
BSC_AU = _bsc(CSCA_AU, "AU")

VACCINATION = Certificate(
    holder=Holder(family_name="Ngā-Tūī", given_name="Mereana Zoë", date_of_birth="1988-04-30"),
    entry=Vaccination(
        vaccine="1119349007",
        product="EU/1/20/1528",
        manufacturer="ORG-100030215",
        dose_number=3,
        total_doses=3,
        date=dt.date(2024, 5, 2),
        country="AU",
        issuer="Dept of Health AU",
        certificate_id="VB0009990012",
    ),
)
TEST = Certificate(
    holder=Holder(family_name="Smith", given_name="Bill", date_of_birth="1990-01-02"),
    entry=TestResult(
        test_type=model_codes.TEST_TYPE_NAAT,
        sample_time=dt.datetime(2024, 5, 30, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=10))),
        result=model_codes.RESULT_NOT_DETECTED,
        centre="Sydney Pathology",
        country="AU",
        issuer="Department of Health",
        certificate_id="TC0001",
    ),
)


def _trust(*cscas: tuple[Signer, str]) -> TrustStore:
    store = TrustStore()
    for csca, country in cscas or ((CSCA_AU, "AU"),):
        store.add_anchor(Anchor(certificate=csca.certificate, country=country, source="test"))
    return store


def _verify(seal: str, *, clock: dt.datetime = CLOCK, trust: TrustStore | None = None) -> Report:
    report = Report(input="seal")
    context = VerificationContext(trust=trust if trust is not None else _trust(), clock=clock)
    vdsnc.verify_into(report, seal, context)
    return report


def _seal(cert: Certificate = VACCINATION, signer: Signer = BSC_AU, **options: Any) -> str:
    return vdsnc.encode(cert, signer, issued_at=options.pop("issued_at", ISSUED), **options)


def _resign(seal: dict[str, Any], signer: Signer = BSC_AU) -> str:
    """The seal with its data signed again (for checks after the signature)."""
    sigvl = jws.sign(signer.private_key, canonical_json.dumps(seal["data"]))
    seal["sig"]["sigvl"] = b64.urlsafe_encode(sigvl)
    return json.dumps(seal, ensure_ascii=False)


@pytest.mark.parametrize("cert", [VACCINATION, TEST], ids=["vaccination", "test"])
def test_round_trip(cert: Certificate) -> None:
    report = _verify(_seal(cert))
    assert report.valid, report.errors
    assert report.format == "icao-vds-nc"
    assert report.certificate == cert.model_dump(mode="json")
    assert report.issuer["country"] == "AU"
    assert report.issuer["subject"] == "CN=Barcode Signer 1,O=Department of Health,C=AU"
    assert len(b64.standard_decode(report.issuer["kid"])) == 8


@pytest.mark.parametrize(("curve", "alg"), [(ec.SECP384R1(), "ES384"), (ec.SECP521R1(), "ES512")])
def test_es384_and_es512(curve: ec.EllipticCurve, alg: str) -> None:
    seal = _seal(signer=_bsc(CSCA_AU, "AU", curve))
    assert json.loads(seal)["sig"]["alg"] == alg
    assert _verify(seal).valid


def test_vaccination_seal_fields() -> None:
    seal = json.loads(_seal())
    assert seal["data"] == {
        "hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"},
        "msg": {
            "uvci": "VB0009990012",
            "pid": {"n": "Ngā-Tūī, Mereana Zoë", "dob": "1988-04-30"},
            "ve": [
                {
                    "des": "XM0GQ8",
                    "nam": "Comirnaty",
                    "dis": "RA01.0",
                    "vd": [
                        {"dvc": "2024-05-02", "seq": 3, "ctr": "AUS", "adm": "Dept of Health AU"}
                    ],
                }
            ],
        },
    }
    assert len(b64.urlsafe_decode(seal["sig"]["sigvl"])) == 64


def test_test_seal_fields() -> None:
    msg = json.loads(_seal(TEST))["data"]["msg"]
    assert msg["sp"] == {"ctr": "AUS", "spn": "Sydney Pathology"}
    assert msg["dat"] == {"sc": "2024-05-30T12:00:00+10:00", "ri": "2024-05-31T08:00:00+00:00"}
    assert msg["tr"] == {"tc": "molecular(PCR)", "r": "negative"}


def test_pretty_printed_and_reordered_seals_verify() -> None:
    seal = json.loads(_seal())
    reordered = {
        "sig": seal["sig"],
        "data": {"msg": seal["data"]["msg"], "hdr": seal["data"]["hdr"]},
    }
    assert _verify(json.dumps(reordered, indent=4)).valid
    assert _verify(json.dumps(seal, ensure_ascii=True)).valid  # \u escapes, same text


def test_numbers_are_compared_in_canonical_form() -> None:
    text = _seal().replace('"seq":3', '"seq":3.0e0').replace('"v":1', '"v":1.00')
    assert '"seq":3.0e0' in text
    assert _verify(text).valid


def test_foreign_seal_with_fields_healthcert_does_not_write() -> None:
    data = {
        "hdr": {"t": "icao.vacc", "v": 1, "is": "AUS"},
        "msg": {
            "uvci": "U32870",
            "pid": {
                "n": "Smith Bill",
                "dob": "1990-01-02",
                "sex": "M",
                "i": "A1234567Z",
                "ai": "L4567890Z",
            },
            "ve": [
                {
                    "des": "XM68M6",
                    "nam": "COMIRNATY",
                    "dis": "RA01.0",
                    "vd": [
                        {
                            "dvc": "2021-03-03",
                            "seq": 1,
                            "ctr": "AUS",
                            "adm": "RIVM",
                            "lot": "VC35679",
                            "dvn": "2021-03-24",
                        },
                        {
                            "dvc": "2021-03-24",
                            "seq": "2",
                            "ctr": "NZL",
                            "adm": "RIVM",
                            "lot": "VC87540",
                        },
                    ],
                }
            ],
        },
    }
    seal = {
        "data": data,
        "sig": {"alg": "ES256", "cer": json.loads(_seal())["sig"]["cer"], "sigvl": ""},
    }
    report = _verify(_resign(seal))
    assert report.valid, report.errors
    assert report.certificate is not None
    assert report.certificate["holder"]["family_name"] == "Smith Bill"
    assert report.certificate["holder"]["given_name"] is None
    assert report.certificate["entry"] == {
        "kind": "vaccination",
        "disease": "840539006",
        "vaccine": "28531000087107",
        "product": "EU/1/20/1528",
        "manufacturer": "ORG-100030215",
        "dose_number": 2,
        "total_doses": 2,
        "date": "2021-03-24",
        "country": "NZ",
        "issuer": "RIVM",
        "certificate_id": "U32870",
    }


def test_tampered_seal() -> None:
    seal = json.loads(_seal())
    seal["data"]["msg"]["pid"]["dob"] = "1978-04-30"
    report = _verify(json.dumps(seal))
    assert report.error_codes == [codes.SIGNATURE_INVALID]
    assert report.checks["schema"] is True


def test_signer_not_issued_by_a_trusted_csca() -> None:
    stranger = _bsc(_csca("AU"), "AU")  # an AU-looking CSCA that nobody trusts
    report = _verify(_seal(signer=stranger))
    assert report.error_codes == [codes.CHAIN_INVALID]
    assert report.checks["signature"] is False


def test_key_of_another_issuer() -> None:
    trust = _trust((CSCA_AU, "AU"), (CSCA_NZ, "NZ"))
    report = _verify(_seal(issuing_country="NZ"), trust=trust)  # AU's signer, NZ's seal
    assert report.error_codes == [codes.CHAIN_INVALID]
    assert "AU" in report.errors[0].message
    report = _verify(_seal(signer=_bsc(CSCA_NZ, "AU")), trust=trust)  # NZ's CSCA, AU's seal
    assert report.error_codes == [codes.CHAIN_INVALID]


def test_issuing_state_without_trusted_csca() -> None:
    report = _verify(_seal(signer=_bsc(CSCA_NZ, "NZ")))
    assert report.error_codes == [codes.ISSUER_UNKNOWN]


@pytest.mark.parametrize("alg", ["RS256", "ES999", "none"])
def test_unknown_algorithm(alg: str) -> None:
    seal = json.loads(_seal())
    seal["sig"]["alg"] = alg
    report = _verify(json.dumps(seal))
    assert report.error_codes == [codes.ALG_UNSUPPORTED]
    assert report.checks["signature"] is False


def test_der_signature_value() -> None:
    seal = json.loads(_seal())
    der = BSC_AU.private_key.sign(canonical_json.dumps(seal["data"]), ec.ECDSA(hashes.SHA256()))
    seal["sig"]["sigvl"] = b64.urlsafe_encode(der)
    assert _verify(json.dumps(seal)).error_codes == [codes.SIGNATURE_INVALID]


def test_padded_base64url_is_accepted() -> None:
    seal = json.loads(_seal())
    for key in ("cer", "sigvl"):
        seal["sig"][key] += "=" * (-len(seal["sig"][key]) % 4)
    assert _verify(json.dumps(seal)).valid


def test_seal_over_the_size_limit() -> None:
    seal = json.loads(_seal())
    seal["data"]["msg"]["opt"] = "x" * MAX_INPUT_BYTES
    report = _verify(_resign(seal))
    assert report.error_codes == [codes.INPUT_TOO_LARGE]


@pytest.mark.parametrize(
    ("clock", "code"),
    [
        (BSC_FROM - dt.timedelta(days=1), codes.DSC_NOT_YET_VALID),
        (BSC_UNTIL + dt.timedelta(days=1), codes.DSC_EXPIRED),
    ],
)
def test_signer_certificate_not_valid_at_the_clock(clock: dt.datetime, code: str) -> None:
    report = _verify(_seal(), clock=clock)
    assert report.error_codes == [code]
    assert report.checks["validity_period"] is False


def test_test_report_issued_after_the_clock() -> None:
    report = _verify(_seal(TEST, issued_at=CLOCK + dt.timedelta(hours=2)))
    assert report.error_codes == [codes.NOT_YET_VALID]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda s: s.replace('"is":"AUS"', '"is":"UTO"'), codes.SCHEMA_INVALID),
        (lambda s: s.replace('"t":"icao.vacc"', '"t":"icao.visa"'), codes.SCHEMA_INVALID),
        (lambda s: s.replace('"v":1', '"v":2'), codes.SCHEMA_INVALID),
        (lambda s: s.replace('"sig":{', '"gis":{'), codes.SCHEMA_INVALID),
        (lambda s: s.replace('{"data":', '{"data":1,"data":'), codes.JSON_INVALID),
        (lambda s: s[:-1], codes.JSON_INVALID),
    ],
)
def test_malformed_seals(change: Any, code: str) -> None:
    report = _verify(change(_seal()))
    assert report.error_codes == [code]
    assert report.checks["decode"] is False


def test_unreadable_signer_certificate() -> None:
    seal = json.loads(_seal())
    seal["sig"]["cer"] = b64.urlsafe_encode(b"not a certificate")
    assert _verify(json.dumps(seal)).error_codes == [codes.CHAIN_INVALID]


@pytest.mark.parametrize(
    ("path", "value"),
    [(("msg", "ve"), []), (("msg", "pid"), {"dob": "1990-01-02"}), (("msg", "uvci"), None)],
)
def test_messages_that_do_not_map(path: tuple[str, str], value: Any) -> None:
    seal = json.loads(_seal())
    seal["data"][path[0]][path[1]] = value
    report = _verify(_resign(seal))
    assert report.error_codes == [codes.SCHEMA_INVALID]
    assert report.checks["signature"] is True and report.checks["schema"] is False


def test_looks_like() -> None:
    assert vdsnc.looks_like(_seal())
    assert vdsnc.looks_like("  \n" + json.dumps(json.loads(_seal()), indent=2))
    assert not vdsnc.looks_like('{"verifiableCredential": []}')
    assert not vdsnc.looks_like("HC1:NCF")


def test_refused_issue_requests() -> None:
    recovery = Certificate(
        holder=TEST.holder,
        entry=Recovery(
            first_positive=dt.date(2024, 1, 1),
            country="AU",
            issuer="DoH",
            valid_from=dt.date(2024, 1, 12),
            valid_until=dt.date(2024, 6, 30),
            certificate_id="R1",
        ),
    )
    with pytest.raises(RequestError, match="recovery"):
        _seal(recovery)
    with pytest.raises(RequestError, match="three-letter"):
        _seal(issuing_country="QQ")
