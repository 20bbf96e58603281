"""What the FHIR modules of SMART Health Cards share: the context a card's entry needs, the
error of a bundle that holds no certificate, a name's Doc 9303 form and the model's text
limits.

The names with a leading underscore are for ``fhir_read``, ``fhir_direct`` and ``fhir_write``
only.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from healthcert import report as codes
from healthcert.model import fields
from healthcert.model.names import MAX_LENGTH, TransliterationError, transliterate

FHIR_VERSION = "4.0.1"


class ContentError(Exception):
    """The bundle cannot become a canonical certificate; ``code`` is the report error code."""

    def __init__(self, code: codes.ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CardContext(NamedTuple):
    """What the canonical entry needs and the bundle does not hold."""

    country: str | None  # None: unknown, as a card names no country
    issuer: str
    certificate_id: str


# ISO 21090 entity name representation, FHIR's extension for a name's script: ABC alphabetic,
# IDE ideographic, SYL syllabic.
EN_REPRESENTATION = "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation"


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


_MAX_TEXT = fields.MAX_TEXT


def _code(value: object) -> bool:
    return type(value) is str and 0 < len(value) <= _MAX_TEXT


def _text(value: object) -> bool:
    return type(value) is str and len(value) <= _MAX_TEXT


def _optional_text(value: object) -> bool:
    return value is None or _text(value)
