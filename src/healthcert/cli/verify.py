"""``healthcert verify``: reports for payloads, files, images and batches, in input order."""

from __future__ import annotations

import gc
import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO, Union

import typer

from healthcert.cli.common import (
    EXIT_INVALID,
    AtOption,
    TrustCountryOption,
    TrustOption,
    fail,
    require_files,
    verification_context,
)
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

_CHUNK = 64  # units per task of a worker process
_FIRST_CHUNK = 16
# Items verified together, stage by stage: small enough that a stage's data stays in the CPU
# caches (measured best between 16 and 64).
_STAGE_BATCH = 32


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
    trust_country: TrustCountryOption = None,
    at: AtOption = None,
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
    1 when any is not, 2 on a usage error (a file named that does not exist), 3 when the trust
    sources or policies cannot be used, 4 on an internal error.
    """
    if not inputs and batch is None:
        fail("nothing to verify: give INPUT arguments or --batch FILE")
    require_files(inputs or [])
    judge = build_judge(country, origin, lang, policies)
    ctx = verification_context(trust, at, trust_country)
    batch_stream = _open_batch(batch) if batch is not None else None
    units = _units(inputs or [], batch_stream)
    output = _standard_output_descriptor() if json_output else None
    results = _verify_all(units, ctx, workers, judge, output)
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
# A chunk's outcome: whether every report in it was accepted, and its JSON lines (UTF-8, each
# with its newline), as one text: a worker's answer crosses to the parent in one piece.
ChunkResult = tuple[bool, bytes]


def _units(arguments: list[str], batch: BinaryIO | None) -> Iterator[Unit]:
    from healthcert import inputs

    yield from inputs.from_arguments(arguments)
    if batch is not None:
        with batch:
            yield from batch


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
    return accepted, b"".join(lines)


def _chunks(units: Iterable[Unit]) -> Iterator[list[Unit]]:
    """A short first chunk (see ``_verify_all``), then chunks of _CHUNK units."""
    iterator = iter(units)
    size = _FIRST_CHUNK
    while chunk := list(islice(iterator, size)):
        yield chunk
        size = _CHUNK


def _verify_all(
    units: Iterable[Unit],
    ctx: VerificationContext,
    workers: int,
    judge: Judge | None = None,
    output: int | None = None,
) -> Iterator[ChunkResult]:
    """The outcome of every chunk of units, in input order. With ``output`` (a file
    descriptor) and several workers, the workers write their JSON lines there themselves, in
    order, and their outcomes come back without them."""
    chunks = _chunks(units)
    first = next(chunks, None)
    if first is None:
        return
    # Verified here first: that loads what the payloads' formats need, once, before the
    # workers are forked from this process (and before the loaded program is frozen).
    yield _verified(first, ctx, judge)
    verify_chunk = partial(_verified, ctx=ctx, judge=judge)
    with _collector_spares_the_loaded_program():
        if workers == 1:
            yield from map(verify_chunk, chunks)
        else:
            # Forked workers inherit the trust store and policies (and the judge that holds
            # them). They get raw lines and write or send back text, so that the parent, which
            # shares the CPUs with them, does next to nothing.
            from healthcert import fanout

            if output is None:
                yield from fanout.in_order(verify_chunk, chunks, workers)
            else:
                yield from fanout.written_in_order(verify_chunk, chunks, workers, output)


@contextmanager
def _collector_spares_the_loaded_program() -> Iterator[None]:
    """Keep the cycle collector to the objects of the batch while it runs.

    A batch makes and drops millions of short-lived objects. Each full collection they set off
    walked every module, trust key and rule loaded before the first payload (some 20 ms, about
    5 us a payload over a batch); frozen, those are not walked, and forked workers inherit them
    frozen. Collecting the youngest objects every 10,000 allocations instead of 700 finds most
    of them already freed by their reference counts. All is as before once the batch is done.
    """
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _standard_output_descriptor() -> int | None:
    """The file descriptor beneath standard output; None where there is none (output
    captured in memory, as a program calling the command may do)."""
    try:
        return sys.stdout.buffer.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _print_results(results: Iterable[ChunkResult], as_json: bool) -> bool:
    from healthcert.cli.render import ReportPrinter

    printer = None if as_json else ReportPrinter()
    sys.stdout.flush()  # the JSON lines go to the byte stream beneath
    write = sys.stdout.buffer.write
    all_accepted = True
    for accepted, json_lines in results:
        all_accepted = all_accepted and accepted
        if printer is None:
            write(json_lines)
        else:
            for line in json_lines.splitlines():
                printer.show(json.loads(line))
    sys.stdout.flush()
    return all_accepted
