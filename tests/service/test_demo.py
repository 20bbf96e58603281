"""``healthcert serve --demo``: keys, the demo holder's record, and the code in the terminal."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def test_the_demo_holder_signs_in_with_the_code_printed(
    ctx: ServiceContext,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healthcert.service import demo

    monkeypatch.setattr(ctx, "notifier", ctx.notifier)  # set_up swaps it; restore after
    demo.set_up(ctx, "127.0.0.1", 8000)
    printed = capsys.readouterr().out
    recorder = re.search(r"recorder\s+(hck_\S+)", printed)
    assert recorder and "/api/v1/docs" in printed
    identity = {
        "document_type": "passport",
        "issuing_country": demo.DEMO_COUNTRY,
        "document_number": demo.DEMO_DOCUMENT,
        "date_of_birth": demo.DEMO_BIRTH,
    }
    assert client.post("/api/v1/holder/sign-in", json=identity).status_code == 202
    code = re.search(r"sign-in code is (\d{6})", capsys.readouterr().out)
    assert code
    session = client.post("/api/v1/holder/session", json={**identity, "code": code.group(1)})
    assert session.status_code == 201
    auth = {"Authorization": f"Bearer {session.json()['token']}"}
    [record] = client.get("/api/v1/holder/records", headers=auth).json()
    assert record["holder"]["family_name"] == "王"


def test_the_demo_post_finds_the_demo_declaration_in_its_queue(
    ctx: ServiceContext,
    client: TestClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from healthcert.service import demo

    monkeypatch.setattr(ctx, "notifier", ctx.notifier)
    demo.set_up(ctx, "127.0.0.1", 8000)
    printed = capsys.readouterr().out
    officer = re.search(r"officer\s+(hck_\S+)\s+\(the post for residents of US\)", printed)
    seeded = re.search(r"declaration (\d+) waits in the queue", printed)
    assert officer and seeded, printed
    headers = {"X-API-Key": officer.group(1)}
    queue = client.get("/api/v1/consular/declarations", headers=headers).json()
    assert int(seeded.group(1)) in [row["id"] for row in queue]
    found = client.get(f"/api/v1/consular/declarations/{seeded.group(1)}", headers=headers)
    assert found.json()["status"] == "submitted"
    assert found.json()["precheck"]["auto_approve"] is False
    # Set up again (a restart), the same declaration waits: it is filed once.
    demo.set_up(ctx, "127.0.0.1", 8000)
    assert f"declaration {seeded.group(1)} waits" in capsys.readouterr().out
