"""Trust in SMART Health Card issuers: each issuer URL bound to its own keys and revocation lists.

A card names its issuer (``iss``) and its key (``kid``); it is verified only with a key that was
trusted *for that issuer*, the URL matched exactly (scheme, host and path, no trailing-slash or
http/https leniency). Trust comes in two shapes:

- a JWKS bound to its issuer on the command line: ``https://issuer.example=jwks.json`` (the
  path may also be an issuer directory holding ``.well-known/jwks.json`` and
  ``.well-known/crl/<kid>.json``, as the issuer publishes them);
- a VCI directory snapshot: ``{"issuerInfo": [{"issuer": {"iss", "name"}, "keys": [...],
  "crls": [...]}]}``.

Cards name no country: an issuer's comes from the one who trusts it (``load_verifier_trust``'s
``countries``, the CLI's ``--trust-country ISS=CC``) or from a directory entry's
``issuer.country``, which the VCI format does not define but a curated snapshot may add.

Counts that real key sets write as text (``"crlVersion": "1"``, a CRL's ``ctr``) are read as
numbers when they are ASCII digits; coordinates one byte short or long are read as the number
they name (``codec.jws.jwk_coordinate``).

A key that breaks the framework's rules (not EC P-256 ES256 signing key, a private part, a
``kid`` that is not its RFC 7638 thumbprint) is skipped and the reason kept in ``skipped``;
a file that cannot be read at all raises TrustStoreError.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.codec import b64, jws
from healthcert.errors import TrustStoreError
from healthcert.model.kinds import ALL_KINDS
from healthcert.trust.entry import TrustedKey

MAX_TRUST_FILE_BYTES = 16 * 1024 * 1024
_RID = re.compile(r"[A-Za-z0-9_-]{1,24}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,9})?")
# A version or counter written as text: ASCII digits only (str.isdigit also takes "²" and "١").
_DIGITS = re.compile(r"[0-9]{1,15}")
_COUNTRY = re.compile(r"[A-Z]{2}")
_URL = re.compile(r"https?://[^\s=]+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ShcKey:
    """One issuer signing key: its thumbprint kid, the key, its CRL version and x5c chain."""

    kid: str
    public_key: ec.EllipticCurvePublicKey
    crl_version: int | None
    x5c: tuple[bytes, ...]
    trusted: TrustedKey


@dataclass(frozen=True, slots=True)
class RevocationList:
    """An issuer's card revocation list for one key (method ``rid``).

    ``rids`` maps each revoked rid to the time before which cards are revoked (seconds since
    the epoch), or to None when every card with that rid is revoked.
    """

    kid: str
    method: str
    ctr: int
    rids: Mapping[str, float | None]

    def revokes(self, rid: str, nbf: float | None) -> bool:
        if rid not in self.rids:
            return False
        before = self.rids[rid]
        # A card without nbf cannot show that it was issued after the cut-off.
        return before is None or nbf is None or nbf < before


@dataclass(slots=True)
class ShcIssuer:
    """One trusted issuer URL, with its keys and revocation lists by kid."""

    iss: str
    name: str | None = None
    country: str | None = None
    keys: dict[str, ShcKey] = field(default_factory=dict)
    crls: dict[str, RevocationList] = field(default_factory=dict)


class ShcIssuers:
    """The SMART Health Card issuers a verifier trusts, by exact issuer URL."""

    def __init__(self) -> None:
        self._issuers: dict[str, ShcIssuer] = {}
        self.skipped: list[str] = []

    def __len__(self) -> int:
        return len(self._issuers)

    def __iter__(self) -> Iterator[ShcIssuer]:
        return iter(self._issuers.values())

    def __contains__(self, iss: object) -> bool:
        return iss in self._issuers

    def issuer(self, iss: str) -> ShcIssuer | None:
        """The issuer trusted under exactly this URL, or None."""
        return self._issuers.get(iss)

    def issuers_holding(self, kid: str) -> list[str]:
        """The trusted issuer URLs that hold ``kid`` (to explain a card naming the wrong one)."""
        return [issuer.iss for issuer in self._issuers.values() if kid in issuer.keys]

    def trusted_keys(self) -> list[TrustedKey]:
        """Every key as a TrustedKey (``issuer_url`` set), for a trust store to list."""
        return [
            dataclasses.replace(key.trusted, country=issuer.country, subject=issuer.name)
            for issuer in self._issuers.values()
            for key in issuer.keys.values()
        ]

    def add_issuer(
        self, iss: str, *, name: str | None = None, country: str | None = None
    ) -> ShcIssuer:
        """The issuer entry for ``iss``, created if new; a given name or country is recorded."""
        if not _URL.fullmatch(iss):
            raise TrustStoreError(f"{iss!r} is not an http(s) issuer URL")
        issuer = self._issuers.setdefault(iss, ShcIssuer(iss))
        issuer.name = name or issuer.name
        issuer.country = issuer_country(country) if country else issuer.country
        return issuer

    def add_jwks(
        self,
        iss: str,
        jwks: Any,
        *,
        name: str | None = None,
        country: str | None = None,
        source: str = "jwks",
    ) -> ShcIssuer:
        """Trust the signing keys of a JWKS (``{"keys": [...]}``) for the issuer ``iss``."""
        keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
        if not isinstance(keys, list):
            raise TrustStoreError(f"{source}: a JWKS is an object with a 'keys' array")
        issuer = self.add_issuer(iss, name=name, country=country)
        for jwk in keys:
            self._add_key(issuer, jwk, source)
        return issuer

    def add_trusted_key(self, key: TrustedKey, *, country: str | None = None) -> bool:
        """Trust a key of a trust store for its ``issuer_url``; False for a key that cannot
        sign a card (not EC, or bound to no issuer)."""
        if key.issuer_url is None or not isinstance(key.public_key, ec.EllipticCurvePublicKey):
            return False
        issuer = self.add_issuer(key.issuer_url, country=country)
        trusted = dataclasses.replace(key, country=issuer.country or key.country)
        kid = b64.urlsafe_encode(key.kid)
        issuer.keys[kid] = ShcKey(kid, key.public_key, None, (), trusted)
        return True

    def add_crl(self, iss: str, crl: Any, *, source: str = "crl") -> None:
        """Add an issuer's revocation list; of two for one kid, the higher ``ctr`` wins."""
        issuer = self.add_issuer(iss)
        parsed = _parse_crl(crl, source, self.skipped)
        if parsed is None:
            return
        known = issuer.crls.get(parsed.kid)
        if known is None or parsed.ctr >= known.ctr:
            issuer.crls[parsed.kid] = parsed

    def add_vci_directory(self, document: Any, *, source: str = "vci-directory") -> int:
        """Trust every issuer of a VCI directory snapshot; returns how many were read."""
        entries = document.get("issuerInfo") if isinstance(document, Mapping) else None
        if not isinstance(entries, list):
            raise TrustStoreError(f"{source}: a VCI directory has an 'issuerInfo' array")
        count = 0
        for position, entry in enumerate(entries):
            count += self._add_directory_entry(entry, f"{source}#{position}")
        return count

    def _add_directory_entry(self, entry: Any, source: str) -> int:
        info = entry.get("issuer") if isinstance(entry, Mapping) else None
        if not isinstance(info, Mapping) or not _URL.fullmatch(str(info.get("iss"))):
            self.skipped.append(f"{source}: no issuer URL ('issuer.iss')")
            return 0
        iss = str(info["iss"])
        name = info.get("name") if isinstance(info.get("name"), str) else None
        country = self._entry_country(info.get("country"), source)
        keys = self._entry_list(entry, "keys", source)
        self.add_jwks(iss, {"keys": keys}, name=name, country=country, source=source)
        for crl in self._entry_list(entry, "crls", source):
            self.add_crl(iss, crl, source=source)
        return 1

    def _entry_list(self, entry: Mapping[str, Any], name: str, source: str) -> list[Any]:
        """A directory entry's ``keys`` or ``crls``: absent or null is none, else an array."""
        value = entry.get(name)
        if value is None or isinstance(value, list):
            return value or []
        self.skipped.append(f"{source}: '{name}' is not an array; none of it was read")
        return []

    def _entry_country(self, value: Any, source: str) -> str | None:
        """The country a directory entry may add to its issuer (the VCI format names none)."""
        if value is None:
            return None
        try:
            return issuer_country(value)
        except TrustStoreError as error:
            self.skipped.append(f"{source}: {error}; the issuer is kept without a country")
            return None

    def _add_key(self, issuer: ShcIssuer, jwk: Any, source: str) -> None:
        try:
            key = _parse_key(issuer, jwk, source)
        except ValueError as error:
            kid = jwk.get("kid") if isinstance(jwk, Mapping) else None
            self.skipped.append(f"{source}: key {kid!r} of {issuer.iss} skipped: {error}")
            return
        issuer.keys[key.kid] = key


def issuer_country(value: object) -> str:
    """An issuer's ISO 3166-1 alpha-2 country, upper case; TrustStoreError otherwise."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not _COUNTRY.fullmatch(code):
        raise TrustStoreError(f"country {value!r} is not a two-letter ISO 3166 code")
    return code


def _parse_key(issuer: ShcIssuer, jwk: Any, source: str) -> ShcKey:
    if not isinstance(jwk, Mapping):
        raise ValueError("not a JSON object")
    _check_signing_jwk(jwk)
    public_key = jws.public_key_from_jwk(dict(jwk))
    kid = jwk.get("kid")
    thumbprint = jws.jwk_thumbprint(dict(jwk))
    # A key published with a short or long coordinate has two thumbprints: of the members as
    # written (what RFC 7638 hashes) and of the full-size form; issuers have used either.
    if kid not in (thumbprint, jws.jwk_thumbprint(jws.public_jwk(public_key))):
        raise ValueError(f"its kid is not its RFC 7638 thumbprint {thumbprint}")
    trusted = TrustedKey(
        kid=b64.urlsafe_decode(kid),
        public_key=public_key,
        source=source,
        types=ALL_KINDS,
        country=issuer.country,
        subject=issuer.name,
        issuer_url=issuer.iss,
    )
    return ShcKey(kid, public_key, _crl_version(jwk), _x5c(jwk), trusted)


def _check_signing_jwk(jwk: Mapping[str, Any]) -> None:
    if "d" in jwk:
        raise ValueError("it holds a private key ('d'); the issuer must publish public keys only")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ValueError("SMART Health Card keys are EC P-256")
    if jwk.get("use", "sig") != "sig" or jwk.get("alg", "ES256") != "ES256":
        raise ValueError("not an ES256 signing key (use 'sig', alg 'ES256')")


def _crl_version(jwk: Mapping[str, Any]) -> int | None:
    version = jwk.get("crlVersion")
    if version is None:
        return None
    number = _whole_number(version, "crlVersion")
    if number < 1:
        raise ValueError(f"crlVersion must be a positive integer, not {version!r}")
    return number


def _whole_number(value: Any, name: str) -> int:
    """A count that a key set or CRL gives as a JSON integer or as numeric text (``"1"``, as
    real issuers publish ``crlVersion``); ValueError naming ``name`` for anything else."""
    if isinstance(value, str) and _DIGITS.fullmatch(value):
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer or ASCII digits, not {value!r}")
    return value


def _x5c(jwk: Mapping[str, Any]) -> tuple[bytes, ...]:
    chain = jwk.get("x5c", [])
    if not isinstance(chain, list) or not all(isinstance(item, str) for item in chain):
        raise ValueError("x5c must be an array of base64 certificates")
    try:
        return tuple(b64.standard_decode(item) for item in chain)
    except b64.Base64Error as error:
        raise ValueError(f"x5c: {error}") from None


def _parse_crl(crl: Any, source: str, skipped: list[str]) -> RevocationList | None:
    if not isinstance(crl, Mapping):
        skipped.append(f"{source}: a CRL is a JSON object")
        return None
    kid, method, ctr, rids = (crl.get(name) for name in ("kid", "method", "ctr", "rids"))
    if not isinstance(kid, str) or not isinstance(rids, list):
        skipped.append(f"{source}: a CRL needs a 'kid' and a 'rids' array")
        return None
    if method != "rid":
        skipped.append(f"{source}: CRL method {method!r} is not supported (only 'rid')")
        return None
    try:
        counter = _whole_number(ctr, "ctr")
    except ValueError as error:
        skipped.append(f"{source}: CRL {error}")
        return None
    return RevocationList(kid, method, counter, _parse_rids(rids, source, skipped))


def _parse_rids(entries: list[Any], source: str, skipped: list[str]) -> dict[str, float | None]:
    rids: dict[str, float | None] = {}
    for entry in entries:
        rid, dot, stamp = str(entry).partition(".")
        well_formed = _RID.fullmatch(rid) and (not dot or _TIMESTAMP.fullmatch(stamp))
        if not isinstance(entry, str) or not well_formed:
            skipped.append(f"{source}: CRL entry {entry!r} is not a rid[.timestamp]")
            continue
        before = float(stamp) if dot else None
        if rid in rids:
            # Listed twice: the wider revocation holds (no timestamp revokes every card).
            known = rids[rid]
            before = None if known is None or before is None else max(known, before)
        rids[rid] = before
    return rids


# --- Reading trust from files ---------------------------------------------------------------


def is_issuer_binding(spec: str) -> bool:
    """Whether a ``--trust`` value binds a JWKS to an issuer: ``https://issuer=path``."""
    iss, sep, path = spec.partition("=")
    return bool(sep and path and _URL.fullmatch(iss))


def parse_issuer_binding(spec: str) -> tuple[str, Path]:
    """Split ``https://issuer.example=jwks.json`` into the issuer URL and the path."""
    if not is_issuer_binding(spec):
        raise TrustStoreError(f"{spec!r} is not of the form https://issuer.example=jwks.json")
    iss, _, path = spec.partition("=")
    return iss, Path(path)


def load_issuer_binding(spec: str, issuers: ShcIssuers | None = None) -> ShcIssuers:
    """Trust the JWKS (and CRLs, for an issuer directory) that ``spec`` binds to its issuer."""
    iss, path = parse_issuer_binding(spec)
    target = issuers if issuers is not None else ShcIssuers()
    if path.is_dir():
        _load_issuer_directory(target, iss, path)
    else:
        target.add_jwks(iss, read_json(path), source=str(path))
    return target


def load_vci_directory(path: Path, issuers: ShcIssuers | None = None) -> ShcIssuers:
    """Trust every issuer listed in a VCI directory snapshot file."""
    target = issuers if issuers is not None else ShcIssuers()
    target.add_vci_directory(read_json(path), source=str(path))
    return target


def is_vci_directory(document: Any) -> bool:
    return isinstance(document, Mapping) and isinstance(document.get("issuerInfo"), list)


def _load_issuer_directory(target: ShcIssuers, iss: str, root: Path) -> None:
    well_known = root / ".well-known" if (root / ".well-known").is_dir() else root
    jwks_path = well_known / "jwks.json"
    if not jwks_path.is_file():
        raise TrustStoreError(f"{root}: no .well-known/jwks.json in this issuer directory")
    target.add_jwks(iss, read_json(jwks_path), source=str(jwks_path))
    crl_dir = well_known / "crl"
    for crl_path in sorted(crl_dir.glob("*.json")) if crl_dir.is_dir() else []:
        target.add_crl(iss, read_json(crl_path), source=str(crl_path))


def read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_TRUST_FILE_BYTES:
            raise TrustStoreError(f"{path}: larger than {MAX_TRUST_FILE_BYTES} bytes")
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as error:
        raise TrustStoreError(f"{path}: {error.strerror or error}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise TrustStoreError(f"{path}: not JSON: {error}") from None
