"""One key home for the command line and the service: ``healthcert issue --batch --store`` run
beside ``serve --demo`` signs with keys the service trusts, and ``healthcert verify`` accepts
what the service serves. Both run as an operator runs them, as processes with nothing set but
what the demo prints (HOME points into the test's folder, so the default home is used)."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from healthcert.service.demo import DEMO_RECORD
from tests.service.test_serve import _free_port


@dataclass(frozen=True)
class Demo:
    base: str
    printed: str
    env: dict[str, str]
    folder: Path
    database: str


def _clean_env(home: Path) -> dict[str, str]:
    """This environment less every healthcert setting, with HOME in the test's folder."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("HEALTHCERT_")}
    return {**env, "HOME": str(home)}


def _wait_ready(base: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError(f"serve --demo did not become ready (exit {server.poll()})")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("beside")
    env = _clean_env(folder / "user")
    port = _free_port()
    command = [sys.executable, "-m", "healthcert", "serve", "--demo", "--port", str(port)]
    out = (folder / "serve.out").open("w")
    server = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        _wait_ready(base, server)  # type: ignore[arg-type]
        printed = (folder / "serve.out").read_text()
        database = re.search(r"Database: (\S+)", printed)
        assert database, printed
        yield Demo(base, printed, env, folder, database.group(1))
    finally:
        server.terminate()
        server.wait(timeout=30)
        out.close()


def _cli(demo: Demo, *arguments: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "healthcert", *arguments]
    return subprocess.run(
        command, env=env, cwd=demo.folder, capture_output=True, text=True, timeout=120
    )


def _exported(demo: Demo) -> dict[str, str]:
    """The environment of a terminal beside the demo: what the demo says to export."""
    found = re.findall(r"export (HEALTHCERT_\w+)=(\S+)", demo.printed)
    assert found, demo.printed
    return {**demo.env, **dict(found)}


def _key(demo: Demo, role: str) -> dict[str, str]:
    found = re.search(rf"^\s+{role}\s+(hck_\S+)", demo.printed, re.MULTILINE)
    assert found, demo.printed
    return {"X-API-Key": found.group(1)}


def test_the_demo_says_where_the_key_home_is(demo: Demo) -> None:
    home = (demo.folder / "user" / ".local" / "share" / "healthcert").resolve()
    assert f"Key home: {home} (HEALTHCERT_HOME; the command line uses the same)" in demo.printed
    assert (home / "keys" / "csca.pem").exists()
    assert not (demo.folder / "var" / "demo-home").exists()  # no second home of its own
    assert "Trusted this installation's own keys in its trust store" in demo.printed
    from healthcert.trust.home_trust import trust_own_keys
    from healthcert.trust.local import load_local_trust

    assert trust_own_keys(home) == []  # recorded once: a restart changes nothing
    assert len(load_local_trust(home)) == 2  # the DSC of certificates and that of health codes


def test_a_batch_stored_beside_the_demo_verifies_in_the_service(demo: Demo, tmp_path: Path) -> None:
    lines = []
    for number in range(3):
        record = json.loads(json.dumps(DEMO_RECORD))
        record["record_id"] = f"beside-{number}"
        record["holder"]["document_number"] = f"E9000000{number}"
        lines.append(json.dumps(record, ensure_ascii=False))
    batch = tmp_path / "records.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stored = _cli(demo, "issue", "--batch", str(batch), "--store", "--url", demo.database,
                  env=_exported(demo))  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    assert "stored 3 certificates" in stored.stderr
    path = demo.database.removeprefix("sqlite:///")
    with sqlite3.connect(path) as database:
        payloads = [row[0] for row in database.execute("SELECT payload FROM certificates")]
    assert len(payloads) == 3
    for payload in payloads:
        answer = httpx.post(
            f"{demo.base}/verify", json={"payload": payload}, headers=_key(demo, "verifier")
        ).json()
        assert answer["valid"] is True, answer["errors"]
        assert answer["checks"]["signature"] is True


def test_the_command_line_verifies_what_the_service_serves(demo: Demo) -> None:
    record = re.search(r"/holder/records/(\d+)/certificates", demo.printed)
    assert record
    for fmt in ("eu-dcc", "icao-vds-nc"):
        issued = httpx.post(
            f"{demo.base}/records/{record.group(1)}/certificates",
            json={"format": fmt},
            headers=_key(demo, "issuer"),
        )
        assert issued.status_code in (200, 201), issued.text
        checked = _cli(demo, "verify", "--json", issued.json()["payload"], env=demo.env)
        report = json.loads(checked.stdout)
        report = report[0] if isinstance(report, list) else report
        assert report["valid"] is True, report["errors"]
        assert checked.returncode == 0


def test_a_passphrase_that_does_not_open_the_keys_stops_serve_at_once(demo: Demo) -> None:
    env = {**demo.env, "HEALTHCERT_KEY_PASSPHRASE": "not the demo's"}
    started = _cli(demo, "serve", "--port", str(_free_port()), env=env)
    assert started.returncode != 0
    assert "passphrase" in started.stderr.lower()


def _demo_holder(demo: Demo) -> dict[str, str]:
    """The demo holder signed in with the code the demo prints in its terminal."""
    identity = {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": DEMO_RECORD["holder"]["document_number"],  # type: ignore[index]
        "date_of_birth": DEMO_RECORD["holder"]["date_of_birth"],  # type: ignore[index]
    }
    assert httpx.post(f"{demo.base}/holder/sign-in", json=identity).status_code == 202
    deadline = time.monotonic() + 10
    codes: list[str] = []
    while not codes and time.monotonic() < deadline:
        codes = re.findall(r"sign-in code is (\d{6})", (demo.folder / "serve.out").read_text())
        time.sleep(0.1)
    assert codes, "the demo printed no sign-in code"
    opened = httpx.post(f"{demo.base}/holder/session", json={**identity, "code": codes[-1]})
    assert opened.status_code == 201, opened.text
    return {"Authorization": f"Bearer {opened.json()['token']}"}


def test_the_demo_post_opens_the_certificate_sealed_for_the_demo_trip(demo: Demo) -> None:
    home = demo.folder / "user" / ".local" / "share" / "healthcert" / "keys"
    assert (home / "border-CN.pem").exists() and (home / "border-CN.key.pem").exists()
    assert "Created the demo border key" in demo.printed
    record = re.search(r"/holder/records/(\d+)/certificates", demo.printed)
    declaration = re.search(r"declaration (\d+) waits in the queue", demo.printed)
    assert record and declaration, demo.printed
    auth = _demo_holder(demo)
    issued = httpx.post(
        f"{demo.base}/holder/records/{record.group(1)}/certificates",
        json={"format": "eu-dcc"},
        headers=auth,
    )
    assert issued.status_code in (200, 201), issued.text
    sealed = httpx.post(
        f"{demo.base}/holder/certificates/{issued.json()['id']}/sealed",
        json={"declaration_id": int(declaration.group(1))},
        headers=auth,
    )
    assert sealed.status_code == 201, sealed.text
    assert sealed.json()["country"] == "CN"
    report = httpx.post(
        f"{demo.base}/verify",
        json={"payload": sealed.json()["payload"]},
        headers=_key(demo, "verifier"),
    ).json()
    assert report["valid"] is True, report["errors"]
    assert report["checks"]["sealed"] is True and report["format"] == "eu-dcc"
