"""EU DCC validation rules end to end: load, select, build the data, run.

The pieces live in their own modules and are re-exported here, so callers need one import:

* :mod:`healthcert.rules.rule` — the rule format, checked on load (:func:`parse_rule`,
  :func:`parse_rules`, :func:`load_rules_json`; bad rules raise :class:`RuleError`);
* :mod:`healthcert.rules.selection` — :func:`select_rules`, as the EU verifier apps select;
* this module — :func:`build_rule_data` (what a rule's ``var`` paths see) and
  :func:`run_rules` (one :class:`RuleOutcome` per rule: passed, failed or open).

A rule is "open" when it has no boolean answer: its evaluation raised
:class:`~healthcert.rules.certlogic.CertLogicError` or returned something other than
``true``/``false``. Open is not passed: a verdict must treat it as "cannot accept".
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from healthcert.rules.certlogic import CertLogicError
from healthcert.rules.rule import (
    CertificateType,
    Description,
    Rule,
    RuleError,
    RuleType,
    load_rules_json,
    parse_rule,
    parse_rules,
    semver_key,
)
from healthcert.rules.selection import select_rules

__all__ = [
    "CertificateType",
    "Description",
    "Rule",
    "RuleError",
    "RuleOutcome",
    "RuleResult",
    "RuleType",
    "build_rule_data",
    "load_rules_json",
    "parse_rule",
    "parse_rules",
    "run_rule",
    "run_rules",
    "select_rules",
    "semver_key",
]


class RuleResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    OPEN = "open"


@dataclass(slots=True)
class RuleOutcome:
    """What one rule said about one certificate.

    Not frozen on purpose: a frozen dataclass takes three times as long to build, and a
    certificate meets dozens of rules on a path that should cost less than its signature check.
    """

    identifier: str
    type: RuleType
    result: RuleResult
    description: str
    version: str
    country: str
    certificate_type: CertificateType
    affected_fields: tuple[str, ...]
    detail: str | None = None
    """Why the rule is open (the evaluation error, or the non-boolean value); else None."""


def _timestamp(value: datetime | int, name: str) -> str:
    """ISO 8601 with offset, which CertLogic's plusTime accepts as is."""
    if isinstance(value, int):  # CWT claims (exp, iat) are seconds since the epoch
        value = datetime.fromtimestamp(value, UTC)
    if value.tzinfo is None:
        raise RuleError(None, f"{name} must carry a time zone")
    timespec = "milliseconds" if value.microsecond else "seconds"
    return value.isoformat(timespec=timespec)


def _codes(name: str, codes: Iterable[str]) -> list[str]:
    if isinstance(codes, str | bytes):  # list("abc") would silently be three one-letter codes
        raise RuleError(None, f"value set {name!r} must be a collection of codes, not a string")
    return list(codes)


def build_rule_data(
    payload: Mapping[str, Any],
    *,
    validation_clock: datetime,
    value_sets: Mapping[str, Iterable[str]],
    country_code: str,
    exp: datetime | int | None = None,
    iat: datetime | int | None = None,
    kid: str | bytes | None = None,
) -> dict[str, Any]:
    """The data context rules are evaluated on, in the layout the EU rules expect.

    ``payload`` is the DCC JSON (``{"ver", "nam", "dob", "v"|"t"|"r"}``), passed through
    unchanged; ``value_sets`` maps a value-set id to its codes; ``country_code`` is the
    verifying (arrival) country; ``exp``/``iat`` are the CWT expiry and issue time (datetimes or
    epoch seconds); ``kid`` is the signer's key id (bytes are written as standard base64).
    """
    external: dict[str, Any] = {
        "validationClock": _timestamp(validation_clock, "the validation clock"),
        "valueSets": {name: _codes(name, codes) for name, codes in value_sets.items()},
        "countryCode": country_code.upper(),
        "exp": None if exp is None else _timestamp(exp, "exp"),
        "iat": None if iat is None else _timestamp(iat, "iat"),
        "kid": base64.b64encode(kid).decode("ascii") if isinstance(kid, bytes) else kid,
    }
    return {"payload": payload, "external": external}


def _outcome(rule: Rule, result: RuleResult, language: str, detail: str | None) -> RuleOutcome:
    return RuleOutcome(
        identifier=rule.identifier,
        type=rule.type,
        result=result,
        description=rule.description(language),
        version=rule.version,
        country=rule.country,
        certificate_type=rule.certificate_type,
        affected_fields=rule.affected_fields,
        detail=detail,
    )


def run_rule(rule: Rule, data: Any, *, language: str = "en") -> RuleOutcome:
    """Evaluate one rule on ``data`` (see :func:`build_rule_data`); never raises."""
    try:
        value = rule.evaluate(data)
    except CertLogicError as exc:
        return _outcome(rule, RuleResult.OPEN, language, str(exc))
    if value is True:
        return _outcome(rule, RuleResult.PASSED, language, None)
    if value is False:
        return _outcome(rule, RuleResult.FAILED, language, None)
    detail = f"the rule evaluated to {value!r}, not to true or false"
    return _outcome(rule, RuleResult.OPEN, language, detail[:200])


def run_rules(rules: Iterable[Rule], data: Any, *, language: str = "en") -> list[RuleOutcome]:
    """Evaluate every rule on ``data``, in order; descriptions in ``language``, else English."""
    return [run_rule(rule, data, language=language) for rule in rules]
