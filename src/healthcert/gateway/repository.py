"""Reading and writing the gateway's tables: the change sequence and the lookups the uploads,
downloads and authentication share."""

from __future__ import annotations

from collections.abc import Sequence as Seq
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from healthcert.gateway.tables import Rule, Sequence, SignerCertificate, TrustedParty
from healthcert.rules.rule import Rule as ParsedRule


def next_change(session: Session) -> int:
    """Take the next change number. The UPDATE locks the sequence's one row until commit, so
    writers commit in the order of their numbers and a delta never skips one."""
    statement = update(Sequence).where(Sequence.id == 1).values(value=Sequence.value + 1)
    return int(session.execute(statement.returning(Sequence.value)).scalar_one())


def current_change(session: Session) -> int:
    """The last change number committed (as this transaction sees it)."""
    return int(session.execute(select(Sequence.value).where(Sequence.id == 1)).scalar_one())


def parties(
    session: Session, country: str | None = None, certificate_type: str | None = None
) -> Seq[TrustedParty]:
    """The onboarded parties (not deleted), optionally of one country and type."""
    query = select(TrustedParty).where(TrustedParty.deleted.is_(False))
    if country is not None:
        query = query.where(TrustedParty.country == country)
    if certificate_type is not None:
        query = query.where(TrustedParty.certificate_type == certificate_type)
    return session.scalars(query.order_by(TrustedParty.id)).all()


def party_by_thumbprint(session: Session, print_hex: str) -> Seq[TrustedParty]:
    """Every onboarded role of the certificate with this thumbprint."""
    query = select(TrustedParty).where(
        TrustedParty.thumbprint == print_hex, TrustedParty.deleted.is_(False)
    )
    return session.scalars(query).all()


def signer_by_kid(session: Session, kid: str) -> SignerCertificate | None:
    return session.scalars(select(SignerCertificate).where(SignerCertificate.kid == kid)).first()


def add_rule(
    session: Session,
    rule: ParsedRule,
    *,
    country: str,
    content: bytes,
    signature: str,
    now: datetime,
    origin: str | None = None,
) -> int:
    """Store one version of a country's rule (as uploaded, or imported from a followed
    gateway with its ``origin``) under the next change; that change."""
    change = next_change(session)
    session.add(
        Rule(
            identifier=rule.identifier,
            country=country,
            version=rule.version,
            rule_type=rule.type.value,
            valid_from=rule.valid_from,
            valid_to=rule.valid_to,
            raw_json=content.decode("utf-8"),
            signature=signature,
            created_at=now,
            change=change,
            deleted=False,
            origin=origin,
        )
    )
    return change
