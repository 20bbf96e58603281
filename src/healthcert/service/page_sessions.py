"""Page sessions: an officer signs in on a page once with their API key, and the browser then
holds only a random session token. The key is never kept: the session names the key by its
stored hash, and every request checks that the key still stands (a revoked key ends its
sessions). Sessions live in the database, so every instance knows them and a restart keeps
them; retention deletes the ended ones."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete

from healthcert.database.tables import PageSession as Row
from healthcert.service.apikeys import actor_of_hash, authenticate, hash_key
from healthcert.service.context import utc_now
from healthcert.service.errors import Unauthorised

if TYPE_CHECKING:
    from healthcert.service.audit import Actor
    from healthcert.service.context import ServiceContext

# An officer's session ends after this long without a request, and after a working day.
IDLE_SECONDS = 30 * 60
LONGEST_SECONDS = 10 * 60 * 60


class Forbidden(Exception):
    """A valid key whose role may not use these pages."""


@dataclass(frozen=True, slots=True)
class PageSession:
    """What a request carries once signed in: who, and the token its forms must echo."""

    actor: Actor
    csrf: str


class PageSessions:
    """The sessions of one set of pages, in the database by the SHA-256 of their token."""

    def __init__(self, roles: frozenset[str]) -> None:
        self.roles = roles

    def open(self, ctx: ServiceContext, secret: str) -> tuple[str, PageSession]:
        """(the token for the cookie, the session) for an API key of one of ``roles``.
        Unauthorised for a missing or unknown key, Forbidden for a key of another role."""
        actor = authenticate(ctx, secret.strip() or None)
        if actor.role not in self.roles:
            raise Forbidden(actor.role)
        token, now = secrets.token_urlsafe(32), utc_now()
        row = Row(
            token_hash=_digest(token),
            key_hash=hash_key(secret.strip()),
            started_at=now,
            seen_at=now,
        )
        with ctx.transaction() as session:
            session.add(row)
        return token, PageSession(actor, _form_token(token))

    def resolve(self, ctx: ServiceContext, token: str | None) -> PageSession | None:
        """The session of ``token`` while it is fresh and its key still stands, else None."""
        if not token:
            return None
        now = utc_now()
        with ctx.transaction() as session:
            row = session.get(Row, _digest(token))
            if row is None:
                return None
            if (now - row.seen_at).total_seconds() > IDLE_SECONDS or (
                now - row.started_at
            ).total_seconds() > LONGEST_SECONDS:
                session.delete(row)
                return None
            row.seen_at = now
            key_hash = row.key_hash
        try:
            actor = actor_of_hash(ctx, key_hash)
        except Unauthorised:
            self.close(ctx, token)
            return None
        if actor.role not in self.roles:
            return None
        return PageSession(actor, _form_token(token))

    def close(self, ctx: ServiceContext, token: str | None) -> None:
        if token:
            with ctx.transaction() as session:
                session.execute(delete(Row).where(Row.token_hash == _digest(token)))


def same_token(sent: str | None, expected: str) -> bool:
    """Whether a form echoed the session's token (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(str(sent).encode(), expected.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _form_token(token: str) -> str:
    """The anti-forgery token of a session: derived from its cookie's token, which a page
    never shows, so it needs no storing and no other page can know it."""
    return hashlib.sha256(b"form:" + token.encode("utf-8")).hexdigest()
