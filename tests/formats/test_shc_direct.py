"""The report's certificate of a SMART Health Card: the direct way and the model's must agree.

``certificate_json`` writes a plainly written card's JSON without building the pydantic model
and leaves every other card to the model. Both ways must give the same text (key order too),
or refuse a card with the same code and message.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcert.formats import terminology
from healthcert.formats.shc import fhir_common, fhir_direct, fhir_read, fhir_write
from healthcert.formats.shc.fhir_common import CardContext, ContentError
from healthcert.model import codes
from healthcert.model.certificate import Certificate, Holder, TestResult, Vaccination
from healthcert.model.names import TransliterationError, transliterate

EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"
CONTEXT = CardContext(country="CA", issuer="Example Health", certificate_id="rid-1")


def _through_model(bundle: Any, context: CardContext) -> object:
    try:
        document = fhir_read.certificate_from_bundle(bundle, context).model_dump(mode="json")
    except ContentError as error:
        return ("refused", error.code, error.message)
    except Exception as error:  # what the mapping lets through, the direct way must too
        return ("raised", type(error).__name__, str(error))
    return json.dumps(document, ensure_ascii=False)


def _direct_way(bundle: Any, context: CardContext) -> object:
    try:
        document = fhir_direct.certificate_json(bundle, context)
    except ContentError as error:
        return ("refused", error.code, error.message)
    except Exception as error:
        return ("raised", type(error).__name__, str(error))
    return json.dumps(document, ensure_ascii=False)


def _assert_alike(bundle: Any, context: CardContext = CONTEXT) -> None:
    assert _direct_way(bundle, context) == _through_model(bundle, context)


def _example(number: str) -> Any:
    return json.loads((EXAMPLES / f"example-{number}-a-fhirBundle.json").read_text())


VACCINATION = Certificate(
    holder=Holder(family_name="Müller-Łęcka", given_name="Zoë Anaïs", date_of_birth="1985-11"),
    entry=Vaccination(
        vaccine="1119349007",
        product="EU/1/20/1528",
        manufacturer="ORG-100030215",
        dose_number=2,
        total_doses=2,
        date=dt.date(2024, 2, 12),
        country="DE",
        issuer="Robert Koch-Institut",
        certificate_id="URN:UVCI:01:DE:SHC/ROUNDTRIP#1",
    ),
)
PINYIN = Certificate(
    holder=Holder(
        family_name="王",
        given_name="小明",
        family_name_latin="WANG",
        given_name_latin="XIAO<MING",
        date_of_birth="1985-07-21",
    ),
    entry=VACCINATION.entry,
)
TEST = Certificate(
    holder=Holder(family_name="Ng", given_name="Wei", date_of_birth=""),
    entry=TestResult(
        test_type=codes.TEST_TYPE_RAPID_ANTIGEN,
        sample_time=dt.datetime(2024, 3, 1, 7, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        result=codes.RESULT_NOT_DETECTED,
        centre="Harbourside Test Centre",
        country="DE",
        issuer="Robert Koch-Institut",
        certificate_id="URN:UVCI:01:DE:SHC/TEST#2",
    ),
)
ISSUED = [fhir_write.bundle_from_certificate(cert) for cert in (VACCINATION, PINYIN, TEST)]


@pytest.mark.parametrize("number", ["00", "01", "02", "03"])
def test_the_framework_examples_map_alike_both_ways(number: str) -> None:
    _assert_alike(_example(number))


@pytest.mark.parametrize("bundle", ISSUED, ids=["latin", "pinyin", "test"])
def test_issued_cards_take_the_direct_way(bundle: dict[str, Any]) -> None:
    assert fhir_direct._direct_json(bundle, CONTEXT) is not None
    _assert_alike(bundle)


@pytest.mark.parametrize("bundle", ISSUED, ids=["latin", "pinyin", "test"])
def test_an_unknown_country_takes_the_direct_way_as_null(bundle: dict[str, Any]) -> None:
    # A card names no country: without its issuer's, the entry's is unknown, not refused.
    unknown = CONTEXT._replace(country=None)
    direct = fhir_direct._direct_json(bundle, unknown)
    assert direct is not None and direct["entry"]["country"] is None
    _assert_alike(bundle, unknown)


def test_the_examples_with_a_certificate_take_the_direct_way() -> None:
    for number in ("00", "01", "03"):
        assert fhir_direct._direct_json(_example(number), CONTEXT) is not None


def _first(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    resource: dict[str, Any] = next(
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    )
    return resource


def test_an_unusual_card_goes_to_the_model() -> None:
    bundle = copy.deepcopy(ISSUED[0])
    _first(bundle, "Immunization")["identifier"] = [{"value": "x" * 81}]  # longer than 80
    assert fhir_direct._direct_json(bundle, CONTEXT) is None
    with pytest.raises(ContentError) as raised:
        fhir_direct.certificate_json(bundle, CONTEXT)
    assert raised.value.message == _through_model(bundle, CONTEXT)[2]  # type: ignore[index]


def test_a_name_the_model_standardises_is_read_the_same() -> None:
    bundle = copy.deepcopy(ISSUED[1])
    _first(bundle, "Patient")["name"][1]["given"] = ["xiao", "ming"]  # not yet Doc 9303 form
    certificate = fhir_direct.certificate_json(bundle, CONTEXT)
    assert certificate["holder"]["given_name_latin"] == "XIAO<MING"
    _assert_alike(bundle)


def test_a_missing_alphabetic_part_is_derived_by_the_model() -> None:
    bundle = copy.deepcopy(ISSUED[0])
    patient = _first(bundle, "Patient")
    patient["name"].append(
        {"extension": [{"url": fhir_common.EN_REPRESENTATION, "valueCode": "ABC"}], "family": "M"}
    )
    assert fhir_direct._direct_json(bundle, CONTEXT) is None
    assert (
        fhir_direct.certificate_json(bundle, CONTEXT)["holder"]["given_name_latin"] == "ZOE<ANAIS"
    )
    _assert_alike(bundle)


def test_a_zero_offset_is_written_as_z_like_the_model_does() -> None:
    bundle = copy.deepcopy(ISSUED[2])
    _first(bundle, "Observation")["effectiveDateTime"] = "2024-03-01T07:30:00.250+00:00"
    certificate = fhir_direct.certificate_json(bundle, CONTEXT)
    assert certificate["entry"]["sample_time"] == "2024-03-01T07:30:00.250000Z"
    _assert_alike(bundle)


# --- many cards, each a small change away from a plain one ---------------------------------

_NAME_EXTENSION = [{"url": fhir_common.EN_REPRESENTATION, "valueCode": "ABC"}]
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.just(2**70),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=90),
    st.just(""),
    st.just("x" * 81),
    st.sampled_from(
        [
            "2021-05-01",
            "2021-02-30",
            "2021-05",
            "1951",
            "1899-12-31",
            "2100-01-01",
            "20210501",
            "2021-W01-1",
            "2021-05-01T10:00:00Z",
            "2021-05-01T10:00:00+05:30",
            "2021-05-01T10:00:00-00:00",
            "2021-05-01T10:00:00.5-04:00",
            "2021-05-01T10:00:00+05:30:10",
            "2021-05-01T10:00:00",
            "0999-05-01T10:00:00Z",
            "completed",
            "entered-in-error",
            "final",
            "amended",
            "preliminary",
            "official",
            "Patient",
            "Immunization",
            "Observation",
            "Müller",
            "王",
            "O'Brien",
            "Jean-Luc",
            ".",
            "--",
            "MUELLER<X",
            "mueller x",
            terminology.CVX,
            terminology.SNOMED,
            terminology.LOINC,
            "207",
            "208",
            "141",
            "94500-6",
            "94558-4",
            "2339-0",
            "260415000",
            "260373001",
            "419984006",
            "CA",
            "ca",
            "CAN",
        ]
    ),
    st.lists(st.sampled_from(["John", "B.", "", "王", "x" * 50]), max_size=3),
    st.just(_NAME_EXTENSION),
    st.just({"coding": [{"system": terminology.CVX, "code": "207"}]}),
    st.just([{"doseNumberPositiveInt": 1, "seriesDosesPositiveInt": 2}]),
    st.just([{"display": "Lab One"}]),
    st.just([{"actor": {"display": "Lab Two"}}]),
)
# Where a value may land: the key paths of the plain cards this test starts from.
_PATIENT_PATHS = [
    ("name",),
    ("name", 0),
    ("name", 0, "family"),
    ("name", 0, "given"),
    ("name", 0, "given", 0),
    ("name", 0, "use"),
    ("name", 0, "extension"),
    ("name", 1),
    ("name", 1, "family"),
    ("name", 1, "given"),
    ("name", 1, "extension"),
    ("birthDate",),
    ("resourceType",),
]
_IMMUNIZATION_PATHS = [
    ("status",),
    ("occurrenceDateTime",),
    ("vaccineCode",),
    ("vaccineCode", "coding", 0, "system"),
    ("vaccineCode", "coding", 0, "code"),
    ("protocolApplied",),
    ("protocolApplied", 0, "doseNumberPositiveInt"),
    ("protocolApplied", 0, "seriesDosesPositiveInt"),
    ("identifier",),
    ("identifier", 0, "value"),
    ("resourceType",),
]
_OBSERVATION_PATHS = [
    ("status",),
    ("effectiveDateTime",),
    ("code", "coding", 0, "system"),
    ("code", "coding", 0, "code"),
    ("valueCodeableConcept",),
    ("valueCodeableConcept", "coding", 0, "system"),
    ("valueCodeableConcept", "coding", 0, "code"),
    ("performer",),
    ("performer", 0, "display"),
    ("identifier", 0, "value"),
    ("resourceType",),
]


def _put(target: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path`` where the containers on the way exist; else change nothing."""
    for step in path[:-1]:
        found = isinstance(target, dict) and step in target
        if not found and not (isinstance(target, list) and isinstance(step, int)):
            return
        if not found and step >= len(target):
            return
        target = target[step]
    last = path[-1]
    if isinstance(target, dict) and isinstance(last, str):
        target[last] = value
    elif isinstance(target, list) and isinstance(last, int):
        if last < len(target):
            target[last] = value
        else:
            target.append(value)


_CHANGES = st.lists(
    st.one_of(
        st.tuples(st.just("Patient"), st.sampled_from(_PATIENT_PATHS), _VALUES),
        st.tuples(st.just("Immunization"), st.sampled_from(_IMMUNIZATION_PATHS), _VALUES),
        st.tuples(st.just("Observation"), st.sampled_from(_OBSERVATION_PATHS), _VALUES),
        st.tuples(st.just("bundle"), st.sampled_from(["copy", "swap", "drop", "junk"]), _VALUES),
    ),
    min_size=1,
    max_size=3,
)
_CONTEXTS = st.builds(
    CardContext,
    country=st.sampled_from(["CA", None, "XX", "ca", "CAN", ""]),
    issuer=st.sampled_from(["Example Health", "", "x" * 81]),
    certificate_id=st.sampled_from(["rid-1", "shc:abc", "x" * 81]),
)


def _changed(start: dict[str, Any], changes: list[tuple[str, Any, Any]]) -> dict[str, Any]:
    bundle = copy.deepcopy(start)
    entries = bundle["entry"]
    for where, path, value in changes:
        if where == "bundle":
            if path == "copy":  # another dose or test, listed first: later changes go to it
                entries.insert(1, copy.deepcopy(entries[-1]))
            elif path == "swap":
                entries.reverse()
            elif path == "drop" and len(entries) > 1:
                entries.pop()
            elif path == "junk":
                entries.append({"resource": value} if value is not None else value)
            continue
        for entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == where:
                _put(resource, path, copy.deepcopy(value))
                break
    return bundle


_EXAMPLE_BUNDLES = [_example("00"), _example("03")]
_LATIN, _PINYIN, _TEST = ISSUED

# Each a card one of the direct way's checks exists for.
EDGE_CASES: list[tuple[str, dict[str, Any], list[tuple[str, Any, Any]]]] = [
    (
        "second dose on the same day",
        _LATIN,
        [("bundle", "copy", None), *[("Immunization", ("identifier", 0, "value"), "first listed")]],
    ),
    (
        "second dose on a later day",
        _LATIN,
        [("bundle", "copy", None), *[("Immunization", ("occurrenceDateTime",), "2024-03-01")]],
    ),
    (
        "second test at the same time",
        _TEST,
        [("bundle", "copy", None), *[("Observation", ("identifier", 0, "value"), "first listed")]],
    ),
    (
        "second test, not a SARS-CoV-2 one",
        _TEST,
        [("bundle", "copy", None), *[("Observation", ("code", "coding", 0, "code"), "2339-0")]],
    ),
    (
        "only test not a SARS-CoV-2 one",
        _TEST,
        [("Observation", ("code", "coding", 0, "code"), "2339-0")],
    ),
    ("test not final", _TEST, [("Observation", ("status",), "preliminary")]),
    ("test status not text", _TEST, [("Observation", ("status",), ["final"])]),
    (
        "result token too long",
        _TEST,
        [("Observation", ("valueCodeableConcept", "coding", 0, "system"), "x" * 81)],
    ),
    ("no result", _TEST, [("Observation", ("valueCodeableConcept",), None)]),
    ("centre too long", _TEST, [("Observation", ("performer", 0, "display"), "x" * 81)]),
    (
        "sample time with seconds in its offset",
        _TEST,
        [("Observation", ("effectiveDateTime",), "2021-05-01T10:00:00+05:30:10")],
    ),
    ("only name alphabetic", _LATIN, [("Patient", ("name", 0, "extension"), _NAME_EXTENSION)]),
    (
        "only name alphabetic and empty",
        _LATIN,
        [
            ("Patient", ("name", 0, "extension"), _NAME_EXTENSION),
            ("Patient", ("name", 0, "family"), None),
            ("Patient", ("name", 0, "given"), None),
        ],
    ),
    (
        "names that give no Doc 9303 form",
        _LATIN,
        [("Patient", ("name", 0, "family"), "."), ("Patient", ("name", 0, "given"), ["-"])],
    ),
    (
        "alphabetic names that give no Doc 9303 form",
        _PINYIN,
        [("Patient", ("name", 1, "family"), ""), ("Patient", ("name", 1, "given"), [])],
    ),
    (
        "written given name too long, beside the alphabetic form",
        _PINYIN,
        [("Patient", ("name", 0, "given"), ["x" * 50, "y" * 30])],
    ),
    (
        "written family name too long, beside the alphabetic form",
        _PINYIN,
        [("Patient", ("name", 0, "family"), "x" * 81)],
    ),
    ("given names not text", _LATIN, [("Patient", ("name", 0, "given"), ["A", 1])]),
    ("family name too long", _LATIN, [("Patient", ("name", 0, "family"), "x" * 81)]),
    ("given name too long", _LATIN, [("Patient", ("name", 0, "given"), ["x" * 50, "y" * 30])]),
    ("script without transliteration", _LATIN, [("Patient", ("name", 0, "family"), "王")]),
    ("birth date not a calendar date", _LATIN, [("Patient", ("birthDate",), "1985-02-30")]),
    ("birth year out of range", _LATIN, [("Patient", ("birthDate",), "1899")]),
    ("birth date a number", _LATIN, [("Patient", ("birthDate",), 1985)]),
    ("dose zero", _LATIN, [("Immunization", ("protocolApplied", 0, "doseNumberPositiveInt"), 0)]),
    (
        "dose a boolean",
        _LATIN,
        [("Immunization", ("protocolApplied", 0, "doseNumberPositiveInt"), True)],
    ),
    (
        "series a boolean",
        _LATIN,
        [("Immunization", ("protocolApplied", 0, "seriesDosesPositiveInt"), True)],
    ),
    (
        "series zero",
        _LATIN,
        [("Immunization", ("protocolApplied", 0, "seriesDosesPositiveInt"), 0)],
    ),
    ("unknown vaccine", _LATIN, [("Immunization", ("vaccineCode", "coding", 0, "code"), "141")]),
    (
        "unknown vaccine, long token",
        _LATIN,
        [("Immunization", ("vaccineCode", "coding", 0, "system"), "x" * 80)],
    ),
    ("no vaccine coding", _LATIN, [("Immunization", ("vaccineCode",), {"coding": []})]),
    ("immunization not completed", _LATIN, [("Immunization", ("status",), "entered-in-error")]),
    ("date with a time", _LATIN, [("Immunization", ("occurrenceDateTime",), "2024-02-12T10:00Z")]),
    ("date in week form", _LATIN, [("Immunization", ("occurrenceDateTime",), "2024-W07-1")]),
    ("identifier too long", _LATIN, [("Immunization", ("identifier", 0, "value"), "x" * 81)]),
    ("patient second", _LATIN, [("bundle", "swap", None)]),
    ("another resource", _LATIN, [("bundle", "junk", {"resourceType": "Specimen"})]),
    ("an entry without a resource", _LATIN, [("bundle", "junk", None)]),
]


@pytest.mark.parametrize(
    ("start", "changes"),
    [(start, changes) for _, start, changes in EDGE_CASES],
    ids=[name for name, _, _ in EDGE_CASES],
)
@pytest.mark.parametrize(
    "context", [CONTEXT, CardContext("cA", "x", "y"), CardContext("CA", "x" * 81, "y")]
)
def test_edge_cases_map_alike_both_ways(
    start: dict[str, Any], changes: list[tuple[str, Any, Any]], context: CardContext
) -> None:
    _assert_alike(_changed(start, changes), context)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.sampled_from([*ISSUED, *_EXAMPLE_BUNDLES]),
    changes=_CHANGES,
    context=_CONTEXTS,
)
def test_changed_cards_map_alike_both_ways(
    start: dict[str, Any], changes: list[tuple[str, Any, Any]], context: CardContext
) -> None:
    _assert_alike(_changed(start, changes), context)


@settings(max_examples=200, deadline=None)
@given(
    family=st.text(max_size=30),
    given_names=st.lists(st.text(max_size=12), max_size=3),
    birth=st.text(alphabet="0123456789-", max_size=11),
)
def test_any_written_name_and_birth_date_map_alike(
    family: str, given_names: list[str], birth: str
) -> None:
    bundle = copy.deepcopy(ISSUED[0])
    patient = _first(bundle, "Patient")
    patient["name"] = [{"family": family, "given": given_names}]
    patient["birthDate"] = birth
    _assert_alike(bundle)


@settings(max_examples=200, deadline=None)
@given(
    moment=st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=st.sampled_from(
            [
                dt.UTC,
                dt.timezone(dt.timedelta(hours=-5)),
                dt.timezone(dt.timedelta(hours=5, minutes=45)),
                dt.timezone(dt.timedelta(hours=-23, minutes=-59)),
                dt.timezone(dt.timedelta(seconds=30)),
                dt.timezone(dt.timedelta(microseconds=-1)),
            ]
        ),
    )
)
def test_any_sample_time_is_written_as_the_model_writes_it(moment: dt.datetime) -> None:
    bundle = copy.deepcopy(ISSUED[2])
    _first(bundle, "Observation")["effectiveDateTime"] = moment.isoformat()
    _assert_alike(bundle)


_NAME_CHARACTERS = st.one_of(
    st.sampled_from([*"aZ .-'’\u00a0\t,Öößæ\u0308\u0301王ŁĲ<", "  ", " \u0308"]),
    st.characters(max_codepoint=0x2FF),
    st.characters(),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_NAME_CHARACTERS, max_size=30).map("".join))
def test_names_are_transliterated_word_by_word_as_whole(name: str) -> None:
    try:
        expected: object = transliterate(name, "family_name")
    except TransliterationError as error:
        expected = ("refused", str(error))
    try:
        found: object = fhir_common._doc9303(name, "family_name")
    except TransliterationError as error:
        found = ("refused", str(error))
    assert found == expected


def test_long_names_are_cut_where_the_whole_name_is() -> None:
    name = " ".join(["Abcdefghij"] * 9 + ["Ölund"])
    assert fhir_common._doc9303(name, "given_name") == transliterate(name, "given_name")
    assert len(fhir_common._doc9303(name, "given_name")) == 80
