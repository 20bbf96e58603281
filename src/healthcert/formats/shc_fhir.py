"""FHIR R4 Bundles of SMART Health Cards <-> the canonical certificate.

Reading a card: the Patient gives the holder; completed Immunizations give a vaccination, and
otherwise final Observations with a SARS-CoV-2 LOINC code give a test. The canonical model
holds one entry, so of several doses the latest is kept, with ``dose_number`` and
``total_doses`` both the number of doses the card lists (a card lists what was given, not the
schedule) unless the Immunization states them in ``protocolApplied``. Likewise the latest test
is kept. Vaccine and test codes translate through ``formats.terminology``; unknown codes stay
as ``system|code``.

SHC carries no country and no certificate issuer name: the caller supplies them from the
trusted issuer entry. The certificate id is the entry's ``identifier``, else the card's ``rid``,
else a digest of the card.

JSON objects are checked as ``dict`` (what the JSON parser makes), not as the ``Mapping`` ABC,
whose isinstance check costs several times more on this per-card path.

Writing a card is the reverse, one Patient and one Immunization or Observation, minimised as
the framework asks for QR codes (no ids, no text, no displays, ``resource:n`` references).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

from healthcert import report as codes
from healthcert.errors import RequestError
from healthcert.formats import terminology
from healthcert.model.codes import COVID_19, SCHEMA_VERSION
from healthcert.model.names import (
    MAX_LENGTH,
    TransliterationError,
    normalise_standard,
    transliterate,
)
from healthcert.model.values import COUNTRY_CODES, is_date_of_birth

# The models load only for a card the direct way leaves to them, and for issuing: a verifier
# of plainly written cards never builds them (a tenth of a second before the first report).
if TYPE_CHECKING:
    from pydantic import ValidationError

    from healthcert.model.certificate import Certificate, Holder, TestResult, Vaccination

FHIR_VERSION = "4.0.1"
_FINAL_STATUSES = frozenset({"final", "amended", "corrected"})


class ContentError(Exception):
    """The bundle cannot become a canonical certificate; ``code`` is the report error code."""

    def __init__(self, code: codes.ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CardContext(NamedTuple):
    """What the canonical entry needs and the bundle does not hold."""

    country: str
    issuer: str
    certificate_id: str


def certificate_from_bundle(bundle: Any, context: CardContext) -> Certificate:
    """The canonical certificate of an SHC FHIR Bundle; ContentError when there is none."""
    return _validated(*_mapped(bundle, context))


def certificate_json(bundle: Any, context: CardContext) -> dict[str, Any]:
    """The JSON of ``certificate_from_bundle(bundle, context)`` (``model_dump(mode="json")``).

    Every verified card shows it, and building the pydantic model cost more than decoding the
    card; so a card written plainly (Latin names or their Doc 9303 form, codes and texts within
    the model's limits) is written straight from the mapping, and anything else goes through
    the model, which either reads it or says why not. The tests hold the two ways equal.
    """
    direct = _direct_json(bundle, context)
    if direct is not None:
        return direct
    return _validated(*_mapped(bundle, context)).model_dump(mode="json")


def _validated(holder: dict[str, Any], entry: dict[str, Any]) -> Certificate:
    """The model of a mapped card: one validation of the whole document, a third cheaper
    than validating its parts."""
    from pydantic import ValidationError

    from healthcert.model.certificate import Certificate

    try:
        return Certificate.model_validate({"holder": holder, "entry": entry})
    except ValidationError as error:
        raise ContentError(codes.SCHEMA_INVALID, _validation_message(error)) from None
    except (ValueError, TypeError, KeyError) as error:
        raise ContentError(codes.SCHEMA_INVALID, _first_line(error)) from None


def _mapped(bundle: Any, context: CardContext) -> tuple[dict[str, Any], dict[str, Any]]:
    """The model's input for the bundle: the holder and the entry, before validation."""
    patient, immunizations, tests = _select(bundle)
    if patient is None or not (immunizations or tests):
        raise ContentError(
            codes.CONTENT_UNSUPPORTED, _unsupported_message(_resources(bundle), patient)
        )
    try:
        entry = _vaccination(immunizations, context) if immunizations else _test(tests, context)
        return _holder(patient), entry
    except (ValueError, TypeError, KeyError) as error:
        raise ContentError(codes.SCHEMA_INVALID, _first_line(error)) from None


def _select(
    bundle: Any,
) -> tuple[Mapping[str, Any] | None, list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """The first Patient, the completed Immunizations and the SARS-CoV-2 test results."""
    patient: Mapping[str, Any] | None = None
    immunizations: list[Mapping[str, Any]] = []
    tests: list[Mapping[str, Any]] = []
    for resource in _resources(bundle):
        kind = resource.get("resourceType")
        if kind == "Patient":
            if patient is None:
                patient = resource
        elif kind == "Immunization":
            if resource.get("status") == "completed":
                immunizations.append(resource)
        elif _is_covid_test(resource):
            tests.append(resource)
    return patient, immunizations, tests


def resource_counts(bundle: Any) -> dict[str, int]:
    """How many resources of each type the bundle holds (for the report of an odd card)."""
    counts: dict[str, int] = {}
    for resource in _resources(bundle):
        kind = str(resource.get("resourceType"))
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _resources(bundle: Any) -> list[Mapping[str, Any]]:
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ContentError(codes.SCHEMA_INVALID, "credentialSubject.fhirBundle is not a Bundle")
    entries = bundle.get("entry")
    if not isinstance(entries, list):
        raise ContentError(codes.SCHEMA_INVALID, "the FHIR Bundle has no entry array")
    resources = [entry.get("resource") for entry in entries if isinstance(entry, dict)]
    return [resource for resource in resources if isinstance(resource, dict)]


def _unsupported_message(resources: Sequence[Mapping[str, Any]], patient: object) -> str:
    if patient is None:
        return "the card names no Patient, so it holds no certificate of a person"
    kinds = sorted({str(resource.get("resourceType")) for resource in resources})
    return (
        "the card holds no completed Immunization and no SARS-CoV-2 test result "
        f"(it holds {', '.join(kinds)})"
    )


def _is_covid_test(resource: Mapping[str, Any]) -> bool:
    if resource.get("resourceType") != "Observation":
        return False
    if resource.get("status") not in _FINAL_STATUSES:
        return False
    return any(
        terminology.test_type_from_loinc(code) is not None
        for system, code in _codings(resource.get("code"))
        if system == terminology.LOINC
    )


# ISO 21090 entity name representation, FHIR's extension for a name's script: ABC alphabetic,
# IDE ideographic, SYL syllabic.
EN_REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"


# --- reading --------------------------------------------------------------------------------


def _holder(patient: Mapping[str, Any]) -> dict[str, Any]:
    # As written: the first official name that is not the alphabetic form, else the first
    # such name of any use; and the first alphabetic (Doc 9303) form, if the card has one.
    first: Mapping[str, Any] | None = None
    official: Mapping[str, Any] | None = None
    alphabetic: Mapping[str, Any] | None = None
    for name in patient.get("name") or ():
        if not isinstance(name, dict):
            continue
        if _is_alphabetic(name):
            if alphabetic is None:
                alphabetic = name
            continue
        if first is None:
            first = name
        if official is None and name.get("use") == "official":
            official = name
    family_name, given_name = _name_parts(
        official if official is not None else first if first is not None else {}
    )
    # The model's own transliteration, called here rather than from its validator: the same
    # result, without the validator's per-field overhead (a third of a card's mapping time).
    family_latin, given_latin = (
        _name_parts(alphabetic)
        if alphabetic is not None
        else (_latin(family_name, "family_name"), _latin(given_name, "given_name"))
    )
    return {
        "family_name": family_name,
        "given_name": given_name,
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": patient.get("birthDate") or "",
    }


def _name_parts(name: Mapping[str, Any]) -> tuple[str | None, str | None]:
    given = name.get("given")
    family = name.get("family")
    return (
        family if isinstance(family, str) and family else None,
        " ".join(given) if isinstance(given, list) and given else None,
    )


def _is_alphabetic(name: Mapping[str, Any]) -> bool:
    """A HumanName marked as the alphabetic (Latin) representation of the person's name."""
    extensions = name.get("extension")
    return isinstance(extensions, list) and any(
        isinstance(item, dict)
        and item.get("url") == EN_REPRESENTATION
        and item.get("valueCode") == "ABC"
        for item in extensions
    )


def _latin(name: Any, field: str) -> str | None:
    return _doc9303(name, field) if isinstance(name, str) else None


@lru_cache(maxsize=4096)
def _doc9303(name: str, field: str) -> str:
    """``transliterate(name, field)``, word by word.

    Transliterating a whole name runs Unicode normalisation, case tables and two regular
    expressions on every card, and their code and tables crowd the signature check out of the
    processor's cache. Words recur from card to card where whole names do not; a word of ASCII
    letters needs only upper-casing; and as transliteration maps character by character and a
    space composes with nothing, the words' forms joined by '<' are the name's. A word that
    cannot be transliterated sends the whole name to ``transliterate``, which says why.
    """
    forms = []
    for word in name.split(" "):
        if word.isascii() and word.isalpha():
            forms.append(word.upper())
        elif word:
            try:
                form = _transliterated_word(word)
            except TransliterationError:
                return transliterate(name, field)
            if form:
                forms.append(form)
    return "<".join(forms)[:MAX_LENGTH]


@lru_cache(maxsize=4096)
def _transliterated_word(word: str) -> str:
    return transliterate(word, "")


def _vaccination(immunizations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    dated = [
        (_date(r.get("occurrenceDateTime")), index, r) for index, r in enumerate(immunizations)
    ]
    date, _, latest = max(dated, key=lambda item: (item[0], item[1]))
    dose, series = _dose_numbers(latest, len(immunizations))
    vaccine = _vaccine_codes(latest.get("vaccineCode"))
    return {
        "kind": "vaccination",
        "disease": vaccine.disease,
        "vaccine": vaccine.codes.vaccine,
        "product": vaccine.codes.product,
        "manufacturer": vaccine.codes.manufacturer,
        "dose_number": dose,
        "total_doses": series,
        "date": date,
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": _identifier(latest) or context.certificate_id,
    }


@dataclass(frozen=True, slots=True)
class _Vaccine:
    codes: terminology.VaccineCodes
    product_known: bool
    # Whether the model takes the three codes as they are: the direct way's question, answered
    # once for each vaccine code a card may name.
    plain: bool

    @property
    def disease(self) -> str:
        return COVID_19 if self.product_known else terminology.UNKNOWN


def _vaccine(codes: terminology.VaccineCodes, *, product_known: bool) -> _Vaccine:
    plain = _code(codes.vaccine) and _code(codes.product) and _code(codes.manufacturer)
    return _Vaccine(codes, product_known, plain)


def _vaccine_codes(concept: Any) -> _Vaccine:
    single = concept.get("coding") if type(concept) is dict else None
    if type(single) is list and len(single) == 1 and type(single[0]) is dict:
        # The usual vaccineCode, one coding of a known vaccine: looked up without the list of
        # (system, code) pairs that _codings builds for the general case.
        system, code = single[0].get("system"), single[0].get("code")
        if type(system) is str and type(code) is str:
            known = _known_vaccine(system, code)
            if known is not None:
                return known
    codings = _codings(concept)
    for system, code in codings:
        known = _known_vaccine(system, code)
        if known is not None:
            return known
    if not codings:
        raise ValueError("the Immunization has no vaccineCode coding")
    system, code = codings[0]
    unknown = terminology.token(system, code)
    codes = terminology.VaccineCodes(unknown, unknown, terminology.UNKNOWN)
    return _vaccine(codes, product_known=False)


# Few vaccine codes exist, and every card names one: each is looked up once.
@lru_cache(maxsize=1024)
def _known_vaccine(system: str, code: str) -> _Vaccine | None:
    known = terminology.vaccine_from_coding(system, code)
    return None if known is None else _vaccine(known, product_known=True)


def _dose_numbers(immunization: Mapping[str, Any], doses_listed: int) -> tuple[int, int]:
    applied = immunization.get("protocolApplied")
    first = applied[0] if isinstance(applied, list) and applied else None
    if isinstance(first, dict):
        dose = first.get("doseNumberPositiveInt")
        if isinstance(dose, int) and not isinstance(dose, bool):
            series = first.get("seriesDosesPositiveInt")
            return dose, series if isinstance(series, int) and series >= 1 else dose
    return doses_listed, doses_listed


def _test(observations: list[Mapping[str, Any]], context: CardContext) -> dict[str, Any]:
    timed = [
        (_datetime(r.get("effectiveDateTime")), index, r) for index, r in enumerate(observations)
    ]
    sample_time, _, latest = max(timed, key=lambda item: (item[0], item[1]))
    return {
        "kind": "test",
        "test_type": _test_type(latest),
        "sample_time": sample_time,
        "result": _result(latest.get("valueCodeableConcept")),
        "centre": _performer(latest),
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": _identifier(latest) or context.certificate_id,
    }


def _test_type(observation: Mapping[str, Any]) -> str:
    """The canonical test type of a SARS-CoV-2 test result (one ``_is_covid_test`` took)."""
    return next(
        known
        for system, code in _codings(observation.get("code"))
        if system == terminology.LOINC and (known := terminology.test_type_from_loinc(code))
    )


def _result(concept: Any) -> str:
    codings = _codings(concept)
    for system, code in codings:
        if system == terminology.SNOMED:
            known = terminology.result_from_snomed(code)
            if known is not None:
                return known
    if not codings:
        raise ValueError("the Observation has no valueCodeableConcept result")
    return terminology.token(*codings[0])


def _performer(resource: Mapping[str, Any]) -> str | None:
    performers = resource.get("performer")
    if not isinstance(performers, list) or not performers:
        return None
    first = performers[0]
    if not isinstance(first, dict):
        return None
    actor = first.get("actor") if isinstance(first.get("actor"), dict) else first
    display = actor.get("display") if isinstance(actor, dict) else None
    return display if isinstance(display, str) else None


def _identifier(resource: Mapping[str, Any]) -> str | None:
    identifiers = resource.get("identifier")
    first = identifiers[0] if isinstance(identifiers, list) and identifiers else None
    value = first.get("value") if isinstance(first, dict) else None
    return value if isinstance(value, str) and value else None


def _codings(concept: Any) -> list[tuple[str, str]]:
    codings = concept.get("coding") if isinstance(concept, dict) else None
    if not isinstance(codings, list):
        return []
    return [
        (str(coding.get("system")), str(coding.get("code")))
        for coding in codings
        if isinstance(coding, dict) and coding.get("code") is not None
    ]


def _date(value: Any) -> dt.date:
    if not isinstance(value, str) or len(value) < 10:
        raise ValueError(f"occurrenceDateTime {value!r} is not a full date")
    return dt.date.fromisoformat(value[:10])


def _datetime(value: Any) -> dt.datetime:
    if not isinstance(value, str):
        raise ValueError(f"effectiveDateTime {value!r} is not a date and time")
    moment = dt.datetime.fromisoformat(value)
    # FHIR requires a zone with a time; a bare date is the start of that day in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])


def _first_line(error: BaseException) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__


# --- the model's JSON, written straight -----------------------------------------------------
#
# For the cards issuers write: a Patient first, then only completed Immunizations, or only
# final SARS-CoV-2 Observations; names in Latin script or with their Doc 9303 form; codes and
# texts within the model's limits. Anything else returns None and goes through the model.

_MAX_TEXT = 80


def _direct_json(bundle: Any, context: CardContext) -> dict[str, Any] | None:
    """The model's JSON of a plainly written card, or None to leave the card to the model."""
    if type(bundle) is not dict or bundle.get("resourceType") != "Bundle":
        return None
    entries = bundle.get("entry")
    if type(entries) is not list or len(entries) < 2:
        return None
    patient, first = _resource(entries[0]), _resource(entries[1])
    if patient is None or first is None or patient.get("resourceType") != "Patient":
        return None
    kind = first.get("resourceType")
    country, issuer, _ = context
    if type(country) is not str or country not in COUNTRY_CODES or not _text(issuer):
        return None
    # What the mapping raises on, it raises again on the model's way, with its message.
    try:
        if kind == "Immunization":
            entry = _direct_vaccination(entries, first, context)
        elif kind == "Observation":
            entry = _direct_test(entries, first, context)
        else:
            return None
        holder = _direct_holder(patient) if entry is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    if holder is None:
        return None
    return {"holder": holder, "entry": entry, "schema_version": SCHEMA_VERSION}


def _resource(entry: Any) -> dict[str, Any] | None:
    resource = entry.get("resource") if type(entry) is dict else None
    return resource if type(resource) is dict else None


def _direct_holder(patient: dict[str, Any]) -> dict[str, Any] | None:
    birth = patient.get("birthDate") or ""
    if type(birth) is not str or not is_date_of_birth(birth):
        return None
    names = patient.get("name")
    name = names[0] if type(names) is list and len(names) == 1 else None
    if type(name) is not dict or "extension" in name:
        return _holder_through_mapping(patient)
    # One name, as written (in Latin script): its Doc 9303 form is derived, as the model does.
    family, given = name.get("family"), name.get("given")
    if type(family) is not str or not family or type(given) is not list or not given:
        return _holder_through_mapping(patient)
    given_name = " ".join(given)
    family_latin = _doc9303(family, "family_name")
    given_latin = _doc9303(given_name, "given_name")
    if len(family) > _MAX_TEXT or len(given_name) > _MAX_TEXT or not (family_latin or given_latin):
        return None
    return {
        "family_name": family,
        "given_name": given_name,
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": birth,
    }


def _holder_through_mapping(patient: dict[str, Any]) -> dict[str, Any] | None:
    """The holder of any other Patient: the mapping's, with the checks the model would make."""
    holder = _holder(patient)
    family, given = holder["family_name"], holder["given_name"]
    family_latin = _plain_latin(family, holder["family_name_latin"], "family_name_latin")
    given_latin = _plain_latin(given, holder["given_name_latin"], "given_name_latin")
    if (
        isinstance(family_latin, _ToModel)
        or isinstance(given_latin, _ToModel)
        or not (family_latin or given_latin)
        or not _optional_text(family)
        or not _optional_text(given)
    ):
        return None
    holder["family_name_latin"] = family_latin
    holder["given_name_latin"] = given_latin
    return holder


class _ToModel:
    """A value the model alone can judge: the direct way gives the card up to the model."""


_TO_MODEL = _ToModel()


def _plain_latin(written: object, latin: object, field: str) -> str | _ToModel | None:
    """The Doc 9303 form as the model keeps it, or _TO_MODEL.

    A missing form beside a written name is the model's to derive; a form not yet standard is
    standardised here by the model's own function, or left to the model to refuse.
    """
    if latin is None:
        return None if written is None else _TO_MODEL
    if type(latin) is not str:
        return _TO_MODEL
    try:
        return normalise_standard(latin, field)
    except ValueError:
        return _TO_MODEL


def _direct_vaccination(
    entries: list[Any], first: dict[str, Any], context: CardContext
) -> dict[str, Any] | None:
    """The entry of a card whose entries after the Patient (``first`` the first of them) are
    all completed Immunizations."""
    latest: dict[str, Any] = {}
    date, written = dt.date.min, ""
    for index in range(1, len(entries)):
        resource = first if index == 1 else _resource(entries[index])
        if (
            resource is None
            or resource.get("resourceType") != "Immunization"
            or resource.get("status") != "completed"
        ):
            return None
        value: Any = resource.get("occurrenceDateTime")
        day = _date(value)  # a str, or it raised
        if day >= date:  # of doses on one day, the last listed
            latest, date, written = resource, day, value
    dose, series = _dose_numbers(latest, len(entries) - 1)
    vaccine = _vaccine_codes(latest.get("vaccineCode"))
    certificate_id = _identifier(latest) or context.certificate_id
    # The mapping's dose is an int; its series may be a boolean, which the model refuses.
    if dose < 1 or type(series) is not int or not vaccine.plain or not _text(certificate_id):
        return None
    codes = vaccine.codes
    return {
        "kind": "vaccination",
        "disease": vaccine.disease,
        "vaccine": codes.vaccine,
        "product": codes.product,
        "manufacturer": codes.manufacturer,
        "dose_number": dose,
        "total_doses": series,
        # As written when it is YYYY-MM-DD (what isoformat gives back), else from the date.
        "date": written[:10] if written[4] == "-" == written[7] else date.isoformat(),
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": certificate_id,
    }


def _direct_test(
    entries: list[Any], first: dict[str, Any], context: CardContext
) -> dict[str, Any] | None:
    """The entry of a card whose entries after the Patient (``first`` the first of them) are
    all SARS-CoV-2 test results."""
    latest: dict[str, Any] = {}
    when: dt.datetime | None = None
    for index in range(1, len(entries)):
        resource = first if index == 1 else _resource(entries[index])
        if resource is None or type(resource.get("status")) is not str:
            return None
        if not _is_covid_test(resource):
            return None
        moment = _datetime(resource.get("effectiveDateTime"))
        if when is None or moment >= when:  # of tests at one time, the last listed
            latest, when = resource, moment
    if when is None:
        return None
    sample_time = _plain_time(when)
    result = _result(latest.get("valueCodeableConcept"))
    centre = _performer(latest)
    certificate_id = _identifier(latest) or context.certificate_id
    if (
        sample_time is None
        or not _code(result)
        or not _optional_text(centre)
        or not _text(certificate_id)
    ):
        return None
    return {
        "kind": "test",
        "disease": COVID_19,
        "test_type": _test_type(latest),
        "test_name": None,
        "test_device": None,
        "sample_time": sample_time,
        "result": result,
        "centre": centre,
        "country": context.country,
        "issuer": context.issuer,
        "certificate_id": certificate_id,
    }


def _plain_time(moment: dt.datetime) -> str | None:
    """An aware date and time as the model writes it: ISO 8601, a zero offset as Z."""
    offset = moment.utcoffset()
    # The model writes offsets in whole minutes, dropping any seconds: those go through it.
    if offset is None or offset.microseconds or offset.seconds % 60:
        return None
    text = moment.isoformat()
    return text if offset else text[:-6] + "Z"


def _code(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= _MAX_TEXT


def _text(value: object) -> bool:
    return type(value) is str and len(value) <= _MAX_TEXT


def _optional_text(value: object) -> bool:
    return value is None or _text(value)


# --- writing --------------------------------------------------------------------------------


def bundle_from_certificate(cert: Certificate) -> dict[str, Any]:
    """The minimised FHIR Bundle of a canonical vaccination or test certificate."""
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
