"""Batches report what single payloads report: ``verify_payloads``, ``verify_items``,
``verify_payload``.

EU DCC payloads are now verified stage by stage over a whole batch, grouped by format, and a
defect in a batch is redone payload by payload. None of that may show in a report: every
payload's report must equal the one the format's own single path gives it (``eu_dcc.verify_into``
on a fresh report), in its batch of one, and among other formats and broken inputs, in input
order. The EU DCC conformance vectors (tests/data/eu-dcc) supply payloads that fail at every
step, each with the trust (TESTCTX.CERTIFICATE) and clock (VALIDATIONCLOCK) of its case.
"""

from __future__ import annotations

import base64
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcert import report as codes
from healthcert import verification
from healthcert.formats.base import VerificationContext
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.shc import issuers as shc_issuers
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.inputs import Item
from healthcert.limits import MAX_INPUT_BYTES
from healthcert.report import CHECK_NAMES, Report
from healthcert.trust.certificates import UnusableCertificate, read_facts, trusted_key
from healthcert.trust.store import ImportBatch, TrustStore

DATA = Path(__file__).parent / "data"
VECTORS = DATA / "eu-dcc"
SHC_EXAMPLES = DATA / "shc" / "examples"
SHC_ISS = "https://spec.smarthealth.cards/examples/issuer"
# Inside the validity of the SMART Health Card examples (signed 2023-06-22).
SHC_INSIDE = datetime(2023, 7, 1, tzinfo=UTC)
INTERNAL_ERROR = {"code": "INTERNAL_ERROR", "message": "an internal error stopped verification"}

Pair = tuple[str, str | None]  # (payload, label), as verify_payloads takes them


# -- the vectors and their contexts -----------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    payload: str
    certificate: str | None
    clock: str | None


def _read_cases() -> tuple[Case, ...]:
    found = []
    for path in sorted(VECTORS.rglob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8-sig"))
        context = case["TESTCTX"]
        found.append(
            Case(
                id=str(path.relative_to(VECTORS)),
                payload=case.get("PREFIX", ""),
                certificate=context.get("CERTIFICATE") or None,
                clock=context.get("VALIDATIONCLOCK") or None,
            )
        )
    return tuple(found)


CASES = _read_cases()


def _groups() -> dict[tuple[str | None, str | None], list[Case]]:
    """Cases that share trust and clock, so that each group is one batch under one context."""
    groups: dict[tuple[str | None, str | None], list[Case]] = {}
    for case in CASES:
        groups.setdefault((case.certificate, case.clock), []).append(case)
    return groups


GROUPS = list(_groups().values())


@cache
def _shc_issuers() -> ShcIssuers:
    return shc_issuers.load_issuer_binding(f"{SHC_ISS}={SHC_EXAMPLES / 'issuer'}")


def _trust(certificates: Iterable[str | None]) -> TrustStore:
    """Each certificate trusted as the DSC it stands for; one that cannot be read is no trust,
    as the conformance test has it."""
    keys = []
    for certificate in certificates:
        if certificate is None:
            continue
        try:
            facts = read_facts(base64.b64decode(certificate))
        except UnusableCertificate:
            continue
        keys.append(trusted_key(facts, "TESTCTX.CERTIFICATE"))
    store = TrustStore()
    store.add_batch(ImportBatch(keys=keys))
    return store


@cache
def _case_context(certificate: str | None, clock: str | None) -> VerificationContext:
    # Built once per group: a case without a clock verifies at "now", which must be the same
    # instant for the batch and for its references.
    when = datetime.fromisoformat(clock.replace("Z", "+00:00")) if clock else None
    return verification.context(_trust([certificate]), when, shc_issuers=_shc_issuers())


@cache
def _shared_context() -> VerificationContext:
    """Every vector's certificate at once, at a clock where the SMART Health Cards are valid."""
    return verification.context(
        _trust(case.certificate for case in CASES), SHC_INSIDE, shc_issuers=_shc_issuers()
    )


def _shc(name: str) -> str:
    return (SHC_EXAMPLES / name).read_text(encoding="utf-8").strip()


SHC_QR = _shc("example-00-f-qr-code-numeric-value-0.txt")
SHC_JWS = _shc("example-01-d-jws.txt")
SHC_REVOKED = _shc("example-03-f-qr-code-numeric-value-0.txt")

# Inputs that never reach a format, or reach one and fail in it. Labelled, so that each is
# told apart in a failure message (a label also stands in for the input in its report).
BAD_INPUTS: list[Pair] = [
    ("", "blank"),
    (" \t\r\n ", "whitespace"),
    ("HC1:" + "A" * MAX_INPUT_BYTES, "too large"),
    ("é" * (MAX_INPUT_BYTES // 2) + "x", "too large in UTF-8 only"),
    ("HC2:6BFOXN%TS3DH0YOJ58S", "unknown prefix"),
    ("\x00\x01\x02\xff garbage", "garbage"),
    ("{not json", "garbage JSON"),
    ("HC1:$$$$", "garbage base45"),
    ("HC1:" + "0" * (MAX_INPUT_BYTES - 4), "exactly the limit"),
    ("\t" * MAX_INPUT_BYTES + "HC1:NCF", "blanks beyond the limit"),
    ("HC1:\ud800", "lone surrogate"),
]
SHC_INPUTS: list[Pair] = [(SHC_QR, "shc qr"), (SHC_JWS, None), (SHC_REVOKED, "shc revoked")]


# -- references -------------------------------------------------------------------------------


def is_hcert_text(payload: str) -> bool:
    """Whether the pipeline hands this payload to the EU DCC format."""
    text = payload.strip()
    return len(text.encode("utf-8", "surrogatepass")) <= MAX_INPUT_BYTES and eu_dcc.looks_like(text)


def hcert_alone(payload: str, label: str | None, ctx: VerificationContext) -> dict[str, Any]:
    """The format's own single path: a fresh report (its payload recorded, as the pipeline
    records it before choosing a format) and ``eu_dcc.verify_into``."""
    text = payload.strip()
    report = Report(input=payload if label is None else label)
    report.payload = text
    eu_dcc.verify_into(report, text, ctx)
    return report.to_dict()


def alone(payload: str, label: str | None, ctx: VerificationContext) -> dict[str, Any]:
    """The pipeline's answer for this payload in a batch of its own."""
    return verification.verify_payload(payload, ctx, label=label).to_dict()


def refused(input_: str, payload: str | None, code: str, message: Any = ANY) -> dict[str, Any]:
    """The report of an input refused before any format: only decode has run, and failed. The
    message is prose unless given; the code is what programs match on."""
    return {
        "input": input_,
        "format": None,
        "valid": False,
        "checks": {name: False if name == "decode" else None for name in CHECK_NAMES},
        "errors": [{"code": code, "message": message}],
        "issuer": {"country": None, "kid": None},
        "payload": payload,
        "certificate": None,
    }


def check_bad_input(pair: Pair, report: dict[str, Any]) -> None:
    """The explicit answer for each bad input; the formats' answers are compared elsewhere."""
    payload, label = pair
    shown = payload if label is None else label
    text = payload.strip()
    if label in ("blank", "whitespace"):
        assert report == refused(shown, "", codes.INPUT_EMPTY, "the input is empty")
    elif label in ("too large", "too large in UTF-8 only"):
        message = f"the input is larger than {MAX_INPUT_BYTES} bytes"
        assert report == refused(shown, None, codes.INPUT_TOO_LARGE, message)
    elif label in ("unknown prefix", "garbage", "garbage JSON"):
        assert report == refused(shown, text, codes.PREFIX_INVALID)
    else:  # handed to the EU DCC format, which refuses them at decoding
        assert report["format"] == eu_dcc.name
        # A report's JSON shows a lone surrogate (not UTF-8) as U+FFFD, one per byte.
        assert report["payload"] == text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        assert report["checks"]["decode"] is False
        assert report["valid"] is False
        assert [error["code"] for error in report["errors"]] == [HCERT_REFUSALS[str(label)]]


# The bad inputs the EU DCC format receives, and its answer: the limit applies to the text
# without its surrounding blanks, and a text of exactly the limit is read.
HCERT_REFUSALS = {
    "garbage base45": codes.BASE45_INVALID,
    "exactly the limit": codes.BASE45_INVALID,
    "blanks beyond the limit": codes.DECOMPRESS_FAILED,
    "lone surrogate": codes.BASE45_INVALID,
}


def labelled(cases: Sequence[Case]) -> list[Pair]:
    """Every other vector labelled, so that both ways of naming an input are exercised."""
    return [(case.payload, case.id if i % 2 else None) for i, case in enumerate(cases)]


def assert_batch_as_alone(pairs: Sequence[Pair], ctx: VerificationContext) -> list[Report]:
    reports = verification.verify_payloads(pairs, ctx)
    assert len(reports) == len(pairs)
    for (payload, label), report in zip(pairs, reports, strict=True):
        got = report.to_dict()
        name = label or payload[:40]
        assert report.input == (payload if label is None else label)
        assert got == alone(payload, label, ctx), name
        if is_hcert_text(payload):
            assert got == hcert_alone(payload, label, ctx), name
    return reports


# -- vectors in batches -----------------------------------------------------------------------


def _group_id(group: list[Case]) -> str:
    return group[0].id + (f"+{len(group) - 1}" if len(group) > 1 else "")


def test_every_vector_is_in_some_group() -> None:
    assert sum(len(group) for group in GROUPS) == len(CASES) == 206
    # The vectors must reach the EU DCC format in bulk, or this file tests little.
    assert sum(is_hcert_text(case.payload) for case in CASES) >= 200


@pytest.mark.parametrize("group", GROUPS, ids=_group_id)
def test_a_group_of_vectors_reports_as_each_alone(group: list[Case]) -> None:
    ctx = _case_context(group[0].certificate, group[0].clock)
    pairs = labelled(group)
    reports = assert_batch_as_alone(pairs, ctx)
    for case, report in zip(group, reports, strict=True):
        if not is_hcert_text(case.payload):  # the three vectors with another prefix
            assert report.format is None
            assert report.error_codes == [codes.PREFIX_INVALID]
    # Backwards, the same reports in the other order: no payload sees its neighbours.
    backwards = verification.verify_payloads(pairs[::-1], ctx)
    assert [r.to_dict() for r in backwards[::-1]] == [r.to_dict() for r in reports]


@pytest.mark.parametrize("group", GROUPS, ids=_group_id)
def test_a_group_among_other_formats_and_bad_inputs(group: list[Case]) -> None:
    ctx = _case_context(group[0].certificate, group[0].clock)
    others = BAD_INPUTS + SHC_INPUTS
    pairs: list[Pair] = []
    for i, pair in enumerate(labelled(group)):
        pairs += [pair, others[i % len(others)]]
    pairs += others
    pairs.append(pairs[0])  # the same payload twice in one batch
    reports = assert_batch_as_alone(pairs, ctx)
    for pair, report in zip(pairs, reports, strict=True):
        if pair in BAD_INPUTS:
            check_bad_input(pair, report.to_dict())


def test_every_vector_in_one_shuffled_batch() -> None:
    """All 206 payloads, the SMART Health Cards and the bad inputs in one batch under one
    context: many kids, every kind of failure, side by side in the stages."""
    ctx = _shared_context()
    pairs = labelled(CASES) + BAD_INPUTS + SHC_INPUTS
    random.Random(20261123).shuffle(pairs)
    reports = assert_batch_as_alone(pairs, ctx)
    by_pair = dict(zip(pairs, reports, strict=True))
    for pair in BAD_INPUTS:
        check_bad_input(pair, by_pair[pair].to_dict())
    # The cards were verified for real in this batch: two valid, the third revoked.
    assert by_pair[(SHC_QR, "shc qr")].valid
    assert by_pair[(SHC_JWS, None)].valid
    assert by_pair[(SHC_REVOKED, "shc revoked")].error_codes == [codes.REVOKED]
    # And the vectors were not all refused alike: the batch held valid and invalid DCCs.
    verdicts = {report.valid for report in reports if report.format == eu_dcc.name}
    assert verdicts == {True, False}


def test_an_empty_batch_gives_no_reports() -> None:
    assert verification.verify_payloads([], _shared_context()) == []
    assert verification.verify_items([], _shared_context()) == []


# -- any order, any mix -----------------------------------------------------------------------

POOL: list[Pair] = [
    *labelled(CASES[::17]),
    *BAD_INPUTS[:6],
    (SHC_QR, "shc qr"),
]


@cache
def _pool_report(index: int) -> str:
    payload, label = POOL[index]
    return json.dumps(alone(payload, label, _shared_context()), sort_keys=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(POOL) - 1), max_size=24))
def test_any_sequence_reports_in_input_order(indexes: list[int]) -> None:
    reports = verification.verify_payloads([POOL[i] for i in indexes], _shared_context())
    got = [json.dumps(report.to_dict(), sort_keys=True) for report in reports]
    assert got == [_pool_report(i) for i in indexes]


# -- verify_items: read failures keep their place ---------------------------------------------


def unreadable(item: Item) -> dict[str, Any]:
    return refused(
        item.label, None, item.error_code or codes.INPUT_UNREADABLE, item.error_message or ""
    )


def test_read_failures_keep_their_place_among_verified_items() -> None:
    ctx = _shared_context()
    first, second, third = (case.payload for case in CASES[:3])
    items = [
        Item("scan.png", error_code=codes.QR_UNREADABLE, error_message="no QR code in the image"),
        Item("first", payload=first),
        Item("gone.txt"),  # no code and no message: INPUT_UNREADABLE, with an empty message
        Item("second", payload=second),
        Item("third", payload=third),
        Item("big.png", error_code=codes.INPUT_TOO_LARGE, error_message="over the limit"),
        Item("card", payload=SHC_QR),
        Item("empty.txt", payload=""),
        Item("last.png", error_code=codes.QR_UNREADABLE, error_message="two QR codes"),
    ]
    reports = verification.verify_items(items, ctx)
    assert [report.input for report in reports] == [item.label for item in items]
    for item, report in zip(items, reports, strict=True):
        got = report.to_dict()
        if item.payload is None:
            assert got == unreadable(item)
        else:
            assert got == alone(item.payload, item.label, ctx)
        assert verification.verify_item(item, ctx).to_dict() == got
    # Each verified item was verified by its own format, not shifted onto a neighbour's.
    formats = [None, eu_dcc.name, None, eu_dcc.name, eu_dcc.name, None, "shc", None, None]
    assert [report.format for report in reports] == formats
    assert [report.error_codes for report in reports if report.format is None] == [
        [codes.QR_UNREADABLE],
        [codes.INPUT_UNREADABLE],
        [codes.INPUT_TOO_LARGE],
        [codes.INPUT_EMPTY],
        [codes.QR_UNREADABLE],
    ]
    assert reports[6].valid  # the card between the failures was verified, not skipped


def test_items_that_all_failed_to_read() -> None:
    items = [Item(f"unreadable {i}", error_code=codes.QR_UNREADABLE) for i in range(3)]
    reports = verification.verify_items(items, _shared_context())
    assert [report.to_dict() for report in reports] == [unreadable(item) for item in items]


ITEM_POOL = [
    Item("no qr", error_code=codes.QR_UNREADABLE, error_message="no QR code"),
    Item("no file"),
    *(Item(label or payload[:20], payload=payload) for payload, label in POOL),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=0, max_value=len(ITEM_POOL) - 1), max_size=16))
def test_any_mix_of_items_keeps_its_order(indexes: list[int]) -> None:
    ctx = _shared_context()
    items = [ITEM_POOL[i] for i in indexes]
    reports = verification.verify_items(items, ctx)
    assert len(reports) == len(items)
    for item, report in zip(items, reports, strict=True):
        if item.payload is None:
            assert report.to_dict() == unreadable(item)
        else:
            assert report.to_dict() == alone(item.payload, item.label, ctx)


# -- a defect inside a batch ------------------------------------------------------------------


class PlantedDefect(RuntimeError):
    """Raised by a stage for one chosen payload, as a bug in that stage would."""


STAGES = ("_decode_into", "_check_schema", "_check_signature", "_check_claims", "_canonical")


def _defect_batch() -> list[Pair]:
    """Vectors (valid, and failing at each stage) among bad inputs and cards: a batch with
    every kind of finding for the restart to clear."""
    picked = labelled(CASES[:30])
    return [*picked[:15], *BAD_INPUTS, (SHC_QR, "shc qr"), *picked[15:]]


def _target(pairs: Sequence[Pair], normal: Sequence[dict[str, Any]]) -> int:
    """A payload that decodes and whose DCC no other payload in the batch carries, so that a
    defect planted for its DCC hits it alone. Near the end of the batch, so that the others
    have passed the stage (and recorded its findings) before the defect: without a restart,
    they would carry them twice."""
    dccs = [
        eu_dcc.decode(payload.strip()).dcc
        if report["format"] == eu_dcc.name and report["checks"]["decode"]
        else None
        for (payload, _), report in zip(pairs, normal, strict=True)
    ]
    for index in range(len(dccs) - 3, 0, -1):  # not last: neighbours after it must survive
        if dccs[index] is not None and dccs.count(dccs[index]) == 1:
            return index
    raise AssertionError("no payload with a DCC of its own")


def _plant(monkeypatch: pytest.MonkeyPatch, stage: str, target_text: str, target_dcc: Any) -> None:
    original: Callable[..., Any] = getattr(eu_dcc, stage)

    def hits(args: tuple[Any, ...]) -> bool:
        if stage == "_canonical":
            return bool(args[0] == target_dcc)
        return any(
            (isinstance(arg, Report) and arg.payload == target_text) or arg == target_text
            for arg in args
            if isinstance(arg, Report | str)
        )

    def faulty(*args: Any) -> Any:
        if hits(args):
            raise PlantedDefect(f"planted in {stage}")
        return original(*args)

    monkeypatch.setattr(eu_dcc, stage, faulty)


def _verify_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == verification.log.name]


@pytest.fixture
def verify_log(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> pytest.LogCaptureFixture:
    # The service's log setup stops "healthcert" propagating to the root, where caplog
    # listens; a test of the service in the same worker must not hide these records.
    monkeypatch.setattr(logging.getLogger("healthcert"), "propagate", True)
    caplog.set_level(logging.ERROR, logger=verification.log.name)
    return caplog


@pytest.mark.parametrize("stage", STAGES)
def test_a_defect_for_one_payload_costs_the_others_nothing(
    stage: str, monkeypatch: pytest.MonkeyPatch, verify_log: pytest.LogCaptureFixture
) -> None:
    ctx = _shared_context()
    pairs = _defect_batch()
    normal = [report.to_dict() for report in verification.verify_payloads(pairs, ctx)]
    index = _target(pairs, normal)
    text = pairs[index][0].strip()
    _plant(monkeypatch, stage, text, eu_dcc.decode(text).dcc)

    reports = [report.to_dict() for report in verification.verify_payloads(pairs, ctx)]

    assert len(reports) == len(pairs)
    for position, (got, want) in enumerate(zip(reports, normal, strict=True)):
        if position != index:
            assert got == want, pairs[position][1] or pairs[position][0][:40]
    faulty, before = reports[index], normal[index]
    assert faulty["input"] == before["input"] and faulty["payload"] == text
    assert faulty["errors"][-1] == INTERNAL_ERROR
    assert faulty["errors"].count(INTERNAL_ERROR) == 1
    # Up to the defect, the payload was verified as ever: its findings are a prefix of its
    # normal ones, never a repeat left over from the batch attempt.
    found = faulty["errors"][:-1]
    assert found == before["errors"][: len(found)]
    assert faulty["checks"]["decode"] is False and faulty["valid"] is False
    if stage == "_canonical":  # the last stage: everything else is as normal
        assert faulty == {
            **before,
            "valid": False,
            "checks": {**before["checks"], "decode": False},
            "errors": [*before["errors"], INTERNAL_ERROR],
            "certificate": None,
        }
    if stage == "_decode_into":  # the first: nothing was found
        assert faulty == refused(before["input"], text, "INTERNAL_ERROR", INTERNAL_ERROR["message"])

    records = _verify_log(verify_log)
    assert [record.getMessage() for record in records] == [
        "internal error while verifying a batch of eu-dcc payloads",
        "internal error while verifying a eu-dcc payload",
    ]
    for record in records:
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], PlantedDefect)
        assert str(record.exc_info[1]) == f"planted in {stage}"


def test_a_defect_in_every_payload_still_answers_each(
    monkeypatch: pytest.MonkeyPatch, verify_log: pytest.LogCaptureFixture
) -> None:
    ctx = _shared_context()
    pairs = _defect_batch()
    normal = [report.to_dict() for report in verification.verify_payloads(pairs, ctx)]

    def broken(*args: Any) -> Any:
        raise PlantedDefect("planted everywhere")

    monkeypatch.setattr(eu_dcc, "_canonical", broken)
    reports = [report.to_dict() for report in verification.verify_payloads(pairs, ctx)]
    decoded = 0
    for got, want in zip(reports, normal, strict=True):
        if want["format"] == eu_dcc.name and want["checks"]["decode"]:
            decoded += 1
            assert got["errors"] == [*want["errors"], INTERNAL_ERROR]
            assert got["certificate"] is None
        else:  # refused before the mapping stage, or not an EU DCC at all
            assert got == want
    assert decoded >= 10
    # One record for the batch, then one for each payload that reached the mapping.
    records = _verify_log(verify_log)
    assert len(records) == 1 + decoded
    assert all(
        record.exc_info is not None and isinstance(record.exc_info[1], PlantedDefect)
        for record in records
    )


def test_a_defect_in_a_batch_of_one_is_reported_once(
    monkeypatch: pytest.MonkeyPatch, verify_log: pytest.LogCaptureFixture
) -> None:
    ctx = _shared_context()
    payload = next(case.payload for case in CASES if is_hcert_text(case.payload))
    text = payload.strip()
    normal = verification.verify_payload(payload, ctx).to_dict()
    _plant(monkeypatch, "_check_signature", text, None)
    got = verification.verify_payload(payload, ctx).to_dict()
    assert got["errors"][-1] == INTERNAL_ERROR
    assert got["errors"][:-1] == normal["errors"][: len(got["errors"]) - 1]
    assert [record.getMessage() for record in _verify_log(verify_log)] == [
        "internal error while verifying a eu-dcc payload"
    ]


def test_restart_forgets_every_finding_but_the_input() -> None:
    ctx = _shared_context()
    payload = next(case.payload for case in CASES if is_hcert_text(case.payload))
    report = verification.verify_payload(payload, ctx, label="label")
    report.extra["rules"] = "anything"
    report.restart()
    assert report.to_dict() == {
        "input": "label",
        "format": None,
        "valid": False,
        "checks": dict.fromkeys(CHECK_NAMES),
        "errors": [],
        "issuer": {"country": None, "kid": None},
        "payload": payload.strip(),
        "certificate": None,
    }
