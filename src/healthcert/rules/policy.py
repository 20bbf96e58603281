"""Destination policies: what a country asks of the travellers who arrive there.

One JSON file per destination country holds

* ``rules``: the country's EU DCC validation rules (its acceptance rules, and the invalidation
  rules it publishes for certificates it issued itself);
* ``origin_risk``: the threat index the country assigns to where travellers come from, one of
  ``low``, ``medium`` or ``high`` per origin country, and a ``default`` for unlisted origins;
  ``set_on`` records the date the authority set each country's level (the authority updates the
  table by publishing a new policy in a later layer; nothing here is computed from travellers);
* ``requirements``: what each risk level asks of a traveller, as an action text per language
  (``high`` must say, when any origin can be high);
* ``declaration`` (optional): what a returning traveller's health declaration must show before
  boarding: the tests (kind, the most hours between sampling and departure, whether sampled in
  the departure city, whether at a laboratory the embassy lists), whether vaccination is
  required, what each origin risk level adds, the tests a transit passenger takes again in the
  transit country, the listed laboratories, and the highest origin risk automatic approval is
  allowed for (absent: never).

:class:`Policies` is built from layers of directories, later layers replacing a country's
policy as a whole: the policies shipped with healthcert, then ``$HEALTHCERT_HOME/policies``, then
a directory named by the operator. A bad file is refused with :class:`PolicyError`, naming the
file and the field; a partly read policy could let in travellers the full one turns away.

One module, over the usual size, because it is one thing: the policy file's format, checked as
a whole and read into one ``Policy``; split, each half would have to know the other's fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    StringConstraints,
    ValidationError,
    model_validator,
)

from healthcert.errors import HealthcertError
from healthcert.keys.home import healthcert_home
from healthcert.model.codes import TEST_TYPE_ANTIBODY_IGG, TEST_TYPE_NAAT, TEST_TYPE_RAPID_ANTIGEN
from healthcert.model.kinds import EntryKind
from healthcert.rules.rule import Rule, RuleError, RuleType, parse_rules
from healthcert.rules.selection import select_rules
from healthcert.trust.synced import RULES_FILE, read_json, sync_dir

__all__ = [
    "MAX_POLICY_BYTES",
    "TEST_KINDS",
    "DeclarationPolicy",
    "Laboratory",
    "Policies",
    "Policy",
    "PolicyError",
    "RiskAdditions",
    "RiskLevel",
    "TestKind",
    "TestRequirement",
    "load_policies",
    "localised",
    "parse_policy",
    "read_policy_directory",
    "read_policy_file",
]

RiskLevel = Literal["low", "medium", "high"]
RISK_ORDER: Final[Mapping[str, int]] = {"low": 0, "medium": 1, "high": 2}
TestKind = Literal["naat", "antibody_igg", "rapid_antigen"]
# The LOINC test type a certificate's test entry carries for each kind a policy can ask for.
TEST_KINDS: Final[Mapping[str, str]] = {
    "naat": TEST_TYPE_NAAT,
    "antibody_igg": TEST_TYPE_ANTIBODY_IGG,
    "rapid_antigen": TEST_TYPE_RAPID_ANTIGEN,
}
# Four weeks: a test older than this says nothing about a traveller's state at boarding.
MAX_TEST_AGE_HOURS: Final = 28 * 24
POLICIES_DIR: Final = "policies"
# A policy is a few dozen rules; a file far larger than this is not a policy.
MAX_POLICY_BYTES: Final = 4 * 1024 * 1024
FALLBACK_LANGUAGE: Final = "en"
_SELECTION_CACHE_SIZE: Final = 1024

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
SemVer = Annotated[str, StringConstraints(pattern=r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")]
LocalisedText = dict[LanguageTag, Text]
# JSON has no date type: the ISO 8601 text is read as a date, everything else stays strict.
IsoDate = Annotated[date, Strict(False)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class PolicyError(HealthcertError):
    """A policy file or directory is unusable; the message names the file and the field."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class _Document(BaseModel):
    # Strict and closed: a misspelt field must be an error, not a silently ignored setting.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _OriginRisk(_Document):
    default: RiskLevel = "low"
    countries: dict[CountryCode, RiskLevel] = Field(default_factory=dict)
    set_on: dict[CountryCode, IsoDate] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _dates_name_listed_countries(self) -> _OriginRisk:
        for country in self.set_on:
            if country not in self.countries:
                raise ValueError(f"set_on.{country}: {country} has no risk level in countries")
        return self


class _TestRequirement(_Document):
    kind: TestKind
    max_age_hours: int = Field(ge=1, le=MAX_TEST_AGE_HOURS)
    in_departure_city: bool = False
    listed_laboratory: bool = False


def _unique_kinds(tests: Sequence[_TestRequirement], name: str) -> None:
    kinds = [test.kind for test in tests]
    for kind in set(kinds):
        if kinds.count(kind) > 1:
            raise ValueError(f"{name}: the test kind {kind!r} is asked for twice")


class _RiskAdditions(_Document):
    tests: list[_TestRequirement] = Field(default_factory=list)
    vaccination_required: bool = False

    @model_validator(mode="after")
    def _kinds_once(self) -> _RiskAdditions:
        _unique_kinds(self.tests, "tests")
        return self


class _Laboratory(_Document):
    country: CountryCode
    city: Name
    name: Name


class _Transit(_Document):
    tests: list[_TestRequirement] = Field(default_factory=list)


class _AutoApprove(_Document):
    max_risk: RiskLevel


class _Declaration(_Document):
    tests: list[_TestRequirement] = Field(default_factory=list)
    vaccination_required: bool = False
    risk_levels: dict[RiskLevel, _RiskAdditions] = Field(default_factory=dict)
    transit: _Transit = Field(default_factory=_Transit)
    laboratories: list[_Laboratory] = Field(default_factory=list)
    auto_approve: _AutoApprove | None = None

    @model_validator(mode="after")
    def _consistent(self) -> _Declaration:
        _unique_kinds(self.tests, "tests")
        _unique_kinds(self.transit.tests, "transit.tests")
        every = [*self.tests, *self.transit.tests]
        every += [test for level in self.risk_levels.values() for test in level.tests]
        if any(test.listed_laboratory for test in every) and not self.laboratories:
            raise ValueError("laboratories is empty, but a test must be taken at a listed one")
        return self


class _PolicyDocument(_Document):
    country: CountryCode
    version: SemVer
    description: LocalisedText = Field(default_factory=dict)
    origin_risk: _OriginRisk = Field(default_factory=_OriginRisk)
    requirements: dict[RiskLevel, LocalisedText] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)
    declaration: _Declaration | None = None

    @model_validator(mode="after")
    def _texts_have_a_fallback(self) -> _PolicyDocument:
        for name, texts in [("description", self.description), *self._requirement_texts()]:
            if texts and FALLBACK_LANGUAGE not in texts:
                raise ValueError(f"{name} needs an {FALLBACK_LANGUAGE!r} text to fall back on")
        return self

    @model_validator(mode="after")
    def _high_risk_says_what_it_requires(self) -> _PolicyDocument:
        levels = {self.origin_risk.default, *self.origin_risk.countries.values()}
        if "high" in levels and "high" not in self.requirements:
            raise ValueError("requirements.high is missing: say what a high-risk origin requires")
        return self

    def _requirement_texts(self) -> list[tuple[str, LocalisedText]]:
        return [(f"requirements.{level}", texts) for level, texts in self.requirements.items()]


def localised(texts: Mapping[str, str], language: str) -> str | None:
    """The text in ``language``, else its base language (``zh`` for ``zh-Hans``), else English,
    else the first one given; None when there is no text at all."""
    for wanted in (language, language.split("-", 1)[0], FALLBACK_LANGUAGE):
        if wanted in texts:
            return texts[wanted]
    return next(iter(texts.values()), None)


@dataclass(frozen=True, slots=True)
class TestRequirement:
    """A test the declaration must show: its kind, sampled at most ``max_age_hours`` before
    departure, in the departure (or transit) city and at a listed laboratory where asked."""

    __test__: ClassVar[bool] = False  # not a pytest test class, despite the name

    kind: TestKind
    max_age_hours: int
    in_departure_city: bool = False
    listed_laboratory: bool = False

    @property
    def test_type(self) -> str:
        """The LOINC test type a certificate's test entry carries for this kind."""
        return TEST_KINDS[self.kind]


@dataclass(frozen=True, slots=True)
class Laboratory:
    """A laboratory the embassy lists for sampling."""

    country: str
    city: str
    name: str


@dataclass(frozen=True, slots=True)
class RiskAdditions:
    """What an origin risk level adds to the declaration's requirements."""

    tests: tuple[TestRequirement, ...] = ()
    vaccination_required: bool = False


@dataclass(frozen=True, slots=True)
class DeclarationPolicy:
    """What a returning traveller's health declaration must show before boarding."""

    tests: tuple[TestRequirement, ...] = ()
    vaccination_required: bool = False
    risk_levels: Mapping[RiskLevel, RiskAdditions] = field(default_factory=dict)
    transit_tests: tuple[TestRequirement, ...] = ()
    laboratories: tuple[Laboratory, ...] = ()
    auto_approve_max_risk: RiskLevel | None = None

    def tests_for(self, level: RiskLevel) -> tuple[TestRequirement, ...]:
        """The tests asked of a traveller from an origin at ``level``: the base tests, with a
        level's own test of the same kind replacing the base one."""
        additions = self.risk_levels.get(level)
        if additions is None:
            return self.tests
        by_kind = {test.kind: test for test in self.tests}
        by_kind.update((test.kind, test) for test in additions.tests)
        return tuple(by_kind.values())

    def vaccination_for(self, level: RiskLevel) -> bool:
        additions = self.risk_levels.get(level)
        return self.vaccination_required or (
            additions is not None and additions.vaccination_required
        )

    def auto_approval_allowed(self, level: RiskLevel) -> bool:
        ceiling = self.auto_approve_max_risk
        return ceiling is not None and RISK_ORDER[level] <= RISK_ORDER[ceiling]

    def laboratory(self, country: str, centre: str) -> Laboratory | None:
        """The listed laboratory in ``country`` whose name is ``centre`` (case and spacing
        aside), or None."""
        wanted = _folded(centre)
        for laboratory in self.laboratories:
            if laboratory.country == country and _folded(laboratory.name) == wanted:
                return laboratory
        return None


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Policy:
    """One destination's accepted policy. Build it with :func:`parse_policy`."""

    country: str
    version: str
    source: str
    rules: tuple[Rule, ...]
    default_risk: RiskLevel
    origin_risk: Mapping[str, RiskLevel]
    requirements: Mapping[RiskLevel, Mapping[str, str]]
    description: Mapping[str, str] = field(default_factory=dict)
    risk_set_on: Mapping[str, date] = field(default_factory=dict)
    declaration: DeclarationPolicy | None = None
    invalidation_rules: tuple[Rule, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Other destinations apply these to certificates this country issued: keep them at hand.
        invalidation = tuple(rule for rule in self.rules if rule.type is RuleType.INVALIDATION)
        object.__setattr__(self, "invalidation_rules", invalidation)

    def risk_of(self, origin: str) -> RiskLevel:
        """The risk level of travellers arriving from ``origin`` (ISO alpha-2, any case)."""
        return self.origin_risk.get(origin.upper(), self.default_risk)

    def risk_set_date(self, origin: str) -> date | None:
        """When the authority set ``origin``'s risk level; None for the default or undated."""
        return self.risk_set_on.get(origin.upper())

    def requirement(self, level: RiskLevel, language: str = FALLBACK_LANGUAGE) -> str | None:
        """What ``level`` asks of a traveller, in ``language`` if the policy has it."""
        texts = self.requirements.get(level)
        return None if texts is None else localised(texts, language)


def _field_path(location: Sequence[int | str]) -> str:
    return ".".join(str(part) for part in location) or "policy"


def _schema_problem(error: ValidationError) -> str:
    first = error.errors()[0]
    more = error.error_count() - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{_field_path(first['loc'])}: {first['msg']}{suffix}"


def _check_rule_countries(rules: Iterable[Rule], country: str, source: str) -> None:
    for rule in rules:
        if rule.country != country:
            problem = f"rules: rule {rule.identifier}: Country is {rule.country}, not {country}"
            raise PolicyError(source, problem)


def parse_policy(document: Any, source: str) -> Policy:
    """Check a decoded policy document; ``source`` names it in every error message."""
    try:
        checked = _PolicyDocument.model_validate(document)
    except ValidationError as error:
        raise PolicyError(source, _schema_problem(error)) from None
    try:
        rules = parse_rules(checked.rules)
    except RuleError as error:
        raise PolicyError(source, f"rules: {error}") from None
    _check_rule_countries(rules, checked.country, source)
    return Policy(
        country=checked.country,
        version=checked.version,
        source=source,
        rules=tuple(rules),
        default_risk=checked.origin_risk.default,
        origin_risk=dict(checked.origin_risk.countries),
        requirements={level: dict(texts) for level, texts in checked.requirements.items()},
        description=dict(checked.description),
        risk_set_on=dict(checked.origin_risk.set_on),
        declaration=None if checked.declaration is None else _declaration(checked.declaration),
    )


def _tests(tests: Iterable[_TestRequirement]) -> tuple[TestRequirement, ...]:
    return tuple(TestRequirement(**test.model_dump()) for test in tests)


def _declaration(checked: _Declaration) -> DeclarationPolicy:
    levels = {
        level: RiskAdditions(_tests(additions.tests), additions.vaccination_required)
        for level, additions in checked.risk_levels.items()
    }
    laboratories = tuple(Laboratory(**lab.model_dump()) for lab in checked.laboratories)
    auto = checked.auto_approve
    return DeclarationPolicy(
        tests=_tests(checked.tests),
        vaccination_required=checked.vaccination_required,
        risk_levels=levels,
        transit_tests=_tests(checked.transit.tests),
        laboratories=laboratories,
        auto_approve_max_risk=None if auto is None else auto.max_risk,
    )


def read_policy_file(entry: Traversable) -> Policy:
    """Read and check one policy file (a path, or package data)."""
    source = str(entry)
    try:
        with entry.open("rb") as stream:
            data = stream.read(MAX_POLICY_BYTES + 1)
    except OSError as error:
        raise PolicyError(source, f"cannot be read: {error.strerror or error}") from None
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(source, f"is larger than {MAX_POLICY_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as error:
        raise PolicyError(source, f"is not JSON: {error}") from None
    return parse_policy(document, source)


def read_policy_directory(directory: Traversable) -> list[Policy]:
    """Every ``*.json`` policy in ``directory``, in file-name order; two for one country are
    refused, since which of them applies would be an accident."""
    policies: dict[str, Policy] = {}
    entries = sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )
    for entry in entries:
        policy = read_policy_file(entry)
        earlier = policies.get(policy.country)
        if earlier is not None:
            problem = f"a second policy for {policy.country} (the first is {earlier.source})"
            raise PolicyError(policy.source, problem)
        policies[policy.country] = policy
    return list(policies.values())


class Policies:
    """The destination policies a verifier knows, by country."""

    def __init__(self, policies: Iterable[Policy] = ()) -> None:
        self._by_country: dict[str, Policy] = {}
        for policy in policies:  # a later policy for the same country replaces the earlier one
            self._by_country[policy.country] = policy
        # A batch meets the same few (kind, countries, clock) again and again, and the policies
        # never change: selecting once per combination saves a pass over every rule per
        # certificate.
        self._selected: dict[tuple[Any, ...], tuple[Rule, ...]] = {}

    def get(self, country: str) -> Policy | None:
        """The policy of ``country`` (ISO alpha-2, any case), or None."""
        return self._by_country.get(country.upper())

    def countries(self) -> list[str]:
        return sorted(self._by_country)

    def __len__(self) -> int:
        return len(self._by_country)

    def rules_for(
        self,
        *,
        kind: EntryKind,
        destination: str,
        issuing_country: str | None,
        clock: datetime,
        region: str | None = None,
    ) -> tuple[Rule, ...]:
        """The rules that apply to a certificate of ``kind`` arriving at ``destination``: the
        destination's acceptance rules and the issuing country's invalidation rules."""
        key = (kind, destination.upper(), (issuing_country or "").upper(), clock, region)
        selected = self._selected.get(key)
        if selected is None:
            if len(self._selected) >= _SELECTION_CACHE_SIZE:
                self._selected.clear()
            selected = self._select(kind, destination, issuing_country, clock, region)
            self._selected[key] = selected
        return selected

    def _select(
        self,
        kind: EntryKind,
        destination: str,
        issuing_country: str | None,
        clock: datetime,
        region: str | None,
    ) -> tuple[Rule, ...]:
        policy = self.get(destination)
        candidates = list(policy.rules) if policy is not None else []
        issuer = self.get(issuing_country) if issuing_country else None
        if issuer is not None and issuer is not policy:
            candidates.extend(issuer.invalidation_rules)
        selected = select_rules(
            candidates,
            kind=kind,
            arrival_country=destination,
            issuing_country=issuing_country or "",
            validation_clock=clock,
            region=region,
        )
        return tuple(selected)


def shipped_policies() -> Traversable:
    """The example policies that ship with healthcert (package data)."""
    return resources.files("healthcert.rules").joinpath("data", POLICIES_DIR)


def home_policies(home: Path | None = None) -> Path:
    """``$HEALTHCERT_HOME/policies``: this installation's own policies."""
    return (home if home is not None else healthcert_home()) / POLICIES_DIR


def load_policies(
    directory: Path | None = None, *, home: Path | None = None, shipped: bool = True
) -> Policies:
    """Shipped policies, then ``$HEALTHCERT_HOME/policies`` (if it exists), then the rules the
    last gateway sync brought (``synced_rules``), then ``directory`` (which must exist); a
    later layer's policy replaces an earlier one for the same country."""
    layers: list[Traversable] = [shipped_policies()] if shipped else []
    local = home_policies(home)
    if local.is_dir():
        layers.append(local)
    known = [policy for layer in layers for policy in read_policy_directory(layer)]
    chosen = with_synced_rules(known, home)
    if directory is not None:
        if not directory.is_dir():
            raise PolicyError(str(directory), "is not a directory of policy files")
        chosen.extend(read_policy_directory(directory))
    return Policies(chosen)


def with_synced_rules(policies: Iterable[Policy], home: Path | None = None) -> list[Policy]:
    """``policies`` with each country's rules replaced by those it published on the gateway,
    as the last sync (``healthcert trust sync``) checked them against its UPLOAD certificate:
    a destination's own signed rules are newer than any copy. A country with rules and no
    policy gets one of its rules alone (no origin risks, no requirements)."""
    by_country = {policy.country: policy for policy in policies}
    source, synced = synced_rules(home)
    for country, documents in synced.items():
        rules = _synced_country_rules(country, documents, source)
        known = by_country.get(country)
        by_country[country] = (
            replace(known, rules=rules, source=f"{known.source} + {source}")
            if known is not None
            else Policy(country, "gateway", source, rules, "low", {}, {})
        )
    return list(by_country.values())


def synced_rules(home: Path | None = None) -> tuple[str, Mapping[str, Any]]:
    """Where the last sync left the countries' rules, and them: ``{country: [rule, ...]}``
    (every version; the selection picks the one valid at the clock), empty before any sync."""
    path = sync_dir(home) / RULES_FILE
    try:
        document = read_json(path)
    except HealthcertError as error:
        raise PolicyError(str(path), str(error)) from None
    if document is None:
        return str(path), {}
    if not isinstance(document, dict):
        raise PolicyError(str(path), "is not an object of countries; sync again")
    return str(path), document


def _synced_country_rules(country: str, documents: Any, source: str) -> tuple[Rule, ...]:
    if not isinstance(documents, list):
        raise PolicyError(source, f"{country}: not a list of rules; sync again")
    try:
        rules = parse_rules(documents)
    except RuleError as error:
        raise PolicyError(source, f"{country}: {error}") from None
    _check_rule_countries(rules, country, source)
    return tuple(rules)
