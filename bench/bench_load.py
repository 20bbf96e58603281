"""Load benchmark of the service with wrk, a load generator in its own process, in one run:

    .venv/bin/python bench/bench_load.py [--seconds 10] [--certificates 2000] [--batch 100]

1. Raw ECDSA P-256 verification, one core: the yardstick.
2. The command line's batch rate on the same certificates (``healthcert verify --batch
   --json``, 1 and 2 workers, start-up included, over --cli-count payloads).
3. ``healthcert serve`` over SQLite with 1 and then 2 workers: ``POST /api/v1/verify`` at 32
   and 64 connections, then ``POST /api/v1/verify/batch`` (--batch payloads a request) at 32;
   each a fresh server's first --seconds, distinct payloads (a Lua script walks through
   every stored certificate). Requests/s, p50 and p99 latency, payloads/s, and the ratios
   against raw verification and the command line's rate.

Needs wrk (Debian: apt-get install wrk). Not a test: timings depend on the machine (which
here is shared), so nothing asserts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench_service import HEALTHCERT, _environment, _raw_ecdsa, _record, running_service

WRK_SCRIPT = """
local bodies, index, counter = {}, 0, 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 997)
end
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  index = offset or 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["X-API-Key"] = args[2]
end
function request()
  index = index % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[index])
end
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %d, "p99": %d, "non2xx": %d, "socket": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50),
    latency:percentile(99), errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""


@dataclass(frozen=True)
class Run:
    label: str
    requests: int
    seconds: float
    p50: float
    p99: float
    failed: int
    per_request: int = 1

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    @property
    def payloads(self) -> float:
        return self.rate * self.per_request


def _cli(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [*HEALTHCERT, *arguments], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def _prepare(work: Path, env: dict[str, str], count: int) -> tuple[str, str, list[str]]:
    """Keys, ``count`` stored certificates and a verifier key: (URL, key, payloads)."""
    from sqlalchemy import create_engine, text

    _cli(env, "keys", "init", "--country", "CN")
    _cli(env, "keys", "dsc")
    url = f"sqlite:///{work / 'load.db'}"
    _cli(env, "db", "upgrade", "--url", url)
    records = work / "records.jsonl"
    records.write_text("\n".join(_record(n) for n in range(count)) + "\n", encoding="utf-8")
    _cli(env, "issue", "--batch", str(records), "--store", "--workers", "2", "--url", url)
    key = _cli(env, "apikey", "create", "--role", "verifier", "--label", "load", "--url", url)
    engine = create_engine(url)
    with engine.connect() as connection:
        query = text("SELECT payload FROM certificates ORDER BY id")
        payloads = [str(payload) for payload in connection.execute(query).scalars()]
    engine.dispose()
    return url, key, payloads


def _cli_rate(
    env: dict[str, str], home: Path, payloads: list[str], count: int, workers: int
) -> float:
    """Payloads/s of ``healthcert verify --batch --json``, start-up included."""
    batch = home.parent / "cli-batch.txt"
    lines = [payloads[n % len(payloads)] for n in range(count)]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    trust = [
        argument
        for pem in sorted((home / "keys").glob("*.pem"))
        if not pem.name.endswith(".key.pem")
        for argument in ("--trust", str(pem))
    ]
    command = [*HEALTHCERT, "verify", "--batch", str(batch), "--json", "--workers", str(workers)]
    start = time.perf_counter()
    done = subprocess.run([*command, *trust], env=env, capture_output=True, check=False)
    spent = time.perf_counter() - start
    valid = done.stdout.count(b'"valid":true')
    if valid != count:
        raise SystemExit(f"the command line verified {valid} of {count} payloads as valid")
    return count / spent


def _wrk(
    label: str, url: str, script: Path, bodies: Path, key: str, connections: int, seconds: int
) -> Run:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(script), url, "--", str(bodies), key,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result = json.loads(output.strip().splitlines()[-1])
    return Run(
        label,
        result["requests"],
        result["seconds"],
        result["p50"] / 1e6,
        result["p99"] / 1e6,
        result["non2xx"] + result["socket"],
    )


def _check(origin: str, key: str, single: str, batch: str) -> None:
    """One request of each kind answers as expected before the load starts."""
    import httpx

    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    one = httpx.post(f"{origin}/api/v1/verify", content=single, headers=headers, timeout=30)
    many = httpx.post(f"{origin}/api/v1/verify/batch", content=batch, headers=headers, timeout=30)
    reports = many.json()["reports"]
    if not (one.json()["valid"] and all(report["valid"] for report in reports)):
        raise SystemExit("the service did not verify the stored certificates as valid")


def _serve_and_load(
    work: Path, env: dict[str, str], url: str, key: str, workers: int, arguments: argparse.Namespace
) -> list[Run]:
    script, single, batch = work / "load.lua", work / "single.txt", work / "batch.txt"
    runs = []
    with running_service(work, env, url, "--workers", str(workers)) as origin:
        first_single = single.read_text(encoding="utf-8").splitlines()[0]
        first_batch = batch.read_text(encoding="utf-8").splitlines()[0]
        _check(origin, key, first_single, first_batch)
        for connections in (32, 64):
            label = f"verify, {workers} worker(s), {connections} connections"
            endpoint = f"{origin}/api/v1/verify"
            runs.append(_wrk(label, endpoint, script, single, key, connections, arguments.seconds))
        label = f"verify/batch ({arguments.batch}), {workers} worker(s), 32 connections"
        endpoint = f"{origin}/api/v1/verify/batch"
        run = _wrk(label, endpoint, script, batch, key, 32, arguments.seconds)
        runs.append(Run(**{**run.__dict__, "per_request": arguments.batch}))
    return runs


def _bodies(work: Path, payloads: list[str], size: int) -> None:
    (work / "load.lua").write_text(WRK_SCRIPT, encoding="utf-8")
    single = [json.dumps({"payload": payload}) for payload in payloads]
    (work / "single.txt").write_text("\n".join(single) + "\n", encoding="utf-8")
    batches = [
        json.dumps({"payloads": payloads[start : start + size]})
        for start in range(0, len(payloads) - size + 1, size)
    ]
    (work / "batch.txt").write_text("\n".join(batches) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--certificates", type=int, default=2000, help="distinct payloads")
    parser.add_argument("--batch", type=int, default=100, help="payloads per batch request")
    parser.add_argument("--cli-count", type=int, default=20000, help="payloads of the CLI run")
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_load needs wrk (Debian: apt-get install wrk)")
    _, verifying = _raw_ecdsa()
    raw = 1 / verifying
    print(f"raw ECDSA P-256 verify (one core): {verifying * 1e6:.0f} us, {raw:.0f}/s")
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        env = _environment(work / "home")
        url, key, payloads = _prepare(work, env, arguments.certificates)
        cli = {
            workers: _cli_rate(env, work / "home", payloads, arguments.cli_count, workers)
            for workers in (1, 2)
        }
        for workers, rate in cli.items():
            print(
                f"CLI verify --batch, {workers} worker(s), {arguments.cli_count} payloads: "
                f"{rate:.0f}/s ({rate / raw:.2f} x raw verify)"
            )
        _bodies(work, payloads, arguments.batch)
        for workers in (1, 2):
            for run in _serve_and_load(work, env, url, key, workers, arguments):
                _print(run, raw, cli[workers])


def _print(run: Run, raw: float, cli: float) -> None:
    failed = f", {run.failed} failed" if run.failed else ""
    line = (
        f"{run.label}: {run.rate:.0f} req/s, p50 {run.p50 * 1e3:.1f} ms, "
        f"p99 {run.p99 * 1e3:.1f} ms{failed}; {run.payloads:.0f} payloads/s = "
        f"{run.payloads / raw:.2f} x raw verify"
    )
    if run.per_request > 1:
        line += f", {run.payloads / cli:.2f} x the CLI batch rate with as many workers"
    print(line)


if __name__ == "__main__":
    main()
