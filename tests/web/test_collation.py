"""Country lists sort as their readers look names up: Chinese by pinyin, not by code point."""

from __future__ import annotations

from healthcert.web.declaration_pages import countries
from healthcert.web.i18n import collation_key


def _ordered(names: list[str], language: str) -> list[str]:
    return sorted(names, key=lambda name: collation_key(name, language))


def test_chinese_names_sort_by_pinyin_then_tone() -> None:
    names = ["中国", "美国", "澳大利亚", "阿富汗", "巴西", "爱尔兰", "德国", "阿根廷"]
    # By code point 中 (U+4E2D) would come first and 阿 (U+963F) after 澳 (U+6FB3).
    assert sorted(names)[0] == "中国"
    assert _ordered(names, "zh") == [
        "阿富汗",  # a1 fu4
        "阿根廷",  # a1 gen1
        "爱尔兰",  # ai4
        "澳大利亚",  # ao4
        "巴西",  # ba1
        "德国",  # de2
        "美国",  # mei3
        "中国",  # zhong1
    ]


def test_other_languages_sort_without_regard_to_case() -> None:
    assert _ordered(["germany", "Austria", "Brazil"], "en") == ["Austria", "Brazil", "germany"]


def test_the_declaration_form_lists_countries_in_reading_order() -> None:
    chinese = [name for _, name in countries("zh")]
    assert chinese.index("阿富汗") < chinese.index("澳大利亚") < chinese.index("中国")
    assert chinese == _ordered(chinese, "zh")
    english = [name for _, name in countries("en")]
    assert english == _ordered(english, "en") and english[0] == "Afghanistan"
