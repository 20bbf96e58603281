"""Sliding-window rate limits kept in the database, so they hold across workers and restarts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from healthcert.database.tables import SignInAttempt
from healthcert.service.errors import TooManyAttempts

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class Limit:
    scope: str
    attempts: int
    window: timedelta


def count_attempt(session: Session, limit: Limit, subject: str, now: datetime) -> None:
    """Count one attempt of ``subject``; TooManyAttempts when the window is already full."""
    start = now - limit.window
    recent = select(func.count(), func.min(SignInAttempt.at)).where(
        SignInAttempt.scope == limit.scope,
        SignInAttempt.subject == subject,
        SignInAttempt.at > start,
    )
    count, oldest = session.execute(recent).one()
    if count >= limit.attempts:
        retry = int((oldest - start).total_seconds()) + 1 if oldest is not None else 60
        raise TooManyAttempts("too many attempts: try again later", retry_after=max(retry, 1))
    session.add(SignInAttempt(scope=limit.scope, subject=subject, at=now))
