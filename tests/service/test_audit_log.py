"""The audit log is append-only, enforced by the database itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def test_rows_cannot_be_updated_or_deleted(
    ctx: ServiceContext, keys: dict[str, dict[str, str]]
) -> None:
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError), ctx.transaction() as session:
            session.execute(text(statement))
    with ctx.sessions() as session:
        assert session.scalar(text("SELECT count(*) FROM audit_events")) >= len(keys)


def test_admin_reads_the_log_and_others_may_not(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    # The newest 1,000: the session's other tests write events to the same database too.
    params = {"limit": 1000}
    events = client.get("/api/v1/admin/audit", params=params, headers=keys["admin"]).json()
    assert {"apikey.create"} <= {event["action"] for event in events}
    assert client.get("/api/v1/admin/audit", headers=keys["issuer"]).status_code == 403


def test_the_log_is_filtered_and_bounded(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    url = "/api/v1/admin/audit"
    one = client.get(url, params={"limit": 1, "action": "apikey.create"}, headers=keys["admin"])
    assert [event["action"] for event in one.json()] == ["apikey.create"]
    assert client.get(url, params={"limit": 0}, headers=keys["admin"]).status_code == 422
