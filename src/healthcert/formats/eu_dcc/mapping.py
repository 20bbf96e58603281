"""The EU DCC JSON (schema 1.3.x) as the canonical certificate, and back.

``to_dcc`` writes what an issuer of schema 1.3 writes. ``from_dcc`` reads what verified payloads
in the field contain, which is wider: versions 1.0.x to 1.3.x, dates of vaccination or recovery
written with a time part (1.0.x), and sample times with or without fractional seconds, with a
``Z`` or an offset such as ``+02:00`` or ``+0200``. Keys the model has no place for (the 1.0.x
test result time ``dr``) are left out; the schema check, not this mapping, judges them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from healthcert.model import fields as field_spec
from healthcert.model.names import STANDARD_NAME
from healthcert.model.values import COUNTRY_CODES, is_date_of_birth

# The models load only when a DCC goes through them (issuing, or a DCC the direct mapping
# leaves to them): a verifier of plainly written DCCs never builds them.
if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

    from healthcert.model.certificate import Certificate

Kind = Literal["text", "int", "date", "datetime", "country"]
FieldSpec = tuple[str, str, Kind]  # model field, DCC key, how the value is written

# How each kind of value in the field specification is written in a DCC.
_WRITTEN_AS: dict[field_spec.ValueKind, Kind] = {
    "dose": "int",
    "date": "date",
    "datetime": "datetime",
    "country": "country",
}


def _specs(fields: tuple[field_spec.Field, ...]) -> tuple[FieldSpec, ...]:
    return tuple((item.name, item.key, _WRITTEN_AS.get(item.kind, "text")) for item in fields)


# The names in the order of the schema's examples, so that written DCCs read like theirs.
_NAME_KEYS = ("fn", "fnt", "gn", "gnt")
NAME_FIELDS: tuple[FieldSpec, ...] = tuple(
    name for key in _NAME_KEYS for name in _specs(field_spec.HOLDER) if name[1] == key
)
VACCINATION_FIELDS = _specs(field_spec.VACCINATION)
TEST_FIELDS = _specs(field_spec.TEST)
RECOVERY_FIELDS = _specs(field_spec.RECOVERY)
ENTRY_FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "v": VACCINATION_FIELDS,
    "t": TEST_FIELDS,
    "r": RECOVERY_FIELDS,
}
GROUP_OF_KIND = {"vaccination": "v", "test": "t", "recovery": "r"}
FIELD_OF_KEY = {key: name for name, key, _ in NAME_FIELDS}
KIND_OF_GROUP = {group: kind for kind, group in GROUP_OF_KIND.items()}

# A complete date, optionally followed by a time part that 1.0.x issuers wrote into dt/fr/df/du.
_DATE_PREFIX = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[T ].*)?\Z", re.ASCII | re.DOTALL)


class DccMappingError(ValueError):
    """A DCC does not fit the canonical model; the message says which field and why."""


def to_dcc(cert: Certificate) -> dict[str, Any]:
    """The EU DCC JSON of ``cert``, omitting the optional fields it does not have."""
    holder = cert.holder
    group = GROUP_OF_KIND[cert.entry.kind]
    fields = ENTRY_FIELDS[group]
    return {
        "ver": cert.schema_version,
        "nam": _write(holder, NAME_FIELDS),
        "dob": holder.date_of_birth,
        group: [_write(cert.entry, fields)],
    }


def from_dcc(dcc: object) -> Certificate:
    """The canonical certificate a DCC carries; DccMappingError if it does not fit the model."""
    # why: see the note above TYPE_CHECKING (the models stay unloaded for plain DCCs)
    from pydantic import ValidationError

    from healthcert.model.certificate import Certificate

    if not isinstance(dcc, Mapping):
        raise DccMappingError(f"a DCC is a JSON object, not {type(dcc).__name__}")
    group, entry = _single_entry(dcc)
    names = dcc.get("nam")
    if not isinstance(names, Mapping):
        raise DccMappingError("nam must be an object with fn, fnt, gn or gnt")
    fields = ENTRY_FIELDS[group]
    holder = _read(names, NAME_FIELDS, "nam")
    holder["date_of_birth"] = _date_of_birth(dcc.get("dob"))
    data = {
        "holder": holder,
        "entry": {"kind": KIND_OF_GROUP[group], **_read(entry, fields, f"{group}[0]")},
        "schema_version": dcc.get("ver"),
    }
    try:  # one call into pydantic: building the parts one by one costs half as much again
        return Certificate.model_validate(data)
    except ValidationError as error:
        raise DccMappingError(_describe(error, group, fields)) from None


def canonical_json(dcc: object) -> dict[str, Any]:
    """The JSON of the canonical certificate a DCC carries, as the verification report shows.

    Every verification shows it, and building the pydantic model costs as much as the rest of
    decoding; so a DCC written plainly (complete dates, standard names given, sample time with
    Z or an offset) is mapped directly, and anything else goes through the model. The tests
    hold the two ways equal.
    """
    direct = _direct_canonical(dcc)
    return direct if direct is not None else from_dcc(dcc).model_dump(mode="json")


# How each model field is checked on the direct way: a value outside these plain forms sends
# the whole DCC through the model, which either reads it or says why not.
_CODE, _TEXT, _COUNTRY, _DOSE, _DATE, _TIME = range(6)
_DIRECT_KINDS: dict[field_spec.ValueKind, int] = {
    "code": _CODE, "text": _TEXT, "country": _COUNTRY, "dose": _DOSE, "date": _DATE,
    "datetime": _TIME,
}  # fmt: skip
# An unbounded text, checked as a bounded one.
_UNBOUNDED = 1 << 62
# Per group, in the model's field order (so the result needs no reordering): the model field,
# its DCC key, how it is checked, whether it may be absent, and its maximum length.
_DIRECT_SPECS: dict[str, tuple[tuple[str, str, int, bool, int], ...]] = {
    group: tuple(
        (
            item.name,
            item.key,
            _DIRECT_KINDS[item.kind],
            item.optional,
            _UNBOUNDED if item.max_length is None else item.max_length,
        )
        for item in field_spec.ENTRIES[KIND_OF_GROUP[group]]
    )
    for group in ENTRY_FIELDS
}
_NAME_MAX = field_spec.NAME_MAX
_PLAIN_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_PLAIN_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:Z|[+-]\d{2}:\d{2})", re.ASCII)
_VERSION = re.compile(r"\d+\.\d+\.\d+", re.ASCII)


def _direct_canonical(dcc: object) -> dict[str, Any] | None:
    # Written for speed (it runs for every verified DCC): straight-line tests, no reordering.
    if dcc.__class__ is not dict:
        return None
    version = dcc.get("ver")
    groups = [group for group in _DIRECT_SPECS if group in dcc]
    if version.__class__ is not str or len(groups) != 1 or not _VERSION.fullmatch(version):
        return None
    group = groups[0]
    entries = dcc[group]
    if entries.__class__ is not list or len(entries) != 1 or entries[0].__class__ is not dict:
        return None
    holder = _direct_holder(dcc)
    entry = _direct_entry(group, entries[0]) if holder is not None else None
    if entry is None:
        return None
    return {"holder": holder, "entry": entry, "schema_version": version}


def _direct_holder(dcc: dict[str, Any]) -> dict[str, Any] | None:
    names, birth = dcc.get("nam"), dcc.get("dob")
    if names.__class__ is not dict or birth.__class__ is not str or not is_date_of_birth(birth):
        return None
    family, family_latin = names.get("fn"), names.get("fnt")
    given, given_latin = names.get("gn"), names.get("gnt")
    if not (
        _plain_name(family, family_latin)
        and _plain_name(given, given_latin)
        and (family_latin or given_latin)
    ):
        return None
    return {
        "family_name": family,
        "given_name": given,
        "family_name_latin": family_latin,
        "given_name_latin": given_latin,
        "date_of_birth": birth,
    }


def _plain_name(name: object, latin: object) -> bool:
    """A name the direct way can show: its standard form given (else the model transliterates
    it), both within the names' limit, the standard form in Doc 9303 letters."""
    if name is not None and (name.__class__ is not str or len(name) > _NAME_MAX or latin is None):
        return False
    return latin is None or _standard_name(latin)


def _standard_name(value: object) -> bool:
    if not isinstance(value, str) or len(value) > _NAME_MAX:
        return False
    return STANDARD_NAME.fullmatch(value) is not None


def _direct_entry(group: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    result: dict[str, Any] = {"kind": KIND_OF_GROUP[group]}
    for name, key, kind, optional, limit in _DIRECT_SPECS[group]:
        value = entry.get(key)
        if value is None and optional:
            result[name] = None
            continue
        # The common kinds are tested inline: a call per field would cost a third of the time.
        if kind == _CODE:
            if value.__class__ is not str or not 0 < len(value) <= limit:
                return None
        elif kind == _TEXT:
            if value.__class__ is not str or len(value) > limit:
                return None
        elif _direct_value(kind, value) is None:
            return None
        result[name] = value
    if group == "r" and result["valid_from"] > result["valid_until"]:
        return None
    return result


def _direct_value(kind: int, value: object) -> object:
    """The value as the model's JSON shows it, or None when only the model can judge it."""
    if kind == _DOSE:
        return value if type(value) is int and value >= 1 else None
    if not isinstance(value, str):
        return None
    if kind == _COUNTRY:
        return value if value in COUNTRY_CODES else None
    if kind == _DATE:
        return value if _PLAIN_DATE.fullmatch(value) and _valid_date(value) else None
    if kind == _TIME:
        return _direct_time(value)
    return value


def _direct_time(value: str) -> str | None:
    # pydantic writes a zero offset as Z; other offsets and Z stay as written.
    if not _PLAIN_TIME.fullmatch(value) or value.endswith(("+00:00", "-00:00")):
        return None
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value


def _valid_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _single_entry(dcc: Mapping[Any, Any]) -> tuple[str, Mapping[str, Any]]:
    groups = [group for group in ENTRY_FIELDS if group in dcc]
    if len(groups) != 1:
        found = ", ".join(groups) or "none"
        raise DccMappingError(f"a DCC carries exactly one of v, t and r (found: {found})")
    group = groups[0]
    entries = dcc[group]
    if not isinstance(entries, list) or len(entries) != 1:
        count = len(entries) if isinstance(entries, list) else type(entries).__name__
        raise DccMappingError(f"{group} must be a list of one entry (found {count})")
    entry = entries[0]
    if not isinstance(entry, Mapping):
        raise DccMappingError(f"{group}[0] must be an object")
    return group, entry


def _date_of_birth(value: object) -> object:
    # Some 1.0.x issuers wrote the date of birth with a midnight time part.
    if isinstance(value, str) and len(value) > 10 and _DATE_PREFIX.match(value):
        return value[:10]
    return value


def _read(source: Mapping[str, Any], fields: tuple[FieldSpec, ...], where: str) -> dict[str, Any]:
    """The model's values for the DCC keys present; the model checks their types."""
    values: dict[str, Any] = {}
    for name, key, kind in fields:
        if key in source:
            value = source[key]
            values[name] = _READERS[kind](value, f"{where}.{key}") if kind in _READERS else value
    return values


def _write(model: BaseModel, fields: tuple[FieldSpec, ...]) -> dict[str, Any]:
    written: dict[str, Any] = {}
    for name, key, kind in fields:
        value = getattr(model, name)
        if value is not None:
            written[key] = _WRITERS[kind](value) if kind in _WRITERS else value
    return written


def _describe(error: ValidationError, group: str, fields: tuple[FieldSpec, ...]) -> str:
    """Pydantic's complaints, located by DCC paths (v[0].co) rather than model fields."""
    entry_keys = {name: key for name, key, _ in fields}
    name_keys = {name: key for name, key, _ in NAME_FIELDS}
    problems = []
    for item in error.errors():
        top, *rest = [str(part) for part in item["loc"]]
        if top == "holder":
            path = (
                "dob" if rest == ["date_of_birth"] else ".".join(["nam", *_keys(rest, name_keys)])
            )
        elif top == "entry":
            path = ".".join([f"{group}[0]", *_keys(rest[1:], entry_keys)])
        else:
            path = "ver"
        problems.append(f"{path}: {str(item['msg']).removeprefix('Value error, ')}")
    return "; ".join(problems)


def _keys(parts: list[str], keys: Mapping[str, str]) -> list[str]:
    return [keys.get(part, part) for part in parts]


def _read_int(value: object, where: str) -> object:
    # JSON has numbers, not integers: 2.0 is a valid dose number (and CBOR may carry it so).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read_country(value: object, where: str) -> object:
    # The model leaves a country unknown for formats that carry none; a DCC always carries it.
    if value is None:
        raise DccMappingError(f"{where} must be a country code, not null")
    return value


def _read_date(value: object, where: str) -> object:
    """A date from a complete date, or from the date part of a 1.0.x date-time."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):  # pydantic would take a number for a timestamp
        raise DccMappingError(f"{where} must be a date string, not {type(value).__name__}")
    match = _DATE_PREFIX.match(value)
    try:
        if match:
            return dt.date.fromisoformat(match.group(1))
    except ValueError:
        pass
    raise DccMappingError(f"{where} {value!r} is not a date YYYY-MM-DD")


def _read_datetime(value: object, where: str) -> object:
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):  # pydantic would take a number for a timestamp
        raise DccMappingError(f"{where} must be a date-time string, not {type(value).__name__}")
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise DccMappingError(f"{where} {value!r} is not an RFC 3339 date-time") from None
    if parsed.utcoffset() is None:
        raise DccMappingError(f"{where} {value!r} has no UTC offset")
    return parsed


def _write_datetime(value: dt.datetime) -> str:
    offset = value.utcoffset()
    if offset is not None and offset.seconds % 60:
        value = value.astimezone(dt.UTC)  # RFC 3339 offsets have no seconds
    text = value.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


# Text passes as it is (the model checks it); numbers, dates and date-times need reading.
_READERS: dict[Kind, Callable[[object, str], object]] = {
    "int": _read_int,
    "country": _read_country,
    "date": _read_date,
    "datetime": _read_datetime,
}
_WRITERS: dict[Kind, Callable[[Any], str]] = {
    "date": dt.date.isoformat,
    "datetime": _write_datetime,
}
