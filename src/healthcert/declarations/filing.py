"""What a holder's filing does: ``intake`` stores the declaration (or the document a post asked
for), then the system's review runs on what was stored. The review waits until the write is
committed: the pre-check verifies payloads, which a write transaction should not wait for. Intake
stores without reviewing and the review reads what intake stored, so the two meet only here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from healthcert.declarations import intake
from healthcert.declarations.review import auto_review

if TYPE_CHECKING:
    from healthcert.database.tables import Declaration
    from healthcert.service.context import ServiceContext
    from healthcert.service.person import Person


def file_declaration(ctx: ServiceContext, person: Person, document: Any) -> Declaration:
    """File a declaration for ``person`` (validated, its evidence checked, stored whole); the
    pre-check approves it when it may, else it waits in its post's queue."""
    row = intake.store_declaration(ctx, person, document)
    auto_review(ctx, row.id)
    return row


def add_document(
    ctx: ServiceContext,
    person: Person,
    declaration_id: int,
    data: bytes,
    filename: str | None,
    claimed_type: str | None,
) -> Declaration:
    """Attach a document to an open declaration; one that answers a post's request puts the
    declaration back in the queue, where the pre-check looks at it again."""
    attached = intake.store_document(ctx, person, declaration_id, data, filename, claimed_type)
    if attached.requeued:
        auto_review(ctx, attached.declaration.id)
    return attached.declaration
