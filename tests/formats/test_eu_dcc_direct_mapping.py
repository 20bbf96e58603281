"""The report's certificate: the direct mapping and the model's must write the same JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.errors import PayloadError
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import (
    DccMappingError,
    _direct_canonical,
    canonical_json,
    from_dcc,
)

DATA = Path(__file__).parent.parent / "data"


def _documents() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for path in sorted((DATA / "eu-dcc").rglob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8-sig"))
        if "JSON" in case:
            found.append((f"{path.relative_to(DATA)}:JSON", case["JSON"]))
        try:
            found.append((f"{path.relative_to(DATA)}:payload", eu_dcc.decode(case["PREFIX"]).dcc))
        except PayloadError:  # a vector that does not decode has no DCC to map
            continue
    for path in sorted((DATA / "eu-dcc-schema-examples").rglob("*.json")):
        found.append((str(path.relative_to(DATA)), json.loads(path.read_text("utf-8"))))
    return found


DOCUMENTS = _documents()


def _through_model(dcc: Any) -> str | None:
    try:
        return json.dumps(from_dcc(dcc).model_dump(mode="json"), ensure_ascii=False)
    except DccMappingError:
        return None


def _direct(dcc: Any) -> str | None:
    result = _direct_canonical(dcc)
    return None if result is None else json.dumps(result, ensure_ascii=False)


@pytest.mark.parametrize(("name", "dcc"), DOCUMENTS, ids=[name for name, _ in DOCUMENTS])
def test_the_direct_way_writes_what_the_model_writes(name: str, dcc: Any) -> None:
    direct = _direct(dcc)
    if direct is not None:
        assert direct == _through_model(dcc)


def test_most_real_dccs_take_the_direct_way() -> None:
    direct = sum(1 for _, dcc in DOCUMENTS if _direct_canonical(dcc) is not None)
    assert direct >= 0.85 * len(DOCUMENTS)


def test_canonical_json_falls_back_to_the_model() -> None:
    dcc = copy.deepcopy(next(d for _, d in DOCUMENTS if "v" in d and "fnt" in d.get("nam", {})))
    dcc["nam"].pop("fnt")
    dcc["nam"]["fn"] = "Gößinger"
    assert _direct_canonical(dcc) is None
    assert canonical_json(dcc)["holder"]["family_name_latin"] == "GOESSINGER"


_BASE = next(d for _, d in DOCUMENTS if "t" in d and "fnt" in d.get("nam", {}))
_TEXT = st.one_of(st.text(max_size=90), st.integers(-2, 3), st.none(), st.just(""))
_DATES = st.sampled_from(
    ["2021-05-30", "2021-02-30", "1899-12-31", "2021-5-30", "2021-05-30T10:00:00Z", ""]
)
_TIMES = st.sampled_from(
    [
        "2021-05-30T10:12:22Z",
        "2021-05-30T10:12:22+02:00",
        "2021-05-30T10:12:22+00:00",
        "2021-05-30T10:12:22.5Z",
        "2021-05-30T25:12:22Z",
        "2021-05-30 10:12:22Z",
        "2021-05-30T10:12:22",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    key=st.sampled_from(["tg", "tt", "nm", "ma", "tr", "tc", "co", "is", "ci", "sc"]),
    value=st.one_of(_TEXT, _TIMES),
    dob=st.one_of(_DATES, st.sampled_from(["1964", "1964-02", "2100-01-01"])),
    fnt=st.sampled_from(["MUSTER", "muster", "", "MUSTER<FRAU", None]),
)
def test_mutated_dccs_map_alike_both_ways(key: str, value: Any, dob: str, fnt: str | None) -> None:
    dcc = copy.deepcopy(_BASE)
    dcc["t"][0][key] = value
    dcc["dob"] = dob
    if fnt is None:
        dcc["nam"].pop("fnt", None)
    else:
        dcc["nam"]["fnt"] = fnt
    direct = _direct(dcc)
    if direct is not None:
        assert direct == _through_model(dcc)


def test_the_direct_mapping_knows_the_models_field_order() -> None:
    # Taken from the field specification so that verifying never loads the models; the direct
    # way writes in the model's order, so that both ways write the same text.
    from healthcert.formats.eu_dcc.mapping import _DIRECT_SPECS
    from healthcert.model.certificate import Recovery, TestResult, Vaccination

    models = {"v": Vaccination, "t": TestResult, "r": Recovery}
    order = {
        group: ("kind", *(spec[0] for spec in specs)) for group, specs in _DIRECT_SPECS.items()
    }
    assert {group: tuple(model.model_fields) for group, model in models.items()} == order


def test_a_dcc_without_its_country_is_refused_both_ways() -> None:
    # The model lets formats without countries leave it null; a DCC always carries co.
    from healthcert.formats.eu_dcc.mapping import DccMappingError, from_dcc

    dcc = copy.deepcopy(_BASE)
    dcc["t"][0]["co"] = None
    assert _direct(dcc) is None
    with pytest.raises(DccMappingError, match=r"^t\[0\]\.co must be a country code, not null$"):
        from_dcc(dcc)
    del dcc["t"][0]["co"]
    with pytest.raises(DccMappingError, match=r"t\[0\]\.co: Field required"):
        from_dcc(dcc)


def test_the_rules_see_no_co_for_an_unknown_country() -> None:
    # A SMART Health Card's unknown country: the DCC the rules read leaves co out, so a rule
    # reading payload.t.0.co gets null, as for any missing field.
    from healthcert.formats.eu_dcc.mapping import from_dcc, to_dcc
    from healthcert.model.certificate import Certificate
    from healthcert.rules.certlogic import evaluate

    known = from_dcc(copy.deepcopy(_BASE))
    unknown = Certificate.model_validate(
        {**known.model_dump(), "entry": {**known.entry.model_dump(), "country": None}}
    )
    assert "co" in to_dcc(known)["t"][0]
    assert "co" not in to_dcc(unknown)["t"][0]
    # A rule on the country is then simply not met: no error, no match.
    issued_here = {"in": [{"var": "payload.t.0.co"}, [known.entry.country]]}
    assert evaluate(issued_here, {"payload": to_dcc(known)}) is True
    assert evaluate(issued_here, {"payload": to_dcc(unknown)}) is False
    assert evaluate({"var": "payload.t.0.co"}, {"payload": to_dcc(unknown)}) is None
