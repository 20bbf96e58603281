"""Retention: what the service deletes, and when. Nothing is kept because it might be useful.

Each period is in days, set by an environment variable (``HEALTHCERT_RETAIN_*_DAYS``):

* records: ``RECORDS`` days after they arrived, once none of their certificates is in force
  (a certificate in force may still need revoking, and its revocation needs the row), with
  their certificates and QR images;
* declarations: ``DECLARATIONS`` days after the departure they were for, once decided or
  withdrawn, with their history, evidence and health codes;
* uploaded documents: their bytes ``DOCUMENTS`` days after the departure (the declaration
  keeps that a document was there, not what it showed);
* sessions, sign-in codes and sign-in attempts: as soon as they can no longer be used or
  counted; outbox messages ``OUTBOX`` days after they were written.

The audit log is kept: it holds events (who did what to which object), not personal data.
``purge`` deletes what is due and records one audit event with the counts.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import and_, delete, exists, not_, or_, select, update

from healthcert.database.tables import (
    Declaration,
    DeclarationEvidence,
    HolderSession,
    IssuedCertificate,
    OutboxMessage,
    PageSession,
    Record,
    SignInAttempt,
    SignInCode,
)
from healthcert.declarations.status import APPROVED, AUTO_APPROVED, REJECTED, WITHDRAWN
from healthcert.service import audit
from healthcert.service.context import utc_now
from healthcert.service.deletion import delete_declarations, delete_records, deleted_rows
from healthcert.service.page_sessions import IDLE_SECONDS, LONGEST_SECONDS
from healthcert.service.signin import WINDOW

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext

log = logging.getLogger("healthcert.retention")

FINAL_STATUSES = (APPROVED, AUTO_APPROVED, REJECTED, WITHDRAWN)
OPERATOR = audit.Actor("system", "retention")


@dataclass(frozen=True, slots=True)
class RetentionPeriods:
    """Days each kind of data is kept (see the module's docstring for from when)."""

    records: int = 400
    declarations: int = 90
    documents: int = 30
    outbox: int = 7

    @classmethod
    def from_environment(cls) -> RetentionPeriods:
        """The defaults, each replaced by ``HEALTHCERT_RETAIN_<NAME>_DAYS`` when set; ValueError
        naming the variable for a value that is not a whole number of days, 1 or more."""
        chosen: dict[str, int] = {}
        for period in fields(cls):
            variable = f"HEALTHCERT_RETAIN_{period.name.upper()}_DAYS"
            text = os.environ.get(variable)
            if text is None:
                continue
            if not text.strip().isdigit() or int(text) < 1:
                raise ValueError(f"{variable}={text!r}: give a whole number of days, 1 or more")
            chosen[period.name] = int(text)
        return cls(**chosen)


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows (or documents' bytes) one purge deleted, by what they were."""

    records: int = 0
    certificates: int = 0
    declarations: int = 0
    documents: int = 0
    sessions: int = 0
    page_sessions: int = 0
    signin_codes: int = 0
    signin_attempts: int = 0
    outbox: int = 0

    def as_json(self) -> dict[str, int]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


def purge(
    ctx: ServiceContext,
    periods: RetentionPeriods | None = None,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
) -> Purged:
    """Delete what ``periods`` no longer allows keeping at ``now``; with ``dry_run``, count it
    and roll back. One transaction: a purge is all done or not at all."""
    periods = periods or RetentionPeriods.from_environment()
    now = now or utc_now()
    with ctx.transaction() as session:
        counts = Purged(
            documents=_purge_documents(session, now - timedelta(days=periods.documents)),
            declarations=_purge_declarations(session, now - timedelta(days=periods.declarations)),
            **_purge_records(session, now - timedelta(days=periods.records), now),
            **_purge_sign_in(session, now),
            outbox=deleted_rows(
                session,
                delete(OutboxMessage).where(
                    OutboxMessage.created_at < now - timedelta(days=periods.outbox)
                ),
            ),
        )
        if dry_run:
            session.rollback()
            return counts
        audit.append(
            session, OPERATOR, "retention.purge", "database", None, now, **counts.as_json()
        )
    log.info("retention purge", extra=counts.as_json())
    return counts


def _decided_before(cutoff: datetime) -> ColumnElement[bool]:
    return and_(Declaration.status.in_(FINAL_STATUSES), Declaration.departure < cutoff)


def _purge_documents(session: Session, cutoff: datetime) -> int:
    """Forget the bytes and file names of documents of decided declarations past ``cutoff``."""
    due = select(Declaration.id).where(_decided_before(cutoff))
    return deleted_rows(
        session,
        update(DeclarationEvidence)
        .where(DeclarationEvidence.declaration_id.in_(due), DeclarationEvidence.data.is_not(None))
        .values(data=None, filename=None),
    )


def _purge_declarations(session: Session, cutoff: datetime) -> int:
    due = list(session.scalars(select(Declaration.id).where(_decided_before(cutoff))))
    return delete_declarations(session, due)


def _purge_records(session: Session, cutoff: datetime, now: datetime) -> dict[str, int]:
    """Records older than ``cutoff`` with no certificate in force and no evidence that still
    points at them (a kept declaration shows its officer what it rests on)."""
    in_force = exists().where(
        IssuedCertificate.record_id == Record.id, IssuedCertificate.expires_at > now
    )
    cited = exists().where(DeclarationEvidence.record_id == Record.id)
    due = list(
        session.scalars(
            select(Record.id).where(Record.created_at < cutoff, not_(in_force), not_(cited))
        )
    )
    return delete_records(session, due)


def _purge_sign_in(session: Session, now: datetime) -> dict[str, int]:
    """Sessions and codes past their end, and attempts older than the rate limits' window."""
    return {
        "sessions": deleted_rows(
            session, delete(HolderSession).where(HolderSession.expires_at <= now)
        ),
        "page_sessions": deleted_rows(
            session,
            delete(PageSession).where(
                or_(
                    PageSession.seen_at < now - timedelta(seconds=IDLE_SECONDS),
                    PageSession.started_at < now - timedelta(seconds=LONGEST_SECONDS),
                )
            ),
        ),
        "signin_codes": deleted_rows(
            session,
            delete(SignInCode).where(
                or_(SignInCode.expires_at <= now, SignInCode.used_at.is_not(None))
            ),
        ),
        "signin_attempts": deleted_rows(
            session, delete(SignInAttempt).where(SignInAttempt.at < now - WINDOW)
        ),
    }


def start_schedule(ctx: ServiceContext, every: timedelta) -> threading.Event:
    """Purge now and then every ``every`` in a daemon thread, until the returned event is set.
    A failed purge is logged and tried again at the next turn."""
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                purge(ctx)
            except Exception:  # the service must outlive a failed purge; the log says why
                log.exception("retention purge failed")
            stop.wait(every.total_seconds())

    threading.Thread(target=run, name="healthcert-retention", daemon=True).start()
    return stop
