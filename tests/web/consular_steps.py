"""What the consular page tests share: an officer of the US post, and travellers resident in
the US who file a declaration to China through the declarations API with a German EU DCC
(valid now) as evidence, and answer a request with a scanned document."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import TYPE_CHECKING, Any

from tests.rules.certs import CLOCK, Issuer, vaccination
from tests.service.declaration_steps import Traveller, body, traveller
from tests.web.conftest import Samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext

HOLDER_API = "/api/v1/holder/declarations"


@dataclass(frozen=True)
class Officers:
    """The US post's officer key, a GB post's, and the recorder's headers for travellers."""

    us_key: str
    us_key_id: int
    gb_key: str
    recorder: dict[str, str]


@dataclass(frozen=True)
class Filed:
    id: int
    person: Traveller


def make_officers(web_ctx: ServiceContext, samples: Samples) -> Officers:
    """The two posts' officers: made once per context (``conftest.officers``), as labels are
    unique."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "web tests")
    us = create_key(web_ctx, "officer", "Officer Li", operator, ["US"])
    return Officers(
        us_key=us.secret,
        us_key_id=us.id,
        gb_key=create_key(web_ctx, "officer", "Officer Brown", operator, ["GB"]).secret,
        recorder={"X-API-Key": samples.recorder_key},
    )


def current_dcc(issuer: Issuer) -> str:
    """A German vaccination certificate in force now: last dose 30 days ago, issued an hour
    ago (the service verifies at its own clock, the real one)."""
    now = datetime.now(UTC)
    days_before = 30 - (now.date() - CLOCK.date()).days
    return issuer.issue(vaccination(days_before=days_before), issued_at=now - timedelta(hours=1))


def file_declaration(
    client: TestClient, ctx: ServiceContext, officers: Officers, issuer: Issuer
) -> Filed:
    """A new traveller's declaration, with a German EU DCC, waiting in the US post's queue."""
    person = traveller(client, ctx, officers.recorder)
    document: dict[str, Any] = body(evidence=[{"payload": current_dcc(issuer)}])
    answer = client.post(HOLDER_API, json=document, headers=person.auth)
    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "submitted"
    return Filed(int(answer.json()["id"]), person)


def scanned_document() -> bytes:
    """A PNG picture, as a phone's scan of a paper test result would be."""
    from PIL import Image, ImageDraw

    picture = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(picture)
    draw.rectangle((10, 10, 470, 310), outline="black", width=4)
    draw.text((40, 60), "PCR test result: NEGATIVE", fill="black")
    draw.text((40, 100), "Sampled 2026-12-06, New York", fill="black")
    buffer = BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def answer_with_document(client: TestClient, filed: Filed) -> None:
    """The traveller answers the consulate's request with a scanned document."""
    files = {"file": ("scan.png", scanned_document(), "image/png")}
    url = f"{HOLDER_API}/{filed.id}/documents"
    answer = client.post(url, files=files, headers=filed.person.auth)
    assert answer.status_code == 201, answer.text
