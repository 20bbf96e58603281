"""Benchmark of a consular post's work on health declarations, on SQLite, in one run.

    .venv/bin/python bench/bench_declarations.py [--count 200]

Sets up the service as it runs (real CN keys, a DSC for certificates and one for health codes,
a trust store with CN and AT, recorder and officer API keys) on a SQLite database in a
temporary directory. COUNT holders each get a PCR and an antibody record from the recorder and
an AT EU DCC of their own, and file one declaration to CN with the three as evidence (timed
apart: the filing verifies the DCC and runs the automatic pre-check, which leaves it in the
post's queue). Then, per declaration, the officer's pre-check (``review.examine``: the DCC
verified again, the pre-check run) and one decision (``review.decide``, approve) are timed;
the budget is 20 ms the two. Then each holder fetches their health code
(``health_code.current_code``: read, verify, sign, remember), timed per declaration, beside
the signing alone (``issue_health_code``) and one EU DCC issued at a time (``issue_payload``),
which a health code must cost no more than. Raw ECDSA P-256 sign and verify, timed in the same
run, are printed beside the figures. Not a test: timings depend on the machine, so nothing
here asserts.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding

from bench_hc1 import _request
from bench_health_code import _health_code
from bench_service import _raw_ecdsa
from healthcert.declarations import filing, health_code, review, status
from healthcert.issuance import IssueRequest, issue_health_code, issue_payload
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.model.kinds import EntryKind
from healthcert.service.apikeys import authenticate, create_key
from healthcert.service.audit import Actor
from healthcert.service.context import ServiceContext, open_context
from healthcert.service.records import parse_record, store_record
from healthcert.service.signin import Person
from healthcert.trust.store import load_trust

BUDGET_SECONDS = 20e-3
# The holder of bench_hc1's requests, so that each AT DCC is born on the holder's day.
DOB = "1998-02-26"
OPERATOR = Actor("admin", "bench")


def _save(folder: Path, country: str, *certificates: Any) -> None:
    """A country's CSCA and DSC certificates as PEM files, for the trust store."""
    for name, held in zip(("csca", "dsc"), certificates, strict=True):
        (folder / f"{country}-{name}.pem").write_bytes(held.certificate.public_bytes(Encoding.PEM))


def _context(work: Path) -> tuple[ServiceContext, Signer]:
    """The CN service on SQLite, and the AT signer whose DCCs it trusts."""
    pems = work / "trust"
    pems.mkdir()
    csca, foreign_csca = create_csca("CN"), create_csca("AT")
    certificates, codes = create_dsc(csca), create_dsc(csca, [EntryKind.HEALTH_CODE])
    foreign = create_dsc(foreign_csca)
    _save(pems, "CN", csca, certificates)
    _save(pems, "AT", foreign_csca, foreign)
    trust = load_trust(sorted(pems.glob("*.pem")))
    ctx = open_context(f"sqlite:///{work / 'bench.db'}")
    ctx.signer_loader = lambda: signer_from(certificates)
    ctx.health_code_signer_loader = lambda: signer_from(codes)
    ctx.trust_loader = lambda: trust
    return ctx, signer_from(foreign)


def _record(number: str, entry: dict[str, Any], index: int) -> Any:
    return parse_record(
        {
            "record_id": f"bench-{number}-{index}",
            "holder": {
                "document_type": "passport",
                "issuing_country": "CN",
                "document_number": number,
                "family_name": "王",
                "given_name": "小明",
                "family_name_latin": "WANG",
                "given_name_latin": "XIAOMING",
                "date_of_birth": DOB,
                "contact": "+86 10 5555 0100",
            },
            "entry": entry,
        }
    )


def _tests(now: datetime) -> list[dict[str, Any]]:
    sampled = (now - timedelta(hours=20)).isoformat(timespec="seconds")
    common = {"kind": "test", "sample_time": sampled, "centre": "Manhattan Travel Clinic"}
    return [
        common | {"test_type": "LP6464-4", "result": "260415000"},
        common | {"test_type": "94563-4", "result": "260373001"},
    ]


def _declaration(evidence: list[dict[str, Any]], departure: datetime) -> dict[str, Any]:
    return {
        "identity": {"document_type": "passport", "issuing_country": "CN", "nationality": "CN"},
        "residence": {"country": "US", "city": "New York", "address": "1 Main St, Apt 2"},
        "employer": {"name": "Example Trading Co.", "address": "5 Wall St"},
        "trip": {
            "from_country": "US",
            "from_city": "New York",
            "via": [],
            "to_country": "CN",
            "port_of_entry": "PEK",
            "departure": departure.isoformat(timespec="seconds"),
            "transport": "CA982",
        },
        "evidence": evidence,
        "health": {"symptoms": False, "temperature_c": 36.6},
        "consent": True,
    }


def _file(ctx: ServiceContext, foreign: Signer, count: int) -> list[tuple[Person, int]]:
    """COUNT holders, each with two records and an AT DCC, each filing one declaration."""
    recorder = authenticate(ctx, create_key(ctx, "recorder", "bench lab", OPERATOR).secret)
    now = ctx.clock()
    filed = []
    for index in range(count):
        number = f"E{index:08d}"
        records = [
            store_record(ctx, _record(number, entry, n), recorder).record.id
            for n, entry in enumerate(_tests(now))
        ]
        dcc = issue_payload(IssueRequest.model_validate(_request(index)), foreign)
        evidence = [{"record_id": r} for r in records] + [{"payload": dcc}]
        person = Person.of("passport", "CN", number, DOB)
        row = filing.file_declaration(ctx, person, _declaration(evidence, now + timedelta(days=2)))
        filed.append((person, row.id))
    return filed


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _review(ctx: ServiceContext, post: review.Post, declaration: int) -> tuple[float, float]:
    """Seconds of the officer's pre-check and of the approval that follows it."""
    start = time.perf_counter()
    found = review.examine(ctx, post, declaration)
    checked = time.perf_counter()
    decided = review.decide(ctx, post, declaration, "approve", version=found["version"])
    end = time.perf_counter()
    if found["status"] != status.SUBMITTED or decided["status"] != status.APPROVED:
        raise SystemExit(f"setup: declaration {declaration} was {found['status']}, not queued")
    return checked - start, end - checked


def _fetch(ctx: ServiceContext, person: Person) -> float:
    """Seconds of one holder's health code fetch, as the holder's page asks for it."""
    return _timed(lambda: health_code.current_code(ctx, person))


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _line(name: str, values: list[float]) -> str:
    mean, p95 = statistics.fmean(values), _p95(values)
    return f"{name:<46} mean {mean * 1e3:7.3f} ms   p95 {p95 * 1e3:7.3f} ms"


def _one(name: str, seconds: float) -> str:
    return f"{name:<46} {seconds * 1e3:12.3f} ms"


def _verdict(seconds: float) -> str:
    return "meets" if seconds <= BUDGET_SECONDS else "OVER"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    count = parser.parse_args().count
    with tempfile.TemporaryDirectory(prefix="healthcert-bench-") as folder:
        ctx, foreign = _context(Path(folder))
        try:
            _run(ctx, foreign, count)
        finally:
            ctx.engine.dispose()


def _run(ctx: ServiceContext, foreign: Signer, count: int) -> None:
    start = time.perf_counter()
    filed = _file(ctx, foreign, count)
    filing_seconds = time.perf_counter() - start
    officer = create_key(ctx, "officer", "bench US post", OPERATOR, ["US"])
    post = review.post_of(ctx, authenticate(ctx, officer.secret))
    reviews = [_review(ctx, post, declaration) for _, declaration in filed]
    fetches = [_fetch(ctx, person) for person, _ in filed]
    now = ctx.clock()
    departure = now + timedelta(hours=30)
    codes = [_health_code(index, departure) for index in range(count)]
    requests = [IssueRequest.model_validate(_request(index)) for index in range(count)]
    codes_signer, dcc_signer = ctx.health_code_signer(), ctx.signer()
    signing = _timed(lambda: [issue_health_code(c, codes_signer, now) for c in codes]) / count
    dcc = _timed(lambda: [issue_payload(r, dcc_signer, now=now) for r in requests]) / count
    raw_sign, raw_verify = _raw_ecdsa(max(count, 1000))
    totals = [checked + decided for checked, decided in reviews]
    print(f"declarations on SQLite: {count}, each with 2 records and 1 AT EU DCC")
    print(_one("filing (stored, DCC verified, auto pre-check)", filing_seconds / count))
    print(_line("officer's pre-check (review.examine)", [c for c, _ in reviews]))
    print(_line("approval (review.decide)", [d for _, d in reviews]))
    print(_line("pre-check + decision", totals))
    mean, p95 = statistics.fmean(totals), _p95(totals)
    budget = f"budget {BUDGET_SECONDS * 1e3:g} ms a declaration"
    print(f"{budget}: mean {_verdict(mean)}, p95 {_verdict(p95)}")
    print(_line("health code fetch (read, verify, sign, store)", fetches))
    print(_one("health code signing (issue_health_code)", signing))
    print(_one("EU DCC issuance, one by one (issue_payload)", dcc))
    print(f"{'health code signing / EU DCC issuance':<46} {signing / dcc:12.2f} x the time")
    print(f"{'health code fetch / EU DCC issuance':<46} {statistics.fmean(fetches) / dcc:12.2f} x")
    print(_one("raw ECDSA P-256 sign", raw_sign))
    print(_one("raw ECDSA P-256 verify", raw_verify))


if __name__ == "__main__":
    main()
