"""``healthcert verify``: reports for payloads, files, images and batches, in input order."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

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
    items = _items(inputs or [], batch_stream)
    results = _verify_all(items, ctx, workers, judge)
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


def _items(arguments: list[str], batch: BinaryIO | None) -> Iterator[Item]:
    from healthcert import inputs

    yield from inputs.from_arguments(arguments)
    if batch is not None:
        with batch:
            yield from inputs.from_lines(batch)


def _verify_chunk(items: list[Item]) -> list[tuple[bool, str]]:
    """Verify (and judge) in a worker; JSON is made here, so that only text crosses back."""
    assert _worker_context is not None
    return _verified(items, _worker_context, _worker_judge)


def _verified(
    items: list[Item], ctx: VerificationContext, judge: Judge | None
) -> list[tuple[bool, str]]:
    """(accepted, report as a JSON line) for each item: accepted is valid, or with a judge a
    green verdict. Items are verified in groups of _STAGE_BATCH, which formats verify stage by
    stage (see ``healthcert.verify.verify_payloads``)."""
    from healthcert.verify import verify_items

    results: list[tuple[bool, str]] = []
    for start in range(0, len(items), _STAGE_BATCH):
        reports = verify_items(items[start : start + _STAGE_BATCH], ctx)
        if judge is None:
            results.extend([(report.valid, report.json_line()) for report in reports])
        else:
            results.extend(
                [(judge(report, ctx.clock) == GREEN, report.json_line()) for report in reports]
            )
    return results


def _chunks(items: Iterable[Item]) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def _verify_all(
    items: Iterable[Item], ctx: VerificationContext, workers: int, judge: Judge | None = None
) -> Iterator[tuple[bool, str]]:
    """(accepted, report as a JSON line) for every item, in input order."""
    global _worker_context, _worker_judge
    _worker_context, _worker_judge = ctx, judge
    if workers == 1:
        for chunk in _chunks(items):
            yield from _verified(chunk, ctx, judge)
        return
    import multiprocessing

    # Forked workers inherit the loaded trust store and policies (and the judge that holds
    # them) instead of loading or unpickling them.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for results in pool.imap(_verify_chunk, _chunks(items)):
            yield from results


def _print_results(results: Iterable[tuple[bool, str]], as_json: bool) -> bool:
    from healthcert.cli.render import ReportPrinter

    printer = None if as_json else ReportPrinter()
    write = sys.stdout.write
    all_accepted = True
    for accepted, line in results:
        all_accepted = all_accepted and accepted
        if printer is None:
            write(line + "\n")
        else:
            printer.show(json.loads(line))
    sys.stdout.flush()
    return all_accepted
