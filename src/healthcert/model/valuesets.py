"""The value sets that certificate codes come from: the EU DCC sets plus healthcert's additions.

The EU sets ship as package data, unchanged, under ``data/eu-dcc-valuesets/``. Our additions
(antibody test types, which the EU sets do not carry) live in ``data/healthcert-valuesets.json``
in the same shape; they add codes and never redefine one the EU defines. Nothing is read until
``value_sets()`` is first called, so importing the model stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from importlib.abc import Traversable

EU_DIRECTORY = "eu-dcc-valuesets"
ADDITIONS_FILE = "healthcert-valuesets.json"


@dataclass(frozen=True, slots=True)
class ValueSetValue:
    """One code's entry: how it reads, and which code system and version it belongs to."""

    display: str
    lang: str
    active: bool
    system: str
    version: str


@dataclass(frozen=True, slots=True)
class ValueSet:
    """A named set of codes, as of ``date``."""

    id: str
    date: str
    values: Mapping[str, ValueSetValue]


class ValueSets:
    """All value sets by id, with the lookups that display and rules need."""

    def __init__(self, sets: Iterable[ValueSet]) -> None:
        self._sets = {value_set.id: value_set for value_set in sets}
        self._codes = {key: frozenset(vs.values) for key, vs in self._sets.items()}

    def ids(self) -> frozenset[str]:
        return frozenset(self._sets)

    def get(self, set_id: str) -> ValueSet:
        """The set named ``set_id``; a KeyError names it if there is none."""
        try:
            return self._sets[set_id]
        except KeyError:
            raise KeyError(f"no value set {set_id!r}") from None

    def codes(self, set_id: str) -> frozenset[str]:
        if set_id not in self._codes:
            self.get(set_id)  # raises with the message
        return self._codes[set_id]

    def display(self, set_id: str, code: str) -> str | None:
        """How ``code`` reads, or None if the set does not know it."""
        value = self.get(set_id).values.get(code)
        return None if value is None else value.display

    def as_rule_input(self) -> dict[str, list[str]]:
        """The ``valueSets`` object CertLogic rules see: set id -> its codes, sorted.

        A fresh copy each call, since rule engines may keep or alter it; callers that run many
        rules should build it once.
        """
        return {key: sorted(codes) for key, codes in self._codes.items()}


@cache
def value_sets() -> ValueSets:
    """The shipped value sets, read on first use and shared afterwards."""
    data = resources.files("healthcert.model") / "data"
    eu_files = sorted(
        (entry for entry in (data / EU_DIRECTORY).iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )
    eu_sets = [parse_value_set(_read_json(entry)) for entry in eu_files]
    additions = _read_json(data / ADDITIONS_FILE)
    documents = additions if isinstance(additions, list) else [additions]
    return ValueSets(merge(eu_sets, [parse_value_set(doc) for doc in documents]))


def merge(base: Iterable[ValueSet], additions: Iterable[ValueSet]) -> list[ValueSet]:
    """``base`` with the codes of ``additions`` added; a code already in ``base`` stays as is."""
    merged = {value_set.id: value_set for value_set in base}
    for extra in additions:
        known = merged.get(extra.id)
        if known is None:
            merged[extra.id] = extra
            continue
        values = {**extra.values, **known.values}
        merged[extra.id] = ValueSet(extra.id, max(known.date, extra.date), values)
    return list(merged.values())


def parse_value_set(document: Any) -> ValueSet:
    """A value set from its JSON document (the EU DCC value set file format)."""
    try:
        values = {
            str(code): _parse_value(entry) for code, entry in document["valueSetValues"].items()
        }
        return ValueSet(str(document["valueSetId"]), str(document["valueSetDate"]), values)
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a value set document: {error!r}") from error


def _parse_value(entry: Mapping[str, Any]) -> ValueSetValue:
    return ValueSetValue(
        display=str(entry["display"]),
        lang=str(entry.get("lang", "")),
        active=bool(entry.get("active", True)),
        system=str(entry.get("system", "")),
        version=str(entry.get("version", "")),
    )


def _read_json(entry: Traversable) -> Any:
    with entry.open("r", encoding="utf-8-sig") as stream:
        return json.load(stream)
