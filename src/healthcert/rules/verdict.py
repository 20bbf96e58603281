"""The entry verdict: may this certificate's holder enter the destination, as the traveller sees it.

A valid report says a certificate is genuine; the verdict is the destination's decision:

* ``green``: the certificate is valid, every rule that applies passed, and the origin is not a
  high-risk one;
* ``yellow``: valid, but an action is needed: the destination has no rules for this certificate
  (``NO_RULES``), a rule could not be evaluated (``RULE_OPEN``), or the traveller comes from a
  high-risk origin (``ORIGIN_HIGH_RISK``, with the policy's action text);
* ``red``: the certificate is not valid (``CERTIFICATE_INVALID``: forged, expired, revoked, ...)
  or a rule failed (``RULE_FAILED``).

:func:`judge` writes into the report, next to what verification found:

* ``checks["rules"]``: true when every rule passed, false when any failed, null when the rules
  were not evaluated or some were open. It appears only when a verdict was asked for, and never
  changes ``valid`` (see ``report.DECISION_CHECKS``);
* ``extra["destination"]``: country, origin, the origin's risk level and what it requires;
* ``extra["verdict"]`` and ``extra["verdict_reasons"]`` (``[{"code", "message"}]``, every reason
  the verdict is not green, in the asked language);
* ``extra["rules"]``: ``[{"id", "type", "result", "description"}]``, one per rule run.

Certificates of every format meet the rules in the same DCC shape: the report's canonical
certificate turned back into DCC JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any, Final

from pydantic import ValidationError

from healthcert.formats import registry
from healthcert.formats.eu_dcc.mapping import to_dcc
from healthcert.model.certificate import Certificate
from healthcert.model.valuesets import value_sets
from healthcert.report import Report
from healthcert.rules.policy import Policies, Policy, RiskLevel
from healthcert.rules.ruleset import RuleOutcome, RuleResult, build_rule_data, run_rules

__all__ = [
    "CERTIFICATE_INVALID",
    "NOT_FOR_ENTRY",
    "NO_RULES",
    "ORIGIN_HIGH_RISK",
    "RULE_FAILED",
    "RULE_OPEN",
    "Journey",
    "Reason",
    "Verdict",
    "judge",
    "judge_for",
    "rule_value_sets",
]

# Stable reason codes: programs match on these strings, never rename one.
CERTIFICATE_INVALID: Final = "CERTIFICATE_INVALID"
RULE_FAILED: Final = "RULE_FAILED"
RULE_OPEN: Final = "RULE_OPEN"
NO_RULES: Final = "NO_RULES"
ORIGIN_HIGH_RISK: Final = "ORIGIN_HIGH_RISK"
NOT_FOR_ENTRY: Final = "NOT_FOR_ENTRY"
_RED_REASONS: Final = frozenset({CERTIFICATE_INVALID, RULE_FAILED})


class Verdict(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


@dataclass(frozen=True, slots=True)
class Journey:
    """Where the traveller arrives (``destination``) and comes from (``origin``, if known):
    ISO 3166-1 alpha-2 codes. ``region`` selects a destination's regional rules."""

    destination: str
    origin: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        # Codes arrive as people type them; policies, rules and reports use upper case.
        for name in ("destination", "origin", "region"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, value.strip().upper())


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason a verdict is not green: a stable code and a message in the asked language."""

    code: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


# Our own messages; rule descriptions and policy actions bring their own languages.
_MESSAGES: Final[dict[str, dict[str, str]]] = {
    "en": {
        CERTIFICATE_INVALID: "the certificate is not valid ({codes})",
        RULE_FAILED: "rule {rule} failed: {description}",
        RULE_OPEN: "rule {rule} could not be evaluated: {detail}",
        "unmapped": "the certificate cannot be presented to the entry rules",
        NO_RULES: "{country} has no entry rules for this certificate: check its requirements "
        "by hand",
        ORIGIN_HIGH_RISK: "{origin} is a high-risk origin for {country}: {action}",
        NOT_FOR_ENTRY: "a light certificate of {issuer} is for use in {issuer}, not for "
        "entry to {country}: ask for the full certificate",
    },
    "zh": {
        CERTIFICATE_INVALID: "证书无效（{codes}）",
        RULE_FAILED: "规则 {rule} 未通过：{description}",
        RULE_OPEN: "规则 {rule} 无法判定：{detail}",
        "unmapped": "该证书无法按入境规则判定",
        NO_RULES: "{country} 没有适用于此证书的入境规则：请人工核对入境要求",
        ORIGIN_HIGH_RISK: "{origin} 是 {country} 认定的高风险来源地：{action}",
        NOT_FOR_ENTRY: "{issuer} 的简版证书仅限在 {issuer} 境内使用，不能用于入境 {country}："
        "请出示完整证书",
    },
}


def _message(key: str, language: str, **values: str) -> str:
    catalogue = _MESSAGES.get(language) or _MESSAGES.get(language.split("-", 1)[0], {})
    return catalogue.get(key, _MESSAGES["en"][key]).format(**values)


@cache
def rule_value_sets() -> dict[str, list[str]]:
    """The value sets rules see, built once per process (forked workers inherit them)."""
    return value_sets().as_rule_input()


def judge(
    report: Report,
    policies: Policies,
    journey: Journey,
    *,
    clock: datetime,
    language: str = "en",
) -> Verdict:
    """Decide entry for the certificate of ``report`` and record the decision in it.

    ``clock`` is the validation clock (aware). Never raises on what a payload holds.
    A health code carries its own decision: a destination's entry rules are for certificates,
    so its verdict stays the colour it was issued with (red when it is not valid).
    """
    if report.format == registry.HEALTH_CODE:
        return _health_code_verdict(report)
    if report.format == registry.LIGHT:
        return _light_verdict(report, journey, language)
    policy = policies.get(journey.destination)
    reasons: list[Reason] = []
    if not report.valid:
        codes = ", ".join(report.error_codes) or "not verified"
        message = _message(CERTIFICATE_INVALID, language, codes=codes)
        reasons.append(Reason(CERTIFICATE_INVALID, message))
    outcomes = _run(report, policies, journey, clock, language, reasons)
    risk = _origin_risk(policy, journey, language, reasons)
    verdict = _colour(reasons)
    _record(report, outcomes, verdict, reasons, _destination(policy, journey, risk, language))
    return verdict


def _health_code_verdict(report: Report) -> Verdict:
    colour = report.extra.get("verdict")
    verdict = Verdict.RED
    if report.valid and isinstance(colour, str) and colour in set(Verdict):
        verdict = Verdict(colour)
    report.extra["verdict"] = verdict.value
    return verdict


def _light_verdict(report: Report, journey: Journey, language: str) -> Verdict:
    """A light certificate carries no health data for entry rules to read: it is for use at
    home, so it is green only in the country that issued it."""
    reasons: list[Reason] = []
    if not report.valid:
        codes = ", ".join(report.error_codes) or "not verified"
        reasons.append(
            Reason(CERTIFICATE_INVALID, _message(CERTIFICATE_INVALID, language, codes=codes))
        )
    issuer = str(report.issuer.get("country") or "?")
    if issuer != journey.destination:
        message = _message(NOT_FOR_ENTRY, language, issuer=issuer, country=journey.destination)
        reasons.append(Reason(NOT_FOR_ENTRY, message))
    verdict = Verdict.RED if reasons else Verdict.GREEN
    _record(report, None, verdict, reasons, _destination(None, journey, None, language))
    return verdict


def judge_for(
    destination: str,
    *,
    policies: Policies,
    origin: str | None = None,
    language: str = "en",
) -> Callable[[Report, datetime], Verdict]:
    """A judge of one journey, as ``verify_many(judge=...)`` takes it: it records in a report
    verified at a clock the verdict of ``judge``, and returns it. The value sets rules see
    are built now, once, so that workers forked afterwards inherit them."""
    rule_value_sets()
    journey = Journey(destination, origin)

    def decide(report: Report, clock: datetime) -> Verdict:
        return judge(report, policies, journey, clock=clock, language=language)

    return decide


def _run(
    report: Report,
    policies: Policies,
    journey: Journey,
    clock: datetime,
    language: str,
    reasons: list[Reason],
) -> list[RuleOutcome] | None:
    """The outcome of every rule that applies; None when no rule could be run."""
    if report.certificate is None:
        if report.valid:  # genuine, but in a shape the canonical model cannot hold
            reasons.append(Reason(RULE_OPEN, _message("unmapped", language)))
        return None
    try:
        certificate = Certificate.model_validate(report.certificate)
    except ValidationError:
        reasons.append(Reason(RULE_OPEN, _message("unmapped", language)))
        return None
    rules = policies.rules_for(
        kind=certificate.kind,
        destination=journey.destination,
        issuing_country=_issuing_country(report, certificate),
        clock=clock,
        region=journey.region,
    )
    if not rules:
        reasons.append(Reason(NO_RULES, _message(NO_RULES, language, country=journey.destination)))
        return None
    outcomes = run_rules(rules, _rule_data(report, certificate, journey, clock), language=language)
    reasons.extend(_rule_reasons(outcomes, language))
    return outcomes


def _issuing_country(report: Report, certificate: Certificate) -> str | None:
    """The signer's country (the CWT iss, the DSC's), else the country the entry names; None
    when neither is known (a SMART Health Card of an issuer without a country)."""
    country = report.issuer.get("country")
    return country if isinstance(country, str) and country else certificate.entry.country


def _rule_data(
    report: Report, certificate: Certificate, journey: Journey, clock: datetime
) -> dict[str, Any]:
    external = dict(_external_base(journey.destination, clock))
    external["exp"] = _claim_time(report, "exp")
    external["iat"] = _claim_time(report, "iat")
    external["kid"] = report.issuer.get("kid")
    return {"payload": to_dcc(certificate), "external": external}


@lru_cache(maxsize=64)
def _external_base(destination: str, clock: datetime) -> dict[str, Any]:
    """What every certificate checked at ``clock`` for ``destination`` shares: built once, as
    copying every value set per certificate would cost more than running the rules."""
    empty = build_rule_data(
        {}, validation_clock=clock, value_sets=rule_value_sets(), country_code=destination
    )
    external: dict[str, Any] = empty["external"]
    return external


def _claim_time(report: Report, name: str) -> str | None:
    """A time the payload was signed with (``iat``, ``exp``) as its format recorded it, if it is
    an ISO 8601 date-time with an offset (which CertLogic's plusTime reads as it is)."""
    value = report.extra.get(name)
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return value if when.tzinfo is not None else None


def _rule_reasons(outcomes: Sequence[RuleOutcome], language: str) -> list[Reason]:
    reasons = []
    for outcome in outcomes:
        if outcome.result is RuleResult.FAILED:
            message = _message(
                RULE_FAILED, language, rule=outcome.identifier, description=outcome.description
            )
            reasons.append(Reason(RULE_FAILED, message))
        elif outcome.result is RuleResult.OPEN:
            detail = outcome.detail or outcome.description
            message = _message(RULE_OPEN, language, rule=outcome.identifier, detail=detail)
            reasons.append(Reason(RULE_OPEN, message))
    return reasons


def _origin_risk(
    policy: Policy | None, journey: Journey, language: str, reasons: list[Reason]
) -> RiskLevel | None:
    """The origin's risk level under the destination's policy (None when either is unknown)."""
    if policy is None or journey.origin is None:
        return None
    risk = policy.risk_of(journey.origin)
    if risk == "high":
        action = policy.requirement("high", language) or ""
        message = _message(
            ORIGIN_HIGH_RISK,
            language,
            origin=journey.origin,
            country=journey.destination,
            action=action,
        )
        reasons.append(Reason(ORIGIN_HIGH_RISK, message))
    return risk


def _colour(reasons: Sequence[Reason]) -> Verdict:
    if any(reason.code in _RED_REASONS for reason in reasons):
        return Verdict.RED
    return Verdict.YELLOW if reasons else Verdict.GREEN


def _destination(
    policy: Policy | None, journey: Journey, risk: RiskLevel | None, language: str
) -> dict[str, Any]:
    requirement = None
    if policy is not None and risk is not None:
        requirement = policy.requirement(risk, language)
    destination: dict[str, Any] = {
        "country": journey.destination,
        "origin": journey.origin,
        "origin_risk": risk,
        "requirement": requirement,
        "policy_version": None if policy is None else policy.version,
    }
    if journey.region is not None:
        destination["region"] = journey.region
    return destination


def _rules_check(outcomes: Sequence[RuleOutcome] | None) -> bool | None:
    if not outcomes:
        return None
    results = {outcome.result for outcome in outcomes}
    if RuleResult.FAILED in results:
        return False
    return True if results == {RuleResult.PASSED} else None


def _record(
    report: Report,
    outcomes: Sequence[RuleOutcome] | None,
    verdict: Verdict,
    reasons: Sequence[Reason],
    destination: dict[str, Any],
) -> None:
    report.checks["rules"] = _rules_check(outcomes)
    report.extra["destination"] = destination
    report.extra["verdict"] = verdict.value
    report.extra["verdict_reasons"] = [reason.as_json() for reason in reasons]
    report.extra["rules"] = [
        {
            "id": outcome.identifier,
            "type": outcome.type.value,
            "result": outcome.result.value,
            "description": outcome.description,
        }
        for outcome in outcomes or ()
    ]
