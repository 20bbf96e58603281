"""``healthcert serve`` as an operator starts it: keys on first start, schema, readiness."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_creates_keys_and_becomes_ready(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "HEALTHCERT_HOME": str(tmp_path / "home"),
        "HEALTHCERT_KEY_PASSPHRASE": "test-only",
    }
    command = [
        sys.executable,
        "-m",
        "healthcert",
        "serve",
        "--port",
        str(port),
        "--url",
        f"sqlite:///{tmp_path / 'serve.db'}",
    ]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        ready = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                ready = httpx.get(f"{base}/ready", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert ready is not None and ready.json()["status"] == "ready"
        assert "/api/v1/verify" in httpx.get(f"{base}/openapi.json").json()["paths"]
        assert httpx.get(f"{base}/shc/.well-known/jwks.json").json()["keys"]
    finally:
        server.terminate()
        output, errors = server.communicate(timeout=30)
    assert "No keys found: created the CSCA and a DSC of CN" in output
    assert '"path":"/api/v1/ready"' in errors  # one JSON log line per request
