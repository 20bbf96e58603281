"""Holder sign-in: the person (document type, issuing country, number, date of birth) and a
one-time code sent to the contact an identity source gave for them (``service.contacts``),
then a short-lived session. A contact a laboratory wrote on a record is never used.

Codes expire after CODE_LIFETIME, are used once, and die after MAX_CODE_FAILURES wrong
guesses; code requests and guesses are rate-limited per person and per client address.
A request for an unknown person answers exactly like one for a known person, so the
endpoint does not tell who has records.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select, update

from healthcert.database.tables import HolderSession as SessionRow
from healthcert.database.tables import SignInCode
from healthcert.service.contacts import contact_of
from healthcert.service.errors import Unauthorised
from healthcert.service.person import Person, person_of
from healthcert.service.ratelimit import Limit, count_attempt

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from healthcert.service.context import ServiceContext

CODE_LIFETIME = timedelta(minutes=10)
SESSION_LIFETIME = timedelta(minutes=15)
MAX_CODE_FAILURES = 5
WINDOW = timedelta(minutes=15)
CODES_PER_PERSON = Limit("code-person", 5, WINDOW)
CODES_PER_ADDRESS = Limit("code-address", 20, WINDOW)
GUESSES_PER_PERSON = Limit("guess-person", 10, WINDOW)
GUESSES_PER_ADDRESS = Limit("guess-address", 30, WINDOW)


__all__ = ["HolderSession", "Person", "open_session", "request_code", "session_person"]


@dataclass(frozen=True, slots=True)
class HolderSession:
    token: str
    expires_at: datetime


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def request_code(ctx: ServiceContext, person: Person, address: str) -> None:
    """Send a code to the person's verified contact (nothing is sent without one)."""
    now = ctx.clock()
    with ctx.transaction() as session:
        count_attempt(session, CODES_PER_ADDRESS, _digest(address), now)
        count_attempt(session, CODES_PER_PERSON, person.key, now)
    with ctx.transaction() as session:
        contact = contact_of(session, person)
        if contact is None:
            return
        code = f"{secrets.randbelow(10**6):06d}"
        _store_code(session, person, code, now)
        ctx.notifier.send(
            session,
            contact,
            f"Your healthcert sign-in code is {code}. It expires in "
            f"{int(CODE_LIFETIME.total_seconds() // 60)} minutes.",
            now,
        )


def _store_code(session: Session, person: Person, code: str, now: datetime) -> None:
    # Only the newest code counts: asking again voids the earlier ones.
    session.execute(
        update(SignInCode)
        .where(SignInCode.person == person.key, SignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    session.add(
        SignInCode(
            person=person.key,
            code_hash=_digest(f"{person.key}:{code}"),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            failures=0,
        )
    )


def sign_in(ctx: ServiceContext, person: Person, code: str, address: str) -> HolderSession:
    """Exchange a valid code for a session; Unauthorised for a wrong, used or expired code."""
    now = ctx.clock()
    with ctx.transaction() as session:
        count_attempt(session, GUESSES_PER_ADDRESS, _digest(address), now)
        count_attempt(session, GUESSES_PER_PERSON, person.key, now)
    with ctx.transaction() as session:
        pending = _pending_code(session, person, now)
        if pending is None or not _matches(pending, person, code):
            if pending is not None:
                _count_failure(pending, now)
            failed = True
        else:
            pending.used_at = now
            failed = False
            opened = open_session(session, person, now)
    if failed:
        raise Unauthorised("the code is wrong, used or expired")
    return opened


def _pending_code(session: Session, person: Person, now: datetime) -> SignInCode | None:
    query = (
        select(SignInCode)
        .where(
            SignInCode.person == person.key,
            SignInCode.used_at.is_(None),
            SignInCode.expires_at > now,
        )
        .order_by(SignInCode.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _matches(pending: SignInCode, person: Person, code: str) -> bool:
    return hmac.compare_digest(pending.code_hash, _digest(f"{person.key}:{code.strip()}"))


def _count_failure(pending: SignInCode, now: datetime) -> None:
    pending.failures += 1
    if pending.failures >= MAX_CODE_FAILURES:
        pending.used_at = now  # guessed at too often: the code is dead


def open_session(session: Session, person: Person, now: datetime) -> HolderSession:
    """A new session of ``person`` (a code or an identity provider vouched for them)."""
    token = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    session.add(SessionRow(token_hash=_digest(token), expires_at=expires, **person.columns()))
    return HolderSession(token, expires)


def session_person(ctx: ServiceContext, token: str | None) -> Person:
    """The person a session token stands for; Unauthorised when missing or expired."""
    if not token:
        raise Unauthorised("sign in first (Authorization: Bearer <session token>)")
    with ctx.sessions() as session:
        row = session.get(SessionRow, _digest(token))
    if row is None or row.expires_at <= ctx.clock():
        raise Unauthorised("the session has expired: sign in again")
    return person_of(row)


def sign_out(ctx: ServiceContext, token: str) -> None:
    with ctx.transaction() as session:
        session.execute(delete(SessionRow).where(SessionRow.token_hash == _digest(token)))
