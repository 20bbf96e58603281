"""The declaration's status model and its history.

submitted -> auto_approved | approved | rejected | documents_requested | withdrawn;
documents_requested -> submitted (a new document) | withdrawn. A decided declaration is read-only.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from healthcert.database.tables import Declaration, DeclarationEvent
from healthcert.service.errors import Conflict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.audit import Actor

SUBMITTED = "submitted"
AUTO_APPROVED = "auto_approved"
APPROVED = "approved"
REJECTED = "rejected"
DOCUMENTS_REQUESTED = "documents_requested"
WITHDRAWN = "withdrawn"
STATUSES = (SUBMITTED, AUTO_APPROVED, APPROVED, REJECTED, DOCUMENTS_REQUESTED, WITHDRAWN)
# What a holder may still change: the rest is decided.
OPEN = frozenset({SUBMITTED, DOCUMENTS_REQUESTED})
# An officer decides what waits in the queue.
DECIDABLE = frozenset({SUBMITTED})


def move(
    session: Session,
    declaration: Declaration,
    expected: frozenset[str],
    to: str,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
) -> None:
    """Move ``declaration`` to ``to`` if it is still in one of ``expected`` at the version read.

    The UPDATE is conditional on the status and version read: of two concurrent moves exactly
    one matches a row; the other is a Conflict, and its transaction stores nothing.
    """
    if declaration.status not in expected:
        raise Conflict(f"the declaration is {declaration.status}: it cannot become {to}")
    values: dict[str, Any] = {"status": to, "version": declaration.version + 1}
    if to == SUBMITTED:
        values["submitted_at"] = at
    moved = session.execute(
        update(Declaration)
        .where(
            Declaration.id == declaration.id,
            Declaration.version == declaration.version,
            Declaration.status == declaration.status,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the declaration was changed meanwhile: read it again")
    session.expire(declaration)
    record(session, declaration.id, to, actor, at, reason)


def record(
    session: Session,
    declaration_id: int,
    to: str,
    actor: Actor,
    at: datetime,
    reason: str | None = None,
) -> None:
    """One row of the history: when, who, which status, why."""
    session.add(
        DeclarationEvent(
            declaration_id=declaration_id, at=at, actor=actor.label, status=to, reason=reason
        )
    )


def history(session: Session, declaration_id: int) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == declaration_id)
        .order_by(DeclarationEvent.id)
    ).all()
    return [
        {"at": row.at.isoformat(), "actor": row.actor, "status": row.status, "reason": row.reason}
        for row in rows
    ]
