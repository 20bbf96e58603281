"""What the gateway serves: the trust list in the EU gateway's array form, rules by country,
value sets and revocation batches. Every function returns JSON-ready data read in one
transaction, with the change sequence that transaction saw (the download's ``seq``)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, Select, select, union_all
from sqlalchemy.orm import Session

from healthcert.gateway import repository
from healthcert.gateway.tables import RevocationBatch, Rule, SignerCertificate, TrustedParty
from healthcert.gateway.wire import ENTRY_TYPES, UPLOADED_TYPES
from healthcert.model.valuesets import value_sets

DEFAULT_PAGE_SIZE = 5000
MAX_PAGE_SIZE = 20000
REVOCATION_PAGE_SIZE = 1000
TRUST_LIST_TYPES = (*ENTRY_TYPES, *UPLOADED_TYPES)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a download, the change sequence it reflects, and whether more follow."""

    items: list[dict[str, Any]]
    seq: int
    more: bool


@dataclass(frozen=True, slots=True)
class TrustListQuery:
    certificate_type: str | None = None
    country: str | None = None
    since: int | None = None  # changes after this sequence, deletions included
    modified_since: datetime | None = None  # the HTTP If-Modified-Since
    page: int = 0
    page_size: int = DEFAULT_PAGE_SIZE


def trust_list(session: Session, query: TrustListQuery) -> Page:
    """The entries ``query`` selects, oldest change first, one page of them: one query over
    both tables, sorted and cut in the database (a list of 10,000 DSCs is paged)."""
    seq = repository.current_change(session)
    parts = []
    if query.certificate_type is None or query.certificate_type in UPLOADED_TYPES:
        parts.append(_columns(SignerCertificate, query))
    if query.certificate_type not in UPLOADED_TYPES:
        parts.append(_columns(TrustedParty, query))
    selected = union_all(*parts).subquery()
    statement = (
        select(selected)
        .order_by(selected.c.change, selected.c.kind, selected.c.id)
        .offset(query.page * query.page_size)
        .limit(query.page_size + 1)
    )
    rows = session.execute(statement).all()
    items = [_entry(row) for row in rows[: query.page_size]]
    return Page(items, seq, len(rows) > query.page_size)


def _columns(
    table: type[TrustedParty] | type[SignerCertificate], query: TrustListQuery
) -> Select[Any]:
    columns: list[Any] = [
        table.id,
        table.kid,
        table.created_at,
        table.country,
        table.certificate_type.label("kind"),
        table.thumbprint,
        table.signature,
        table.raw_data,
        table.origin,
        table.deleted,
        table.change,
    ]
    statement: Select[Any] = select(*columns)
    if query.since is not None:
        statement = statement.where(table.change > query.since)
    else:
        statement = statement.where(table.deleted.is_(False))
    if query.modified_since is not None:
        statement = statement.where(table.created_at >= query.modified_since)
    if query.country is not None:
        statement = statement.where(table.country == query.country)
    if query.certificate_type is not None:
        statement = statement.where(table.certificate_type == query.certificate_type)
    return statement


def _entry(row: Row[Any]) -> dict[str, Any]:
    created = row.created_at
    if isinstance(created, str):  # SQLite hands a union's date-times back as text
        created = datetime.fromisoformat(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    entry: dict[str, Any] = {
        "kid": row.kid,
        "timestamp": created.isoformat(),
        "country": row.country,
        "certificateType": row.kind,
        "thumbprint": row.thumbprint,
        "signature": row.signature,
        "rawData": base64.b64encode(row.raw_data).decode("ascii"),
    }
    if row.origin is not None:
        entry["origin"] = row.origin
    if row.deleted:
        entry["deleted"] = True
    return entry


def rules_of(session: Session, country: str | None) -> tuple[dict[str, Any], int]:
    """A country's rules: Identifier -> its versions, each with the uploader's CMS; without a
    country, every country's, by country (one request for a whole sync)."""
    seq = repository.current_change(session)
    statement = select(Rule).where(Rule.deleted.is_(False)).order_by(Rule.identifier, Rule.id)
    if country is not None:
        statement = statement.where(Rule.country == country)
    by_country: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for rule in session.scalars(statement):
        versions = by_country.setdefault(rule.country, {}).setdefault(rule.identifier, [])
        versions.append(
            {
                "version": rule.version,
                "validFrom": rule.valid_from.isoformat(),
                "validTo": rule.valid_to.isoformat(),
                "type": rule.rule_type,
                "cms": rule.signature,
                **({"origin": rule.origin} if rule.origin is not None else {}),
            }
        )
    if country is not None:
        return by_country.get(country, {}), seq
    return dict(by_country), seq


def revocation_list(session: Session, since: int, page: int) -> Page:
    """The batches changed after ``since`` (EU form: batchId, country, date, deleted)."""
    seq = repository.current_change(session)
    statement = (
        select(RevocationBatch)
        .where(RevocationBatch.change > since)
        .order_by(RevocationBatch.change, RevocationBatch.batch_id)
        .offset(page * REVOCATION_PAGE_SIZE)
        .limit(REVOCATION_PAGE_SIZE + 1)
    )
    rows = list(session.scalars(statement))
    items = [
        {
            "batchId": row.batch_id,
            "country": row.country,
            "date": row.created_at.isoformat(),
            "deleted": row.deleted,
            "change": row.change,
        }
        for row in rows[:REVOCATION_PAGE_SIZE]
    ]
    return Page(items, seq, len(rows) > REVOCATION_PAGE_SIZE)


def revocation_batch(session: Session, batch_id: str) -> tuple[dict[str, Any] | None, int]:
    """One batch: its JSON and the uploader's CMS; None when unknown or deleted."""
    seq = repository.current_change(session)
    row = session.get(RevocationBatch, batch_id)
    if row is None or row.deleted:
        return None, seq
    document: dict[str, Any] = {
        "batchId": row.batch_id,
        "country": row.country,
        "batch": json.loads(row.body),
        "cms": row.signature,
    }
    if row.origin is not None:
        document["origin"] = row.origin
    return document, seq


def value_set_ids() -> list[str]:
    return sorted(value_sets().ids())


def value_set(set_id: str) -> dict[str, Any] | None:
    """One value set in the EU document form; None when unknown."""
    try:
        found = value_sets().get(set_id)
    except KeyError:
        return None
    return {
        "valueSetId": found.id,
        "valueSetDate": found.date,
        "valueSetValues": {
            code: {
                "display": value.display,
                "lang": value.lang,
                "active": value.active,
                "system": value.system,
                "version": value.version,
            }
            for code, value in sorted(found.values.items())
        },
    }
