"""Officers' page sessions live in the database: one opened through one instance holds on
another over the same database and ends on both; an idle one ends; a revoked key ends its
sessions; the form token comes from the session and no other. SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from healthcert.database.tables import PageSession as Row
from healthcert.service.context import utc_now
from healthcert.service.page_sessions import IDLE_SECONDS, Forbidden, PageSessions, _digest

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext

OFFICERS = frozenset({"officer", "admin"})


def _secret(keys: dict[str, dict[str, str]], role: str) -> str:
    return keys[role]["X-API-Key"]


def test_a_session_holds_on_another_instance_and_ends_on_both(
    ctx: ServiceContext, keys: dict[str, dict[str, str]]
) -> None:
    here, there = PageSessions(OFFICERS), PageSessions(OFFICERS)
    token, opened = here.open(ctx, _secret(keys, "officer"))
    found = there.resolve(ctx, token)
    assert found is not None
    assert found.actor.label == opened.actor.label == "officer:test officer"
    assert found.csrf == opened.csrf != token
    assert here.resolve(ctx, token + "x") is None
    there.close(ctx, token)
    assert here.resolve(ctx, token) is None


def test_an_idle_session_ends(ctx: ServiceContext, keys: dict[str, dict[str, str]]) -> None:
    sessions = PageSessions(OFFICERS)
    token, _ = sessions.open(ctx, _secret(keys, "officer"))
    with ctx.transaction() as session:
        session.execute(
            update(Row)
            .where(Row.token_hash == _digest(token))
            .values(seen_at=utc_now() - timedelta(seconds=IDLE_SECONDS + 1))
        )
    assert sessions.resolve(ctx, token) is None


def test_only_the_pages_roles_open_one(
    ctx: ServiceContext, keys: dict[str, dict[str, str]]
) -> None:
    with pytest.raises(Forbidden):
        PageSessions(OFFICERS).open(ctx, _secret(keys, "verifier"))
