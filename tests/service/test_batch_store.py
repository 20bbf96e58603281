"""``healthcert issue --batch FILE --store``: records and certificates stored in chunks; a
killed run loses no committed certificate, leaves no half-written one, and a re-run finishes
it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from healthcert.service.batch_store import CHUNK
from tests.service import samples


def _line(number: int) -> str:
    record = {
        "record_id": f"batch-{number:06d}",
        "holder": samples.holder(f"B{number:08d}"),
        "entry": samples.vaccination(),
    }
    return json.dumps(record, ensure_ascii=False)


@pytest.fixture(scope="module")
def issuer_home(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    env = {**os.environ, "HEALTHCERT_HOME": str(home), "HEALTHCERT_KEY_PASSPHRASE": "test-only"}
    for args in (["keys", "init", "--country", "CN"], ["keys", "dsc"]):
        subprocess.run(
            [sys.executable, "-m", "healthcert", *args], env=env, check=True, capture_output=True
        )
    return env


def _run(env: dict[str, str], batch: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "healthcert",
        "issue",
        "--batch",
        str(batch),
        "--store",
        "--url",
        url,
        *extra,
    ]
    return subprocess.Popen(
        command, env=env, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def _counts(url: str) -> tuple[int, int, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        records = connection.execute(text("SELECT count(*) FROM records")).scalar_one()
        certificates = connection.execute(text("SELECT count(*) FROM certificates")).scalar_one()
        orphans = connection.execute(
            text(
                "SELECT count(*) FROM records r LEFT JOIN certificates c ON c.record_id = r.id "
                "WHERE c.id IS NULL"
            )
        ).scalar_one()
    engine.dispose()
    return int(records), int(certificates), int(orphans)


def _all_verify(url: str, home: str) -> int:
    from healthcert.keys.directory import KeyDirectory
    from healthcert.trust.store import load_trust
    from healthcert.verification import context, verify_payload

    trust = load_trust([dsc.cert_path for dsc in KeyDirectory(Path(home)).dscs()])
    engine = create_engine(url)
    with engine.connect() as connection:
        payloads = connection.execute(text("SELECT payload FROM certificates")).scalars().all()
    engine.dispose()
    verification = context(trust)
    assert all(verify_payload(payload, verification).valid for payload in payloads)
    return len(payloads)


def test_a_batch_is_stored_and_a_rerun_stores_nothing_twice(
    issuer_home: dict[str, str], tmp_path: Path, own_database: str
) -> None:
    batch = tmp_path / "batch.jsonl"
    lines = [_line(n) for n in range(30)] + ["{not json", _line(3)]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    url = own_database
    first = _run(issuer_home, batch, url, "--workers", "2")
    _, errors = first.communicate(timeout=120)
    assert first.returncode == 1
    assert "line 31:" in errors and "stored 30 certificates" in errors
    assert _counts(url) == (30, 30, 0)
    again = _run(issuer_home, batch, url)
    _, errors = again.communicate(timeout=120)
    assert "stored 0 certificates" in errors
    assert _all_verify(url, issuer_home["HEALTHCERT_HOME"]) == 30


def test_a_killed_batch_keeps_whole_chunks_and_a_rerun_finishes_it(
    issuer_home: dict[str, str], tmp_path: Path, own_database: str
) -> None:
    total = CHUNK * 5
    batch = tmp_path / "big.jsonl"
    batch.write_text("\n".join(_line(n) for n in range(total)) + "\n", encoding="utf-8")
    url = own_database
    running = _run(issuer_home, batch, url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and running.poll() is None:
        if _stored(url) >= CHUNK:
            break
        time.sleep(0.02)
    running.send_signal(signal.SIGKILL)
    running.wait(timeout=30)
    records, certificates, orphans = _counts(url)
    assert records == certificates and orphans == 0
    assert certificates % CHUNK == 0 and 0 < certificates < total  # killed mid-batch
    assert _all_verify(url, issuer_home["HEALTHCERT_HOME"]) == certificates
    rerun = _run(issuer_home, batch, url, "--workers", "2")
    _, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    assert _counts(url) == (total, total, 0)


def _stored(url: str) -> int:
    try:
        return _counts(url)[1]
    except Exception:  # the schema may not exist yet
        return 0


def test_a_bad_line_names_its_field() -> None:
    from healthcert.service import batch_store

    # The record is refused before anything is signed: no signer is needed.
    signing = batch_store.Signing(None, "XX", "Ministry", datetime.now(UTC))  # type: ignore[arg-type]
    record = {"record_id": "r1", "holder": samples.holder(date_of_birth="1979"), "entry": {}}
    (failed,) = signing.prepare_chunk([(7, json.dumps(record))])
    assert isinstance(failed, batch_store.Failed) and failed.line == 7
    assert failed.error.startswith("holder.date_of_birth: String should match pattern")
    assert "RecordIn" not in failed.error
