"""EU DCC validation rules: the gateway's JSON format as typed, checked values.

A rule document is refused (:class:`RuleError`, naming the rule's Identifier and the problem)
unless it passes, in order:

1. the JSON schema shipped in ``data/validation-rule.schema.json`` (fields, types, patterns);
2. the consistency checks the EU gateway applies on upload (Identifier prefix and country
   against Type, CertificateType and Country; ValidFrom before ValidTo; engine CERTLOGIC);
3. CertLogic validation of ``Logic`` (known operators, arities, literal operands).

An accepted rule carries its compiled logic, so evaluating it costs no parsing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final

import fastjsonschema

from healthcert.errors import HealthcertError
from healthcert.model.kinds import EntryKind
from healthcert.rules import certlogic

__all__ = [
    "ENGINE",
    "MAX_RULES_JSON_BYTES",
    "CertificateType",
    "Description",
    "Rule",
    "RuleError",
    "RuleType",
    "load_rules_json",
    "parse_rule",
    "parse_rules",
    "semver_key",
]

ENGINE: Final = "CERTLOGIC"
# A country's full rule list is a few hundred kilobytes; anything far larger is not a rule list.
MAX_RULES_JSON_BYTES: Final = 16 * 1024 * 1024


class RuleError(HealthcertError):
    """A validation rule (or a list of them) is unusable; the message names rule and problem."""

    def __init__(self, identifier: str | None, problem: str) -> None:
        self.identifier = identifier
        self.problem = problem
        name = identifier if identifier is not None else "without a usable Identifier"
        super().__init__(f"rule {name}: {problem}")


class RuleType(StrEnum):
    """Acceptance rules are the arrival country's; invalidation rules the issuing country's."""

    ACCEPTANCE = "Acceptance"
    INVALIDATION = "Invalidation"


class CertificateType(StrEnum):
    """Which certificates a rule is about: General applies to all of them."""

    GENERAL = "General"
    VACCINATION = "Vaccination"
    TEST = "Test"
    RECOVERY = "Recovery"

    @classmethod
    def of(cls, kind: EntryKind) -> CertificateType:
        """The rule certificate type for a certificate carrying an entry of ``kind``."""
        return _TYPE_OF_KIND[kind]


_TYPE_OF_KIND: Final = {
    EntryKind.VACCINATION: CertificateType.VACCINATION,
    EntryKind.TEST: CertificateType.TEST,
    EntryKind.RECOVERY: CertificateType.RECOVERY,
}

# The Identifier prefix an acceptance rule of each certificate type must carry.
_ACCEPTANCE_PREFIX: Final = {
    CertificateType.GENERAL: "GR",
    CertificateType.VACCINATION: "VR",
    CertificateType.TEST: "TR",
    CertificateType.RECOVERY: "RR",
}


@dataclass(frozen=True, slots=True)
class Description:
    """A rule's human-readable description in one language."""

    lang: str
    desc: str


def semver_key(version: str) -> tuple[int, int, int]:
    """``"1.10.0"`` -> ``(1, 10, 0)``, so versions order numerically, not as text."""
    major, minor, patch = version.split(".")
    return int(major), int(minor), int(patch)


@dataclass(frozen=True, slots=True)
class Rule:
    """One accepted validation rule. Build it with :func:`parse_rule`, not directly."""

    identifier: str
    type: RuleType
    country: str
    region: str | None
    version: str
    schema_version: str
    engine: str
    engine_version: str
    certificate_type: CertificateType
    descriptions: tuple[Description, ...]
    valid_from: datetime
    valid_to: datetime
    affected_fields: tuple[str, ...]
    logic: Mapping[str, Any] = field(compare=False, repr=False)
    evaluator: Callable[[Any], Any] = field(compare=False, repr=False)
    document: Mapping[str, Any] = field(compare=False, repr=False)
    """A copy of the rule as received (for storage and display)."""

    @property
    def version_key(self) -> tuple[int, int, int]:
        return semver_key(self.version)

    def is_valid_at(self, clock: datetime) -> bool:
        """Whether ``clock`` lies inside ValidFrom..ValidTo (both ends included)."""
        return self.valid_from <= clock <= self.valid_to

    def description(self, language: str = "en") -> str:
        """The description in ``language``, else in English, else the first one given."""
        for wanted in (language, "en"):
            for description in self.descriptions:
                if description.lang == wanted:
                    return description.desc
        return self.descriptions[0].desc

    def evaluate(self, data: Any) -> Any:
        """The value of the rule's logic on ``data``; raises :class:`certlogic.CertLogicError`."""
        return self.evaluator(data)


@cache
def _schema_check() -> Callable[[Any], Any]:
    text = resources.files("healthcert.rules").joinpath("data/validation-rule.schema.json")
    check: Callable[[Any], Any] = fastjsonschema.compile(json.loads(text.read_text("utf-8")))
    return check


def _identifier_of(document: Any) -> str | None:
    if isinstance(document, Mapping):
        identifier = document.get("Identifier")
        if isinstance(identifier, str) and 0 < len(identifier) <= 64:
            return identifier
    return None


def _check_schema(document: Any, identifier: str | None) -> None:
    try:
        _schema_check()(document)
    except fastjsonschema.JsonSchemaValueException as exc:
        # fastjsonschema calls the document "data"; say "rule" so the message reads naturally.
        message = str(exc.message).replace("data.", "", 1).replace("data ", "rule ", 1)
        raise RuleError(identifier, f"does not match the rule schema: {message}") from None


def _timestamp(identifier: str, name: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise RuleError(identifier, f"{name} is not a valid date-time: {text!r}") from None


def _check_consistency(document: Mapping[str, Any], identifier: str) -> None:
    """What the EU gateway checks on upload beyond the schema."""
    if document["Engine"] != ENGINE:
        raise RuleError(identifier, f"Engine is {document['Engine']!r}: only {ENGINE} is supported")
    prefix, country, _ = identifier.split("-")
    if country != document["Country"]:
        problem = f"Identifier names country {country} but Country is {document['Country']}"
        raise RuleError(identifier, problem)
    rule_type = RuleType(document["Type"])
    certificate_type = CertificateType(document["CertificateType"])
    invalidation = rule_type is RuleType.INVALIDATION
    expected = "IR" if invalidation else _ACCEPTANCE_PREFIX[certificate_type]
    if prefix != expected:
        problem = (
            f"a {rule_type} rule for {certificate_type} certificates must have an Identifier "
            f"starting with {expected}-"
        )
        raise RuleError(identifier, problem)


def _check_logic(logic: Any, identifier: str) -> None:
    # Validation bounds the nesting depth, so nothing recursive touches the document before it.
    issues = certlogic.validate(logic)
    if issues:
        raise RuleError(identifier, "Logic is not valid CertLogic: " + "; ".join(issues))


def _compile_logic(logic: Any, identifier: str) -> Callable[[Any], Any]:
    try:
        return certlogic.compile_logic(logic)
    except certlogic.CertLogicError as exc:  # validation passed, so this should not happen
        raise RuleError(identifier, f"Logic cannot be compiled: {exc}") from None


def parse_rule(document: Any) -> Rule:
    """Check one rule document (a decoded JSON object) and return it as a :class:`Rule`.

    Raises :class:`RuleError` naming the Identifier and the problem if the rule is refused.
    """
    identifier = _identifier_of(document)
    _check_schema(document, identifier)
    if identifier is None:  # unreachable: the schema requires a well-formed Identifier
        raise RuleError(None, "Identifier is missing")
    _check_logic(document["Logic"], identifier)
    # A private copy: the compiled logic must not drift from the rule if the caller's
    # document changes later.
    document = copy.deepcopy(document)
    _check_consistency(document, identifier)
    valid_from = _timestamp(identifier, "ValidFrom", document["ValidFrom"])
    valid_to = _timestamp(identifier, "ValidTo", document["ValidTo"])
    if valid_to <= valid_from:
        raise RuleError(identifier, "ValidTo is not after ValidFrom")
    return Rule(
        identifier=identifier,
        type=RuleType(document["Type"]),
        country=document["Country"],
        region=document.get("Region") or None,
        version=document["Version"],
        schema_version=document["SchemaVersion"],
        engine=document["Engine"],
        engine_version=document["EngineVersion"],
        certificate_type=CertificateType(document["CertificateType"]),
        descriptions=tuple(Description(d["lang"], d["desc"]) for d in document["Description"]),
        valid_from=valid_from,
        valid_to=valid_to,
        affected_fields=tuple(document["AffectedFields"]),
        logic=document["Logic"],
        evaluator=_compile_logic(document["Logic"], identifier),
        document=document,
    )


def parse_rules(documents: Iterable[Any]) -> list[Rule]:
    """Check a list of rule documents; one bad rule refuses the list (a partial set of a
    country's rules could accept certificates the full set refuses).

    Two different documents for the same Identifier and Version are refused too.
    """
    rules: list[Rule] = []
    seen: dict[tuple[str, str], Rule] = {}
    for document in documents:
        rule = parse_rule(document)
        key = (rule.identifier, rule.version)
        earlier = seen.get(key)
        if earlier is None:
            seen[key] = rule
            rules.append(rule)
        elif earlier.document != rule.document:
            problem = f"two different rules share Version {rule.version}"
            raise RuleError(rule.identifier, problem)
    return rules


def load_rules_json(text: str | bytes) -> list[Rule]:
    """Parse a JSON array of rule documents (or one rule document) and check every rule."""
    if len(text) > MAX_RULES_JSON_BYTES:
        raise RuleError(None, f"rule list is larger than {MAX_RULES_JSON_BYTES} bytes")
    try:
        decoded = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise RuleError(None, f"rule list is not JSON: {exc}") from None
    return parse_rules(decoded if isinstance(decoded, list) else [decoded])
