"""Service instances as an operator runs them: ``healthcert serve`` processes on free ports,
sharing one key home and one database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import httpx

HEALTHCERT = [sys.executable, "-m", "healthcert"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def environment(home: Path) -> dict[str, str]:
    return {**os.environ, "HEALTHCERT_HOME": str(home), "HEALTHCERT_KEY_PASSPHRASE": "test-only"}


def cli(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [*HEALTHCERT, *arguments], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


class Instance:
    """One ``serve`` process; ``base`` is its API's origin + /api/v1."""

    def __init__(self, env: dict[str, str], url: str, log: Path, *options: str) -> None:
        self.port = free_port()
        self.origin = f"http://127.0.0.1:{self.port}"
        self.base = f"{self.origin}/api/v1"
        self.log: IO[str] = log.open("w")
        command = [*HEALTHCERT, "serve", "--port", str(self.port), "--url", url, *options]
        self.process = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=self.log, text=True
        )
        self.wait_ready()

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the service exited"
            try:
                if httpx.get(f"{self.base}/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError("the service did not become ready")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        return self.process.returncode
