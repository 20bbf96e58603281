"""Stopping a server: SIGTERM lets the requests in flight finish and get their answers, then
the server exits with status 0; it takes no new connections meanwhile."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.ops.conftest import api_key
from tests.ops.instances import Instance, cli


def _answer(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_request_in_flight_is_answered_after_sigterm(
    service_env: dict[str, str], tmp_path: Path, workers: str
) -> None:
    url = f"sqlite:///{tmp_path / 'shutdown.db'}"
    cli(service_env, "db", "upgrade", "--url", url)
    key = api_key(service_env, url, "verifier")["X-API-Key"]
    server = Instance(service_env, url, tmp_path / "server.log", "--workers", workers)
    body = json.dumps({"payload": "HC1:not-a-certificate"}).encode()
    head = (
        f"POST /api/v1/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-Key: {key}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
            # In flight: the server has the request's head and half its body when told to stop.
            connection.sendall(head + body[:10])
            time.sleep(0.5)
            server.process.send_signal(signal.SIGTERM)
            time.sleep(1.0)
            assert server.process.poll() is None, "the server left a request unanswered"
            with pytest.raises(OSError):  # no new connections while it finishes
                socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
            connection.sendall(body[10:])
            answer = _answer(connection)
        status, _, rest = answer.partition(b"\r\n")
        assert status == b"HTTP/1.1 200 OK"
        report = json.loads(rest.partition(b"\r\n\r\n")[2])
        assert report["valid"] is False and report["errors"][0]["code"] == "BASE45_INVALID"
    finally:
        assert server.stop() == 0
