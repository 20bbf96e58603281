"""The audit log: every record change, issuance, revocation and key use, appended, never changed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from healthcert.database.tables import AuditEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: an API key (role and label) or a signed-in holder, or the operator's CLI."""

    role: str
    name: str
    key_id: int | None = None

    @property
    def label(self) -> str:
        return f"{self.role}:{self.name}"


def append(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None,
    at: datetime,
    **detail: Any,
) -> None:
    """Add one event to ``session``: it commits or rolls back with the change it describes."""
    session.add(
        AuditEvent(
            at=at,
            actor=actor.label,
            action=action,
            object_type=object_type,
            object_id=None if object_id is None else str(object_id),
            detail=detail,
        )
    )


def events(
    session: Session,
    *,
    action: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    """The latest events, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    return session.scalars(query).all()


def as_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "detail": event.detail,
    }
