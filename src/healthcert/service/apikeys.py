"""API keys and roles: a key is shown once at creation; only its SHA-256 is stored."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from healthcert.database.tables import ApiKey
from healthcert.service import audit
from healthcert.service.errors import Conflict, Invalid, Unauthorised

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

ROLES = ("admin", "recorder", "issuer", "verifier", "officer")
_PREFIX = "hck_"
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True, slots=True)
class CreatedKey:
    id: int
    role: str
    label: str
    secret: str
    identity_source: bool = False


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(
    ctx: ServiceContext,
    role: str,
    label: str,
    actor: audit.Actor,
    countries: Sequence[str] = (),
    *,
    identity_source: bool = False,
) -> CreatedKey:
    """A new key for ``role``; the secret is returned here and never again. An officer's key
    names the countries of residence its post covers (an officer with none sees nothing). An
    identity source's key (a passport office, a consulate) may set holders' contacts. Labels
    are unique: Conflict for one in use."""
    if role not in ROLES:
        raise Invalid([{"field": "role", "message": f"must be one of {', '.join(ROLES)}"}])
    covered = _countries(role, countries)
    label = _label(label)
    secret = _PREFIX + secrets.token_urlsafe(32)  # 256 bits: a fast hash cannot be reversed
    now = ctx.clock()
    try:
        with ctx.transaction() as session:
            row = ApiKey(
                key_hash=hash_key(secret),
                prefix=secret[:10],
                role=role,
                label=label,
                created_at=now,
                countries=",".join(covered) or None,
                identity_source=identity_source,
            )
            session.add(row)
            session.flush()
            audit.append(
                session,
                actor,
                "apikey.create",
                "api_key",
                row.id,
                now,
                role=role,
                countries=covered,
                identity_source=identity_source,
            )
    except IntegrityError:  # the label's unique constraint: no read-then-insert race
        raise Conflict(f"the label {label!r} is taken: every key has its own") from None
    return CreatedKey(row.id, role, label, secret, identity_source)


def _label(label: str) -> str:
    cleaned = " ".join(label.split())
    if not 1 <= len(cleaned) <= 120:
        raise Invalid([{"field": "label", "message": "must have 1 to 120 characters"}])
    return cleaned


def sender_actor(ctx: ServiceContext, label: str) -> audit.Actor:
    """The sender named ``label`` for records stored outside the API (``issue --batch
    --store``): its key, else a new key of that label that owns the records and cannot be used
    (revoked at once; no one ever saw a secret)."""
    label = _label(label)
    with ctx.sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.label == label))
    if row is None:
        operator = audit.Actor("admin", "cli")
        created = create_key(ctx, "recorder", label, operator)
        revoke_key(ctx, created.id, operator)
        return audit.Actor("issuer", label, created.id)
    return audit.Actor("issuer", row.label, row.id)


def _countries(role: str, countries: Sequence[str]) -> list[str]:
    covered = sorted({country.strip().upper() for country in countries if country.strip()})
    if covered and role != "officer":
        raise Invalid([{"field": "countries", "message": "only an officer's key covers countries"}])
    wrong = [country for country in covered if not _COUNTRY.fullmatch(country)]
    if wrong:
        message = f"not ISO 3166-1 alpha-2 codes: {', '.join(wrong)}"
        raise Invalid([{"field": "countries", "message": message}])
    return covered


def key_countries(ctx: ServiceContext, key_id: int | None) -> frozenset[str]:
    """The countries of residence an officer's key covers (none for a key without them)."""
    from healthcert.database.tables import ApiKey

    if key_id is None:
        return frozenset()
    with ctx.sessions() as session:
        row = session.get(ApiKey, key_id)
    if row is None or not row.countries:
        return frozenset()
    return frozenset(row.countries.split(","))


def cached_actor(ctx: ServiceContext, secret: str | None) -> audit.Actor | None:
    """The actor of a key resolved within the last ``api_key_ttl`` seconds, else None."""
    if not secret:
        return None
    cached = ctx.api_keys.get(hash_key(secret))
    if cached is not None and time.monotonic() - cached[0] < ctx.api_key_ttl:
        return cached[1]
    return None


def authenticate(ctx: ServiceContext, secret: str | None) -> audit.Actor:
    """The actor a key stands for; Unauthorised when it is missing, unknown or revoked."""
    if not secret:
        raise Unauthorised("an API key is required (header X-API-Key)")
    return actor_of_hash(ctx, hash_key(secret))


def actor_of_hash(ctx: ServiceContext, digest: str) -> audit.Actor:
    """The actor of the key stored as ``digest``: how a page session, which keeps the hash
    and never the key, checks on each request that its key still stands."""
    cached = ctx.api_keys.get(digest)
    if cached is not None and time.monotonic() - cached[0] < ctx.api_key_ttl:
        return cached[1]
    actor = _lookup(ctx, digest)
    ctx.api_keys[digest] = (time.monotonic(), actor)
    return actor


def _lookup(ctx: ServiceContext, digest: str) -> audit.Actor:
    with ctx.sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.key_hash == digest))
    if row is None or row.revoked_at is not None:
        raise Unauthorised("the API key is not valid")
    return audit.Actor(role=row.role, name=row.label, key_id=row.id)


def revoke_key(ctx: ServiceContext, key_id: int, actor: audit.Actor) -> bool:
    now = ctx.clock()
    with ctx.transaction() as session:
        row = session.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = now
        audit.append(session, actor, "apikey.revoke", "api_key", key_id, now)
    ctx.api_keys.clear()
    return True


def list_keys(ctx: ServiceContext) -> list[dict[str, object]]:
    with ctx.sessions() as session:
        rows = session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
    return [
        {
            "id": row.id,
            "role": row.role,
            "label": row.label,
            "prefix": row.prefix,
            "created_at": row.created_at.isoformat(),
            "revoked": row.revoked_at is not None,
            "countries": row.countries.split(",") if row.countries else [],
            "identity_source": row.identity_source,
        }
        for row in rows
    ]
