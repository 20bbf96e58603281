"""Holder sign-in through a real OpenID Connect provider (oidc-provider from npm, on Node, run
by the test on a free port): authorization code with PKCE, state and nonce; the ID token checked
against the provider's JWKS; the eID's claims mapped to the person by configuration. Skipped,
with the reason, when node or npm is missing or the package cannot be installed."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import orjson
import pytest
from sqlalchemy import update

from healthcert.database.tables import OidcLogin
from healthcert.service.errors import Unauthorised
from healthcert.service.oidc import OidcProvider, OidcSettings, person_from_claims, verified_claims
from tests.service import samples
from tests.service.delivery_servers import free_port

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "oidc-provider@9.13.3"
INSTALLED = ROOT / "build" / "oidc-provider"
MODULE = INSTALLED / "node_modules" / "oidc-provider" / "lib" / "index.js"
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
REDIRECT_URI = "http://127.0.0.1:8000/api/v1/holder/oidc/callback"
CLIENT_ID, CLIENT_SECRET = "healthcert", secrets.token_urlsafe(24)
NUMBER = f"L{secrets.token_hex(4).upper()}"
ACCOUNT = {
    "sub": "citizen-1",
    "birthdate": "1979-12-24",
    "document": {"type": "id-card", "country": "DE", "number": NUMBER},
}
CLAIMS = {
    "document_type": "document.type",
    "issuing_country": "document.country",
    "document_number": "document.number",
    "date_of_birth": "birthdate",
}


def _installed() -> str | None:
    """None once the package is there, else why it cannot be."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "the OpenID Connect provider needs node and npm (apt-get install nodejs npm)"
    if MODULE.is_file():
        return None
    INSTALLED.mkdir(parents=True, exist_ok=True)
    command = [
        "npm",
        "install",
        "--silent",
        "--no-audit",
        "--no-fund",
        "--prefix",
        str(INSTALLED),
        PACKAGE,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not MODULE.is_file():
        return f"npm could not install {PACKAGE}: {done.stderr.strip()[:300]}"
    return None


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    reason = _installed()
    if reason:
        pytest.skip(reason)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "OIDC_PROVIDER_MODULE": str(MODULE),
        "PORT": str(port),
        "ISSUER": url,
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": REDIRECT_URI,
        "ACCOUNT": orjson.dumps(ACCOUNT).decode(),
        "NODE_ENV": "production",
    }
    process = subprocess.Popen(
        ["node", str(SCRIPT)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening" not in line:
            process.kill()
            errors = process.stderr.read() if process.stderr else ""
            raise AssertionError(f"the provider did not start: {line} {errors}")
        yield url
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def provider(issuer: str, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> OidcProvider:
    settings = OidcSettings.from_environment(
        {
            "HEALTHCERT_OIDC_ISSUER": issuer,
            "HEALTHCERT_OIDC_CLIENT_ID": CLIENT_ID,
            "HEALTHCERT_OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "HEALTHCERT_OIDC_REDIRECT_URI": REDIRECT_URI,
            "HEALTHCERT_OIDC_SCOPE": "openid eid",
            "HEALTHCERT_OIDC_CLAIMS": orjson.dumps(CLAIMS).decode(),
        }
    )
    assert settings is not None
    configured = OidcProvider(settings)
    monkeypatch.setattr(ctx, "oidc", configured)
    return configured


def _authorize(client: TestClient) -> str:
    """Start at the service, follow the provider's redirects as a browser would; the URL the
    provider sends the browser back to (the service's callback, with code and state)."""
    start = client.get("/api/v1/holder/oidc/start", follow_redirects=False)
    assert start.status_code == 302, start.text
    url = start.headers["location"]
    query = parse_qs(urlsplit(url).query)
    assert query["code_challenge_method"] == ["S256"] and query["nonce"] and query["state"]
    with httpx.Client() as browser:
        for _ in range(10):
            answer = browser.get(url, follow_redirects=False)
            assert answer.status_code in (302, 303), answer.text[:500]
            url = urljoin(url, answer.headers["location"])
            if url.startswith(REDIRECT_URI):
                return url
    raise AssertionError("the provider never sent the browser back")


def _callback(client: TestClient, url: str) -> Any:
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def test_a_holder_signs_in_with_the_national_eid(
    client: TestClient, keys: dict[str, dict[str, str]], provider: OidcProvider
) -> None:
    holder = samples.holder(
        NUMBER, issuing_country="DE", document_type="id-card", date_of_birth="1979-12-24"
    )
    record = {**samples.record(), "holder": holder}
    stored = client.post("/api/v1/records", json=record, headers=keys["recorder"])
    assert stored.status_code == 201
    back = _authorize(client)
    opened = _callback(client, back)
    assert opened.status_code == 201, opened.text
    auth = {"Authorization": f"Bearer {opened.json()['token']}"}
    mine = client.get("/api/v1/holder/records", headers=auth).json()
    assert [r["id"] for r in mine] == [stored.json()["id"]]
    # The callback is used once: the same code and state again are refused.
    assert _callback(client, back).status_code == 401


def test_a_code_with_another_sign_ins_state_fails_pkce(
    client: TestClient, provider: OidcProvider
) -> None:
    first = _authorize(client)
    second = _authorize(client)
    code = parse_qs(urlsplit(first).query)["code"][0]
    state = parse_qs(urlsplit(second).query)["state"][0]
    crossed = client.get("/api/v1/holder/oidc/callback", params={"code": code, "state": state})
    assert crossed.status_code == 401
    assert "refused" in crossed.json()["detail"]


def test_an_id_token_with_another_nonce_is_refused(
    client: TestClient, ctx: ServiceContext, provider: OidcProvider
) -> None:
    back = _authorize(client)
    with ctx.transaction() as session:  # as if the token answered another sign-in
        session.execute(update(OidcLogin).values(nonce="another"))
    refused = _callback(client, back)
    assert refused.status_code == 401
    assert "nonce" in refused.json()["detail"]


def test_an_id_token_signed_by_another_key_is_refused(provider: OidcProvider) -> None:
    import time

    from joserfc import jwt
    from joserfc.jwk import ECKey

    kid = provider.keys().keys[0].kid
    now = int(time.time())
    claims = {
        "iss": provider.settings.issuer,
        "aud": CLIENT_ID,
        "sub": "citizen-1",
        "iat": now,
        "exp": now + 300,
        "nonce": "n",
        **ACCOUNT,
    }
    forged = jwt.encode({"alg": "ES256", "kid": kid}, claims, ECKey.generate_key("P-256"))
    with pytest.raises(Unauthorised, match="does not verify"):
        verified_claims(provider, forged, "n")


def test_a_refusal_at_the_provider_and_an_unknown_state_are_401(
    client: TestClient, provider: OidcProvider
) -> None:
    denied = client.get(
        "/api/v1/holder/oidc/callback", params={"error": "access_denied", "state": "x"}
    )
    assert denied.status_code == 401
    unknown = client.get("/api/v1/holder/oidc/callback", params={"code": "c", "state": "never"})
    assert unknown.status_code == 401 and "start again" in unknown.json()["detail"]


def test_claims_that_do_not_make_a_person_are_named() -> None:
    with pytest.raises(Unauthorised, match="document_number, issuing_country"):
        person_from_claims({"birthdate": "1979-12-24", "document": {"type": "id-card"}}, CLAIMS)
    fixed = {**CLAIMS, "document_type": "=passport", "issuing_country": "=cn"}
    person = person_from_claims(ACCOUNT, fixed)
    assert (person.document_type, person.issuing_country, person.document_number) == (
        "passport",
        "CN",
        NUMBER,
    )


def test_without_a_provider_the_start_is_404(client: TestClient, ctx: ServiceContext) -> None:
    assert ctx.oidc is None
    assert client.get("/api/v1/holder/oidc/start", follow_redirects=False).status_code == 404


def test_oidc_settings_are_checked() -> None:
    base = {
        "HEALTHCERT_OIDC_ISSUER": "https://eid.example",
        "HEALTHCERT_OIDC_CLIENT_ID": "c",
        "HEALTHCERT_OIDC_CLIENT_SECRET": "s",
        "HEALTHCERT_OIDC_REDIRECT_URI": "https://service.example/api/v1/holder/oidc/callback",
    }
    assert OidcSettings.from_environment(base) is not None
    assert OidcSettings.from_environment({}) is None
    with pytest.raises(ValueError, match="https"):
        OidcSettings.from_environment({**base, "HEALTHCERT_OIDC_ISSUER": "http://eid.example"})
    with pytest.raises(ValueError, match="HEALTHCERT_OIDC_CLIENT_SECRET"):
        OidcSettings.from_environment({**base, "HEALTHCERT_OIDC_CLIENT_SECRET": ""})
    with pytest.raises(ValueError, match="HEALTHCERT_OIDC_CLAIMS"):
        OidcSettings.from_environment({**base, "HEALTHCERT_OIDC_CLAIMS": '{"document_type": "x"}'})
