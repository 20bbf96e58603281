"""``healthcert verify``: reports for payloads, files, images and batches, in input order."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Union

import typer

from healthcert.cli.common import EXIT_INVALID, TrustOption, fail, verification_context
from healthcert.cli.verdict import (
    GREEN,
    CountryOption,
    Judge,
    LanguageOption,
    OriginOption,
    PoliciesOption,
    build_judge,
)

if TYPE_CHECKING:
    from healthcert.formats.base import VerificationContext
    from healthcert.inputs import Item

_CHUNK = 256  # items per task of a worker process
# Items verified together, stage by stage: small enough that a stage's data stays in the CPU
# caches (measured best between 16 and 64).
_STAGE_BATCH = 32
_worker_context: VerificationContext | None = None
_worker_judge: Judge | None = None


def verify(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Payloads (HC1:..., shc:/..., a VDS-NC seal), or files: a QR image (.png, "
            ".jpg), a .smart-health-card file or a text file. The QR codes of one card split "
            "in chunks are joined."
        ),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="A file of payloads, one per line; '-' reads standard input."),
    ] = None,
    trust: TrustOption = None,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Validation clock, ISO 8601 (default now; no offset = UTC)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON report per input (JSON Lines).")
    ] = False,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes that verify in parallel.")
    ] = 1,
    country: CountryOption = None,
    origin: OriginOption = None,
    lang: LanguageOption = "en",
    policies: PoliciesOption = None,
) -> None:
    """Verify health certificates and report, for each input, whether it is valid and why.

    With --country, each report also carries the destination's entry verdict: green (valid,
    every rule passed), yellow (valid, but an action is needed) or red (invalid, or a rule
    failed), with its reasons and every rule's outcome.

    Exit status: 0 when every input is valid (with --country: when every verdict is green),
    1 when any is not, 2 on a usage error.
    """
    if not inputs and batch is None:
        fail("nothing to verify: give INPUT arguments or --batch FILE")
    judge = build_judge(country, origin, lang, policies)
    ctx = verification_context(trust, at)
    batch_stream = _open_batch(batch) if batch is not None else None
    units = _units(inputs or [], batch_stream)
    results = _verify_all(units, ctx, workers, judge)
    all_accepted = _print_results(results, json_output)
    if not all_accepted:
        raise typer.Exit(EXIT_INVALID)


def _open_batch(batch: str) -> BinaryIO:
    if batch == "-":
        return sys.stdin.buffer
    try:
        return Path(batch).open("rb")
    except OSError as error:
        fail(f"cannot read --batch {batch}: {error.strerror or error}")


# What is verified: an input already read (arguments: files, images, joined card chunks) or a
# raw line of the batch, which the process that verifies it reads (with --workers, a worker).
Unit = Union["Item", bytes]
# A chunk's outcome: whether every report in it was accepted, and its JSON lines (UTF-8).
ChunkResult = tuple[bool, list[bytes]]


def _units(arguments: list[str], batch: BinaryIO | None) -> Iterator[Unit]:
    from healthcert import inputs

    yield from inputs.from_arguments(arguments)
    if batch is not None:
        with batch:
            yield from batch


def _verify_chunk(units: list[Unit]) -> ChunkResult:
    """Verify (and judge) in a worker; JSON is made here, so that only text crosses back."""
    assert _worker_context is not None
    return _verified(units, _worker_context, _worker_judge)


def _verified(units: list[Unit], ctx: VerificationContext, judge: Judge | None) -> ChunkResult:
    """Whether every unit was accepted (valid, or with a judge a green verdict), and their
    reports as JSON lines. Units are verified in groups of _STAGE_BATCH, which formats verify
    stage by stage (see ``healthcert.verify.verify_payloads``)."""
    from healthcert.inputs import from_line
    from healthcert.verify import verify_items

    items = [from_line(unit) if isinstance(unit, bytes) else unit for unit in units]
    accepted, lines = True, []
    for start in range(0, len(items), _STAGE_BATCH):
        for report in verify_items(items[start : start + _STAGE_BATCH], ctx):
            if judge is None:
                accepted = accepted and report.valid
            else:
                accepted = judge(report, ctx.clock) == GREEN and accepted
            lines.append(report.json_bytes())
    return accepted, lines


def _chunks(units: Iterable[Unit]) -> Iterator[list[Unit]]:
    iterator = iter(units)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def _verify_all(
    units: Iterable[Unit], ctx: VerificationContext, workers: int, judge: Judge | None = None
) -> Iterator[ChunkResult]:
    """The outcome of every chunk of units, in input order."""
    global _worker_context, _worker_judge
    _worker_context, _worker_judge = ctx, judge
    if workers == 1:
        for chunk in _chunks(units):
            yield _verified(chunk, ctx, judge)
        return
    import multiprocessing

    # Forked workers inherit the loaded trust store and policies (and the judge that holds
    # them) instead of loading or unpickling them. They get raw lines and send back text, so
    # that the parent, which shares the CPUs with them, only reads and writes.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_verify_chunk, _chunks(units))


def _print_results(results: Iterable[ChunkResult], as_json: bool) -> bool:
    from healthcert.cli.render import ReportPrinter

    printer = None if as_json else ReportPrinter()
    sys.stdout.flush()  # the JSON lines go to the byte stream beneath
    write = sys.stdout.buffer.write
    all_accepted = True
    for accepted, lines in results:
        all_accepted = all_accepted and accepted
        if printer is None:
            write(b"\n".join(lines) + b"\n")
        else:
            for line in lines:
                printer.show(json.loads(line))
    sys.stdout.flush()
    return all_accepted
