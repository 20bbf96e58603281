"""The certificate's fields, once: their names, EU DCC keys, kinds of value, limits and order.

The pydantic model (``certificate``), the EU DCC mapping and its direct way, the SMART Health
Card FHIR mappings, the VDS-NC message and the service's records intake all take their fields
and limits from here, so that a field or a limit changes in one place. Plain tuples, built
once at import: the direct mappings read them on every verified payload. No pydantic here,
so a verifier that maps directly never loads it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

# The EU DCC schema's maxLength for names, codes, texts, issuer and certificate id.
MAX_TEXT = 80

ValueKind = Literal[
    "code",  # a code from a value set: 1 to max_length characters
    "text",  # free text up to max_length characters (None: unbounded)
    "country",  # ISO 3166-1 alpha-2
    "date",  # YYYY-MM-DD
    "datetime",  # RFC 3339 with an offset
    "dose",  # an integer from 1
    "birth_date",  # YYYY, YYYY-MM or YYYY-MM-DD, or empty
]


class Field(NamedTuple):
    """One field: the model's name, the DCC key, its kind of value, its limit, and whether a
    certificate may leave it out."""

    name: str
    key: str
    kind: ValueKind
    max_length: int | None = None
    optional: bool = False


def _code(name: str, key: str) -> Field:
    return Field(name, key, "code", MAX_TEXT)


def _text(name: str, key: str, *, optional: bool = False) -> Field:
    return Field(name, key, "text", MAX_TEXT, optional)


# In the model's order, which is also the order of the DCC schema's examples.
HOLDER: tuple[Field, ...] = (
    _text("family_name", "fn", optional=True),
    _text("given_name", "gn", optional=True),
    _text("family_name_latin", "fnt", optional=True),
    _text("given_name_latin", "gnt", optional=True),
    Field("date_of_birth", "dob", "birth_date"),
)
VACCINATION: tuple[Field, ...] = (
    _code("disease", "tg"),
    _code("vaccine", "vp"),
    _code("product", "mp"),
    _code("manufacturer", "ma"),
    Field("dose_number", "dn", "dose"),
    Field("total_doses", "sd", "dose"),
    Field("date", "dt", "date"),
    Field("country", "co", "country"),
    _text("issuer", "is"),
    _text("certificate_id", "ci"),
)
TEST: tuple[Field, ...] = (
    _code("disease", "tg"),
    _code("test_type", "tt"),
    _text("test_name", "nm", optional=True),
    # Real payloads carry "" when no device applies, and the schema bounds it by a value set.
    Field("test_device", "ma", "text", None, optional=True),
    Field("sample_time", "sc", "datetime"),
    _code("result", "tr"),
    _text("centre", "tc", optional=True),
    Field("country", "co", "country"),
    _text("issuer", "is"),
    _text("certificate_id", "ci"),
)
RECOVERY: tuple[Field, ...] = (
    _code("disease", "tg"),
    Field("first_positive", "fr", "date"),
    Field("country", "co", "country"),
    _text("issuer", "is"),
    Field("valid_from", "df", "date"),
    Field("valid_until", "du", "date"),
    _text("certificate_id", "ci"),
)
ENTRIES: dict[str, tuple[Field, ...]] = {
    "vaccination": VACCINATION,
    "test": TEST,
    "recovery": RECOVERY,
}


def field(fields: tuple[Field, ...], name: str) -> Field:
    """The field called ``name``; KeyError if there is none."""
    for candidate in fields:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def max_length(fields: tuple[Field, ...], name: str) -> int:
    """The limit of a bounded field; ValueError for an unbounded one."""
    limit = field(fields, name).max_length
    if limit is None:
        raise ValueError(f"{name} has no maximum length")
    return limit


# The limits other modules name on their own (a name's Doc 9303 form, an issuer's name).
NAME_MAX = max_length(HOLDER, "family_name_latin")
ISSUER_MAX = max_length(VACCINATION, "issuer")
