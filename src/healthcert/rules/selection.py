"""Which validation rules apply to a certificate, as the EU verifier apps choose them.

* acceptance rules of the arrival country, and of the arrival region when one is given;
* invalidation rules of the country that issued the certificate;
* of those, the rules for all certificates (General) and for the certificate's own type;
* of those, the rules whose ValidFrom..ValidTo contains the validation clock;
* of each Identifier left, only the highest Version (compared as semantic versions).

A rule with a Region applies only when that region is asked for; a rule without one applies to
the whole country. Filtering by the clock comes before picking the highest version, so a new
version published ahead of its ValidFrom does not displace the one in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from healthcert.model.kinds import EntryKind
from healthcert.rules.rule import CertificateType, Rule, RuleError, RuleType

__all__ = ["select_rules"]


def _applies_to_place(rule: Rule, arrival: str, issuing: str, region: str | None) -> bool:
    if rule.type is RuleType.INVALIDATION:
        return rule.country == issuing
    if rule.country != arrival:
        return False
    return rule.region is None or (region is not None and rule.region.upper() == region)


def _newest_per_identifier(rules: Iterable[Rule]) -> list[Rule]:
    newest: dict[str, Rule] = {}
    for rule in rules:
        current = newest.get(rule.identifier)
        if current is None or rule.version_key > current.version_key:
            newest[rule.identifier] = rule
    return sorted(newest.values(), key=lambda rule: rule.identifier)


def select_rules(
    rules: Iterable[Rule],
    *,
    kind: EntryKind,
    arrival_country: str,
    issuing_country: str,
    validation_clock: datetime,
    region: str | None = None,
) -> list[Rule]:
    """The rules to run for a certificate with an entry of ``kind``, sorted by Identifier.

    Country codes are ISO 3166-1 alpha-2 (case does not matter). ``validation_clock`` must be
    timezone-aware.
    """
    if validation_clock.tzinfo is None:
        raise RuleError(None, "the validation clock must carry a time zone")
    arrival, issuing = arrival_country.upper(), issuing_country.upper()
    wanted_region = region.upper() if region else None
    types = (CertificateType.GENERAL, CertificateType.of(kind))
    candidates = (
        rule
        for rule in rules
        if rule.certificate_type in types
        and _applies_to_place(rule, arrival, issuing, wanted_region)
        and rule.is_valid_at(validation_clock)
    )
    return _newest_per_identifier(candidates)
