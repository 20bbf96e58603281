"""The automatic pre-check of a health declaration against the destination's policy.

A pure function of its inputs and ``clock``: no database, no network, no current time. Each
requirement the policy's ``declaration`` section asks of this trip comes out ``met``,
``not_met`` or ``needs_review``, naming the evidence that decides it and saying why in English
and Chinese; the consulate reviews the rest.

What counts as evidence of a test: a certificate that verified valid (and that the destination's
rules did not refuse, where they were run) or an authority record, of the asked test type, with a
negative result for nucleic acid and antigen tests, sampled in the country of departure (or
transit) no more than the policy's hours before departure and not after it (nor after
``clock``). A laboratory counts as listed when the certificate's centre is one the policy lists
in that country; the sampling city is then the laboratory's. A city the traveller only declared,
and any uploaded document, is never machine-verified: the requirement then needs review.

A traveller who passed through a riskier country than the one they left from is judged at that
country's risk level. Automatic approval needs all of: the policy allows it at that level, every
requirement met, and no uploaded document among the evidence.

One module, over the usual size, because it is one judgement: every requirement is decided by
the same reading of the evidence, and each rule above is a few lines of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final, Literal

from healthcert.model.codes import RESULT_NOT_DETECTED, TEST_TYPE_ANTIBODY_IGG
from healthcert.report import Report
from healthcert.rules.policy import (
    RISK_ORDER,
    Policy,
    RiskLevel,
    TestKind,
    TestRequirement,
)

__all__ = [
    "DeclarationFacts",
    "EvidenceFacts",
    "PrecheckResult",
    "RequirementOutcome",
    "Status",
    "TransitStop",
    "precheck",
]

Status = Literal["met", "not_met", "needs_review"]
EvidenceKind = Literal["record", "certificate", "document"]
Texts = Mapping[str, str]

_KIND_NAMES: Final[Mapping[TestKind, tuple[str, str]]] = {
    "naat": ("nucleic acid (PCR) test", "核酸（PCR）检测"),
    "antibody_igg": ("IgG antibody test", "IgG抗体检测"),
    "rapid_antigen": ("rapid antigen test", "抗原快速检测"),
}
_SECONDS_PER_HOUR: Final = 3600


def _texts(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must carry a time zone")


@dataclass(frozen=True, slots=True)
class TransitStop:
    """A country the traveller changes planes in, and when they leave it."""

    country: str
    departure: datetime
    city: str | None = None

    def __post_init__(self) -> None:
        _aware(self.departure, "TransitStop.departure")


@dataclass(frozen=True, slots=True)
class DeclarationFacts:
    """The trip a declaration describes (ISO 3166 alpha-2 country codes)."""

    from_country: str
    from_city: str
    to_country: str
    departure: datetime
    via: tuple[TransitStop, ...] = ()

    def __post_init__(self) -> None:
        _aware(self.departure, "DeclarationFacts.departure")
        previous = self.departure
        for stop in self.via:
            if stop.departure <= previous:
                raise ValueError("each transit departure must come after the one before it")
            previous = stop.departure

    @property
    def last_departure(self) -> datetime:
        """The departure of the flight that reaches the destination."""
        return self.via[-1].departure if self.via else self.departure


@dataclass(frozen=True, slots=True)
class EvidenceFacts:
    """One piece of evidence: an authority ``record``, a ``certificate`` payload with its
    verification ``report`` (a :class:`Report` or its dict) and verdict, or an uploaded
    ``document``. ``entry`` is the canonical certificate's entry as the report's certificate
    JSON writes it (taken from the report when not given; for a document, what the traveller
    says it shows). ``sample_city`` is the city the traveller declares for sampling."""

    kind: EvidenceKind
    id: str | None = None
    entry: Mapping[str, Any] | None = None
    report: Report | Mapping[str, Any] | None = None
    verdict: str | None = None
    sample_city: str | None = None

    def canonical_entry(self) -> Mapping[str, Any] | None:
        if self.entry is not None:
            return self.entry
        certificate = _report_field(self.report, "certificate")
        found = certificate.get("entry") if isinstance(certificate, Mapping) else None
        return found if isinstance(found, Mapping) else None

    def trust_problem(self) -> Texts | None:
        """Why this evidence cannot be machine-verified as genuine, or None when it can."""
        if self.kind == "record":
            return None
        if self.kind == "document":
            return _texts(
                "an uploaded document is read by a person", "上传的文件须由工作人员人工审核"
            )
        if _report_field(self.report, "valid") is not True:
            return _texts("the certificate did not verify as valid", "证书未通过验证")
        verdict = self.verdict or _report_field(self.report, "verdict")
        if verdict == "red":
            return _texts("the destination's rules refused the certificate", "证书未通过目的地规则")
        return None


def _report_field(report: Report | Mapping[str, Any] | None, name: str) -> Any:
    if report is None:
        return None
    if isinstance(report, Report):
        if name == "valid":
            return report.valid
        if name == "certificate":
            return report.certificate
        return report.extra.get(name)
    return report.get(name)


@dataclass(frozen=True, slots=True)
class RequirementOutcome:
    """One requirement: its id (``departure``, ``test.<kind>``, ``vaccination``,
    ``transit.<country>.<kind>``), its status, the evidence deciding it (indices into the
    evidence given, and their ids where they have one) and why, per language."""

    requirement: str
    status: Status
    reason: Texts
    evidence: tuple[int, ...] = ()
    evidence_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "status": self.status,
            "evidence": list(self.evidence),
            "evidence_ids": list(self.evidence_ids),
            "reason": dict(self.reason),
        }


@dataclass(frozen=True, slots=True)
class PrecheckResult:
    """Every requirement's outcome, the risk level applied, and whether (and why) the
    declaration may be approved without a person."""

    requirements: tuple[RequirementOutcome, ...]
    risk: RiskLevel
    risk_set_on: date | None
    auto_approve: bool
    auto_approve_reason: Texts = field(default_factory=dict)

    def outcome(self, requirement: str) -> RequirementOutcome:
        for outcome in self.requirements:
            if outcome.requirement == requirement:
                return outcome
        raise KeyError(requirement)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirements": [outcome.to_dict() for outcome in self.requirements],
            "risk": self.risk,
            "risk_set_on": None if self.risk_set_on is None else self.risk_set_on.isoformat(),
            "auto_approve": self.auto_approve,
            "auto_approve_reason": dict(self.auto_approve_reason),
        }


@dataclass(frozen=True, slots=True)
class _Place:
    """Where and by when a test must be taken: the departure city, or a transit stop."""

    country: str
    city: str | None
    departure: datetime


@dataclass(frozen=True, slots=True)
class _Piece:
    """A piece of evidence read once per pre-check: every requirement looks at every piece,
    and reading the report's entry and trust again each time was most of the cost."""

    index: int
    facts: EvidenceFacts
    entry: Mapping[str, Any] | None
    problem: Texts | None
    sampled: datetime | None

    @property
    def is_document(self) -> bool:
        return self.facts.kind == "document"

    def shows(self, kind: str, test_type: str | None = None) -> bool:
        """Whether the entry is of ``kind`` (and ``test_type``); a document that says nothing
        of what it shows may show anything."""
        entry = self.entry
        if entry is None:
            return self.is_document
        if self.is_document and "kind" not in entry:
            return test_type is None or entry.get("test_type") == test_type
        return entry.get("kind") == kind and (
            test_type is None or entry.get("test_type") == test_type
        )


def _read(index: int, facts: EvidenceFacts) -> _Piece:
    entry = facts.canonical_entry()
    sampled = _sample_time(entry.get("sample_time")) if entry is not None else None
    return _Piece(index, facts, entry, facts.trust_problem(), sampled)


@dataclass(frozen=True, slots=True)
class _Judgement:
    piece: _Piece
    status: Status
    reason: Texts


def precheck(
    declaration: DeclarationFacts,
    evidence: Sequence[EvidenceFacts],
    policy: Policy,
    clock: datetime,
) -> PrecheckResult:
    """Check ``declaration`` and its ``evidence`` against ``policy`` as of ``clock``."""
    _aware(clock, "clock")
    risk = _risk(declaration, policy)
    pieces = [_read(index, facts) for index, facts in enumerate(evidence)]
    outcomes = [_departure(declaration, clock)]
    rules = policy.declaration
    if rules is not None:
        home = _Place(
            declaration.from_country.upper(), declaration.from_city, declaration.departure
        )
        for test in rules.tests_for(risk):
            outcomes.append(_test(f"test.{test.kind}", test, home, pieces, policy, clock))
        if rules.vaccination_for(risk):
            outcomes.append(_vaccination(declaration, pieces))
        for stop in declaration.via:
            place = _Place(stop.country.upper(), stop.city, stop.departure)
            for test in rules.transit_tests:
                name = f"transit.{place.country}.{test.kind}"
                outcomes.append(_test(name, test, place, pieces, policy, clock))
    approve, why = _auto_approval(policy, risk, outcomes, evidence)
    return PrecheckResult(
        requirements=tuple(outcomes),
        risk=risk,
        risk_set_on=policy.risk_set_date(_riskiest_country(declaration, policy)),
        auto_approve=approve,
        auto_approve_reason=why,
    )


def _countries(declaration: DeclarationFacts) -> list[str]:
    return [declaration.from_country, *(stop.country for stop in declaration.via)]


def _riskiest_country(declaration: DeclarationFacts, policy: Policy) -> str:
    # max keeps the first of equals: the country of departure unless a transit one is riskier.
    return max(_countries(declaration), key=lambda country: RISK_ORDER[policy.risk_of(country)])


def _risk(declaration: DeclarationFacts, policy: Policy) -> RiskLevel:
    return policy.risk_of(_riskiest_country(declaration, policy))


def _moment(when: datetime) -> str:
    """A time as an officer and a traveller read it: to the minute, in the offset declared
    (``2026-11-20 15:00 +08:00``), or ``UTC``."""
    offset = when.strftime("%z")
    zone = "UTC" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}"
    return f"{when:%Y-%m-%d %H:%M} {zone}"


def _departure(declaration: DeclarationFacts, clock: datetime) -> RequirementOutcome:
    # A transit passenger is checked again in the transit country, after the first departure:
    # what must still be ahead is the flight that reaches the destination.
    when = _moment(declaration.last_departure)
    if declaration.last_departure <= clock:
        reason = _texts(f"the departure ({when}) has passed", f"出发时间（{when}）已过")
        return RequirementOutcome("departure", "not_met", reason)
    return RequirementOutcome(
        "departure", "met", _texts(f"departure {when} is ahead", f"出发时间为{when}")
    )


def _decide(name: str, judgements: Iterable[_Judgement], missing: Texts) -> RequirementOutcome:
    """Met by the first piece that meets it; else needs review if a piece needs a person;
    else not met, for the first piece's reason (or ``missing`` when nothing bore on it)."""
    seen = list(judgements)
    for status in ("met", "needs_review"):
        deciding = [judgement for judgement in seen if judgement.status == status]
        if deciding:
            return _outcome(name, status, deciding[:1] if status == "met" else deciding)
    if not seen:
        return RequirementOutcome(name, "not_met", missing)
    return _outcome(name, "not_met", seen)


def _outcome(name: str, status: Status, chosen: list[_Judgement]) -> RequirementOutcome:
    indices = tuple(judgement.piece.index for judgement in chosen)
    ids = tuple(ident for judgement in chosen if (ident := judgement.piece.facts.id) is not None)
    return RequirementOutcome(name, status, chosen[0].reason, indices, ids)


def _test(
    name: str,
    test: TestRequirement,
    place: _Place,
    pieces: Sequence[_Piece],
    policy: Policy,
    clock: datetime,
) -> RequirementOutcome:
    en, zh = _KIND_NAMES[test.kind]
    test_type = test.test_type
    judgements = (
        _judge_test(piece, test, place, policy, clock)
        for piece in pieces
        if piece.shows("test", test_type)
    )
    missing = _texts(f"no {en} taken in {place.country}", f"没有在{place.country}进行的{zh}")
    return _decide(name, judgements, missing)


def _judge_test(
    piece: _Piece, test: TestRequirement, place: _Place, policy: Policy, clock: datetime
) -> _Judgement:
    """How ``piece``, a test of the kind asked for, bears on ``test`` at ``place``."""
    problem = piece.problem
    if problem is not None:
        return _Judgement(piece, "needs_review" if piece.is_document else "not_met", problem)
    assert piece.entry is not None  # only a document may leave its entry unsaid
    problem = _test_problem(piece.entry, piece.sampled, test, place, clock)
    if problem is not None:
        return _Judgement(piece, "not_met", problem)
    return _where_sampled(piece, piece.entry, test, place, policy)


def _test_problem(
    entry: Mapping[str, Any],
    sampled: datetime | None,
    test: TestRequirement,
    place: _Place,
    clock: datetime,
) -> Texts | None:
    if test.test_type != TEST_TYPE_ANTIBODY_IGG and entry.get("result") != RESULT_NOT_DETECTED:
        return _texts("the result is not negative", "检测结果不是阴性")
    if sampled is None:
        return _texts("the sample time is missing or unreadable", "采样时间缺失或无法识别")
    if sampled > place.departure:
        return _texts("sampled after departure", "采样时间晚于出发时间")
    if sampled > clock:
        return _texts("sampled after the time of the check", "采样时间晚于审核时间")
    hours = (place.departure - sampled).total_seconds() / _SECONDS_PER_HOUR
    if hours > test.max_age_hours:
        return _texts(
            f"sampled {hours:g} h before departure, more than {test.max_age_hours} h",
            f"采样时间为出发前{hours:g}小时，超过{test.max_age_hours}小时",
        )
    country = entry.get("country")
    if country != place.country:
        return _texts(
            f"sampled in {country}, not in {place.country}",
            f"采样地为{country}，而非{place.country}",
        )
    return None


def _sample_time(value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        return None
    return value


def _where_sampled(
    piece: _Piece,
    entry: Mapping[str, Any],
    test: TestRequirement,
    place: _Place,
    policy: Policy,
) -> _Judgement:
    """The laboratory and city rules, for a test that is otherwise good evidence."""
    rules = policy.declaration
    centre = entry.get("centre")
    laboratory = None
    if rules is not None and isinstance(centre, str):
        laboratory = rules.laboratory(place.country, centre)
    if test.listed_laboratory and laboratory is None:
        reason = _texts(
            f"the testing centre ({centre}) is not a laboratory the embassy lists",
            f"检测机构（{centre}）不在使馆公布的检测机构名单内",
        )
        return _Judgement(piece, "not_met", reason)
    if not test.in_departure_city or place.city is None:
        return _Judgement(piece, "met", _texts("a verified test meets it", "经验证的检测符合要求"))
    city = laboratory.city if laboratory is not None else piece.facts.sample_city
    if city is None:
        reason = _texts("where it was sampled is not machine-verifiable", "无法自动核实采样城市")
        return _Judgement(piece, "needs_review", reason)
    if not _same_city(city, place.city):
        reason = _texts(
            f"sampled in {city}, not in {place.city}", f"采样城市为{city}，而非{place.city}"
        )
        return _Judgement(piece, "not_met", reason)
    if laboratory is None:
        reason = _texts(
            f"the sampling city ({city}) is only declared", f"采样城市（{city}）仅为本人申报"
        )
        return _Judgement(piece, "needs_review", reason)
    reason = _texts(f"a verified test at {laboratory.name}", f"{laboratory.name}的检测经验证")
    return _Judgement(piece, "met", reason)


def _same_city(one: str, other: str) -> bool:
    return " ".join(one.casefold().split()) == " ".join(other.casefold().split())


def _vaccination(declaration: DeclarationFacts, pieces: Sequence[_Piece]) -> RequirementOutcome:
    judgements = (
        _judge_vaccination(piece, declaration) for piece in pieces if piece.shows("vaccination")
    )
    return _decide("vaccination", judgements, _texts("no vaccination evidence", "没有疫苗接种证明"))


def _judge_vaccination(piece: _Piece, declaration: DeclarationFacts) -> _Judgement:
    problem = piece.problem
    if problem is not None:
        return _Judgement(piece, "needs_review" if piece.is_document else "not_met", problem)
    entry = piece.entry
    assert entry is not None  # only a document may leave its entry unsaid
    dose, total = entry.get("dose_number"), entry.get("total_doses")
    if not isinstance(dose, int) or not isinstance(total, int) or dose < total:
        return _Judgement(piece, "not_met", _texts("the series is not complete", "未完成全程接种"))
    given = entry.get("date")
    if not isinstance(given, str) or given > declaration.departure.date().isoformat():
        reason = _texts("the vaccination date is not before departure", "接种日期不早于出发日期")
        return _Judgement(piece, "not_met", reason)
    return _Judgement(piece, "met", _texts("a verified complete vaccination", "经验证的全程接种"))


def _auto_approval(
    policy: Policy,
    risk: RiskLevel,
    outcomes: Sequence[RequirementOutcome],
    evidence: Sequence[EvidenceFacts],
) -> tuple[bool, Texts]:
    rules = policy.declaration
    if rules is None or not rules.auto_approval_allowed(risk):
        return False, _texts(
            f"the policy allows no automatic approval at {risk} origin risk",
            f"政策不允许对{risk}风险来源地自动批准",
        )
    open_ones = [outcome.requirement for outcome in outcomes if outcome.status != "met"]
    if open_ones:
        names = ", ".join(open_ones)
        return False, _texts(f"not every requirement is met: {names}", f"尚有要求未满足：{names}")
    if any(piece.kind == "document" for piece in evidence):
        return False, _texts(
            "an uploaded document must be read by a person", "上传的文件须由工作人员人工审核"
        )
    return True, _texts(
        f"{risk} origin risk, every requirement met by machine-verified evidence",
        f"来源地风险为{risk}，所有要求均由经自动验证的证明满足",
    )
