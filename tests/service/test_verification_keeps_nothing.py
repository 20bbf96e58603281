"""Verifying keeps nothing about the person verified: after 1,000 verifications through the
service (the API, its image route and the check page) every table holds the rows it held
before, and no log line names a holder, a date of birth, a document or a payload; the command
line writes nothing to its home and logs nothing about the people in its answers.

These are the privacy promise "the verifier keeps nothing" (docs/PRIVACY.md) held by tests.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from healthcert.database.tables import Base
from healthcert.issuance import IssueRequest, issue_many
from tests.rules.certs import CLOCK, Issuer, make_issuer, vaccination

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext

VERIFICATIONS = 1_000


def _letters(number: int) -> str:
    """``number`` in four letters A-Z: names may hold no digits (ICAO Doc 9303)."""
    return "".join(chr(ord("A") + number // 26**power % 26) for power in range(4))


def _people(count: int) -> list[dict[str, str]]:
    """Holders with names no other text in a report or a log could hold."""
    return [
        {
            "family_name": f"QXFAM{_letters(index)}",
            "given_name": f"QXGIV{_letters(index)}",
            "family_name_latin": f"QXFAM{_letters(index)}",
            "given_name_latin": f"QXGIV{_letters(index)}",
            "date_of_birth": f"19{20 + index % 70:02d}-0{1 + index % 9}-1{index % 10}",
        }
        for index in range(count)
    ]


def _payloads(
    signer: Signer, people: list[dict[str, str]], now: datetime | None = None
) -> list[str]:
    entry = vaccination(country="CN")
    requests = [
        IssueRequest.model_validate(
            {
                "holder": person,
                "entry": {**entry, "certificate_id": f"URN:UVCI:01:CN:PRIV{index:08d}#K"},
            }
        )
        for index, person in enumerate(people)
    ]
    signed = issue_many(requests, signer, now=now)
    return [outcome.payload for outcome in signed]  # type: ignore[union-attr]


def _row_counts(ctx: ServiceContext) -> dict[str, int]:
    with ctx.sessions() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def _personal(person: dict[str, str]) -> tuple[str, ...]:
    return (person["family_name"], person["given_name"])


@pytest.fixture
def every_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of every logger, at every level."""
    caplog.set_level(logging.DEBUG)
    yield caplog


def test_a_thousand_verifications_leave_no_row_and_no_log_line(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    ctx: ServiceContext,
    issuer_keys: tuple[Signer, Path],
    every_log: pytest.LogCaptureFixture,
) -> None:
    people = _people(VERIFICATIONS)
    payloads = _payloads(issuer_keys[0], people)
    client.post("/api/v1/verify", json={"payload": payloads[0]}, headers=keys["verifier"])
    before = _row_counts(ctx)
    every_log.clear()
    for index, payload in enumerate(payloads):
        body = {"payload": payload, "country": "CN"} if index % 2 else {"payload": payload}
        answer = client.post("/api/v1/verify", json=body, headers=keys["verifier"])
        assert answer.status_code == 200
        assert answer.json()["valid"] is True
    assert _row_counts(ctx) == before
    logged = "\n".join(record.getMessage() for record in every_log.records)
    logged += "\n".join(str(record.__dict__) for record in every_log.records)
    for person, payload in zip(people, payloads, strict=True):
        for text in (*_personal(person), payload[:40], payload[-40:]):
            assert text not in logged


def test_the_image_route_and_the_check_page_keep_nothing_either(
    client: TestClient,
    keys: dict[str, dict[str, str]],
    ctx: ServiceContext,
    issuer_keys: tuple[Signer, Path],
    every_log: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from healthcert.codec.qr import render

    people = _people(20)
    payloads = _payloads(issuer_keys[0], people)
    before = _row_counts(ctx)
    every_log.clear()
    for index, payload in enumerate(payloads):
        image = tmp_path / f"{index}.png"
        render(payload, image)
        with image.open("rb") as file:
            answer = client.post(
                "/api/v1/verify/image",
                files={"image": ("qr.png", file, "image/png")},
                headers=keys["verifier"],
            )
        assert answer.status_code == 200, answer.text
        page = client.post(
            "/check", data={"key": keys["verifier"]["X-API-Key"], "payload": payload}
        )
        assert page.status_code == 200
        assert people[index]["family_name"] in page.text  # the answer names the holder...
    assert _row_counts(ctx) == before  # ...and nothing keeps it
    logged = "\n".join(str(record.__dict__) for record in every_log.records)
    for person in people:
        for text in _personal(person):
            assert text not in logged


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_the_command_line_writes_nothing_and_logs_no_one(tmp_path: Path) -> None:
    issuer: Issuer = make_issuer("DE")
    people = _people(VERIFICATIONS)
    payloads = _payloads(issuer.signer, people, CLOCK - timedelta(days=1))
    home = tmp_path / "home"
    home.mkdir()
    (home / "dsc.pem").write_bytes(issuer.dsc_pem)
    batch = tmp_path / "payloads.txt"
    batch.write_text("\n".join(payloads) + "\n", encoding="utf-8")
    before = _snapshot(tmp_path)
    environment = {
        **os.environ,
        "HEALTHCERT_HOME": str(home),
        "HEALTHCERT_DEBUG": "1",  # the most a verifier's operator could ask to see
    }
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "healthcert",
            "verify",
            "--batch",
            str(batch),
            "--trust",
            str(home / "dsc.pem"),
            "--at",
            CLOCK.isoformat(),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
        check=False,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]
    assert answer.stdout.count('"valid":true') == VERIFICATIONS
    assert _snapshot(tmp_path) == before
    for person in people:
        for text in _personal(person):
            assert text not in answer.stderr
