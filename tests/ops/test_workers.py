"""``serve --workers N``: N processes answer on one port, their metrics add up whichever
worker is scraped, and a worker that dies is replaced while the others keep answering."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.ops.conftest import api_key
from tests.ops.instances import HEALTHCERT, Instance, cli

VERIFICATIONS = 'healthcert_verifications_total{outcome="BASE45_INVALID"}'


def _workers(supervisor: int) -> set[int]:
    found = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(supervisor)], capture_output=True, text=True
    )
    return {int(pid) for pid in found.stdout.split()}


def _verifications(origin: str) -> float:
    text = httpx.get(f"{origin}/metrics", timeout=10).text
    found = re.search(rf"^{re.escape(VERIFICATIONS)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_two_workers_share_the_port_the_metrics_and_replace_a_dead_one(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'workers.db'}"
    cli(service_env, "db", "upgrade", "--url", url)
    key = api_key(service_env, url, "verifier")
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    (metrics / "counter_1.db").write_bytes(b"left by an earlier run")
    env = {**service_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}
    server = Instance(env, url, tmp_path / "server.log", "--workers", "2")
    try:
        workers = _workers(server.process.pid)
        assert len(workers) == 2
        for _ in range(30):  # a new connection each: the kernel hands them to either worker
            answer = httpx.post(f"{server.base}/verify", json={"payload": "HC1:x"}, headers=key)
            assert answer.status_code == 200
        # Both answered (each wrote its counts), and every scrape, whichever worker answers
        # it, counts all 30; what an earlier run left is gone.
        counted_by = {int(file.stem.split("_")[1]) for file in metrics.glob("counter_*.db")}
        assert counted_by == workers
        assert {_verifications(server.origin) for _ in range(6)} == {30.0}

        dead = min(workers)
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(_workers(server.process.pid) - {dead}) < 2:
            assert time.monotonic() < deadline, "the dead worker was not replaced"
            time.sleep(0.2)
        for _ in range(10):
            answer = httpx.post(f"{server.base}/verify", json={"payload": "HC1:x"}, headers=key)
            assert answer.status_code == 200
        assert _verifications(server.origin) == 40.0  # the dead worker's counts stay counted
    finally:
        assert server.stop() == 0


def test_workers_stop_when_their_supervisor_is_killed(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'orphans.db'}"
    cli(service_env, "db", "upgrade", "--url", url)
    server = Instance(service_env, url, tmp_path / "server.log", "--workers", "2")
    workers = _workers(server.process.pid)
    assert len(workers) == 2
    server.kill()
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in workers):
        assert time.monotonic() < deadline, "orphaned workers kept serving"
        time.sleep(0.1)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{server.base}/health", timeout=2)
    server.stop()


def test_a_port_in_use_is_an_error_of_the_command_line(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        done = subprocess.run(
            [*HEALTHCERT, "serve", "--port", port, "--url", f"sqlite:///{tmp_path / 'p.db'}"],
            env=service_env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
