"""How a code reads to a person, in English or Chinese: ``EU/1/20/1528`` is Comirnaty.

English comes from the value sets' own ``display`` entries; Chinese from ``data/display-zh.json``,
which translates the diseases, prophylaxis types, test types, test results and countries.
Products, manufacturers and test devices are proper names: they keep their English name unless
the table gives a Chinese one. A code no set knows reads as itself. Only what a person reads
calls this (pages, the PDF, the CLI panel), never the verification path.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

from healthcert.model.valuesets import value_sets

LANGUAGES: Final = ("en", "zh")
TRANSLATIONS_FILE: Final = "display-zh.json"

# The certificate fields that hold a code, and the value set each code comes from.
FIELD_SETS: Final = {
    "disease": "disease-agent-targeted",
    "vaccine": "sct-vaccines-covid-19",
    "product": "vaccines-covid-19-names",
    "manufacturer": "vaccines-covid-19-auth-holders",
    "test_type": "covid-19-lab-test-type",
    "result": "covid-19-lab-result",
    "test_device": "covid-19-lab-test-manufacturer-and-name",
    "country": "country-2-codes",
}
# The sets whose every code must have a Chinese name (the others are proper names).
TRANSLATED_SETS: Final = frozenset(
    {
        "disease-agent-targeted",
        "sct-vaccines-covid-19",
        "covid-19-lab-test-type",
        "covid-19-lab-result",
        "country-2-codes",
    }
)


def display_name(field: str, code: str, lang: str = "en") -> str:
    """The name of ``code`` in ``field`` (a key of FIELD_SETS) for a reader of ``lang`` (a
    language tag: ``zh``, ``zh-CN`` and ``zh-Hans`` read Chinese, any other English)."""
    set_id = FIELD_SETS.get(field)
    if set_id is None:
        return code
    if lang.split("-")[0].lower() == "zh":
        translated = chinese_names().get(set_id, {}).get(code)
        if translated is not None:
            return translated
    return _english(set_id, code)


def _english(set_id: str, code: str) -> str:
    sets = value_sets()
    if set_id not in sets.ids():
        return code
    return sets.display(set_id, code) or code


@cache
def chinese_names() -> dict[str, dict[str, str]]:
    """Value set id -> code -> Chinese name, read on first use."""
    entry = resources.files("healthcert.model") / "data" / TRANSLATIONS_FILE
    with entry.open("r", encoding="utf-8") as stream:
        table = json.load(stream)
    return {
        str(set_id): {str(k): str(v) for k, v in names.items()} for set_id, names in table.items()
    }
