"""``healthcert.verify_many``: a stream of payloads of any length, verified in stages, chunks and
worker processes, gives each payload the report it gets alone, in input order.

Real keys sign real EU DCCs (``tests/rules/certs.py``); the workers are real forked processes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import healthcert
from healthcert import batch
from healthcert import report as codes
from healthcert.codec import base45
from healthcert.inputs import Item
from healthcert.report import Report
from healthcert.rules.policy import load_policies
from healthcert.rules.verdict import judge_for
from healthcert.trust.verifier import VerifierTrust
from healthcert.verification import context, verify_item

from .rules.certs import CLOCK, Issuer, lab_test, make_issuer, vaccination


@pytest.fixture(scope="module")
def issuer() -> Issuer:
    return make_issuer("DE")


@pytest.fixture(scope="module")
def units(issuer: Issuer) -> list[batch.Unit]:
    """Every kind of unit, valid and not, repeated past the first chunk and several more."""
    good = issuer.issue(vaccination())
    test = issuer.issue(lab_test())
    kinds: list[batch.Unit] = [
        good,
        test.encode() + b"\n",  # a raw batch line
        Item("card.png", error_code=codes.QR_UNREADABLE, error_message="no QR code"),
        "nonsense",
        b"HC1:\xff\n",  # a line that is not UTF-8
        Item("file.txt", payload=test),
        "HC1:" + base45.encode(base45.decode(good[4:])[:-6]),  # its compressed data cut short
        make_issuer("FR").issue(vaccination()),  # signed by a key not trusted
    ]
    return kinds * 30  # 240: the first chunk of 16, then three chunks of 64 and one of 32


def expected(unit: batch.Unit, issuer: Issuer) -> dict[str, Any]:
    """The report of one unit verified alone, through the pipeline's single path."""
    from healthcert.inputs import from_line

    item = (
        from_line(unit)
        if isinstance(unit, bytes)
        else unit
        if isinstance(unit, Item)
        else Item(unit, payload=unit)
    )
    return verify_item(item, context(issuer.trust, CLOCK)).to_dict()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_each_report_is_the_one_it_gets_alone_in_input_order(
    issuer: Issuer, units: list[batch.Unit], workers: int
) -> None:
    found = healthcert.verify_many(units, trust=issuer.trust, at=CLOCK, workers=workers)
    assert [report.to_dict() for report in found] == [expected(unit, issuer) for unit in units]


def test_what_each_kind_of_unit_reports(issuer: Issuer, units: list[batch.Unit]) -> None:
    reports = list(healthcert.verify_many(units[:8], trust=issuer.trust, at=CLOCK))
    valid = [True, True, False, False, False, True, False, False]
    assert [report.valid for report in reports] == valid
    assert reports[1].input == units[1].decode().strip()  # type: ignore[union-attr]
    assert reports[2].input == "card.png"
    assert reports[2].error_codes == [codes.QR_UNREADABLE]
    assert reports[3].error_codes == [codes.PREFIX_INVALID]
    assert reports[4].error_codes == [codes.INPUT_UNREADABLE]
    assert reports[5].input == "file.txt"
    assert reports[6].error_codes == [codes.DECOMPRESS_FAILED]
    assert reports[7].error_codes == [codes.KID_UNKNOWN]
    assert reports[7].checks["signature"] is False


def test_no_payloads_no_reports(issuer: Issuer) -> None:
    assert list(healthcert.verify_many([], trust=issuer.trust, workers=2)) == []


def test_trust_with_its_card_issuers_and_a_clock_without_a_zone(
    issuer: Issuer, units: list[batch.Unit]
) -> None:
    """A verifier's trust (the store and SMART Health Card issuers) serves as the store does,
    and a clock without a time zone is UTC."""
    naive = CLOCK.replace(tzinfo=None)
    trust = VerifierTrust(issuer.trust)
    found = healthcert.verify_many(units[:8], trust=trust, at=naive)
    assert [report.to_dict() for report in found] == [expected(unit, issuer) for unit in units[:8]]
    late = healthcert.verify_many(units[:1], trust=issuer.trust, at=datetime(2099, 1, 1))
    assert next(late).error_codes[-1:] == [codes.EXPIRED]


def test_workers_below_one_are_refused_at_the_call(issuer: Issuer) -> None:
    with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
        healthcert.verify_many(["x"], trust=issuer.trust, workers=0)


def test_a_judge_records_its_verdict_in_every_report_also_in_the_workers(
    issuer: Issuer, units: list[batch.Unit], tmp_path: Path
) -> None:
    judge = judge_for("DE", policies=load_policies(home=tmp_path))
    found = list(
        healthcert.verify_many(units[:80], trust=issuer.trust, at=CLOCK, workers=2, judge=judge)
    )
    verdicts = [report.extra["verdict"] for report in found]
    assert verdicts[:8] == ["green", "green", "red", "red", "red", "green", "red", "red"]
    assert verdicts[72:80] == verdicts[:8]  # verified in a worker
    assert found[3].extra["verdict_reasons"][0]["code"] == "CERTIFICATE_INVALID"


def test_the_first_chunk_is_verified_here_before_any_worker_starts(
    issuer: Issuer, units: list[batch.Unit]
) -> None:
    """The workers are forked after the first chunk, so they inherit what it loaded."""
    where: list[int] = []

    def note_the_process(report: Report, clock: datetime) -> str:
        report.extra["pid"] = os.getpid()
        return "green"

    found = healthcert.verify_many(
        units[:100], trust=issuer.trust, at=CLOCK, workers=2, judge=note_the_process
    )
    for _ in range(batch.FIRST_CHUNK):
        where.append(next(found).extra["pid"])
        assert multiprocessing.active_children() == []
    rest = [report.extra["pid"] for report in found]
    assert where == [os.getpid()] * batch.FIRST_CHUNK
    assert len(rest) == 100 - batch.FIRST_CHUNK
    assert os.getpid() not in rest and len(set(rest)) == 2
    assert multiprocessing.active_children() == []  # the workers are gone once it is done


def test_chunks_are_a_short_first_one_then_full_ones() -> None:
    sizes = [len(chunk) for chunk in batch.chunks(["x"] * 150)]
    assert sizes == [batch.FIRST_CHUNK, batch.CHUNK, batch.CHUNK, 6]
    assert (batch.FIRST_CHUNK, batch.CHUNK) == (16, 64)


def _collector() -> tuple[tuple[int, int, int], int]:
    return gc.get_threshold(), gc.get_freeze_count()


def test_a_short_input_leaves_the_collector_alone(issuer: Issuer) -> None:
    before = _collector()
    found = healthcert.verify_many(["x"] * batch.FIRST_CHUNK, trust=issuer.trust)
    next(found)
    assert _collector() == before
    assert len(list(found)) == batch.FIRST_CHUNK - 1
    assert _collector() == before


def test_overlapping_batches_give_the_collector_back_when_the_last_ends(issuer: Issuer) -> None:
    before = _collector()
    first = healthcert.verify_many(["x"] * 100, trust=issuer.trust)
    second = healthcert.verify_many(["x"] * 100, trust=issuer.trust)
    for _ in range(20):  # both past their first chunk
        next(first)
        next(second)
    assert gc.get_threshold()[0] == 10_000 and gc.get_freeze_count() > 0
    assert len(list(first)) == 80
    assert gc.get_threshold()[0] == 10_000 and gc.get_freeze_count() > 0
    second.close()  # abandoned midway
    assert _collector() == before


def test_import_healthcert_stays_light_until_verify_many_is_used() -> None:
    script = (
        "import sys, healthcert\n"
        "light = 'healthcert.verification' not in sys.modules\n"
        "light = light and 'cryptography' not in sys.modules\n"
        "from healthcert import verify_many\n"
        "from healthcert.batch import verify_many as engine\n"
        "print(light, verify_many is engine, 'verify_many' in healthcert.__all__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True True True"
