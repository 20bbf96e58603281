"""Revocation: an issuer revokes a certificate with a reason, whatever its format; the lists
are published in the EU hash form, the SMART Health Cards CRL form (method ``rid``) and, for
VDS-NC seals, as signature hashes."""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from healthcert.database.tables import Declaration, IssuedCertificate
from healthcert.database.tables import HealthCode as IssuedHealthCode
from healthcert.errors import HealthcertError, TrustStoreError
from healthcert.formats import registry
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.formats.vdsnc import seal as vdsnc
from healthcert.issuance import shc_rid
from healthcert.keys.home import healthcert_home
from healthcert.service import audit
from healthcert.service.context import Revocations
from healthcert.service.errors import Invalid, Unavailable
from healthcert.service.issuance import get_certificate
from healthcert.trust.revocation import DccRevocations, hashes_of
from healthcert.trust.synced import REVOCATIONS_FILE, load_synced_revocations, sync_dir

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext


def revoke(
    ctx: ServiceContext, certificate_id: int, reason: str, actor: audit.Actor
) -> IssuedCertificate:
    """Revoke once; revoking again keeps the first time and reason."""
    if not reason.strip():
        raise Invalid([{"field": "reason", "message": "say why the certificate is revoked"}])
    get_certificate(ctx, certificate_id)  # NotFound before any write
    now = ctx.clock()
    with ctx.transaction() as session:
        row = session.get(IssuedCertificate, certificate_id, with_for_update=True)
        assert row is not None
        if row.revoked_at is None:
            row.revoked_at = now
            row.revocation_reason = reason.strip()
            audit.append(
                session,
                actor,
                "certificate.revoke",
                "certificate",
                row.id,
                now,
                reason=row.revocation_reason,
                uvci=row.uvci,
            )
    ctx.revocations_changed()
    return row


def revoked_certificates(ctx: ServiceContext) -> list[IssuedCertificate]:
    query = select(IssuedCertificate).where(IssuedCertificate.revoked_at.is_not(None))
    with ctx.sessions() as session:
        return list(session.scalars(query.order_by(IssuedCertificate.id)).all())


def _hcert_hashes(row: IssuedCertificate) -> dict[str, bytes]:
    signature = eu_dcc.decode(row.payload).sign1.signature
    return hashes_of(row.uvci, row.country, signature)


log = logging.getLogger("healthcert.revocation")


def current_revocations(ctx: ServiceContext) -> Revocations:
    """What verification consults: rebuilt at once when this process revoked (or on first
    use), and beside the requests once ``revocations_ttl`` seconds old (another worker or
    instance may have revoked). A request never waits for the database when a set exists."""
    cached = ctx.revocations_cache
    if cached is None:
        cached = (time.monotonic(), build_revocations(ctx))
        ctx.revocations_cache = cached
    elif time.monotonic() - cached[0] > ctx.revocations_ttl and ctx.revocations_refresh.acquire(
        blocking=False
    ):
        threading.Thread(target=_refresh, args=(ctx, cached), daemon=True).start()
    return cached[1]


def build_revocations(ctx: ServiceContext) -> Revocations:
    health_codes = frozenset(superseded_health_codes(ctx))
    seals = frozenset(revoked_seals(ctx))
    return Revocations(dcc_revocations(ctx), own_shc_issuers(ctx), health_codes, seals)


def _refresh(ctx: ServiceContext, stale: tuple[float, Revocations]) -> None:
    try:
        fresh = (time.monotonic(), build_revocations(ctx))
        # A revocation made here meanwhile dropped the set: the next request rebuilds it.
        if ctx.revocations_cache is stale:
            ctx.revocations_cache = fresh
    except Exception:  # the database may be away: keep the set, retry at the next request
        log.warning("revocation lists not refreshed", exc_info=True)
    finally:
        ctx.revocations_refresh.release()


def own_shc_issuers(ctx: ServiceContext) -> ShcIssuers | None:
    try:
        key = ctx.signer().private_key
    except HealthcertError:  # a verifier-only service has no signing key
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return None
    issuers = ShcIssuers()
    jwk = shc.issuer_jwk(key.public_key())
    issuers.add_jwks(ctx.shc_issuer, {"keys": [jwk]})
    # The service knows every card it revoked: its own key's list is empty until one is, and
    # a card checked against an empty list is checked (not "no list loaded").
    issuers.add_crl(ctx.shc_issuer, {"kid": jwk["kid"], "method": "rid", "ctr": 0, "rids": []})
    for crl in shc_crls(ctx):
        issuers.add_crl(ctx.shc_issuer, crl)
    return issuers


def dcc_revocations(ctx: ServiceContext) -> DccRevocations:
    """What the verify endpoint consults: every hash of every EU DCC revoked here, and every
    hash the other countries' revocation lists carried at the last gateway sync."""
    rows = [row for row in revoked_certificates(ctx) if row.format == registry.EU_DCC]
    own = [(kind, digest) for row in rows for kind, digest in _hcert_hashes(row).items()]
    return DccRevocations(frozenset(own) | synced_dcc_hashes(ctx.key_home))


def synced_dcc_hashes(home: Path | None) -> frozenset[tuple[str, bytes]]:
    """The hashes of the last gateway sync (``healthcert trust sync``), read again only when
    the sync rewrote its file: the set is rebuilt every few seconds, the file may be large.
    A damaged file is Unavailable (503): a verifier must not pass over a revocation list it
    holds but cannot read (a new sync replaces it)."""
    home = home if home is not None else healthcert_home()
    path = sync_dir(home) / REVOCATIONS_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return frozenset()
    return _synced_hashes_of(home, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _synced_hashes_of(home: Path, _mtime_ns: int, _size: int) -> frozenset[tuple[str, bytes]]:
    try:
        synced = load_synced_revocations(home)
    except TrustStoreError as error:
        raise Unavailable(str(error)) from None
    return synced.hashes if synced is not None else frozenset()


def eu_revocation_list(ctx: ServiceContext) -> dict[str, Any]:
    """The EU hash form, grouped by the kid that signed: ``{kid: {hash type: [base64]}}``."""
    by_kid: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for row in revoked_certificates(ctx):
        if row.format != registry.EU_DCC:
            continue
        for kind, digest in _hcert_hashes(row).items():
            by_kid[row.kid][kind].append(base64.b64encode(digest).decode("ascii"))
    return {
        "format": "eu-dcc-revocation-hashes",
        "generated": ctx.clock().isoformat(),
        "hash_bytes": 16,
        "kids": {kid: dict(types) for kid, types in by_kid.items()},
    }


def shc_crls(ctx: ServiceContext) -> list[dict[str, Any]]:
    """SMART Health Cards CRLs, one per kid: ``{kid, method: rid, ctr, rids}``."""
    rids: dict[str, list[str]] = defaultdict(list)
    for row in revoked_certificates(ctx):
        if row.format == registry.SHC:
            rids[row.kid].append(shc_rid(row.uvci))
    return [
        {"kid": kid, "method": "rid", "ctr": len(listed), "rids": sorted(listed)}
        for kid, listed in sorted(rids.items())
    ]


def revoked_seals(ctx: ServiceContext) -> list[bytes]:
    """The signature hashes of the revoked VDS-NC seals (``vdsnc.seal.revocation_hash``)."""
    rows = revoked_certificates(ctx)
    return [
        vdsnc.revocation_hash(row.payload) for row in rows if row.format == registry.ICAO_VDS_NC
    ]


def superseded_health_codes(ctx: ServiceContext) -> list[bytes]:
    """The signature hashes of the health codes whose declaration was decided, changed or
    withdrawn since they were signed: a verifier refuses them (REVOKED) for the newer one."""
    query = (
        select(IssuedHealthCode.revocation_hash)
        .join(Declaration, Declaration.id == IssuedHealthCode.declaration_id)
        .where(IssuedHealthCode.declaration_version < Declaration.version)
        .order_by(IssuedHealthCode.id)
    )
    with ctx.sessions() as session:
        return [bytes(digest) for digest in session.scalars(query).all()]
