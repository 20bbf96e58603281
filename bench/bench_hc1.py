"""Benchmark of the HC1 chain against the raw cryptographic operation, measured in one run.

    .venv/bin/python bench/bench_hc1.py [--count 20000]

Issues COUNT distinct EU DCC payloads, timed against raw ECDSA P-256 signing, then times
`healthcert verify --batch` over them as a whole process (and its start-up on an empty
batch), one worker and two, and raw ECDSA P-256 verification of the same signatures with
`cryptography`. Every timing runs once a round, ROUNDS rounds, and keeps its best. Prints
rates and ratios.
Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcert.codec import cose
from healthcert.errors import RequestError
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.issuance import issue_hc1_many, parse_request
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from verify_process import verify_seconds

ROUNDS = 3


def _request(index: int) -> dict[str, object]:
    return {
        "holder": {
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
            "country": "AT",
            "issuer": "Ministry of Health, Austria",
            "certificate_id": f"URN:UVCI:01:AT:{index:032X}#B",
        },
    }


def _time(function: object, *args: object) -> float:
    start = time.perf_counter()
    function(*args)  # type: ignore[operator]
    return time.perf_counter() - start


def _issue(signer: Signer, count: int, now: datetime) -> tuple[list[str], float]:
    """Issue through ``issue_hc1_many``, as ``healthcert issue --batch`` does (requests are
    parsed beforehand: that is validating input, not issuing)."""
    requests = [parse_request(_request(index)) for index in range(count)]
    outcomes: list[str | RequestError] = []
    elapsed = _time(lambda: outcomes.extend(issue_hc1_many(requests, signer, now=now)))
    payloads = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if len(payloads) != count:
        raise SystemExit(f"issuing failed: {next(o for o in outcomes if not isinstance(o, str))}")
    return payloads, elapsed


def _raw_sign_seconds(signer: Signer, count: int) -> float:
    """The bare `cryptography` call, DER out: what healthcert's signer adds (r||s) is its own."""
    messages = [os.urandom(300) for _ in range(count)]
    key, algorithm = signer.private_key, ec.ECDSA(hashes.SHA256())
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return _time(lambda: [key.sign(message, algorithm) for message in messages])


def _raw_work(payloads: list[str]) -> list[tuple[bytes, bytes]]:
    """(DER signature, signed bytes) of each payload, prepared outside the timed loops."""
    work = []
    for payload in payloads:
        sign1 = eu_dcc.decode(payload).sign1
        signature = sign1.signature
        der = encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        )
        work.append((der, cose.signed_bytes(sign1.protected_raw, sign1.payload)))
    return work


def _verify_all(key: ec.EllipticCurvePublicKey, work: list[tuple[bytes, bytes]]) -> None:
    algorithm = ec.ECDSA(hashes.SHA256())
    for der, message in work:
        key.verify(der, message, algorithm)


def _raw_verify_seconds(payloads: list[str], key: ec.EllipticCurvePublicKey) -> float:
    work = _raw_work(payloads)
    return _time(_verify_all, key, work)


def _raw_verify_pair_seconds(payloads: list[str], key: ec.EllipticCurvePublicKey) -> float:
    """The same raw verification split over two processes at once: how far this machine
    itself lets two processes scale, the yardstick for --workers 2."""
    work = _raw_work(payloads)
    context = multiprocessing.get_context("fork")
    halves = (work[: len(work) // 2], work[len(work) // 2 :])
    processes = [context.Process(target=_verify_all, args=(key, half)) for half in halves]
    start = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    count = parser.parse_args().count
    now = datetime.now(UTC).replace(microsecond=0)
    csca = create_csca("AT", now=now - timedelta(days=1))
    dsc = create_dsc(csca, now=now - timedelta(days=1))
    signer = signer_from(dsc)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        trust = work / "dsc.pem"
        from cryptography.hazmat.primitives.serialization import Encoding

        trust.write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
        payloads, _ = _issue(signer, count, now)
        batch, empty = work / "batch.txt", work / "empty.txt"
        batch.write_text("\n".join(payloads) + "\n")
        empty.write_text("")
        at = (now + timedelta(hours=1)).isoformat()
        key = dsc.certificate.public_key()
        assert isinstance(key, ec.EllipticCurvePublicKey)
        timers: dict[str, Callable[[], float]] = {
            "sign": lambda: _raw_sign_seconds(signer, count),
            "issue": lambda: _issue(signer, count, now)[1],
            "raw": lambda: _raw_verify_seconds(payloads, key),
            "raw pair": lambda: _raw_verify_pair_seconds(payloads, key),
            "startup": lambda: verify_seconds(empty, [str(trust)], at),
            "one": lambda: verify_seconds(batch, [str(trust)], at),
            "two": lambda: verify_seconds(batch, [str(trust)], at, workers=2),
        }
        # Round after round of every timing, each one's best kept: a neighbour's burst on a
        # shared machine then spoils one run of each, not every run of one.
        best = dict.fromkeys(timers, float("inf"))
        for _ in range(ROUNDS):
            for name, timer in timers.items():
                best[name] = min(best[name], timer())
    _report(count, best)


def _report(count: int, best: dict[str, float]) -> None:
    sign, issue, raw = best["sign"], best["issue"], best["raw"]
    startup, one, two = best["startup"], best["one"], best["two"]
    raw_rate = count / raw
    one_rate = count / (one - startup)
    two_rate = count / (two - startup)
    print(f"payloads                         {count}")
    print(f"raw ECDSA P-256 sign             {count / sign:10.0f} /s")
    print(f"issue HC1 payloads (no image)    {count / issue:10.0f} /s   ratio {sign / issue:.2f}")
    print(f"raw ECDSA P-256 verify           {raw_rate:10.0f} /s   ({raw / count * 1e6:.1f} us)")
    print(f"verify process start-up          {startup:10.3f} s")
    print(f"verify --batch, 1 worker         {one_rate:10.0f} /s   ratio {one_rate / raw_rate:.2f}")
    pair = raw / best["raw pair"]
    print(f"verify --batch, 2 workers        {two_rate:10.0f} /s   x{two_rate / one_rate:.2f}")
    print(f"raw verify, 2 processes                         x{pair:.2f}   (the machine's own)")


if __name__ == "__main__":
    main()
