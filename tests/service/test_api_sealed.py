"""Sealed certificates through the service, on SQLite and PostgreSQL: the verify endpoints open
those sealed for the deployment's border key (and show them minimally unless the full view is
asked for with a reason), answer SEALED with nothing of the person for the others; a holder
gets their certificate sealed for the destination of their trip, which that border opens."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from healthcert.codec.qr import image_bytes
from healthcert.database.tables import AuditEvent
from healthcert.keys.border import border_kid, border_public_key
from healthcert.service.demo import demo_declaration
from healthcert.service.person import Person
from healthcert.verification import verify
from tests.service.helpers import give_contact, identity_of, issued_certificate
from tests.service.sealed_world import SECRETS, World, make_world, world_context

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
FULL = {"view": "full", "reason": "secondary inspection"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("border-home"))


@pytest.fixture(scope="module")
def sealed_ctx(database_url: str, world: World) -> Iterator[ServiceContext]:
    context = world_context(database_url, world)
    yield context
    context.engine.dispose()


@pytest.fixture(scope="module")
def post(sealed_ctx: ServiceContext) -> Iterator[TestClient]:
    """The service of a CN border post: it holds CN's border key."""
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app

    with TestClient(create_app(sealed_ctx)) as test_client:
        yield test_client


def _no_person(document: Any) -> None:
    text = json.dumps(document, ensure_ascii=False)
    for secret in SECRETS:
        assert secret not in text, secret


def _plain(post: TestClient, keys: Keys) -> dict[str, Any]:
    """A certificate this service issued (signed by the CN DSC of the world)."""
    return issued_certificate(post, keys)


def test_a_certificate_sealed_for_this_border_opens_minimal_by_default(
    post: TestClient, keys: Keys, world: World
) -> None:
    sealed = world.seal_to(_plain(post, keys)["payload"], world.border)
    report = post.post("/api/v1/verify", json={"payload": sealed}, headers=keys["verifier"]).json()
    assert report["valid"] is True, report
    assert report["format"] == "eu-dcc" and report["checks"]["sealed"] is True
    assert report["view"] == "minimal" and report["payload"] is None
    assert set(report["certificate"]) == {"holder"}
    assert report["certificate"]["holder"]["family_name_latin"] == "WANG"
    assert "EU/1/20/1528" not in json.dumps(report)


def test_the_full_view_of_an_opened_certificate_needs_a_reason_and_shows_the_entry(
    post: TestClient, keys: Keys, world: World
) -> None:
    sealed = world.seal_to(_plain(post, keys)["payload"], world.border)
    body = {"payload": sealed, "view": "full"}
    assert post.post("/api/v1/verify", json=body, headers=keys["verifier"]).status_code == 422
    report = post.post(
        "/api/v1/verify", json={"payload": sealed, **FULL}, headers=keys["verifier"]
    ).json()
    assert report["valid"] is True and report["checks"]["sealed"] is True
    assert report["certificate"]["entry"]["product"] == "EU/1/20/1528"
    assert report["certificate"]["entry"]["dose_number"] == 2


@pytest.mark.parametrize("view", [{}, FULL])
def test_sealed_for_another_border_is_SEALED_and_tells_nothing_of_the_person(
    post: TestClient, keys: Keys, world: World, view: dict[str, str]
) -> None:
    sealed = world.seal_to(_plain(post, keys)["payload"], world.foreign)
    report = post.post(
        "/api/v1/verify", json={"payload": sealed, **view}, headers=keys["verifier"]
    ).json()
    assert report["valid"] is False and report["format"] == "sealed"
    assert [error["code"] for error in report["errors"]] == ["SEALED"]
    assert report["checks"]["sealed"] is False and report["certificate"] is None
    assert border_kid(border_public_key(world.foreign.certificate)).hex() in json.dumps(report)
    _no_person(report)


def test_a_batch_opens_what_is_sealed_here_and_refuses_the_rest(
    post: TestClient, keys: Keys, world: World
) -> None:
    payload = _plain(post, keys)["payload"]
    here, there = world.seal_to(payload, world.border), world.seal_to(payload, world.foreign)
    answer = post.post(
        "/api/v1/verify/batch", json={"payloads": [here, there, payload]}, headers=keys["verifier"]
    )
    assert answer.status_code == 200, answer.text
    opened, refused, bare = answer.json()["reports"]
    assert opened["valid"] is True and opened["checks"]["sealed"] is True
    assert opened["certificate"]["holder"]["family_name_latin"] == "WANG"
    assert refused["valid"] is False and refused["errors"][0]["code"] == "SEALED"
    _no_person(refused)
    assert bare["valid"] is True and "sealed" not in bare["checks"]


def test_the_image_endpoint_opens_a_sealed_qr_code(
    post: TestClient, keys: Keys, world: World
) -> None:
    payload = _plain(post, keys)["payload"]
    for border, valid in ((world.border, True), (world.foreign, False)):
        png = image_bytes(world.seal_to(payload, border), "png")
        answer = post.post(
            "/api/v1/verify/image",
            files={"image": ("sealed.png", png, "image/png")},
            headers=keys["verifier"],
        )
        assert answer.status_code == 200, answer.text
        [report] = answer.json()["reports"]
        assert report["valid"] is valid and report["checks"]["sealed"] is valid
        if not valid:
            _no_person(report)


# -- a holder's certificate sealed for their trip -------------------------------------------


def _signed_in(ctx: ServiceContext, holder: dict[str, Any]) -> dict[str, str]:
    """A session of ``holder``'s, opened through the use cases from an address of its own: the
    session's other tests keep the per-address limits of the test client's address."""
    from healthcert.service.signin import request_code, sign_in
    from tests.service.declaration_steps import last_code

    person = Person.of(*identity_of(holder).values())
    address = f"sealed-{holder['document_number']}"
    request_code(ctx, person, address)
    return {"Authorization": f"Bearer {sign_in(ctx, person, last_code(ctx), address).token}"}


def _holder(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext
) -> tuple[dict[str, str], dict[str, Any]]:
    """A signed-in holder and their own EU DCC."""
    from tests.service import samples

    record = samples.record()
    made = post.post("/api/v1/records", json=record, headers=keys["recorder"])
    assert made.status_code == 201, made.text
    give_contact(post, keys, record["holder"])
    auth = _signed_in(sealed_ctx, record["holder"])
    url = f"/api/v1/holder/records/{made.json()['id']}/certificates"
    issued = post.post(url, json={"format": "eu-dcc"}, headers=auth)
    assert issued.status_code == 201, issued.text
    return auth, issued.json()


def _declared_trip(sealed_ctx: ServiceContext, certificate: dict[str, Any], document: str) -> int:
    """The holder's declaration of a trip to CN (the demo's), its record as evidence."""
    from healthcert.declarations.filing import file_declaration

    person = Person.of("passport", "CN", document, "1985-07-21")
    body = demo_declaration(datetime.now(UTC), certificate["record"])
    return file_declaration(sealed_ctx, person, body).id


def _document_of(post: TestClient, auth: dict[str, str]) -> str:
    [record] = post.get("/api/v1/holder/records", headers=auth).json()
    return str(record["holder"]["document_number"])


def test_a_holder_gets_their_certificate_sealed_for_their_trips_destination(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext, world: World
) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    declaration = _declared_trip(sealed_ctx, certificate, _document_of(post, auth))
    url = f"/api/v1/holder/certificates/{certificate['id']}/sealed"
    made = post.post(url, json={"declaration_id": declaration}, headers=auth)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["payload"].startswith("HCS1:") and body["country"] == "CN"
    assert body["kid"] == border_kid(border_public_key(world.border.certificate)).hex()
    assert body["qr"].startswith("data:image/png;base64,")
    assert body["certificate_id"] == certificate["id"]
    assert body["expires"] <= certificate["expires_at"].replace("+00:00", "Z")
    # The destination's border opens it with its private key, and the issuer's trust holds.
    report = verify(body["payload"], trust=world.trust, unseal_keys=[world.border.private_key])
    assert report.valid, report.errors
    assert report.checks["sealed"] is True and report.format == "eu-dcc"
    assert report.certificate is not None
    assert report.certificate["holder"]["family_name_latin"] == "WANG"
    # Without it, nothing.
    assert verify(body["payload"], trust=world.trust).error_codes == ["SEALED"]
    # And the post that holds it opens it through its verify endpoint.
    opened = post.post(
        "/api/v1/verify", json={"payload": body["payload"]}, headers=keys["verifier"]
    )
    assert opened.json()["checks"]["sealed"] is True and opened.json()["valid"] is True


def test_a_country_given_instead_of_a_declaration(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext, world: World
) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    url = f"/api/v1/holder/certificates/{certificate['id']}/sealed"
    made = post.post(url, json={"country": "cn"}, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["country"] == "CN"
    for wrong in ({}, {"country": "CN", "declaration_id": 1}, {"country": "CHN"}, {"kid": "x"}):
        assert post.post(url, json=wrong, headers=auth).status_code == 422, wrong


def test_no_border_key_for_the_destination_is_409_naming_it(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext
) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    url = f"/api/v1/holder/certificates/{certificate['id']}/sealed"
    refused = post.post(url, json={"country": "FR"}, headers=auth)
    assert refused.status_code == 409
    assert "no border key of FR" in refused.json()["detail"]


def test_another_holders_certificate_or_declaration_is_not_found(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext
) -> None:
    theirs_auth, theirs = _holder(post, keys, sealed_ctx)
    their_trip = _declared_trip(sealed_ctx, theirs, _document_of(post, theirs_auth))
    mine_auth, mine = _holder(post, keys, sealed_ctx)
    other = f"/api/v1/holder/certificates/{theirs['id']}/sealed"
    assert post.post(other, json={"country": "CN"}, headers=mine_auth).status_code == 404
    assert post.post(other, json={"country": "CN"}).status_code == 401
    own = f"/api/v1/holder/certificates/{mine['id']}/sealed"
    answer = post.post(own, json={"declaration_id": their_trip}, headers=mine_auth)
    assert answer.status_code == 404


def test_a_revoked_certificate_is_not_sealed(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext
) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    revoked = post.post(
        f"/api/v1/certificates/{certificate['id']}/revoke",
        json={"reason": "issued in error"},
        headers=keys["issuer"],
    )
    assert revoked.status_code == 200, revoked.text
    url = f"/api/v1/holder/certificates/{certificate['id']}/sealed"
    refused = post.post(url, json={"country": "CN"}, headers=auth)
    assert refused.status_code == 409
    assert "REVOKED" in refused.text


def test_only_an_eu_dcc_is_sealed(post: TestClient, keys: Keys, sealed_ctx: ServiceContext) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    url = f"/api/v1/holder/records/{certificate['record']}/certificates"
    card = post.post(url, json={"format": "shc"}, headers=auth)
    assert card.status_code == 201, card.text
    sealed = f"/api/v1/holder/certificates/{card.json()['id']}/sealed"
    refused = post.post(sealed, json={"country": "CN"}, headers=auth)
    assert refused.status_code == 409
    assert "only an EU DCC can be sealed" in refused.json()["detail"]


def test_sealing_is_audited_without_the_person(
    post: TestClient, keys: Keys, sealed_ctx: ServiceContext
) -> None:
    auth, certificate = _holder(post, keys, sealed_ctx)
    url = f"/api/v1/holder/certificates/{certificate['id']}/sealed"
    made = post.post(url, json={"country": "CN"}, headers=auth).json()
    with sealed_ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "sealed.issue",
                AuditEvent.object_id == str(certificate["id"]),
            )
        ).all()
    [event] = events
    assert event.detail == {"country": "CN", "kid": made["kid"], "declaration": None}
    text = json.dumps([event.detail, event.actor], ensure_ascii=False)
    _no_person(text)
    assert "HCS1:" not in text and "HC1:" not in text
