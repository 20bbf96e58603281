"""Deleting a person's data with everything that hangs on it, in the order foreign keys need:
shared by retention (what is due) and erasure (what a holder asks for)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from healthcert.database.tables import (
    Declaration,
    DeclarationEvent,
    DeclarationEvidence,
    HealthCode,
    IssuedCertificate,
    Record,
    Rendering,
)

if TYPE_CHECKING:
    from sqlalchemy import CursorResult, Executable
    from sqlalchemy.orm import Session


def deleted_rows(session: Session, statement: Executable) -> int:
    """Run a DELETE (or UPDATE) and answer how many rows it touched."""
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount or 0)


def delete_declarations(session: Session, ids: Sequence[int]) -> int:
    """Declarations with their history, evidence (uploaded documents too) and health codes."""
    if not ids:
        return 0
    for child in (HealthCode, DeclarationEvidence, DeclarationEvent):
        session.execute(delete(child).where(child.declaration_id.in_(ids)))
    return deleted_rows(session, delete(Declaration).where(Declaration.id.in_(ids)))


def delete_records(session: Session, ids: Sequence[int]) -> dict[str, int]:
    """Records with their certificates and QR images: ``{"records": n, "certificates": m}``.
    The caller keeps records that evidence still cites or whose certificates are in force."""
    if not ids:
        return {"records": 0, "certificates": 0}
    certificates = select(IssuedCertificate.id).where(IssuedCertificate.record_id.in_(ids))
    session.execute(delete(Rendering).where(Rendering.certificate_id.in_(certificates)))
    return {
        "certificates": deleted_rows(
            session, delete(IssuedCertificate).where(IssuedCertificate.record_id.in_(ids))
        ),
        "records": deleted_rows(session, delete(Record).where(Record.id.in_(ids))),
    }
