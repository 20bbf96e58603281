"""EU DCC JSON <-> canonical certificate: exact mappings, round trips, real payloads."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.formats.eu_dcc.mapping import DccMappingError, canonical_json, from_dcc, to_dcc
from healthcert.model import Certificate, Holder, Recovery, TestResult, Vaccination

DATA = Path(__file__).parent.parent / "data"
EXAMPLES = sorted((DATA / "eu-dcc-schema-examples").glob("*/*.json"))
VECTORS = sorted((DATA / "eu-dcc").glob("**/*.json"))


def vector_dccs() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in VECTORS:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(document, dict) and isinstance(document.get("JSON"), dict):
            found.append((str(path.relative_to(DATA / "eu-dcc")), document["JSON"]))
    return found


VECTOR_DCCS = vector_dccs()


def test_the_data_is_there() -> None:
    assert len(EXAMPLES) == 27
    assert len(VECTOR_DCCS) == 179


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_schema_examples_round_trip(path: Path) -> None:
    dcc = json.loads(path.read_text(encoding="utf-8"))
    cert = from_dcc(dcc)
    assert to_dcc(cert) == dcc
    assert from_dcc(to_dcc(cert)) == cert


def test_test_example_maps_exactly() -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/test/simple-rat.json").read_text())
    assert from_dcc(dcc) == Certificate(
        holder=Holder(
            family_name="Smith-Jones",
            family_name_latin="SMITH<JONES",
            given_name="Charles Edward",
            given_name_latin="CHARLES<EDWARD",
            date_of_birth="1964-01-01",
        ),
        entry=TestResult(
            disease="840539006",
            test_type="LP217198-3",
            test_device="532",
            sample_time=dt.datetime(2021, 6, 11, 17, 30, tzinfo=dt.UTC),
            result="260415000",
            centre="Example Test Corp, Big City",
            country="NL",
            issuer="Ministry of Health Welfare and Sport",
            certificate_id="URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1",
        ),
        schema_version="1.3.3",
    )


def test_vaccination_is_written_exactly() -> None:
    cert = Certificate(
        holder=Holder(
            family_name="Musterfrau-Gößinger", given_name="Gabriele", date_of_birth="1998"
        ),
        entry=Vaccination(
            vaccine="1119349007",
            product="EU/1/20/1528",
            manufacturer="ORG-100030215",
            dose_number=3,
            total_doses=3,
            date=dt.date(2022, 1, 10),
            country="AT",
            issuer="Ministry of Health, Austria",
            certificate_id="URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
        ),
    )
    assert to_dcc(cert) == {
        "ver": "1.3.0",
        "nam": {
            "fn": "Musterfrau-Gößinger",
            "fnt": "MUSTERFRAU<GOESSINGER",
            "gn": "Gabriele",
            "gnt": "GABRIELE",
        },
        "dob": "1998",
        "v": [
            {
                "tg": "840539006",
                "vp": "1119349007",
                "mp": "EU/1/20/1528",
                "ma": "ORG-100030215",
                "dn": 3,
                "sd": 3,
                "dt": "2022-01-10",
                "co": "AT",
                "is": "Ministry of Health, Austria",
                "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
            }
        ],
    }


def test_antibody_test_is_written_with_offset_and_without_absent_fields() -> None:
    cert = Certificate(
        holder=Holder(given_name_latin="WEI", date_of_birth=""),
        entry=TestResult(
            test_type="94563-4",
            sample_time=dt.datetime(
                2021, 5, 30, 10, 12, 22, 500000, tzinfo=dt.timezone(dt.timedelta(hours=2))
            ),
            result="260373001",
            country="DE",
            issuer="Labor Berlin",
            certificate_id="URN:UVCI:01DE/A1/X#1",
        ),
    )
    assert to_dcc(cert) == {
        "ver": "1.3.0",
        "nam": {"gnt": "WEI"},
        "dob": "",
        "t": [
            {
                "tg": "840539006",
                "tt": "94563-4",
                "sc": "2021-05-30T10:12:22.500000+02:00",
                "tr": "260373001",
                "co": "DE",
                "is": "Labor Berlin",
                "ci": "URN:UVCI:01DE/A1/X#1",
            }
        ],
    }


def test_utc_is_written_as_z_and_odd_offsets_as_utc() -> None:
    def written(sample_time: dt.datetime) -> str:
        entry = TestResult(
            test_type="LP6464-4",
            sample_time=sample_time,
            result="260415000",
            country="DE",
            issuer="RKI",
            certificate_id="X",
        )
        dcc = to_dcc(Certificate(holder=Holder(given_name="Anna"), entry=entry))
        return str(dcc["t"][0]["sc"])

    assert written(dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)) == "2021-05-30T10:12:22Z"
    lmt = dt.timezone(dt.timedelta(minutes=9, seconds=21))  # Paris mean time: not RFC 3339
    assert written(dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=lmt)) == "2021-05-30T10:03:01Z"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2021-05-30T10:12:22Z", dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)),
        ("2021-05-30T10:12:22+00:00", dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)),
        ("2021-05-30T12:12:22+02:00", dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)),
        ("2021-05-30T12:12:22+0200", dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)),
        ("2021-05-30T10:12:22.123Z", dt.datetime(2021, 5, 30, 10, 12, 22, 123000, tzinfo=dt.UTC)),
        (
            "2021-05-30T10:12:22.1234567Z",
            dt.datetime(2021, 5, 30, 10, 12, 22, 123456, tzinfo=dt.UTC),
        ),
        ("2021-05-30 05:12:22-05:00", dt.datetime(2021, 5, 30, 10, 12, 22, tzinfo=dt.UTC)),
    ],
)
def test_sample_times_as_issuers_wrote_them(written: str, expected: dt.datetime) -> None:
    dcc = _test_dcc(sc=written)
    sample_time = from_dcc(dcc).entry.sample_time  # type: ignore[union-attr]
    assert sample_time == expected
    assert sample_time.utcoffset() is not None


def test_offsets_are_kept() -> None:
    sample_time = from_dcc(_test_dcc(sc="2021-05-30T12:12:22+0200")).entry.sample_time  # type: ignore[union-attr]
    assert sample_time.utcoffset() == dt.timedelta(hours=2)


def test_dates_with_time_parts_from_version_1_0() -> None:
    vector = dict(VECTOR_DCCS)["PL/1.0.0/2DCode/raw/11.json"]
    cert = from_dcc(vector)
    assert cert.entry.date == dt.date(2021, 3, 18)  # type: ignore[union-attr]
    assert vector["v"][0]["dt"] == "2021-03-18T22:54:00+02:00"
    assert to_dcc(cert)["v"][0]["dt"] == "2021-03-18"


def test_dose_number_written_as_a_float_is_read_as_an_integer() -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/vaccination/simple.json").read_text())
    dcc["v"][0]["dn"] = 1.0
    assert from_dcc(dcc).entry.dose_number == 1  # type: ignore[union-attr]
    assert type(to_dcc(from_dcc(dcc))["v"][0]["dn"]) is int


def test_test_result_time_of_version_1_0_is_left_out() -> None:
    vector = dict(VECTOR_DCCS)["DE/2DCode/raw/2.json"]
    assert "dr" in vector["t"][0]
    written = to_dcc(from_dcc(vector))
    assert written["t"][0] == {key: v for key, v in vector["t"][0].items() if key != "dr"}


# Vectors that do not fit the model, and why.
UNFIT_VECTORS = {
    "ES/2DCode/raw/1102.json": "r[0]: valid_from 2021-05-28 is after valid_until 2020-12-28",
    "SK/2DCode/raw/3.json": "v must be a list of one entry (found 2)",
    "common/2DCode/raw/DGC2.json": "a DCC carries exactly one of v, t and r (found: v, t, r)",
}


@pytest.mark.parametrize(("name", "dcc"), VECTOR_DCCS, ids=[name for name, _ in VECTOR_DCCS])
def test_every_vector_maps_or_says_why_not(name: str, dcc: dict[str, Any]) -> None:
    if name in UNFIT_VECTORS:
        with pytest.raises(DccMappingError) as caught:
            from_dcc(dcc)
        assert str(caught.value) == UNFIT_VECTORS[name]
        return
    cert = from_dcc(dcc)
    assert from_dcc(to_dcc(cert)) == cert
    assert canonical_json(dcc) == cert.model_dump(mode="json")


def test_vectors_round_trip_exactly_unless_they_use_older_forms() -> None:
    differing = set()
    for name, dcc in VECTOR_DCCS:
        if name not in UNFIT_VECTORS and to_dcc(from_dcc(dcc)) != dcc:
            differing.add(name)
    # dr (1.0.x), dt with a time (1.0.x), +00:00 written as Z, or lower-case standard names
    assert len(differing) == 38
    for name in differing:
        dcc = dict(VECTOR_DCCS)[name]
        entry = next(dcc[group][0] for group in "vtr" if group in dcc)
        assert (
            "dr" in entry
            or "T" in str(entry.get("dt", ""))
            or str(entry.get("sc", "")).endswith("+00:00")
            or dcc["nam"].get("fnt", "").upper() != dcc["nam"].get("fnt", "")
        ), name


def test_canonical_json_is_the_report_view() -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/recovery/simple.json").read_text())
    assert canonical_json(dcc) == {
        "holder": {
            "family_name": "Smith-Jones",
            "given_name": "Charles Edward",
            "family_name_latin": "SMITH<JONES",
            "given_name_latin": "CHARLES<EDWARD",
            "date_of_birth": "1964-01-01",
        },
        "entry": {
            "kind": "recovery",
            "disease": "840539006",
            "first_positive": "2021-06-01",
            "country": "NL",
            "issuer": "Ministry of Health Welfare and Sport",
            "valid_from": "2021-06-12",
            "valid_until": "2021-11-28",
            "certificate_id": "URN:UVCI:01:NL:DADFCC47C7334E45A906DB12FD859FB7#1",
        },
        "schema_version": "1.3.3",
    }


def _test_dcc(**changes: Any) -> dict[str, Any]:
    dcc: dict[str, Any] = json.loads(
        (DATA / "eu-dcc-schema-examples/test/simple-naat.json").read_text()
    )
    dcc["t"][0].update(changes)
    return dcc


@pytest.mark.parametrize(
    ("dcc", "message"),
    [
        ([], "a DCC is a JSON object, not list"),
        (
            {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": ""},
            "a DCC carries exactly one of v, t and r (found: none)",
        ),
        (
            {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "", "v": []},
            "v must be a list of one entry (found 0)",
        ),
        (
            {"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "", "v": {}},
            "v must be a list of one entry (found dict)",
        ),
        ({"ver": "1.3.0", "nam": {"fnt": "X"}, "dob": "", "r": ["x"]}, "r[0] must be an object"),
        (
            {"ver": "1.3.0", "nam": "X", "dob": "", "r": [{}]},
            "nam must be an object with fn, fnt, gn or gnt",
        ),
        (_test_dcc(sc="2021-06-11T17:30:00"), "t[0].sc '2021-06-11T17:30:00' has no UTC offset"),
        (
            _test_dcc(sc="11.06.2021 17:30"),
            "t[0].sc '11.06.2021 17:30' is not an RFC 3339 date-time",
        ),
        (_test_dcc(sc=1623432600), "t[0].sc must be a date-time string, not int"),
        (
            _test_dcc(co="NLD", tr=260415000),
            "t[0].tr: Input should be a valid string; "
            "t[0].co: String should match pattern '^[A-Z]{2}$'",
        ),
        (_test_dcc(tc=b"Lab"), "t[0].tc: Input should be a valid string"),
    ],
)
def test_mapping_errors(dcc: object, message: str) -> None:
    with pytest.raises(DccMappingError) as caught:
        from_dcc(dcc)
    assert str(caught.value).startswith(message)


def test_mapping_errors_name_dcc_paths() -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/vaccination/simple.json").read_text())
    dcc["v"][0].update(dn=True, sd="2", dt="2021-02-30")
    with pytest.raises(DccMappingError, match=r"^v\[0\].dt '2021-02-30' is not a date YYYY-MM-DD$"):
        from_dcc(dcc)
    dcc["v"][0]["dt"] = "2021-02-28"
    with pytest.raises(DccMappingError) as caught:
        from_dcc(dcc)
    assert str(caught.value) == (
        "v[0].dn: Input should be a valid integer; v[0].sd: Input should be a valid integer"
    )
    dcc["v"][0].update(dn=1, sd=2)
    dcc.update(ver=None, dob="1964-02-30", nam={"fn": "张"})
    with pytest.raises(DccMappingError) as caught:
        from_dcc(dcc)
    assert str(caught.value) == (
        "nam.fnt: family_name '张' is not in Latin script: give family_name_latin, e.g. the "
        "pinyin in capitals, such as ZHANG for 张; dob: date_of_birth '1964-02-30' is not a "
        "calendar date; ver: Input should be a valid string"
    )


def test_chinese_names_need_their_standard_form() -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/recovery/simple.json").read_text())
    dcc["nam"] = {"fn": "张", "fnt": "ZHANG", "gn": "伟", "gnt": "WEI"}
    assert from_dcc(dcc).holder == Holder(
        family_name="张",
        family_name_latin="ZHANG",
        given_name="伟",
        given_name_latin="WEI",
        date_of_birth="1964-01-01",
    )
    assert to_dcc(from_dcc(dcc)) == dcc


# --- round trips of generated certificates -------------------------------------------------

_latin = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÄÖÜäöüßÅåÆæØøÞþÑñÉéČčŁł '-",
    min_size=1,
    max_size=30,
)
_standard = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ<", min_size=1, max_size=30)
_dob = st.one_of(
    st.just(""),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(lambda d: d.isoformat()),
    st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)).map(lambda d: d.isoformat()[:7]),
    st.integers(1900, 2099).map(str),
)
_text = st.text(min_size=1, max_size=80)
_country = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)
_dates = st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))
_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))


@st.composite
def holders(draw: st.DrawFn) -> Holder:
    family, given = draw(st.one_of(st.none(), _latin)), draw(st.one_of(st.none(), _latin))
    family_latin = draw(st.one_of(st.none(), _standard))
    given_latin = draw(st.one_of(st.none(), _standard))
    if not (family or given or family_latin or given_latin):
        given_latin = "X"
    try:
        return Holder(
            family_name=family,
            given_name=given,
            family_name_latin=family_latin,
            given_name_latin=given_latin,
            date_of_birth=draw(_dob),
        )
    except ValueError:  # e.g. a name of separators only: no standard form
        return Holder(given_name_latin="X")


def _common(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "disease": draw(st.sampled_from(["840539006", "729999"])),
        "country": draw(_country),
        "issuer": draw(st.text(max_size=80)),
        "certificate_id": draw(st.text(max_size=80)),
    }


@st.composite
def entries(draw: st.DrawFn) -> Vaccination | TestResult | Recovery:
    kind = draw(st.sampled_from(["v", "t", "r"]))
    if kind == "v":
        return Vaccination(
            vaccine=draw(_text.filter(str.strip)),
            product=draw(_text),
            manufacturer=draw(_text),
            dose_number=draw(st.integers(1, 9)),
            total_doses=draw(st.integers(1, 9)),
            date=draw(_dates),
            **_common(draw),
        )
    if kind == "t":
        moment = draw(st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2030, 1, 1)))
        return TestResult(
            test_type=draw(
                st.sampled_from(["LP6464-4", "LP217198-3", "94563-4", "94562-6", "94564-2"])
            ),
            test_name=draw(st.one_of(st.none(), st.text(max_size=80))),
            test_device=draw(st.one_of(st.none(), st.text(max_size=10))),
            sample_time=moment.replace(tzinfo=draw(_offsets)),
            result=draw(st.sampled_from(["260415000", "260373001"])),
            centre=draw(st.one_of(st.none(), st.text(max_size=80))),
            **_common(draw),
        )
    start, end = sorted([draw(_dates), draw(_dates)])
    return Recovery(first_positive=draw(_dates), valid_from=start, valid_until=end, **_common(draw))


@settings(max_examples=300, deadline=None)
@given(holder=holders(), entry=entries(), version=st.sampled_from(["1.0.0", "1.3.0", "1.3.3"]))
def test_every_certificate_survives_dcc_json(
    holder: Holder, entry: Vaccination | TestResult | Recovery, version: str
) -> None:
    cert = Certificate(holder=holder, entry=entry, schema_version=version)
    dcc = to_dcc(cert)
    assert from_dcc(dcc) == cert
    assert from_dcc(json.loads(json.dumps(dcc))) == cert
    assert to_dcc(from_dcc(dcc)) == dcc
