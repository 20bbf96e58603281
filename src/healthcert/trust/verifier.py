"""What a verifier trusts, from the sources a person names: keys by kid and issuers by URL.

A ``--trust`` value is a SMART Health Card issuer binding (``https://issuer=jwks.json``), a
VCI directory snapshot, or any source the trust store reads (certificates, EU trust lists,
JWKS, directories). With no sources, the local trust store is used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from healthcert.errors import ConfigurationError
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.trust.did_proof import ProofSigner
from healthcert.trust.local import load_local_trust
from healthcert.trust.specs import load_issuers, sort_specs
from healthcert.trust.store import TrustStore, load_trust


@dataclass(frozen=True, slots=True)
class VerifierTrust:
    store: TrustStore
    shc_issuers: ShcIssuers | None = None


def load_verifier_trust(
    specs: Iterable[str],
    countries: Mapping[str, str] | None = None,
    did_signers: Sequence[ProofSigner] = (),
) -> VerifierTrust:
    """Sort the sources by kind and load each; TrustStoreError names a source that fails.

    ``countries`` gives SMART Health Card issuers (by exact URL) the country their cards do
    not carry; each issuer must be among the trusted ones, bound or in the trust store.
    ``did_signers`` check the proof of DID trust lists among the sources.
    """
    bindings, directories, paths = sort_specs(list(specs))
    named = paths or bindings or directories
    store = load_trust(paths, did_signers=did_signers) if named else load_local_trust()
    issuers = load_issuers(bindings, directories) if bindings or directories else None
    if countries:
        issuers = _set_countries(countries, issuers, store)
    return VerifierTrust(store, issuers)


def _set_countries(
    countries: Mapping[str, str], issuers: ShcIssuers | None, store: TrustStore
) -> ShcIssuers:
    """Give each issuer its country. An issuer known only by keys of the trust store (their
    ``issuer_url``) becomes a bound issuer with those keys, which then carry its country."""
    target = issuers if issuers is not None else ShcIssuers()
    unbound = [iss for iss in countries if iss not in target]
    held = [key for key in store if key.issuer_url in unbound] if unbound else []
    for iss, country in countries.items():
        if iss not in unbound:
            target.add_issuer(iss, country=country)
            continue
        added = [
            target.add_trusted_key(key, country=country) for key in held if key.issuer_url == iss
        ]
        if not any(added):
            # The trust sources are fine; the invocation names an issuer they do not hold.
            raise ConfigurationError(
                f"a country is given for {iss}, but no trusted source holds a key of it"
            )
    return target
