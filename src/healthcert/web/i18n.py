"""The visitor's language: ``?lang=``, then the browser's ``Accept-Language``, then English;
and the gettext catalog of each language, read once."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from healthcert import catalogs
from healthcert.error_meanings import meaning

if TYPE_CHECKING:
    import gettext

    from starlette.requests import Request

LOCALES = Path(__file__).parent / "locale"
# The command line's catalog, which holds what each report error code means (error_meanings).
CLI_LOCALES = Path(__file__).parent.parent / "cli" / "locale"
LANGUAGES: dict[str, str] = {"en": "English", "zh": "中文"}
DEFAULT = "en"


def choose(asked: str | None, accept_language: str | None) -> str:
    """The first supported language among the query, the browser's wishes, then English."""
    if asked and _base(asked) in LANGUAGES:
        return _base(asked)
    for tag in _by_weight(accept_language or ""):
        if _base(tag) in LANGUAGES:
            return _base(tag)
    return DEFAULT


def of_request(request: Request, asked: str | None = None) -> str:
    """The language of a request: ``asked`` (a form's field), ``?lang=``, Accept-Language."""
    return choose(asked or request.query_params.get("lang"), request.headers.get("accept-language"))


def _base(tag: str) -> str:
    return tag.strip().split("-")[0].split("_")[0].lower()


def _by_weight(header: str) -> list[str]:
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag.strip() and weight > 0:
            weighted.append((-weight, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language``, read once: its compiled ``.mo`` when installed, else the
    ``.po`` (a source checkout), else none (English is the source text)."""
    return catalogs.load(LOCALES, "messages", language)


@cache
def _cli_translations(language: str) -> gettext.NullTranslations:
    return catalogs.load(CLI_LOCALES, "cli", language)


def error_message(error: Mapping[str, Any], language: str) -> str:
    """A report error as a page in ``language`` shows it: the report's own message in English
    (it names the specifics), elsewhere what its code means in that language."""
    message = str(error.get("message") or "")
    if language == DEFAULT:
        return message
    return meaning(str(error.get("code")), _cli_translations(language).gettext) or message


def collation_key(text: str, language: str) -> tuple[str, ...]:
    """How ``text`` sorts in a list read in ``language``: Chinese names by their pinyin,
    syllable by syllable with the tone (the order of Chinese forms and indexes), not by code
    point, which follows no order a reader knows; other languages case-insensitively."""
    if language == "zh":
        # Loaded on the first Chinese list, not with the pages: its dictionaries take 0.2 s.
        from pypinyin import Style, lazy_pinyin

        return (*lazy_pinyin(text, style=Style.TONE3), "", text)
    return (text.casefold(), text)
