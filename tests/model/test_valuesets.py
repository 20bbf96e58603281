"""Value sets: the shipped EU sets, our additions, and the view CertLogic rules get."""

import subprocess
import sys

import pytest

from healthcert.model.valuesets import (
    ValueSet,
    ValueSetValue,
    merge,
    parse_value_set,
    value_sets,
)

RULE_SET_IDS = {
    "country-2-codes",
    "covid-19-lab-result",
    "covid-19-lab-test-manufacturer-and-name",
    "covid-19-lab-test-type",
    "disease-agent-targeted",
    "sct-vaccines-covid-19",
    "vaccines-covid-19-auth-holders",
    "vaccines-covid-19-names",
}


def test_all_sets_are_shipped() -> None:
    assert value_sets().ids() == RULE_SET_IDS
    assert value_sets() is value_sets()


def test_test_types_include_our_antibody_additions() -> None:
    assert value_sets().codes("covid-19-lab-test-type") == {
        "LP6464-4",
        "LP217198-3",
        "94563-4",
        "94562-6",
        "94564-2",
    }


@pytest.mark.parametrize(
    ("set_id", "code", "display"),
    [
        ("covid-19-lab-test-type", "LP6464-4", "Nucleic acid amplification with probe detection"),
        ("covid-19-lab-test-type", "LP217198-3", "Rapid immunoassay"),
        (
            "covid-19-lab-test-type",
            "94563-4",
            "SARS-CoV-2 (COVID-19) IgG Ab [Presence] in Serum or Plasma by Immunoassay",
        ),
        (
            "covid-19-lab-test-type",
            "94562-6",
            "SARS-CoV-2 (COVID-19) IgA Ab [Presence] in Serum or Plasma by Immunoassay",
        ),
        (
            "covid-19-lab-test-type",
            "94564-2",
            "SARS-CoV-2 (COVID-19) IgM Ab [Presence] in Serum or Plasma by Immunoassay",
        ),
        ("covid-19-lab-result", "260415000", "Not detected"),
        ("covid-19-lab-result", "260373001", "Detected"),
        ("disease-agent-targeted", "840539006", "COVID-19"),
        ("vaccines-covid-19-names", "EU/1/20/1528", "Comirnaty"),
        ("vaccines-covid-19-auth-holders", "ORG-100001699", "AstraZeneca AB"),
        ("sct-vaccines-covid-19", "1119305005", "SARS-CoV-2 antigen vaccine"),
        ("country-2-codes", "AD", "Andorra"),
        (
            "covid-19-lab-test-manufacturer-and-name",
            "1232",
            "Abbott Rapid Diagnostics, Panbio COVID-19 Ag Rapid Test",
        ),
        ("covid-19-lab-test-type", "00000-0", None),
    ],
)
def test_display(set_id: str, code: str, display: str | None) -> None:
    assert value_sets().display(set_id, code) == display


def test_set_sizes() -> None:
    sizes = {set_id: len(value_sets().codes(set_id)) for set_id in RULE_SET_IDS}
    assert sizes == {
        "country-2-codes": 250,
        "covid-19-lab-result": 2,
        "covid-19-lab-test-manufacturer-and-name": 88,
        "covid-19-lab-test-type": 5,
        "disease-agent-targeted": 1,
        "sct-vaccines-covid-19": 9,
        "vaccines-covid-19-auth-holders": 31,
        "vaccines-covid-19-names": 39,
    }


def test_unknown_set_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="no value set 'vaccine-lots'"):
        value_sets().codes("vaccine-lots")
    with pytest.raises(KeyError, match="no value set 'vaccine-lots'"):
        value_sets().display("vaccine-lots", "1")


def test_addition_metadata() -> None:
    value = value_sets().get("covid-19-lab-test-type").values["94563-4"]
    assert value == ValueSetValue(
        display="SARS-CoV-2 (COVID-19) IgG Ab [Presence] in Serum or Plasma by Immunoassay",
        lang="en",
        active=True,
        system="http://loinc.org",
        version="2.69",
    )


def test_rule_input() -> None:
    rule_input = value_sets().as_rule_input()
    assert set(rule_input) == RULE_SET_IDS
    assert rule_input["covid-19-lab-test-type"] == [
        "94562-6",
        "94563-4",
        "94564-2",
        "LP217198-3",
        "LP6464-4",
    ]
    assert rule_input["covid-19-lab-result"] == ["260373001", "260415000"]
    assert rule_input["disease-agent-targeted"] == ["840539006"]
    assert "EU/1/20/1528" in rule_input["vaccines-covid-19-names"]
    rule_input["disease-agent-targeted"].append("x")
    assert value_sets().as_rule_input()["disease-agent-targeted"] == ["840539006"]


def _value(display: str) -> ValueSetValue:
    return ValueSetValue(display, "en", True, "s", "v")


def test_additions_never_redefine_a_code() -> None:
    base = ValueSet("t", "2021-04-27", {"a": _value("EU a")})
    extra = ValueSet("t", "2026-01-01", {"a": _value("ours a"), "b": _value("ours b")})
    new = ValueSet("n", "2026-01-01", {"c": _value("c")})
    merged = {vs.id: vs for vs in merge([base], [extra, new])}
    assert merged["t"].date == "2026-01-01"
    assert {code: v.display for code, v in merged["t"].values.items()} == {
        "a": "EU a",
        "b": "ours b",
    }
    assert merged["n"] == new


def test_parse_value_set_refuses_other_documents() -> None:
    with pytest.raises(ValueError, match="not a value set document"):
        parse_value_set({"valueSetId": "x"})
    parsed = parse_value_set(
        {"valueSetId": "x", "valueSetDate": "2021-01-01", "valueSetValues": {"1": {"display": "d"}}}
    )
    assert parsed.values["1"] == ValueSetValue("d", "", True, "", "")


def test_nothing_is_read_at_import() -> None:
    code = (
        "import sys, healthcert.model, healthcert.model.valuesets as v\n"
        "print(v.value_sets.cache_info().currsize, 'pydantic' in sys.modules)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    # Neither the files nor pydantic: the CLI imports the model package to start up.
    assert output.split() == ["0", "False"]
