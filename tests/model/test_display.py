"""Codes by name, in English from the value sets and in Chinese from our table."""

from __future__ import annotations

import pytest

from healthcert.model.display import FIELD_SETS, TRANSLATED_SETS, chinese_names, display_name
from healthcert.model.valuesets import value_sets


@pytest.mark.parametrize(
    ("field", "code", "english", "chinese"),
    [
        ("product", "EU/1/20/1528", "Comirnaty", "Comirnaty"),
        ("manufacturer", "ORG-100030215", "Biontech Manufacturing GmbH", None),
        ("result", "260415000", "Not detected", "未检出"),
        ("result", "260373001", "Detected", "检出"),
        ("disease", "840539006", "COVID-19", "新冠肺炎"),
        (
            "test_type",
            "LP6464-4",
            "Nucleic acid amplification with probe detection",
            "核酸扩增检测（NAAT）",
        ),
        ("test_type", "LP217198-3", "Rapid immunoassay", "快速抗原检测"),
        ("vaccine", "1119349007", "SARS-CoV-2 mRNA vaccine", "新冠病毒mRNA疫苗"),
        ("country", "DE", "Germany", "德国"),
        ("country", "CN", "China", "中国"),
        ("country", "XK", "Kosovo, Republic of", "科索沃"),
    ],
)
def test_real_codes_by_name(field: str, code: str, english: str, chinese: str | None) -> None:
    assert display_name(field, code) == english
    assert display_name(field, code, "en") == english
    assert display_name(field, code, "zh") == (chinese or english)


def test_naat_and_antibody_tests_read_as_such() -> None:
    assert display_name("test_type", "LP6464-4", "zh") == "核酸扩增检测（NAAT）"
    assert display_name("test_type", "94563-4", "zh") == "IgG抗体检测"
    assert display_name("test_type", "94563-4").startswith("SARS-CoV-2 (COVID-19) IgG Ab")


def test_chinese_tags_in_any_form_read_chinese() -> None:
    for tag in ("zh", "zh-CN", "zh-Hans", "ZH"):
        assert display_name("result", "260415000", tag) == "未检出"
    assert display_name("result", "260415000", "de") == "Not detected"


def test_a_proper_name_may_have_a_chinese_form() -> None:
    assert display_name("manufacturer", "Sinovac-Biotech", "zh") == "科兴生物"
    assert display_name("manufacturer", "Sinovac-Biotech") == "Sinovac Biotech"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_an_unknown_code_reads_as_itself(lang: str) -> None:
    assert display_name("product", "EU/9/99/9999", lang) == "EU/9/99/9999"
    assert display_name("country", "QQ", lang) == "QQ"
    assert display_name("no_such_field", "840539006", lang) == "840539006"


def test_every_field_names_a_shipped_set() -> None:
    assert set(FIELD_SETS.values()) <= value_sets().ids()
    assert set(FIELD_SETS.values()) >= TRANSLATED_SETS


@pytest.mark.parametrize("set_id", sorted(TRANSLATED_SETS))
def test_every_code_of_a_translated_set_has_its_chinese(set_id: str) -> None:
    # A code added to the value sets without a Chinese name fails here.
    names = chinese_names().get(set_id, {})
    assert value_sets().codes(set_id) - set(names) == set()
    assert all(name.strip() and name != code for code, name in names.items())


def test_the_table_names_only_codes_that_exist() -> None:
    for set_id, names in chinese_names().items():
        assert set(names) <= value_sets().codes(set_id), set_id
