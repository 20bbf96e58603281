"""The trust store: every key a verifier accepts, indexed by kid, and the CSCAs that vouch."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from healthcert.errors import TrustStoreError
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.keys.kid import kid_of_der
from healthcert.trust.anchors import vouches_for
from healthcert.trust.batch import Anchor, ImportBatch, ImportResult, Skipped, merge
from healthcert.trust.border import is_border_key
from healthcert.trust.did_proof import ProofSigner
from healthcert.trust.entry import TrustedKey
from healthcert.trust.sources import import_path
from healthcert.trust.specs import load_issuers, sort_specs

# The shared types are named here too, where code that holds a trust store looks for them.
__all__ = [
    "Anchor",
    "ImportBatch",
    "ImportResult",
    "KeyLoader",
    "Skipped",
    "TrustStore",
    "load_trust",
    "merge",
]

KeyLoader = Callable[[], TrustedKey]


class TrustStore:
    """Trusted keys by kid (several keys may share one), CSCAs by country, and skip warnings.

    Keys may be registered as loaders (``defer``) so that a large persisted store costs nothing
    until a kid is looked up: a verifier usually needs one key out of hundreds.
    """

    def __init__(self) -> None:
        self._by_kid: dict[bytes, list[TrustedKey]] = {}
        self._deferred: dict[bytes, list[KeyLoader]] = {}
        self._deferred_count = 0
        self._anchors: dict[str, list[Anchor]] = {}
        self._anchor_kids: dict[bytes, Anchor] | None = None  # built on the first unknown kid
        # The border keys by country, built on the first ask (``border_keys``): a page that
        # offers sealing asks on every render, and the store may hold every country's DSCs.
        self._border: dict[str, list[TrustedKey]] | None = None
        self.skipped: list[Skipped] = []
        self.ignored = 0

    @classmethod
    def from_paths(cls, paths: Iterable[str | os.PathLike[str]]) -> TrustStore:
        """A trust store from the sources ``healthcert verify --trust`` accepts. Each is:

        - a certificate file, PEM or DER: a DSC, or a CSCA (which then vouches for the DSCs of
          its country, and a DSC of that country it did not sign is refused);
        - an EU trust list (the gateway's or a national mirror's form), or a JWKS file;
        - a directory of such files;
        - ``https://issuer.example=PATH``: a SMART Health Card issuer bound to the JWKS at PATH
          (a file, or an issuer directory holding ``.well-known/jwks.json``). Its keys are
          checked as ``--trust`` checks them (EC P-256, public only, kid = RFC 7638 thumbprint)
          and sign cards of exactly that issuer URL only;
        - a VCI directory snapshot (``issuerInfo``): every issuer it lists, bound to its keys.

        Every source is read before any key is accepted, so a CSCA applies whatever the order.
        No sources, no keys: the installation's own store is ``load_local_trust``. A trust
        store holds keys, not revocation lists: an issuer that comes with CRLs is refused
        rather than trusted without them (``trust.verifier.load_verifier_trust`` keeps them).
        TrustStoreError names a source that cannot be read or used; an entry that cannot be
        trusted is skipped and listed in ``skipped``.
        """
        bindings, directories, files = sort_specs([os.fspath(path) for path in paths])
        store = cls()
        if files:
            store.add_batch(merge(import_path(path) for path in files))
        if bindings or directories:
            issuers = load_issuers(bindings, directories)
            store.add_batch(_issuer_batch(issuers), source="SMART Health Cards")
        return store

    # -- lookup -------------------------------------------------------------------------------

    def keys_for(self, kid: bytes) -> Sequence[TrustedKey]:
        """Every trusted key with this kid (empty when none)."""
        if kid in self._deferred:
            self._load(kid)
        return tuple(self._by_kid.get(kid, ()))

    def cscas_for(self, country: str) -> Sequence[x509.Certificate]:
        """The trusted CSCA certificates of ``country`` (ISO alpha-2, any case)."""
        return tuple(anchor.certificate for anchor in self._anchors.get(country.upper(), ()))

    def anchor_with_kid(self, kid: bytes) -> Anchor | None:
        """The trusted CSCA whose certificate has this kid: it vouches, it does not sign."""
        if self._anchor_kids is None:
            self._anchor_kids = {kid_of_der(_der(anchor)): anchor for anchor in self.anchors}
        return self._anchor_kids.get(kid)

    def border_keys(self, country: str) -> Sequence[TrustedKey]:
        """The border keys (``trust.border``) of ``country``, whatever their validity."""
        if self._border is None:
            index: dict[str, list[TrustedKey]] = {}
            for key in self:
                if key.country is not None and is_border_key(key):
                    index.setdefault(key.country.upper(), []).append(key)
            self._border = index
        return tuple(self._border.get(country.upper(), ()))

    @property
    def anchors(self) -> Sequence[Anchor]:
        return tuple(anchor for group in self._anchors.values() for anchor in group)

    def __iter__(self) -> Iterator[TrustedKey]:
        self._load_all()
        return iter([key for group in self._by_kid.values() for key in group])

    def __len__(self) -> int:
        loaded = sum(len(group) for group in self._by_kid.values())
        return loaded + self._deferred_count

    def __bool__(self) -> bool:
        return len(self) > 0 or bool(self._anchors)

    # -- filling ------------------------------------------------------------------------------

    def defer(self, kid: bytes, loader: KeyLoader) -> None:
        """Register a key to build on first lookup of ``kid`` (trusted without re-checking)."""
        self._deferred.setdefault(kid, []).append(loader)
        self._deferred_count += 1
        self._border = None

    def add_anchor(self, anchor: Anchor) -> bool:
        """Trust a CSCA as is (no re-check of existing keys); False when already present."""
        group = self._anchors.setdefault(anchor.country.upper(), [])
        if any(known.certificate == anchor.certificate for known in group):
            return False
        group.append(anchor)
        self._anchor_kids = None
        return True

    def add_source(self, path: str | Path, *, issuer_url: str | None = None) -> ImportResult:
        """Import a certificate file, trust list, JWKS or a directory of them."""
        return self.add_batch(import_path(path, issuer_url=issuer_url), source=str(path))

    def add_batch(self, batch: ImportBatch, *, source: str = "") -> ImportResult:
        """Accept the CSCAs of ``batch``, then each key that its country's CSCAs allow."""
        self._load_all()
        self._border = None
        fresh = [anchor for anchor in batch.anchors if self.add_anchor(anchor)]
        new_countries = {anchor.country.upper() for anchor in fresh}
        skipped = list(batch.skipped)
        dropped = self._recheck(new_countries)
        identities = {_identity(key) for key in self}
        added = duplicates = border_keys = 0
        tolerated: list[Skipped] = []
        for key in batch.keys:
            refusal = self._refusal(key)
            if refusal is not None:
                skipped.append(Skipped(_describe(key), refusal))
            elif _identity(key) in identities:
                duplicates += 1
            else:
                identities.add(_identity(key))
                self._by_kid.setdefault(key.kid, []).append(key)
                added += 1
                border_keys += is_border_key(key)
                if key.warning is not None:
                    tolerated.append(Skipped(_describe(key), key.warning))
        self.skipped.extend(skipped + dropped)
        self.ignored += batch.ignored
        return ImportResult(
            source,
            added,
            len(fresh),
            duplicates,
            batch.ignored,
            tuple(skipped),
            tuple(dropped),
            tolerated=tuple(tolerated),
            notes=tuple(batch.notes),
            border_keys=border_keys,
        )

    # -- removal ------------------------------------------------------------------------------

    def remove(self, predicate: Callable[[TrustedKey], bool]) -> int:
        """Drop every key for which ``predicate`` holds; return how many were dropped."""
        self._load_all()
        self._border = None
        removed = 0
        for kid in list(self._by_kid):
            kept = [key for key in self._by_kid[kid] if not predicate(key)]
            removed += len(self._by_kid[kid]) - len(kept)
            if kept:
                self._by_kid[kid] = kept
            else:
                del self._by_kid[kid]
        return removed

    def remove_anchors(self, predicate: Callable[[Anchor], bool]) -> int:
        """Drop every CSCA for which ``predicate`` holds (keys it vouched for stay)."""
        removed = 0
        for country in list(self._anchors):
            kept = [anchor for anchor in self._anchors[country] if not predicate(anchor)]
            removed += len(self._anchors[country]) - len(kept)
            if kept:
                self._anchors[country] = kept
            else:
                del self._anchors[country]
        self._anchor_kids = None
        return removed

    # -- internals ----------------------------------------------------------------------------

    def _refusal(self, key: TrustedKey) -> str | None:
        """Why ``key`` may not be trusted, or None: a DSC must chain to its country's CSCA."""
        if key.country is None or key.country.upper() not in self._anchors:
            return None
        if key.certificate is None and key.der is None:
            return f"no certificate to check against the trusted CSCA of {key.country}"
        if any(vouches_for(csca, key) for csca in self.cscas_for(key.country)):
            return None
        return f"not signed by any trusted CSCA of {key.country}"

    def _recheck(self, countries: set[str]) -> list[Skipped]:
        """Drop earlier keys of ``countries`` that their newly trusted CSCAs did not sign."""
        if not countries:
            return []
        refused: dict[int, Skipped] = {}
        for key in self:
            if key.country is not None and key.country.upper() in countries:
                reason = self._refusal(key)
                if reason is not None:
                    refused[id(key)] = Skipped(_describe(key), f"dropped: {reason}")
        self.remove(lambda key: id(key) in refused)
        return list(refused.values())

    def _load(self, kid: bytes) -> None:
        loaders = self._deferred.pop(kid)
        self._deferred_count -= len(loaders)
        for loader in loaders:
            try:
                key = loader()
            except (ValueError, KeyError, TypeError) as error:
                self.skipped.append(Skipped(f"kid {kid.hex()}", f"cannot load: {error}"))
                continue
            self._by_kid.setdefault(kid, []).append(key)

    def _load_all(self) -> None:
        for kid in list(self._deferred):
            self._load(kid)


def _identity(key: TrustedKey) -> tuple[bytes, bytes]:
    spki = key.public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return key.kid, spki


def _der(anchor: Anchor) -> bytes:
    return anchor.certificate.public_bytes(Encoding.DER)


def _describe(key: TrustedKey) -> str:
    where = f" {key.country}" if key.country else ""
    return f"{key.source}{where} kid {key.kid.hex()}"


def _issuer_batch(issuers: ShcIssuers) -> ImportBatch:
    """The keys of SMART Health Card issuers, each bound to its issuer URL."""
    revoking = [issuer.iss for issuer in issuers if issuer.crls]
    if revoking:
        raise TrustStoreError(
            f"{', '.join(revoking)}: revocation lists come with this issuer, and a trust store "
            "cannot apply them; load it with trust.verifier.load_verifier_trust instead"
        )
    skipped = [Skipped(*_source_and_reason(problem)) for problem in issuers.skipped]
    return ImportBatch(keys=issuers.trusted_keys(), skipped=skipped)


def _source_and_reason(problem: str) -> tuple[str, str]:
    source, _, reason = problem.partition(": ")
    return (source, reason) if reason else ("SMART Health Cards", problem)


def load_trust(
    paths: Iterable[str | Path],
    *,
    issuer_url: str | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> TrustStore:
    """A trust store from certificate files, EU lists, DID trust lists, JWKS files and
    directories of them.

    All sources are read before any key is accepted, so a CSCA applies to every listed DSC of
    its country whatever the order of the paths. TrustStoreError when a named file is unusable
    (or a DID trust list's proof does not verify with ``did_signers``, when given).
    """
    store = TrustStore()
    batches = (import_path(path, issuer_url=issuer_url, did_signers=did_signers) for path in paths)
    store.add_batch(merge(batches))
    return store
