"""``serve --workers N``: N processes answer on one port, their metrics add up whichever
worker is scraped, and a worker that dies is replaced while the others keep answering."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from healthcert.api.server import JOBS_PROCESS_NAME
from tests.ops.conftest import api_key
from tests.ops.instances import HEALTHCERT, Instance, cli

VERIFICATIONS = 'healthcert_verifications_total{outcome="BASE45_INVALID"}'


def _children(supervisor: int) -> dict[int, str]:
    """The supervisor's processes, by pid: their names."""
    found = subprocess.run(
        ["ps", "-o", "pid=,comm=", "--ppid", str(supervisor)], capture_output=True, text=True
    )
    lines = (line.split(None, 1) for line in found.stdout.splitlines())
    return {int(pid): name.strip() for pid, name in lines}


def _workers(supervisor: int) -> set[int]:
    """The processes answering requests (the jobs process answers none)."""
    return {pid for pid, name in _children(supervisor).items() if name != JOBS_PROCESS_NAME}


def _jobs(supervisor: int) -> set[int]:
    return {pid for pid, name in _children(supervisor).items() if name == JOBS_PROCESS_NAME}


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

        [jobs] = _jobs(server.process.pid)
        os.kill(jobs, signal.SIGKILL)
        while _jobs(server.process.pid) in (set(), {jobs}):
            assert time.monotonic() < deadline + 30, "the jobs process was not replaced"
            time.sleep(0.2)
    finally:
        assert server.stop() == 0


def test_workers_stop_when_their_supervisor_is_killed(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'orphans.db'}"
    cli(service_env, "db", "upgrade", "--url", url)
    server = Instance(service_env, url, tmp_path / "server.log", "--workers", "2")
    workers = set(_children(server.process.pid))
    assert len(_workers(server.process.pid)) == 2 and len(_jobs(server.process.pid)) == 1
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


def _purges(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        query = "SELECT COUNT(*) FROM audit_events WHERE action = 'retention.purge'"
        return int(connection.execute(query).fetchone()[0])


def test_the_jobs_run_once_beside_several_workers(
    service_env: dict[str, str], tmp_path: Path
) -> None:
    database = tmp_path / "jobs.db"
    url = f"sqlite:///{database}"
    cli(service_env, "db", "upgrade", "--url", url)
    server = Instance(service_env, url, tmp_path / "server.log", "--workers", "3")
    try:
        deadline = time.monotonic() + 30
        while _purges(database) == 0:  # the schedule purges once at start, then hourly
            assert time.monotonic() < deadline, "the jobs process never purged"
            time.sleep(0.2)
        time.sleep(2)  # a second process running the jobs would have purged by now too
        assert _purges(database) == 1
        assert _threads(server.process.pid) == 1, "the supervisor forks: it must run no thread"
    finally:
        assert server.stop() == 0


def _threads(pid: int) -> int:
    """How many threads the process ``pid`` runs (from /proc, no extra package)."""
    return len(list(Path(f"/proc/{pid}/task").iterdir()))
