"""Messages really delivered: e-mail to a real SMTP server (STARTTLS, AUTH), SMS to a real HTTP
gateway; the outbox worker retries with backoff, counts attempts, deletes what it delivered and
what it gave up; two instances never send one message twice; and no log names a contact or a
code."""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from healthcert.database.tables import OutboxMessage
from healthcert.service.delivery import DeliveryError
from healthcert.service.mail import SmtpSender, SmtpSettings
from healthcert.service.outbox import MAX_ATTEMPTS, backoff, deliver_due, senders_from_environment
from healthcert.service.sms import SmsGatewaySender, SmsSettings
from tests.service import samples
from tests.service.delivery_servers import (
    SMS_TOKEN,
    SMTP_PASSWORD,
    SMTP_USER,
    Gateway,
    Mailbox,
    sms_gateway,
    smtp_server,
)
from tests.service.helpers import ask_code, give_contact, identity_of

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
CODE = re.compile(r"sign-in code is (\d{6})")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Mailbox, Path]]:
    with smtp_server(tmp_path_factory.mktemp("smtp")) as running:
        yield running


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as running:
        yield running


def _environment(relay: tuple[int, Mailbox, Path], gateway: Gateway) -> dict[str, str]:
    port, _mailbox, ca_file = relay
    return {
        "HEALTHCERT_SMTP_HOST": "127.0.0.1",
        "HEALTHCERT_SMTP_PORT": str(port),
        "HEALTHCERT_SMTP_USER": SMTP_USER,
        "HEALTHCERT_SMTP_PASSWORD": SMTP_PASSWORD,
        "HEALTHCERT_SMTP_FROM": "no-reply@healthcert.example",
        "HEALTHCERT_SMTP_CA_FILE": str(ca_file),
        "HEALTHCERT_SMS_URL": gateway.url,
        "HEALTHCERT_SMS_TOKEN": SMS_TOKEN,
        "HEALTHCERT_SMS_FROM": "healthcert",
    }


def _phone() -> str:
    return f"+86139{secrets.randbelow(10**8):08d}"


def _email() -> str:
    return f"holder-{secrets.token_hex(4)}@example.org"


def test_smtp_delivers_over_starttls_with_auth(relay: tuple[int, Mailbox, Path]) -> None:
    port, mailbox, ca_file = relay
    settings = SmtpSettings.from_environment(
        {
            "HEALTHCERT_SMTP_HOST": "127.0.0.1",
            "HEALTHCERT_SMTP_PORT": str(port),
            "HEALTHCERT_SMTP_USER": SMTP_USER,
            "HEALTHCERT_SMTP_PASSWORD": SMTP_PASSWORD,
            "HEALTHCERT_SMTP_FROM": "no-reply@healthcert.example",
            "HEALTHCERT_SMTP_CA_FILE": str(ca_file),
        }
    )
    assert settings is not None and settings.security == "starttls"
    address = _email()
    SmtpSender(settings).deliver(address, "Your healthcert sign-in code is 123456.")
    [message] = [m for m in mailbox.messages if m["To"] == address]
    assert message["From"] == "no-reply@healthcert.example"
    assert message["Subject"] == "healthcert"
    assert "123456" in message.get_payload()
    assert SMTP_USER in mailbox.logins


def test_smtp_failures_say_why_without_the_address(relay: tuple[int, Mailbox, Path]) -> None:
    port, _mailbox, ca_file = relay
    address = _email()
    wrong = SmtpSettings(
        "127.0.0.1", "a@b.example", port, "starttls", SMTP_USER, "wrong", str(ca_file)
    )
    with pytest.raises(DeliveryError) as refused:
        SmtpSender(wrong).deliver(address, "x")
    # The relay answers 535 and, as some do, then drops the connection: either way, refused.
    assert str(refused.value) in ("SMTP 535", "SMTP SMTPServerDisconnected")
    untrusted = SmtpSettings("127.0.0.1", "a@b.example", port, "starttls", SMTP_USER, SMTP_PASSWORD)
    with pytest.raises(DeliveryError) as unverified:
        SmtpSender(untrusted).deliver(address, "x")
    assert str(unverified.value) == "SMTP SSLCertVerificationError"
    assert [m for m in _mailbox.messages if m["To"] == address] == []


def test_the_sms_gateway_gets_a_json_post_with_the_bearer_token(gateway: Gateway) -> None:
    phone = _phone()
    settings = SmsSettings(gateway.url, SMS_TOKEN, "healthcert")
    SmsGatewaySender(settings).deliver(phone, "Your healthcert sign-in code is 654321.")
    assert [item for item in gateway.received if item["to"] == phone] == [
        {"to": phone, "text": "Your healthcert sign-in code is 654321.", "from": "healthcert"}
    ]
    with pytest.raises(DeliveryError, match=r"^SMS gateway HTTP 401$"):
        SmsGatewaySender(SmsSettings(gateway.url, "wrong")).deliver(phone, "x")


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="https"):
        SmsSettings.from_environment(
            {"HEALTHCERT_SMS_URL": "http://sms.example/send", "HEALTHCERT_SMS_TOKEN": "t"}
        )
    with pytest.raises(ValueError, match="HEALTHCERT_SMS_TOKEN"):
        SmsSettings.from_environment({"HEALTHCERT_SMS_URL": "https://sms.example/send"})
    with pytest.raises(ValueError, match="needs TLS"):
        SmtpSettings.from_environment(
            {
                "HEALTHCERT_SMTP_HOST": "relay",
                "HEALTHCERT_SMTP_FROM": "a@b.example",
                "HEALTHCERT_SMTP_SECURITY": "none",
                "HEALTHCERT_SMTP_USER": "u",
            }
        )
    with pytest.raises(ValueError, match="HEALTHCERT_SMTP_PORT"):
        SmtpSettings.from_environment(
            {
                "HEALTHCERT_SMTP_HOST": "r",
                "HEALTHCERT_SMTP_FROM": "a@b.c",
                "HEALTHCERT_SMTP_PORT": "x",
            }
        )
    assert senders_from_environment({}) == {}


def test_codes_reach_the_holder_by_email_and_sms_and_open_a_session(
    client: TestClient,
    keys: Keys,
    ctx: ServiceContext,
    relay: tuple[int, Mailbox, Path],
    gateway: Gateway,
) -> None:
    senders = senders_from_environment(_environment(relay, gateway))
    by_mail, by_sms = samples.holder(), samples.holder()
    address, phone = _email(), _phone()
    give_contact(client, keys, by_mail, address)
    give_contact(client, keys, by_sms, phone)
    for holder in (by_mail, by_sms):
        ask_code(ctx, holder)
    delivered = 0
    for _ in range(50):  # the session's other tests may have queued more than a pass takes
        done = deliver_due(ctx, senders)
        assert done.failed == 0
        delivered += done.delivered
        if not done.delivered:
            break
    assert delivered >= 2
    [mail] = [m for m in relay[1].messages if m["To"] == address]
    [text] = gateway.texts_to(phone)
    for holder, body in ((by_mail, mail.get_payload()), (by_sms, text)):
        code = CODE.search(body)
        assert code, body
        body_in = {**identity_of(holder), "code": code.group(1)}
        assert client.post("/api/v1/holder/session", json=body_in).status_code == 201
    with ctx.sessions() as session:
        left = session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.recipient.in_([address, phone]))
        ).all()
    assert left == []  # deleted once delivered


def _message(ctx: ServiceContext, recipient: str) -> OutboxMessage | None:
    with ctx.sessions() as session:
        return session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == recipient))


def _queue(ctx: ServiceContext, client: TestClient, keys: Keys, phone: str) -> None:
    holder = samples.holder()
    give_contact(client, keys, holder, phone)
    ask_code(ctx, holder)


def test_a_failed_delivery_is_retried_with_exponential_backoff(
    client: TestClient,
    keys: Keys,
    ctx: ServiceContext,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone = _phone()
    gateway.failures[phone] = 2
    _queue(ctx, client, keys, phone)
    senders = {"sms": SmsGatewaySender(SmsSettings(gateway.url, SMS_TOKEN))}
    start = ctx.clock()
    expected = [(1, start + timedelta(seconds=30)), (2, start + timedelta(seconds=30 + 60))]
    at = start
    for attempts, next_at in expected:
        monkeypatch.setattr(ctx, "clock", lambda at=at: at)
        deliver_due(ctx, senders)
        message = _message(ctx, phone)
        assert message is not None
        assert (message.attempts, message.last_error) == (attempts, "SMS gateway HTTP 503")
        assert message.next_attempt_at == next_at
        # Not due before its time: a pass now tries nothing.
        deliver_due(ctx, senders)
        assert _message(ctx, phone) is not None and gateway.texts_to(phone) == []
        at = next_at
    monkeypatch.setattr(ctx, "clock", lambda: at)
    deliver_due(ctx, senders)
    assert _message(ctx, phone) is None
    assert len(gateway.texts_to(phone)) == 1
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]


def test_a_message_is_given_up_after_its_last_attempt(
    client: TestClient,
    keys: Keys,
    ctx: ServiceContext,
    gateway: Gateway,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    phone = _phone()
    gateway.failures[phone] = MAX_ATTEMPTS + 5
    _queue(ctx, client, keys, phone)
    senders = {"sms": SmsGatewaySender(SmsSettings(gateway.url, SMS_TOKEN))}
    at = ctx.clock()
    with caplog.at_level(logging.INFO, logger="healthcert"):
        for _ in range(MAX_ATTEMPTS):
            monkeypatch.setattr(ctx, "clock", lambda at=at: at)
            deliver_due(ctx, senders)
            at += timedelta(hours=1)
    assert _message(ctx, phone) is None
    assert gateway.failures[phone] == 5  # tried exactly MAX_ATTEMPTS times
    given_up = [r for r in caplog.records if r.getMessage() == "message given up"]
    assert len(given_up) == 1 and given_up[0].attempts == MAX_ATTEMPTS  # type: ignore[attr-defined]


def test_two_instances_deliver_a_message_once(
    client: TestClient, keys: Keys, ctx: ServiceContext, gateway: Gateway
) -> None:
    phones = [_phone() for _ in range(3)]
    for phone in phones:
        _queue(ctx, client, keys, phone)
    senders = {"sms": SmsGatewaySender(SmsSettings(gateway.url, SMS_TOKEN))}
    gateway.delay = 0.05  # both passes see the same due messages while the first delivers
    try:
        passes = [threading.Thread(target=deliver_due, args=(ctx, senders)) for _ in range(2)]
        for thread in passes:
            thread.start()
        for thread in passes:
            thread.join()
    finally:
        gateway.delay = 0.0
    assert [len(gateway.texts_to(phone)) for phone in phones] == [1, 1, 1]


def test_no_log_names_a_contact_or_a_code(
    client: TestClient,
    keys: Keys,
    ctx: ServiceContext,
    relay: tuple[int, Mailbox, Path],
    gateway: Gateway,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healthcert.api.logs import JsonFormatter

    senders = senders_from_environment(_environment(relay, gateway))
    holder, address, phone = samples.holder(), _email(), _phone()
    gateway.failures[phone] = 1
    with caplog.at_level(logging.DEBUG):
        give_contact(client, keys, holder, address)
        give_contact(client, keys, holder, phone)  # announced to the old address
        ask_code(ctx, holder)
        deliver_due(ctx, senders)  # the notice is delivered, the code fails once
        later = ctx.clock() + timedelta(minutes=1)
        monkeypatch.setattr(ctx, "clock", lambda: later)
        deliver_due(ctx, senders)  # the retry delivers the code
        [text] = gateway.texts_to(phone)
        code = CODE.search(text)
        assert code
        body = {**identity_of(holder), "code": code.group(1)}
        assert client.post("/api/v1/holder/session", json=body).status_code == 201
    formatter = JsonFormatter()
    # Every logger of the process but the test's own SMTP server and HTTP client.
    ours = [r for r in caplog.records if r.name not in ("mail.log", "httpx")]
    logged = "\n".join(formatter.format(record) for record in ours)
    assert "message delivered" in logged and "message not delivered" in logged
    secrets_seen = [
        word
        for word in (address, phone, phone[1:], code.group(1), holder["document_number"])
        if word in logged
    ]
    assert secrets_seen == []


def test_outbox_deliver_runs_one_pass_from_the_command_line(
    tmp_path: Path, gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from healthcert.cli import app
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor
    from healthcert.service.contacts import Contact, set_contact
    from healthcert.service.context import open_context
    from healthcert.service.person import Person
    from healthcert.service.signin import request_code

    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    local = open_context(url)
    office = create_key(local, "recorder", "office", Actor("admin", "t"), identity_source=True)
    person, phone = Person("passport", "CN", "E1", "1985-07-21"), _phone()
    set_contact(local, person, Contact.parse(phone), Actor("recorder", "office", office.id))
    request_code(local, person, "127.0.0.1")
    local.engine.dispose()
    monkeypatch.setenv("HEALTHCERT_SMS_URL", gateway.url)
    monkeypatch.setenv("HEALTHCERT_SMS_TOKEN", SMS_TOKEN)
    for name in ("HEALTHCERT_SMTP_HOST",):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(app, ["outbox", "deliver", "--json", "--url", url])
    assert result.exit_code == 0, result.output
    assert '"delivered":1' in result.output
    assert len(gateway.texts_to(phone)) == 1
    monkeypatch.setenv("HEALTHCERT_SMS_URL", "http://sms.example/")
    refused = CliRunner().invoke(app, ["outbox", "deliver", "--url", url])
    assert refused.exit_code == 2 and "https" in refused.output
