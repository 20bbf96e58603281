"""Consular review: a post's queue (the declarations of the countries of residence it covers,
oldest first), a declaration with its evidence verified, and decisions. A declaration outside
the post's jurisdiction is NotFound: nothing of it is revealed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from healthcert.database.tables import Declaration
from healthcert.declarations import intake, status
from healthcert.declarations.assessment import assess, examined
from healthcert.service import audit
from healthcert.service.apikeys import key_countries
from healthcert.service.contacts import contact_of
from healthcert.service.errors import Conflict, Invalid, NotFound
from healthcert.service.person import person_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext

DECISIONS = {
    "approve": status.APPROVED,
    "reject": status.REJECTED,
    "request_documents": status.DOCUMENTS_REQUESTED,
}
NEEDS_REASON = frozenset({"reject", "request_documents"})
MAX_REASON = 1000
MAX_PAGE = 100
# Who approves what the pre-check alone may approve.
SYSTEM = audit.Actor("system", "precheck")


@dataclass(frozen=True, slots=True)
class Post:
    """Who reviews: the acting officer and the countries of residence it covers (None: every
    country, for the operator's terminal and admin keys)."""

    actor: audit.Actor
    countries: frozenset[str] | None

    def covers(self, country: str) -> bool:
        return self.countries is None or country in self.countries


def post_of(ctx: ServiceContext, actor: audit.Actor) -> Post:
    """An officer's post from its key; an admin key sees every country."""
    if actor.role == "admin":
        return Post(actor, None)
    return Post(actor, key_countries(ctx, actor.key_id))


def queue(
    ctx: ServiceContext, post: Post, state: str = status.SUBMITTED, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """The post's declarations in ``state``, oldest in the queue first."""
    if state not in status.STATUSES:
        raise Invalid([{"field": "status", "message": f"one of {', '.join(status.STATUSES)}"}])
    query = select(Declaration).where(Declaration.status == state)
    if post.countries is not None:
        query = query.where(Declaration.residence_country.in_(sorted(post.countries)))
    query = query.order_by(Declaration.submitted_at, Declaration.id)
    query = query.limit(min(max(limit, 1), MAX_PAGE)).offset(max(offset, 0))
    with ctx.sessions() as session:
        return [_summary(row) for row in session.scalars(query).all()]


def counts(ctx: ServiceContext, post: Post) -> dict[str, int]:
    """How many of the post's declarations are in each status (every status named, 0 too)."""
    query = select(Declaration.status, func.count()).group_by(Declaration.status)
    if post.countries is not None:
        query = query.where(Declaration.residence_country.in_(sorted(post.countries)))
    with ctx.sessions() as session:
        found = {str(state): int(number) for state, number in session.execute(query).all()}
    return {state: found.get(state, 0) for state in status.STATUSES}


def _summary(row: Declaration) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "version": row.version,
        "residence_country": row.residence_country,
        "destination": row.destination,
        "departure": row.departure.isoformat(),
        "submitted_at": row.submitted_at.isoformat(),
    }


def _in_jurisdiction(session: Session, post: Post, declaration_id: int) -> Declaration:
    row = session.get(Declaration, declaration_id)
    if row is None or not post.covers(row.residence_country):
        raise NotFound(f"no declaration {declaration_id}")
    return row


def examine(
    ctx: ServiceContext, post: Post, declaration_id: int, language: str = "en"
) -> dict[str, Any]:
    """The declaration with each certificate payload verified for its destination (messages
    in ``language``), and the pre-check's view."""
    with ctx.sessions() as session:
        row = _in_jurisdiction(session, post, declaration_id)
        found = examined(ctx, session, row, language)
        # Who declares: the sign-in's document and date of birth, which the body leaves out.
        found["holder"] = {
            "document_number": row.document_number,
            "date_of_birth": row.date_of_birth,
        }
    found["precheck"] = assess(ctx, found).to_dict()
    return found


def document(
    ctx: ServiceContext, post: Post, declaration_id: int, evidence_id: int
) -> tuple[str, bytes]:
    """An uploaded document's type and bytes, for the post that covers the declaration."""
    with ctx.sessions() as session:
        _in_jurisdiction(session, post, declaration_id)
        item = intake.document_of(session, declaration_id, evidence_id)
        return str(item.media_type), bytes(item.data)


def auto_review(ctx: ServiceContext, declaration_id: int) -> None:
    """Approve a submitted declaration without a person when its pre-check allows it; else it
    waits in its post's queue. Run after the filing is stored: the pre-check verifies
    payloads, which a write transaction should not wait for."""
    with ctx.sessions() as session:
        found = examined(ctx, session, _row(session, declaration_id))
    if found["status"] != status.SUBMITTED:
        return
    result = assess(ctx, found)
    if not result.auto_approve:
        return
    now = ctx.clock()
    with ctx.transaction() as session:
        row = _row(session, declaration_id)
        if row.version != found["version"]:
            return  # changed since the pre-check read it: what it judged is gone
        try:
            reason = result.auto_approve_reason.get("en")
            status.move(session, row, status.DECIDABLE, status.AUTO_APPROVED, SYSTEM, now, reason)
        except Conflict:
            return  # an officer decided first: theirs stands
        audit.append(session, SYSTEM, "declaration.auto_approve", "declaration", row.id, now)
        _notify(ctx, session, row, status.AUTO_APPROVED, now)


def _row(session: Session, declaration_id: int) -> Declaration:
    row = session.get(Declaration, declaration_id)
    if row is None:
        raise NotFound(f"no declaration {declaration_id}")
    return row


def decide(
    ctx: ServiceContext,
    post: Post,
    declaration_id: int,
    decision: str,
    reason: str | None = None,
    version: int | None = None,
) -> dict[str, Any]:
    """Approve, reject or ask for documents. Of two officers deciding at once exactly one wins;
    the other gets Conflict. ``version``, when given, must be the version the officer read."""
    to = _decision_status(decision, reason)
    now = ctx.clock()
    with ctx.transaction() as session:
        row = _in_jurisdiction(session, post, declaration_id)
        if version is not None and version != row.version:
            raise Conflict("the declaration was changed since it was read: read it again")
        status.move(session, row, status.DECIDABLE, to, post.actor, now, reason)
        audit.append(
            session,
            post.actor,
            f"declaration.{decision}",
            "declaration",
            row.id,
            now,
            key_id=post.actor.key_id,
            status=to,
        )
        _notify(ctx, session, row, to, now)
        session.refresh(row)
        return intake.declaration_json(session, row)


def _decision_status(decision: str, reason: str | None) -> str:
    problems: list[dict[str, str]] = []
    if decision not in DECISIONS:
        problems.append({"field": "decision", "message": f"one of {', '.join(DECISIONS)}"})
    if decision in NEEDS_REASON and not (reason or "").strip():
        problems.append({"field": "reason", "message": f"a reason is required to {decision}"})
    if reason is not None and len(reason) > MAX_REASON:
        problems.append({"field": "reason", "message": f"at most {MAX_REASON} characters"})
    if problems:
        raise Invalid(problems)
    return DECISIONS[decision]


def _notify(ctx: ServiceContext, session: Session, row: Declaration, to: str, at: Any) -> None:
    """Tell the holder, at their verified contact; the message names no person."""
    contact = contact_of(session, person_of(row))
    if contact is None:
        return
    words = {
        status.APPROVED: "was approved",
        status.AUTO_APPROVED: "was approved",
        status.REJECTED: "was rejected",
        status.DOCUMENTS_REQUESTED: "needs more documents",
    }[to]
    ctx.notifier.send(
        session, contact, f"Your health declaration {row.id} {words}: sign in to see why.", at
    )
