"""Benchmark of issuing health codes against issuing EU DCCs and the raw signature, in one run.

    .venv/bin/python bench/bench_health_code.py [--count 5000]

Issues COUNT distinct health codes with ``issue_health_code`` (one call each, as the
declarations service signs one decision at a time), COUNT EU DCCs with ``issue_hc1`` one by
one and with ``issue_hc1_many`` in one batch, and signs COUNT messages with the bare
`cryptography` ECDSA P-256 call. Every timing runs once a round, ROUNDS rounds, and keeps its
best. Prints rates and ratios: a health code must cost no more than an EU DCC.
Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from bench_hc1 import _request
from healthcert.formats.health_code.model import Colour, HealthCode, HealthCodeHolder, Trip
from healthcert.issuance import IssueRequest, issue_hc1, issue_hc1_many, issue_health_code
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import ALL_KINDS, EntryKind

ROUNDS = 3
_COLOURS = (Colour.GREEN, Colour.YELLOW, Colour.RED)


def _health_code(index: int, departure: datetime) -> HealthCode:
    return HealthCode(
        colour=_COLOURS[index % 3],
        trip=Trip("CN", departure, "CA982", "PEK", "US", "San Francisco", ("ICN",)),
        holder=HealthCodeHolder(
            "王", "小明", "WANG", "XIAOMING", date(1985, 7, 21), "P", "CN", f"E{index:08d}"
        ),
        declaration_id=f"DECL-2026-{index:08d}",
    )


def _time(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _raw_sign_seconds(signer: Signer, count: int) -> float:
    """The bare `cryptography` call, DER out: what healthcert's signer adds (r||s) is its own."""
    messages = [os.urandom(300) for _ in range(count)]
    key, algorithm = signer.private_key, ec.ECDSA(hashes.SHA256())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return _time(lambda: [key.sign(message, algorithm) for message in messages])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5_000)
    count = parser.parse_args().count
    now = datetime.now(UTC).replace(microsecond=0)
    csca = create_csca("CN", now=now - timedelta(days=1))
    codes_signer = signer_from(create_dsc(csca, [EntryKind.HEALTH_CODE], now=now))
    dcc_signer = signer_from(create_dsc(csca, ALL_KINDS, now=now))
    departure = (now + timedelta(hours=30)).astimezone(timezone(timedelta(hours=-8)))
    codes = [_health_code(index, departure) for index in range(count)]
    requests = [IssueRequest.model_validate(_request(index)) for index in range(count)]
    timers: dict[str, Callable[[], float]] = {
        "sign": lambda: _raw_sign_seconds(codes_signer, count),
        "code": lambda: _time(lambda: [issue_health_code(c, codes_signer, now) for c in codes]),
        "dcc": lambda: _time(lambda: [issue_hc1(r, dcc_signer, now=now) for r in requests]),
        "dcc batch": lambda: _time(lambda: issue_hc1_many(requests, dcc_signer, now=now)),
    }
    # Round after round of every timing, each one's best kept: a neighbour's burst on a
    # shared machine then spoils one run of each, not every run of one.
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(ROUNDS):
        for name, timer in timers.items():
            best[name] = min(best[name], timer())
    _report(count, best)


def _report(count: int, best: dict[str, float]) -> None:
    sign, code, dcc, batch = best["sign"], best["code"], best["dcc"], best["dcc batch"]
    print(f"payloads                           {count}")
    print(f"raw ECDSA P-256 sign               {count / sign:10.0f} /s")
    print(f"issue health codes, one by one     {count / code:10.0f} /s   ratio {sign / code:.2f}")
    print(f"issue EU DCCs, one by one          {count / dcc:10.0f} /s   ratio {sign / dcc:.2f}")
    print(f"issue EU DCCs, one batch           {count / batch:10.0f} /s   ratio {sign / batch:.2f}")
    print(f"health code / EU DCC (one by one)  {code / dcc:10.2f} x the time")
    print(f"health code / EU DCC (batch)       {code / batch:10.2f} x the time")


if __name__ == "__main__":
    main()
