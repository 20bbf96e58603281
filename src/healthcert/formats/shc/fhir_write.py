"""The canonical certificate -> the FHIR R4 Bundle of a SMART Health Card.

One Patient and one Immunization or Observation, minimised as the framework asks for QR codes
(no ids, no text, no displays, ``resource:n`` references).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcert.errors import RequestError
from healthcert.formats import terminology
from healthcert.formats.shc.fhir_common import EN_REPRESENTATION, _latin
from healthcert.model.codes import COVID_19
from healthcert.model.names import TransliterationError

if TYPE_CHECKING:
    from healthcert.model.certificate import Certificate, Holder, TestResult, Vaccination


def bundle_from_certificate(cert: Certificate) -> dict[str, Any]:
    """The minimised FHIR Bundle of a canonical vaccination or test certificate."""
    # why: the models load only when a card is written, never for a verifier
    from healthcert.model.certificate import Recovery, Vaccination

    entry = cert.entry
    if isinstance(entry, Recovery):
        raise RequestError(
            "SMART Health Cards carry no recovery entry: issue a test or vaccination"
        )
    if entry.disease != COVID_19:
        raise RequestError(
            f"healthcert issues SMART Health Cards for COVID-19, not {entry.disease}"
        )
    resource = _immunization(entry) if isinstance(entry, Vaccination) else _observation(entry)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "resource:0", "resource": _patient(cert.holder)},
            {"fullUrl": "resource:1", "resource": resource},
        ],
    }


def _patient(holder: Holder) -> dict[str, Any]:
    # A holder known only by the Doc 9303 form is written in it, fillers as spaces.
    name: dict[str, Any] = {}
    family = holder.family_name or (holder.family_name_latin or "").replace("<", " ")
    if family:
        name["family"] = family
    given = holder.given_name or (holder.given_name_latin or "").replace("<", " ")
    if given:
        name["given"] = given.split()
    patient: dict[str, Any] = {"resourceType": "Patient", "name": [name, *_alphabetic(holder)]}
    if holder.date_of_birth:
        patient["birthDate"] = holder.date_of_birth
    return patient


def _alphabetic(holder: Holder) -> list[dict[str, Any]]:
    """The Doc 9303 form as a second, alphabetic HumanName, where it cannot be derived from the
    name as written (a Chinese name and its pinyin): a verifier needs it to read the card."""
    derived = (
        _derivable(holder.family_name, "family_name"),
        _derivable(holder.given_name, "given_name"),
    )
    if derived == (holder.family_name_latin, holder.given_name_latin):
        return []
    name: dict[str, Any] = {"extension": [{"url": EN_REPRESENTATION, "valueCode": "ABC"}]}
    if holder.family_name_latin:
        name["family"] = holder.family_name_latin.replace("<", " ")
    if holder.given_name_latin:
        name["given"] = holder.given_name_latin.split("<")
    return [name]


def _derivable(name: str | None, field: str) -> str | None:
    try:
        return _latin(name, field)
    except TransliterationError:
        return None


def _immunization(entry: Vaccination) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [_coding(*_vaccine_coding(entry.product))]},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": entry.date.isoformat(),
        "identifier": [{"value": entry.certificate_id}],
        "protocolApplied": [
            {
                "doseNumberPositiveInt": entry.dose_number,
                "seriesDosesPositiveInt": entry.total_doses,
            }
        ],
    }


def _vaccine_coding(product: str) -> tuple[str, str]:
    coding = terminology.coding_for_product(product)
    if coding is not None:
        return coding
    system, bar, code = product.rpartition("|")
    if bar and system and code:
        return system, code
    raise RequestError(
        f"no CVX or SNOMED CT code is known for the vaccine product {product!r}: "
        "a SMART Health Card must name the vaccine by such a code"
    )


def _observation(entry: TestResult) -> dict[str, Any]:
    loinc = terminology.loinc_for_test_type(entry.test_type)
    if loinc is None:
        raise RequestError(f"no LOINC code is known for the test type {entry.test_type!r}")
    observation: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [_coding(terminology.LOINC, loinc)]},
        "subject": {"reference": "resource:0"},
        "effectiveDateTime": entry.sample_time.isoformat(),
        "valueCodeableConcept": {"coding": [_coding(*_result_coding(entry.result))]},
        "identifier": [{"value": entry.certificate_id}],
    }
    if entry.centre:
        observation["performer"] = [{"display": entry.centre}]
    return observation


def _result_coding(result: str) -> tuple[str, str]:
    system, bar, code = result.rpartition("|")
    return (system, code) if bar and system else (terminology.SNOMED, result)


def _coding(system: str, code: str) -> dict[str, str]:
    return {"system": system, "code": code}
