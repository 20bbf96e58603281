"""Identity that cannot be hijacked: a person is document type, issuing country, number and date
of birth; codes go only to the contact an identity source gave; a changed contact is announced
to the old one; records are keyed by the sending key's id; labels are unique."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from healthcert.database.tables import OutboxMessage
from tests.service import samples
from tests.service.helpers import ask_code, give_contact, identity_of

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
LAB_PHONE = "+15550001111"


def _messages_since(ctx: ServiceContext, last_id: int) -> list[OutboxMessage]:
    with ctx.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.id > last_id).order_by(OutboxMessage.id)
        return list(session.scalars(query))


def _last_message_id(ctx: ServiceContext) -> int:
    from sqlalchemy import func

    with ctx.sessions() as session:
        return int(session.scalar(select(func.max(OutboxMessage.id))) or 0)


def _new_key(client: TestClient, keys: Keys, role: str, **extra: Any) -> dict[str, str]:
    body = {"role": role, "label": f"{role} {secrets.token_hex(4)}", **extra}
    answer = client.post("/api/v1/admin/api-keys", json=body, headers=keys["admin"])
    assert answer.status_code == 201, answer.text
    assert answer.json()["identity_source"] is bool(extra.get("identity_source"))
    return {"X-API-Key": answer.json()["key"]}


def test_a_laboratory_cannot_take_over_a_holders_sign_in(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    victim = samples.holder(contact=None)
    give_contact(client, keys, victim, "victim@example.org")
    # Another laboratory reports a record with the victim's document and its own phone.
    rogue_lab = _new_key(client, keys, "recorder")
    hijack = samples.record(**{**victim, "contact": LAB_PHONE})
    assert client.post("/api/v1/records", json=hijack, headers=rogue_lab).status_code == 201
    # Nor may it set the contact itself: it is no identity source.
    body = {**identity_of(victim), "contact": LAB_PHONE}
    refused = client.put("/api/v1/identity/contact", json=body, headers=rogue_lab)
    assert refused.status_code == 403
    before = _last_message_id(ctx)
    ask_code(ctx, victim)
    sent = _messages_since(ctx, before)
    assert [(m.channel, m.recipient) for m in sent] == [("email", "victim@example.org")]
    assert "sign-in code" in sent[0].body


def test_a_record_contact_alone_reaches_no_one(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    record = samples.record(contact=LAB_PHONE)
    assert client.post("/api/v1/records", json=record, headers=keys["recorder"]).status_code == 201
    before = _last_message_id(ctx)
    ask_code(ctx, record["holder"])
    assert _messages_since(ctx, before) == []


def test_a_changed_contact_is_announced_to_the_old_one(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    holder = samples.holder()
    give_contact(client, keys, holder, "old@example.org")
    before = _last_message_id(ctx)
    give_contact(client, keys, holder, "+86 138 0000 0001")
    [notice] = _messages_since(ctx, before)
    assert (notice.channel, notice.recipient) == ("email", "old@example.org")
    assert "changed" in notice.body and "test passport office" in notice.body
    assert "8613800000001" not in notice.body  # the new contact is not told to the old one
    # The same contact again changes nothing and announces nothing.
    before = _last_message_id(ctx)
    give_contact(client, keys, holder, "+8613800000001")
    assert _messages_since(ctx, before) == []
    ask_code(ctx, holder)
    [code] = _messages_since(ctx, before)
    assert (code.channel, code.recipient) == ("sms", "+8613800000001")


def test_a_contact_must_be_an_email_address_or_an_e164_number(
    client: TestClient, keys: Keys
) -> None:
    body = {**identity_of(samples.holder()), "contact": "call me maybe"}
    answer = client.put("/api/v1/identity/contact", json=body, headers=keys["identity"])
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "contact"


def test_the_issuing_country_and_document_type_tell_people_apart(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    number = f"E{secrets.token_hex(4).upper()}"
    chinese = samples.holder(number, issuing_country="CN")
    german = samples.holder(number, issuing_country="DE")
    for holder in (chinese, german):
        record = {**samples.record(), "holder": holder}
        assert (
            client.post("/api/v1/records", json=record, headers=keys["recorder"]).status_code == 201
        )
    give_contact(client, keys, german, "de@example.org")
    before = _last_message_id(ctx)
    ask_code(ctx, chinese)
    ask_code(ctx, {**german, "document_type": "id-card"})
    assert _messages_since(ctx, before) == []  # neither the CN passport nor a DE id-card
    ask_code(ctx, german)
    [code] = _messages_since(ctx, before)
    assert code.recipient == "de@example.org"
    found = client.get("/api/v1/records", params=identity_of(german), headers=keys["issuer"]).json()
    assert [r["holder"]["issuing_country"] for r in found] == ["DE"]


def test_a_sign_in_needs_the_whole_identity(client: TestClient) -> None:
    answer = client.post(
        "/api/v1/holder/sign-in",
        json={"document_number": "E1", "date_of_birth": "1985-07-21", "issuing_country": "ZZ"},
    )
    assert answer.status_code == 422
    fields = {problem["field"] for problem in answer.json()["errors"]}
    assert {"document_type", "issuing_country"} <= fields


def test_records_are_keyed_by_the_senders_key_not_its_label(client: TestClient, keys: Keys) -> None:
    first, second = _new_key(client, keys, "recorder"), _new_key(client, keys, "recorder")
    record_id = f"shared-{secrets.token_hex(4)}"
    mine = {**samples.record(), "record_id": record_id}
    theirs = {**samples.record(), "record_id": record_id}
    stored = [
        client.post("/api/v1/records", json=mine, headers=first),
        client.post("/api/v1/records", json=theirs, headers=second),
    ]
    assert [answer.status_code for answer in stored] == [201, 201]
    assert stored[0].json()["id"] != stored[1].json()["id"]
    again = client.post("/api/v1/records", json=theirs, headers=second)
    assert again.status_code == 200 and again.json()["id"] == stored[1].json()["id"]
    assert client.post("/api/v1/records", json=theirs, headers=first).status_code == 409


def test_labels_are_unique(client: TestClient, keys: Keys) -> None:
    label = f"Lab {secrets.token_hex(4)}"
    body = {"role": "recorder", "label": label}
    assert (
        client.post("/api/v1/admin/api-keys", json=body, headers=keys["admin"]).status_code == 201
    )
    again = client.post(
        "/api/v1/admin/api-keys", json={**body, "role": "issuer"}, headers=keys["admin"]
    )
    assert again.status_code == 409
    assert "taken" in again.json()["detail"]
