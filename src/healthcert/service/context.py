"""What every use case works with: the database, the signer, the trust store, the notifier."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from healthcert.database.db import make_engine, session_factory
from healthcert.database.migrate import upgrade
from healthcert.errors import HealthcertError
from healthcert.keys.signer import Signer
from healthcert.service.errors import Unavailable
from healthcert.service.notifier import Notifier, OutboxNotifier
from healthcert.service.unseal import UnsealKeys, load_unseal_keys
from healthcert.trust.local import load_local_trust
from healthcert.trust.store import TrustStore

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session, sessionmaker

    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.service.audit import Actor
    from healthcert.service.oidc import OidcProvider
    from healthcert.trust.revocation import DccRevocations


DEFAULT_SHC_ISSUER = "http://127.0.0.1:8000/api/v1/shc"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Revocations:
    """What verification consults: the EU DCC hash set, this service's SMART Health Card
    issuer with its key and CRLs (so the verify endpoint checks the service's own cards,
    revoked ones included), the signature hashes of the health codes a later decision
    superseded, and those of the revoked VDS-NC seals. Built by
    ``revocation.current_revocations``."""

    dcc: DccRevocations
    shc_issuers: ShcIssuers | None
    health_codes: frozenset[bytes] = frozenset()
    vdsnc: frozenset[bytes] = frozenset()


@dataclass
class ServiceContext:
    """One running service. ``signer`` and ``trust`` load lazily: a verifier-only server has
    no private key, and an issuer-only one may have no trust store."""

    engine: Engine
    sessions: sessionmaker[Session]
    writer: sessionmaker[Session]
    notifier: Notifier
    issuer_name: str = "healthcert demo health authority"
    # The SMART Health Cards issuer URL: its /.well-known/jwks.json must publish the key.
    shc_issuer: str = field(
        default_factory=lambda: os.environ.get("HEALTHCERT_SHC_ISSUER", DEFAULT_SHC_ISSUER)
    )
    clock: Callable[[], datetime] = utc_now
    # The largest request body a route takes unless it documents more (an upload): 413 past it.
    max_body_bytes: int = field(
        default_factory=lambda: int(os.environ.get("HEALTHCERT_MAX_BODY_BYTES", 1024 * 1024))
    )
    signer_loader: Callable[[], Signer] | None = None
    health_code_signer_loader: Callable[[], Signer] | None = None
    # Where the service's key directory lives (None: HEALTHCERT_HOME): its signers load from
    # there, and its CSCA and DSC certificates are published from there.
    key_home: Path | None = None
    trust_loader: Callable[[], TrustStore] | None = None
    # The border keys sealed certificates are opened with (None: ``service.unseal``'s, from
    # the key home and HEALTHCERT_UNSEAL_KEYS).
    unseal_keys_loader: Callable[[], UnsealKeys] | None = None
    # The identity provider holders may sign in through (None: sign-in by code only).
    oidc: OidcProvider | None = None
    # Another instance's revocation is seen here within this (plus one rebuild): the promise
    # is 10 s. The rebuild runs beside the requests, which keep the previous set meanwhile.
    revocations_ttl: float = 5.0
    # API keys resolved in this process, by hash: a verifier's every request would otherwise
    # read the database. A revoked key stops working here at once, elsewhere within the TTL.
    api_key_ttl: float = 10.0
    api_keys: dict[str, tuple[float, Actor]] = field(default_factory=dict, repr=False)
    # (when built, by time.monotonic(); what) of ``revocation.current_revocations``.
    revocations_cache: tuple[float, Revocations] | None = field(default=None, repr=False)
    # Held while a background rebuild runs: one at a time.
    revocations_refresh: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _signer: Signer | None = field(default=None, repr=False)
    _health_code_signer: Signer | None = field(default=None, repr=False)
    _trust: TrustStore | None = field(default=None, repr=False)
    _unseal_keys: UnsealKeys | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed together, or not at all."""
        with self.writer.begin() as session:
            yield session

    def signer(self) -> Signer:
        """The DSC that signs certificates."""
        from healthcert.service.authority import certificate_signer

        with self._lock:
            if self._signer is None:
                loader = self.signer_loader or (lambda: certificate_signer(self.key_home))
                self._signer = loader()
            return self._signer

    def health_code_signer(self) -> Signer:
        """The DSC that signs health codes: its extended key usage must name them."""
        from healthcert.service.authority import health_code_signer

        with self._lock:
            if self._health_code_signer is None:
                loader = self.health_code_signer_loader or (
                    lambda: health_code_signer(self.key_home)
                )
                self._health_code_signer = loader()
            return self._health_code_signer

    def revocations_changed(self) -> None:
        self.revocations_cache = None

    def trust(self) -> TrustStore:
        with self._lock:
            if self._trust is None:
                self._trust = (self.trust_loader or load_local_trust)()
            return self._trust

    def unseal_keys(self) -> UnsealKeys:
        """The border keys this deployment opens sealed certificates with; Unavailable, naming
        the file, while one cannot be read (``serve`` says it at start, ``/ready`` after)."""
        with self._lock:
            if self._unseal_keys is None:
                loader = self.unseal_keys_loader or (lambda: load_unseal_keys(self.key_home))
                try:
                    self._unseal_keys = loader()
                except HealthcertError as error:
                    raise Unavailable(f"a border key cannot be loaded: {error}") from None
            return self._unseal_keys


def open_context(
    url: str | None = None, *, migrate: bool = True, notifier: Notifier | None = None
) -> ServiceContext:
    """A service context on the database at ``url`` (see ``database.db``), its schema upgraded."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return ServiceContext(
        engine=engine,
        sessions=session_factory(engine),
        writer=session_factory(engine, writes=True),
        notifier=notifier or OutboxNotifier(),
    )
