"""Verifying many inputs: in stages, in chunks, across worker processes, in input order.

``verify.verify_payloads`` verifies what it is given stage by stage; this module feeds it a
stream of any length. Inputs are cut into chunks; the first chunk is verified here before any
worker is forked, so that the workers inherit the format modules it loaded instead of each
importing them. The rest go to forked workers (``fanout``) that read raw batch lines
themselves and answer in input order; with the JSON path, the workers can also write their
JSON lines to an output themselves. While a batch of more than one chunk runs, the cycle
collector spares what was loaded before it.

``verify_many`` is the library's entry point (reports); ``verify_as_json`` is the command
line's (JSON Lines, written by the workers where it can).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING, TypeVar

from healthcert import fanout
from healthcert.inputs import Item, from_line
from healthcert.report import Report
from healthcert.trust.verifier import VerifierTrust
from healthcert.verification import Judge, context, judge_for_journey, verify_items

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

    from healthcert.formats.base import VerificationContext
    from healthcert.formats.shc.issuers import ShcIssuers
    from healthcert.rules.policy import Policies
    from healthcert.trust.revocation import DccRevocations
    from healthcert.trust.store import TrustStore

# What is verified: a payload text, an input already read (``healthcert.inputs``), or a raw
# line of a batch, which the process that verifies it reads (with workers, a worker).
Unit = str | Item | bytes
# Records the entry verdict in a report verified at the given clock, and returns it.
# A chunk's outcome on the JSON path: whether every report in it was accepted, and its JSON
# lines (UTF-8, each with its newline) as one text: a worker's answer crosses in one piece.
ChunkResult = tuple[bool, bytes]
# ``rules.verdict.Verdict.GREEN``: named here, as a batch without a judge never loads the rules.
GREEN = "green"

# Items verified together, stage by stage: small enough that a stage's data stays in the CPU
# caches (measured best between 16 and 64).
STAGE_SIZE = 32
FIRST_CHUNK = 16  # verified before the workers are forked: kept short, they wait for it
CHUNK = 64  # units per task of a worker process

_Outcome = TypeVar("_Outcome")
# How the chunks after the first are shared among ``workers`` processes, in input order.
Spread = Callable[[Callable[[list[Unit]], _Outcome], Iterator[list[Unit]], int], Iterator[_Outcome]]


def verify_many(
    payloads: Iterable[Unit],
    *,
    trust: TrustStore | VerifierTrust,
    at: datetime | None = None,
    workers: int = 1,
    country: str | None = None,
    origin: str | None = None,
    language: str = "en",
    policies: Policies | None = None,
    dcc_revocations: DccRevocations | None = None,
    shc_issuers: ShcIssuers | None = None,
    health_code_revocations: frozenset[bytes] | None = None,
    vdsnc_revocations: frozenset[bytes] | None = None,
    judge: Judge | None = None,
    unseal_keys: Sequence[EllipticCurvePrivateKey] = (),
) -> Generator[Report, None, None]:
    """The report of every payload, in input order, as they are verified.

    A payload is its text, an ``inputs.Item``, or a raw batch line (bytes, decoded as UTF-8).
    ``at`` is the validation clock (a timezone-aware datetime; default now; a naive one is read
    as UTC). With ``workers`` above 1, payloads after the first chunk are verified in that many
    forked processes (POSIX only; from a program that runs threads, keep 1). With ``country``,
    each report carries the entry verdict of that destination, as ``verify`` records it (or
    give your own ``judge``). ``unseal_keys`` (border keys) open the sealed certificates
    (``HCS1:``) sealed to them. Verification failures are in the reports; ValueError, at the
    call, only for a bad ``workers`` or both a ``country`` and a ``judge``.
    Closing the generator early stops the workers.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if country is not None:
        if judge is not None:
            raise ValueError("give a destination country or a judge, not both")
        judge = judge_for_journey(country, origin, language, policies)
    ctx = context(
        trust,
        at,
        dcc_revocations=dcc_revocations,
        shc_issuers=shc_issuers,
        health_code_revocations=health_code_revocations,
        vdsnc_revocations=vdsnc_revocations,
        unseal_keys=unseal_keys,
    )
    return _each(_in_order(partial(_reports, ctx=ctx, judge=judge), payloads, workers))


def _each(chunks: Generator[list[Report], None, None]) -> Generator[Report, None, None]:
    with closing(chunks):  # closed with this generator, the chunks' generator stops its workers
        for reports in chunks:
            yield from reports


def verify_as_json(
    units: Iterable[Unit],
    ctx: VerificationContext,
    *,
    workers: int = 1,
    judge: Judge | None = None,
    output: int | None = None,
) -> Iterator[ChunkResult]:
    """The outcome of every chunk of units, in input order: whether each report was accepted
    (valid, or with a judge a green verdict) and the reports as JSON Lines. With ``output``
    (a file descriptor) and several workers, the workers write their JSON lines there
    themselves, in order, and their outcomes come back without them."""
    verify_chunk = partial(_json_lines, ctx=ctx, judge=judge)
    spread = None if output is None else _written_to(output)
    return _in_order(verify_chunk, units, workers, spread)


def verified(units: list[Unit], ctx: VerificationContext) -> Iterator[Report]:
    """The reports of ``units`` in their order, verified STAGE_SIZE at a time."""
    items = [
        from_line(unit)
        if isinstance(unit, bytes)
        else unit
        if isinstance(unit, Item)
        else Item(unit, payload=unit)
        for unit in units
    ]
    for start in range(0, len(items), STAGE_SIZE):
        yield from verify_items(items[start : start + STAGE_SIZE], ctx)


def _reports(units: list[Unit], ctx: VerificationContext, judge: Judge | None) -> list[Report]:
    reports = list(verified(units, ctx))
    if judge is not None:
        for report in reports:
            judge(report, ctx.clock)
    return reports


def _json_lines(units: list[Unit], ctx: VerificationContext, judge: Judge | None) -> ChunkResult:
    accepted, lines = True, []
    for report in verified(units, ctx):
        if judge is None:
            # A health code carries its own verdict: a genuine red code is valid, and says no.
            accepted = accepted and report.valid and report.extra.get("verdict", GREEN) == GREEN
        else:
            accepted = judge(report, ctx.clock) == GREEN and accepted
        lines.append(report.json_bytes())
    return accepted, b"".join(lines)


def chunks(units: Iterable[Unit]) -> Iterator[list[Unit]]:
    """A short first chunk (FIRST_CHUNK units), then chunks of CHUNK units."""
    iterator = iter(units)
    size = FIRST_CHUNK
    while chunk := list(islice(iterator, size)):
        yield chunk
        size = CHUNK


def _in_order(
    verify_chunk: Callable[[list[Unit]], _Outcome],
    units: Iterable[Unit],
    workers: int,
    spread: Spread[_Outcome] | None = None,
) -> Generator[_Outcome, None, None]:
    """``verify_chunk`` of every chunk, in input order: the first here, the rest here or (with
    several workers) as ``spread`` shares them, by default ``fanout.in_order``."""
    pending = chunks(units)
    first = next(pending, None)
    if first is None:
        return
    # Verified here first: that loads what the payloads' formats need, once, before the
    # workers are forked from this process (and before the loaded program is frozen).
    yield verify_chunk(first)
    second = next(pending, None)
    if second is None:  # a short input: no worker, and the collector is left alone
        return
    rest = chain([second], pending)
    with collector_spares_the_loaded_program():
        if workers == 1:
            yield from map(verify_chunk, rest)
        else:
            # Forked workers inherit the trust store and policies (and the judge that holds
            # them). They get raw lines and write or send back text, so that the parent, which
            # shares the CPUs with them, does next to nothing.
            # why: the worker pool loads only for a batch large enough to fan out
            from healthcert import fanout

            yield from (spread or fanout.in_order)(verify_chunk, rest, workers)


def _written_to(output: int) -> Spread[ChunkResult]:
    def spread(
        verify_chunk: Callable[[list[Unit]], ChunkResult], rest: Iterator[list[Unit]], workers: int
    ) -> Iterator[ChunkResult]:
        return fanout.written_in_order(verify_chunk, rest, workers, output)

    return spread


class _CollectorPolicy:
    """The collector's settings for batches, set by the first batch to start and put back by
    the last to end: batches may overlap, in threads or in generators read in turn."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        with self._lock:
            if self._running == 0:
                self._thresholds = gc.get_threshold()
                gc.freeze()
                gc.set_threshold(10_000, 10, 10)
            self._running += 1

    def end(self) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                gc.set_threshold(*self._thresholds)
                gc.unfreeze()


_BATCH_COLLECTOR = _CollectorPolicy()


@contextmanager
def collector_spares_the_loaded_program() -> Iterator[None]:
    """Keep the cycle collector to the objects of the batch while it runs.

    A batch makes and drops millions of short-lived objects. Each full collection they set off
    walked every module, trust key and rule loaded before the first payload (some 20 ms, about
    5 us a payload over a batch); frozen, those are not walked, and forked workers inherit them
    frozen. Collecting the youngest objects every 10,000 allocations instead of 700 finds most
    of them already freed by their reference counts. All is as before once the batch is done.
    """
    _BATCH_COLLECTOR.start()
    try:
        yield
    finally:
        _BATCH_COLLECTOR.end()
