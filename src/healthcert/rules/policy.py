"""Destination policies: what a country asks of the travellers who arrive there.

One JSON file per destination country holds

* ``rules``: the country's EU DCC validation rules (its acceptance rules, and the invalidation
  rules it publishes for certificates it issued itself);
* ``origin_risk``: the threat index the country assigns to where travellers come from, one of
  ``low``, ``medium`` or ``high`` per origin country, and a ``default`` for unlisted origins;
* ``requirements``: what each risk level asks of a traveller, as an action text per language
  (``high`` must say, when any origin can be high).

:class:`Policies` is built from layers of directories, later layers replacing a country's
policy as a whole: the policies shipped with healthcert, then ``$HEALTHCERT_HOME/policies``, then
a directory named by the operator. A bad file is refused with :class:`PolicyError`, naming the
file and the field; a partly read policy could let in travellers the full one turns away.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from healthcert.errors import HealthcertError
from healthcert.keys.home import healthcert_home
from healthcert.model.kinds import EntryKind
from healthcert.rules.rule import Rule, RuleError, RuleType, parse_rules
from healthcert.rules.selection import select_rules

__all__ = [
    "MAX_POLICY_BYTES",
    "Policies",
    "Policy",
    "PolicyError",
    "RiskLevel",
    "load_policies",
    "localised",
    "parse_policy",
    "read_policy_directory",
    "read_policy_file",
]

RiskLevel = Literal["low", "medium", "high"]
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


class _PolicyDocument(_Document):
    country: CountryCode
    version: SemVer
    description: LocalisedText = Field(default_factory=dict)
    origin_risk: _OriginRisk = Field(default_factory=_OriginRisk)
    requirements: dict[RiskLevel, LocalisedText] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)

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
    invalidation_rules: tuple[Rule, ...] = field(init=False)

    def __post_init__(self) -> None:
        # Other destinations apply these to certificates this country issued: keep them at hand.
        invalidation = tuple(rule for rule in self.rules if rule.type is RuleType.INVALIDATION)
        object.__setattr__(self, "invalidation_rules", invalidation)

    def risk_of(self, origin: str) -> RiskLevel:
        """The risk level of travellers arriving from ``origin`` (ISO alpha-2, any case)."""
        return self.origin_risk.get(origin.upper(), self.default_risk)

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
    """Shipped policies, then ``$HEALTHCERT_HOME/policies`` (if it exists), then ``directory``
    (which must exist); a later layer's policy replaces an earlier one for the same country."""
    layers: list[Traversable] = [shipped_policies()] if shipped else []
    local = home_policies(home)
    if local.is_dir():
        layers.append(local)
    if directory is not None:
        if not directory.is_dir():
            raise PolicyError(str(directory), "is not a directory of policy files")
        layers.append(directory)
    return Policies(policy for layer in layers for policy in read_policy_directory(layer))
