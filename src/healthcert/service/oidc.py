"""Holder sign-in through an OpenID Connect provider (a national eID): the authorization code
flow with PKCE (S256), state and nonce, built with Authlib; the ID token's signature is checked
against the provider's JWKS (joserfc, Authlib's JOSE library), then its issuer, audience, times
and nonce. The identity claims become a person by the configured mapping.

Settings (environment): HEALTHCERT_OIDC_ISSUER (https; http only on this machine),
HEALTHCERT_OIDC_CLIENT_ID, HEALTHCERT_OIDC_CLIENT_SECRET, HEALTHCERT_OIDC_REDIRECT_URI (this
service's ``/api/v1/holder/oidc/callback`` as the provider knows it), HEALTHCERT_OIDC_SCOPE
("openid" and what the claims need) and HEALTHCERT_OIDC_CLAIMS: a JSON object from each of
document_type, issuing_country, document_number and date_of_birth to a claim name (dotted for
a nested claim, e.g. "document.number") or a fixed value after "=" (e.g. "=id-card").
"""

from __future__ import annotations

import hashlib
import ipaddress
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import orjson
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from pydantic import ValidationError
from sqlalchemy import delete

from healthcert.database.tables import OidcLogin
from healthcert.service import audit
from healthcert.service.errors import Unauthorised, Unavailable
from healthcert.service.person import IdentityIn, Person
from healthcert.service.signin import HolderSession, open_session

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

LOGIN_LIFETIME = timedelta(minutes=10)
METADATA_TTL = 3600.0
LEEWAY_SECONDS = 60
ALGORITHMS = ("RS256", "PS256", "ES256", "ES384", "EdDSA")
PERSON_FIELDS = ("document_type", "issuing_country", "document_number", "date_of_birth")
DEFAULT_CLAIMS = {
    "document_type": "document_type",
    "issuing_country": "issuing_country",
    "document_number": "document_number",
    "date_of_birth": "birthdate",
}


@dataclass(frozen=True, slots=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scope: str = "openid"
    claims: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CLAIMS))
    timeout: float = 10.0

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> OidcSettings | None:
        """The settings, None when HEALTHCERT_OIDC_ISSUER is unset; ValueError names a wrong
        one."""
        issuer = env.get("HEALTHCERT_OIDC_ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        _secure(issuer, "HEALTHCERT_OIDC_ISSUER")
        required = {
            name: env.get(name, "").strip()
            for name in (
                "HEALTHCERT_OIDC_CLIENT_ID",
                "HEALTHCERT_OIDC_CLIENT_SECRET",
                "HEALTHCERT_OIDC_REDIRECT_URI",
            )
        }
        missing = [name for name, value in required.items() if not value]
        if missing:
            raise ValueError(f"{', '.join(missing)} must be set with HEALTHCERT_OIDC_ISSUER")
        scope = env.get("HEALTHCERT_OIDC_SCOPE", "").strip() or "openid"
        if "openid" not in scope.split():
            raise ValueError("HEALTHCERT_OIDC_SCOPE must include openid")
        return cls(
            issuer=issuer,
            client_id=required["HEALTHCERT_OIDC_CLIENT_ID"],
            client_secret=required["HEALTHCERT_OIDC_CLIENT_SECRET"],
            redirect_uri=required["HEALTHCERT_OIDC_REDIRECT_URI"],
            scope=scope,
            claims=_claims(env.get("HEALTHCERT_OIDC_CLAIMS", "")),
        )


def _claims(text: str) -> dict[str, str]:
    if not text.strip():
        return dict(DEFAULT_CLAIMS)
    try:
        mapping = orjson.loads(text)
    except orjson.JSONDecodeError:
        mapping = None
    if (
        not isinstance(mapping, dict)
        or set(mapping) != set(PERSON_FIELDS)
        or not all(isinstance(value, str) and value for value in mapping.values())
    ):
        raise ValueError(
            "HEALTHCERT_OIDC_CLAIMS must be a JSON object naming a claim (or =value) for each of "
            + ", ".join(PERSON_FIELDS)
        )
    return mapping


def _secure(url: str, name: str) -> None:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and (host == "localhost" or _is_loopback(host)):
        return
    raise ValueError(f"{name} must be an https URL (http only to this machine)")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class OidcProvider:
    """The provider's endpoints and keys, read from its discovery document and kept an hour
    (the keys are read again at once when a token names a key not yet seen)."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: KeySet | None = None

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None or time.monotonic() - self._metadata[0] > METADATA_TTL:
                url = f"{self.settings.issuer}/.well-known/openid-configuration"
                document = self._get(url)
                if document.get("issuer") != self.settings.issuer:
                    raise Unavailable("the identity provider names another issuer")
                for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    _secure(str(document.get(endpoint) or ""), endpoint)
                self._metadata = (time.monotonic(), document)
                self._keys = None
            return self._metadata[1]

    def keys(self, *, fresh: bool = False) -> KeySet:
        jwks_uri = str(self.metadata()["jwks_uri"])
        with self._lock:
            if self._keys is None or fresh:
                self._keys = KeySet.import_key_set(self._get(jwks_uri))  # type: ignore[arg-type]
            return self._keys

    def _get(self, url: str) -> dict[str, Any]:
        try:
            answer = httpx.get(url, timeout=self.settings.timeout, follow_redirects=False)
            answer.raise_for_status()
            document = answer.json()
        except (httpx.HTTPError, ValueError):
            raise Unavailable("the identity provider could not be reached") from None
        if not isinstance(document, dict):
            raise Unavailable("the identity provider answered something else than JSON")
        return document

    def token(self, code: str, verifier: str) -> dict[str, Any]:
        """Exchange the code (client_secret_basic, with the PKCE verifier)."""
        settings = self.settings
        try:
            answer = httpx.post(
                str(self.metadata()["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": settings.redirect_uri,
                    "code_verifier": verifier,
                },
                auth=(settings.client_id, settings.client_secret),
                timeout=settings.timeout,
                follow_redirects=False,
            )
        except httpx.HTTPError:
            raise Unavailable("the identity provider could not be reached") from None
        if answer.status_code in (400, 401):
            raise Unauthorised("the identity provider refused the sign-in: start again")
        if answer.status_code != 200:
            raise Unavailable(f"the identity provider answered {answer.status_code}")
        document: dict[str, Any] = answer.json()
        return document


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def begin(ctx: ServiceContext, provider: OidcProvider) -> str:
    """Start a sign-in: the provider's authorization URL to send the holder's browser to."""
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    now = ctx.clock()
    endpoint = str(provider.metadata()["authorization_endpoint"])
    with ctx.transaction() as session:
        session.execute(delete(OidcLogin).where(OidcLogin.expires_at <= now))  # old, unfinished
        session.add(
            OidcLogin(
                state_hash=_digest(state),
                nonce=nonce,
                code_verifier=verifier,
                expires_at=now + LOGIN_LIFETIME,
            )
        )
    settings = provider.settings
    url: str = prepare_grant_uri(
        endpoint,
        settings.client_id,
        "code",
        redirect_uri=settings.redirect_uri,
        scope=settings.scope,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url


def finish(ctx: ServiceContext, provider: OidcProvider, code: str, state: str) -> HolderSession:
    """The provider sent the holder back with ``code``: exchange it, check the ID token, and
    open a session of the person it names. Unauthorised for an unknown, used or expired state,
    a refused code or an ID token that does not verify."""
    login = _take_login(ctx, state)
    tokens = provider.token(code, login.code_verifier)
    claims = verified_claims(provider, str(tokens.get("id_token") or ""), login.nonce)
    person = person_from_claims(claims, provider.settings.claims)
    now = ctx.clock()
    with ctx.transaction() as session:
        opened = open_session(session, person, now)
        actor = audit.Actor("holder", person.key[:16])
        audit.append(session, actor, "holder.sign_in", "person", person.key[:16], now, via="oidc")
    return opened


def _take_login(ctx: ServiceContext, state: str) -> OidcLogin:
    with ctx.transaction() as session:
        login = session.get(OidcLogin, _digest(state))
        if login is not None:
            session.delete(login)  # used once, whatever follows
    if login is None or login.expires_at <= ctx.clock():
        raise Unauthorised("this sign-in is unknown, used or expired: start again")
    return login


def verified_claims(provider: OidcProvider, id_token: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims once its signature (the provider's JWKS), issuer, audience, times
    and nonce are right; Unauthorised otherwise."""
    if not id_token:
        raise Unauthorised("the identity provider sent no ID token")
    try:
        token = _decode(provider, id_token)
    except JoseError as error:
        raise Unauthorised(f"the ID token does not verify: {error.error}") from None
    settings = provider.settings
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": settings.issuer},
        aud={"essential": True, "value": settings.client_id},
        exp={"essential": True},
        iat={"essential": True},
        nonce={"essential": True, "value": nonce},
        sub={"essential": True},
    )
    try:
        registry.validate(token.claims)
    except JoseError as error:
        why = error.description or error.error
        raise Unauthorised(f"the ID token is not for this sign-in: {why}") from None
    audience = token.claims.get("aud")
    several = isinstance(audience, list) and len(audience) > 1
    if several and token.claims.get("azp") != settings.client_id:
        raise Unauthorised("the ID token is not for this sign-in: azp")
    return dict(token.claims)


def _decode(provider: OidcProvider, id_token: str) -> jwt.Token:
    try:
        return jwt.decode(id_token, provider.keys(), algorithms=list(ALGORITHMS))
    except JoseError:
        # The provider may have rotated its keys since they were read: read them once more.
        return jwt.decode(id_token, provider.keys(fresh=True), algorithms=list(ALGORITHMS))


def person_from_claims(claims: Mapping[str, Any], mapping: Mapping[str, str]) -> Person:
    """The person the claims name, by ``mapping``; Unauthorised naming what does not fit."""
    values = {name: _claim(claims, mapping[name]) for name in PERSON_FIELDS}
    try:
        return IdentityIn.model_validate(values).person()
    except ValidationError as error:
        wrong = sorted({str(problem["loc"][0]) for problem in error.errors()})
        raise Unauthorised(
            f"the identity provider gave no usable {', '.join(wrong)}: see HEALTHCERT_OIDC_CLAIMS"
        ) from None


def _claim(claims: Mapping[str, Any], source: str) -> Any:
    if source.startswith("="):
        return source[1:]
    value: Any = claims
    for part in source.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value
