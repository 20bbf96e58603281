"""Benchmark of the certificate service, measured in one run against raw ECDSA P-256.

    .venv/bin/python bench/bench_service.py [--count 20000] [--requests 4000] [--concurrency 16]

1. Batch issuance with storage (``healthcert issue --batch FILE --store --workers 2``) on a
   fresh SQLite database: certificates stored per second, and raw ECDSA signatures per second.
2. The verify endpoint under concurrent load: ``healthcert serve`` runs in one process, the
   load comes from a second process (bounded: --requests requests, at most 120 s, to
   127.0.0.1 only): requests/s, p50 and p99 latency, against raw ECDSA verification.

Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

HEALTHCERT = [sys.executable, "-m", "healthcert"]


def _record(index: int) -> str:
    return json.dumps(
        {
            "record_id": f"bench-{index:07d}",
            "holder": {
                "document_type": "passport",
                "issuing_country": "DE",
                "document_number": f"P{index:08d}",
                "family_name": "Musterfrau-Gößinger",
                "given_name": "Gabriele",
                "date_of_birth": "1998-02-26",
            },
            "entry": {
                "kind": "vaccination",
                "vaccine": "J07BX03",
                "product": "EU/1/20/1528",
                "manufacturer": "ORG-100030215",
                "dose_number": 2,
                "total_doses": 2,
                "date": "2026-02-18",
            },
        },
        ensure_ascii=False,
    )


def _raw_ecdsa(rounds: int = 3000) -> tuple[float, float]:
    """Seconds per raw P-256 signature and per verification, with SHA-256, one core."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    message = b"x" * 300
    start = time.perf_counter()
    signatures = [key.sign(message, ec.ECDSA(hashes.SHA256())) for _ in range(rounds)]
    signing = (time.perf_counter() - start) / rounds
    public = key.public_key()
    start = time.perf_counter()
    for signature in signatures:
        public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
    return signing, (time.perf_counter() - start) / rounds


def _environment(home: Path) -> dict[str, str]:
    return {**os.environ, "HEALTHCERT_HOME": str(home), "HEALTHCERT_KEY_PASSPHRASE": "bench"}


def _batch(count: int, work: Path, env: dict[str, str], url: str, runs: int) -> float:
    """The best of ``runs`` runs, each into a fresh database: the machine is shared, and the
    best run is the one least disturbed. Every run is printed."""
    batch = work / "records.jsonl"
    batch.write_text("\n".join(_record(n) for n in range(count)) + "\n", encoding="utf-8")
    rates = []
    for run in range(runs):
        target = f"{url}.{run}" if run else url
        command = [*HEALTHCERT, "issue", "--batch", str(batch), "--store", "--workers", "2"]
        subprocess.run(
            [*HEALTHCERT, "db", "upgrade", "--url", target],
            env=env,
            check=True,
            capture_output=True,
        )
        start = time.perf_counter()
        done = subprocess.run(
            [*command, "--url", target], env=env, capture_output=True, text=True, check=True
        )
        rates.append(count / (time.perf_counter() - start))
        print(f"  run {run + 1}: {done.stderr.strip()}; {rates[-1]:.0f}/s with start-up")
    return max(rates)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(base: str, deadline: float) -> None:
    import httpx

    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not become ready")


def _payload(url: str) -> str:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        return str(
            connection.execute(text("SELECT payload FROM certificates LIMIT 1")).scalar_one()
        )


def _load(base: str, key: str, payload: str, requests: int, concurrency: int) -> list[float]:
    """Runs in the second process: POST /verify ``requests`` times from ``concurrency``
    threads; returns each request's latency in seconds."""
    import http.client
    import threading
    from urllib.parse import urlsplit

    address = urlsplit(base)
    body = json.dumps({"payload": payload})
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = [requests]
    stop_at = time.monotonic() + 120

    def worker() -> None:
        # http.client on a kept-alive connection: the load generator should cost the machine
        # as little as it can, since it shares the two cores with the server.
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        while time.monotonic() < stop_at:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            start = time.perf_counter()
            connection.request("POST", f"{address.path}/verify", body=body, headers=headers)
            answer = connection.getresponse()
            text = answer.read()
            spent = time.perf_counter() - start
            assert answer.status == 200 and b'"valid":true' in text, text[:200]
            with lock:
                latencies.append(spent)
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _load_process(arguments: list[str]) -> None:
    base, key, payload, requests, concurrency = arguments
    start = time.perf_counter()
    latencies = _load(base, key, payload, int(requests), int(concurrency))
    print(json.dumps({"elapsed": time.perf_counter() - start, "latencies": latencies}))


@contextmanager
def running_service(work: Path, env: dict[str, str], url: str, *options: str) -> Iterator[str]:
    """`healthcert serve` on a free loopback port over the database at ``url`` (with
    ``options``, e.g. --workers 2), ready for requests while the block runs (its origin,
    http://127.0.0.1:PORT), stopped after it."""
    port = _free_port()
    origin = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*HEALTHCERT, "serve", "--port", str(port), "--url", url, *options],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(work / "server.log").open("w"),
    )
    try:
        _wait_ready(f"{origin}/api/v1", time.monotonic() + 60)
        yield origin
    finally:
        server.terminate()
        server.wait(timeout=30)


def _verify_endpoint(
    work: Path, env: dict[str, str], url: str, requests: int, concurrency: int
) -> dict[str, float]:
    key = subprocess.run(
        [*HEALTHCERT, "apikey", "create", "--role", "verifier", "--label", "bench", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with running_service(work, env, url) as origin:
        base = f"{origin}/api/v1"
        load = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load-process",
                base,
                key,
                _payload(url),
                str(requests),
                str(concurrency),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    result = json.loads(load.stdout)
    latencies = sorted(result["latencies"])
    return {
        "rate": len(latencies) / result["elapsed"],
        "p50": statistics.median(latencies),
        "p99": latencies[int(len(latencies) * 0.99) - 1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3, help="batch runs; the best is kept")
    parser.add_argument("--load-process", nargs=5, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.load_process:
        _load_process(arguments.load_process)
        return
    signing, verifying = _raw_ecdsa()
    print(
        f"raw ECDSA P-256 (one core): sign {signing * 1e6:.0f} us ({1 / signing:.0f}/s), "
        f"verify {verifying * 1e6:.0f} us ({1 / verifying:.0f}/s)"
    )
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        env = _environment(work / "home")
        subprocess.run(
            [*HEALTHCERT, "keys", "init", "--country", "CN"],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run([*HEALTHCERT, "keys", "dsc"], env=env, check=True, capture_output=True)
        url = f"sqlite:///{work / 'bench.db'}"
        print(f"batch issuance --store, SQLite, 2 workers, {arguments.count} records:")
        rate = _batch(arguments.count, work, env, url, arguments.runs)
        print(
            f"  best: {rate:.0f} certificates/s end to end, start-up included (target 3000/s); "
            f"{rate * signing:.2f} x one core's raw signing rate"
        )
        print(
            f"verify endpoint, {arguments.requests} requests from a second process, "
            f"{arguments.concurrency} concurrent:"
        )
        load = _verify_endpoint(work, env, url, arguments.requests, arguments.concurrency)
        print(
            f"  {load['rate']:.0f} requests/s ({load['rate'] * verifying:.2f} x one core's raw "
            f"verification rate)"
        )
        print(
            f"  latency p50 {load['p50'] * 1e3:.2f} ms ({load['p50'] / verifying:.0f} x raw "
            f"verify), p99 {load['p99'] * 1e3:.2f} ms ({load['p99'] / verifying:.0f} x)"
        )


if __name__ == "__main__":
    main()
