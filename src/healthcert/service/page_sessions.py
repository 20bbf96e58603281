"""Page sessions: an officer signs in on a page once with their API key, and the browser then
holds only a random session token. The key is never kept: the session names the key by its
stored hash, and every request checks that the key still stands (a revoked key ends its
sessions). Sessions live in the serving process: a restart signs everyone out."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from healthcert.service.apikeys import actor_of_hash, authenticate, hash_key
from healthcert.service.errors import Unauthorised

if TYPE_CHECKING:
    from healthcert.service.audit import Actor
    from healthcert.service.context import ServiceContext

# An officer's session ends after this long without a request, and after a working day.
IDLE_SECONDS = 30 * 60
LONGEST_SECONDS = 10 * 60 * 60
# The oldest sessions give way beyond this many (each is a few hundred bytes).
MAX_SESSIONS = 10_000


class Forbidden(Exception):
    """A valid key whose role may not use these pages."""


@dataclass(frozen=True, slots=True)
class PageSession:
    """What a request carries once signed in: who, and the token its forms must echo."""

    actor: Actor
    csrf: str


@dataclass(slots=True)
class _Held:
    key_hash: str
    csrf: str
    started: float
    seen: float


class PageSessions:
    """The sessions of one set of pages, by the SHA-256 of their token."""

    def __init__(self, roles: frozenset[str]) -> None:
        self.roles = roles
        self._held: OrderedDict[str, _Held] = OrderedDict()
        self._lock = threading.Lock()

    def open(self, ctx: ServiceContext, secret: str) -> tuple[str, PageSession]:
        """(the token for the cookie, the session) for an API key of one of ``roles``.
        Unauthorised for a missing or unknown key, Forbidden for a key of another role."""
        actor = authenticate(ctx, secret.strip() or None)
        if actor.role not in self.roles:
            raise Forbidden(actor.role)
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), time.monotonic()
        with self._lock:
            self._held[_digest(token)] = _Held(hash_key(secret.strip()), csrf, now, now)
            while len(self._held) > MAX_SESSIONS:
                self._held.popitem(last=False)
        return token, PageSession(actor, csrf)

    def resolve(self, ctx: ServiceContext, token: str | None) -> PageSession | None:
        """The session of ``token`` while it is fresh and its key still stands, else None."""
        if not token:
            return None
        digest, now = _digest(token), time.monotonic()
        with self._lock:
            held = self._held.get(digest)
            if (
                held is None
                or now - held.seen > IDLE_SECONDS
                or now - held.started > LONGEST_SECONDS
            ):
                self._held.pop(digest, None)
                return None
            held.seen = now
        try:
            actor = actor_of_hash(ctx, held.key_hash)
        except Unauthorised:
            self.close(token)
            return None
        if actor.role not in self.roles:
            return None
        return PageSession(actor, held.csrf)

    def close(self, token: str | None) -> None:
        if token:
            with self._lock:
                self._held.pop(_digest(token), None)


def same_token(sent: str | None, expected: str) -> bool:
    """Whether a form echoed the session's token (compared in constant time)."""
    return bool(sent) and hmac.compare_digest(str(sent).encode(), expected.encode())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
