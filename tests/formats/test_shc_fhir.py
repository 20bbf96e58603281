"""FHIR R4 Bundles of SMART Health Cards mapped to the canonical certificate."""

import datetime as dt
from typing import Any

import pytest

from healthcert import report as codes
from healthcert.formats import terminology
from healthcert.formats.shc.fhir_common import CardContext, ContentError
from healthcert.formats.shc.fhir_read import certificate_from_bundle
from healthcert.model import certificate as model
from healthcert.model import codes as model_codes

CONTEXT = CardContext(country="CA", issuer="Example Health", certificate_id="rid-1")
PATIENT = {
    "resourceType": "Patient",
    "name": [{"family": "Tremblay", "given": ["Élodie"]}],
    "birthDate": "1970-05",
}


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"resource:{i}", "resource": r} for i, r in enumerate(resources)],
    }


def _immunization(system: str, code: str, date: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": system, "code": code}]},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": date,
        **extra,
    }


def _observation(loinc: str, result: str, when: str, status: str = "final") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": terminology.LOINC, "code": loinc}]},
        "subject": {"reference": "resource:0"},
        "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": terminology.SNOMED, "code": result}]},
        "performer": [{"display": "Lab One"}],
    }


def test_snomed_coded_vaccine_and_the_latest_of_unordered_doses() -> None:
    bundle = _bundle(
        PATIENT,
        _immunization(terminology.SNOMED, "28581000087106", "2021-08-01"),
        _immunization(terminology.CVX, "208", "2021-05-01"),
        _immunization(terminology.CVX, "207", "2021-06-01", status="entered-in-error"),
    )
    cert = certificate_from_bundle(bundle, CONTEXT)
    assert cert.holder.family_name == "Tremblay" and cert.holder.given_name_latin == "ELODIE"
    assert cert.holder.date_of_birth == "1970-05"
    entry = cert.entry
    assert isinstance(entry, model.Vaccination)
    assert (entry.product, entry.manufacturer, entry.vaccine) == (
        "EU/1/20/1528",
        "ORG-100030215",
        "1119349007",
    )
    assert (entry.date, entry.dose_number, entry.total_doses) == (dt.date(2021, 8, 1), 2, 2)
    assert (entry.country, entry.issuer, entry.certificate_id) == ("CA", "Example Health", "rid-1")


def test_protocol_applied_states_the_dose_and_series() -> None:
    applied = [{"doseNumberPositiveInt": 1, "seriesDosesPositiveInt": 2}]
    bundle = _bundle(
        PATIENT,
        _immunization(
            terminology.CVX,
            "210",
            "2021-04-01",
            protocolApplied=applied,
            identifier=[{"value": "id-7"}],
        ),
    )
    entry = certificate_from_bundle(bundle, CONTEXT).entry
    assert isinstance(entry, model.Vaccination)
    assert (entry.dose_number, entry.total_doses, entry.product) == (1, 2, "EU/1/21/1529")
    assert entry.vaccine == "29061000087103" and entry.certificate_id == "id-7"


def test_unknown_vaccine_codes_are_kept_and_claim_no_disease() -> None:
    bundle = _bundle(PATIENT, _immunization(terminology.CVX, "141", "2022-10-01"))  # influenza
    entry = certificate_from_bundle(bundle, CONTEXT).entry
    assert isinstance(entry, model.Vaccination)
    assert entry.vaccine == entry.product == "http://hl7.org/fhir/sid/cvx|141"
    assert entry.manufacturer == terminology.UNKNOWN and entry.disease == terminology.UNKNOWN


@pytest.mark.parametrize(
    ("loinc", "result", "test_type", "outcome"),
    [
        ("94500-6", "260415000", model_codes.TEST_TYPE_NAAT, model_codes.RESULT_NOT_DETECTED),
        ("94558-4", "260373001", model_codes.TEST_TYPE_RAPID_ANTIGEN, model_codes.RESULT_DETECTED),
        ("94563-4", "10828004", model_codes.TEST_TYPE_ANTIBODY_IGG, model_codes.RESULT_DETECTED),
        (
            "94564-2",
            "260385009",
            model_codes.TEST_TYPE_ANTIBODY_IGM,
            model_codes.RESULT_NOT_DETECTED,
        ),
        ("94309-2", "419984006", model_codes.TEST_TYPE_NAAT, "http://snomed.info/sct|419984006"),
    ],
)
def test_laboratory_results(loinc: str, result: str, test_type: str, outcome: str) -> None:
    bundle = _bundle(
        PATIENT,
        _observation(loinc, result, "2021-02-17T11:00:00-05:00"),
        _observation("94500-6", "260373001", "2021-02-10"),  # older
        _observation("94500-6", "260373001", "2021-03-10", status="preliminary"),  # not final
    )
    entry = certificate_from_bundle(bundle, CONTEXT).entry
    assert isinstance(entry, model.TestResult)
    assert (entry.test_type, entry.result, entry.centre) == (test_type, outcome, "Lab One")
    assert entry.sample_time == dt.datetime(2021, 2, 17, 16, 0, tzinfo=dt.UTC)


def test_a_date_only_sample_time_is_midnight_utc() -> None:
    bundle = _bundle(PATIENT, _observation("94500-6", "260415000", "2021-02-10"))
    entry = certificate_from_bundle(bundle, CONTEXT).entry
    assert isinstance(entry, model.TestResult)
    assert entry.sample_time == dt.datetime(2021, 2, 10, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("bundle", "code"),
    [
        (_bundle(_immunization(terminology.CVX, "208", "2021-05-01")), codes.CONTENT_UNSUPPORTED),
        (
            _bundle(PATIENT, _observation("2339-0", "260415000", "2021-02-10")),
            codes.CONTENT_UNSUPPORTED,
        ),
        (_bundle(PATIENT), codes.CONTENT_UNSUPPORTED),
        ({"resourceType": "Patient"}, codes.SCHEMA_INVALID),
        ({"resourceType": "Bundle"}, codes.SCHEMA_INVALID),
        (_bundle(PATIENT, _immunization(terminology.CVX, "208", "2021-05")), codes.SCHEMA_INVALID),
        (
            _bundle(
                {**PATIENT, "name": [{"family": "王", "given": ["秀英"]}]},
                _immunization(terminology.CVX, "208", "2021-05-01"),
            ),
            codes.SCHEMA_INVALID,
        ),
        (
            _bundle(
                {**PATIENT, "birthDate": "05/1970"},
                _immunization(terminology.CVX, "208", "2021-05-01"),
            ),
            codes.SCHEMA_INVALID,
        ),
    ],
)
def test_bundles_without_a_certificate(bundle: dict[str, Any], code: str) -> None:
    with pytest.raises(ContentError) as raised:
        certificate_from_bundle(bundle, CONTEXT)
    assert raised.value.code == code
