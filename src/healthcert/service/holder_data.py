"""A holder's own data: everything the service holds about them, as JSON, and its erasure
where the law allows. Both are audited by the person's pseudonym, never their identity."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from healthcert.database.tables import DeclarationEvidence, HealthCode, HolderContact, SignInCode
from healthcert.declarations.intake import declarations_of
from healthcert.service import audit
from healthcert.service.context import utc_now
from healthcert.service.deletion import delete_declarations, delete_records, deleted_rows
from healthcert.service.holder import actor_of, certificates_of
from healthcert.service.issuance import certificate_json
from healthcert.service.person import is_person
from healthcert.service.records import record_json, records_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext
    from healthcert.service.person import Person

KEPT_IN_FORCE = (
    "a certificate of this record is in force until {until}: it stays revocable until then, "
    "and is deleted when it ends"
)


def export(ctx: ServiceContext, person: Person) -> dict[str, Any]:
    """Everything held about ``person``: the contact codes go to, records, certificates,
    declarations with their history, evidence and uploaded documents (base64), health codes."""
    declarations = declarations_of(ctx, person)
    with ctx.sessions() as session:
        for declaration in declarations:
            _add_documents_and_codes(session, declaration)
    exported = {
        "person": person.columns(),
        "contact": _contact(ctx, person),
        "records": [record_json(row) | {"contact": row.contact} for row in records_of(ctx, person)],
        "certificates": [certificate_json(row) for row in certificates_of(ctx, person)],
        "declarations": declarations,
    }
    _audit(ctx, person, "holder.export", {})
    return exported


def _contact(ctx: ServiceContext, person: Person) -> dict[str, str] | None:
    """Where codes go, and which identity source set it."""
    with ctx.sessions() as session:
        row = session.scalar(select(HolderContact).where(is_person(HolderContact, person)))
    if row is None:
        return None
    return {
        "channel": row.channel,
        "address": row.address,
        "updated_at": row.updated_at.isoformat(),
    }


def _add_documents_and_codes(session: Session, declaration: dict[str, Any]) -> None:
    uploaded = {
        item.id: item
        for item in session.scalars(
            select(DeclarationEvidence).where(
                DeclarationEvidence.declaration_id == declaration["id"],
                DeclarationEvidence.data.is_not(None),
            )
        )
    }
    for item in declaration["evidence"]:
        row = uploaded.get(item["id"])
        if row is not None and row.data is not None:
            item["data_base64"] = base64.b64encode(row.data).decode("ascii")
    codes = session.scalars(
        select(HealthCode).where(HealthCode.declaration_id == declaration["id"])
    )
    declaration["health_codes"] = [
        {"id": code.id, "colour": code.colour, "issued_at": code.issued_at.isoformat()}
        for code in codes
    ]


def erase(ctx: ServiceContext, person: Person) -> dict[str, Any]:
    """Delete ``person``'s declarations (with their history, documents and health codes),
    their sign-in codes and contact, and their records but those with a certificate in force,
    which are kept until it ends (``kept`` says which and why). The session in use stays
    open."""
    now = utc_now()
    records = records_of(ctx, person)
    declaration_ids = [item["id"] for item in declarations_of(ctx, person)]
    in_force = _in_force_until(ctx, person, now)
    erasable = [row.id for row in records if row.id not in in_force]
    with ctx.transaction() as session:
        deleted = {
            "declarations": delete_declarations(session, declaration_ids),
            **delete_records(session, erasable),
            "signin_codes": deleted_rows(
                session, delete(SignInCode).where(SignInCode.person == person.key)
            ),
            # Without it no code reaches the person until an identity source sets it again.
            "contact": deleted_rows(
                session, delete(HolderContact).where(is_person(HolderContact, person))
            ),
        }
    kept = [
        {"record_id": record_id, "until": until, "reason": KEPT_IN_FORCE.format(until=until)}
        for record_id, until in sorted(in_force.items())
    ]
    _audit(ctx, person, "holder.erase", {**deleted, "kept_records": len(kept)})
    return {"deleted": deleted, "kept": kept}


def _in_force_until(ctx: ServiceContext, person: Person, now: Any) -> dict[int, str]:
    """The records with a certificate in force, and when the last of them ends."""
    ends: dict[int, str] = {}
    for row in certificates_of(ctx, person):
        if row.expires_at > now:
            ends[row.record_id] = max(ends.get(row.record_id, ""), row.expires_at.isoformat())
    return ends


def _audit(ctx: ServiceContext, person: Person, action: str, detail: dict[str, Any]) -> None:
    with ctx.transaction() as session:
        audit.append(session, actor_of(person), action, "holder", None, utc_now(), **detail)
