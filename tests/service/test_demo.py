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
    identity = {"document_number": demo.DEMO_DOCUMENT, "date_of_birth": demo.DEMO_BIRTH}
    assert client.post("/api/v1/holder/sign-in", json=identity).status_code == 202
    code = re.search(r"sign-in code is (\d{6})", capsys.readouterr().out)
    assert code
    session = client.post("/api/v1/holder/session", json={**identity, "code": code.group(1)})
    assert session.status_code == 201
    auth = {"Authorization": f"Bearer {session.json()['token']}"}
    [record] = client.get("/api/v1/holder/records", headers=auth).json()
    assert record["holder"]["family_name"] == "王"
