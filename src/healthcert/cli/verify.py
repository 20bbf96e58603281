"""``healthcert verify``: reports for payloads, files, images and batches, in input order."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from healthcert.cli.common import EXIT_INVALID, fail, load_trust_store, parse_time

if TYPE_CHECKING:
    from healthcert.formats.base import VerificationContext
    from healthcert.inputs import Item

_CHUNK = 256
_worker_context: VerificationContext | None = None


def verify(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Payloads (HC1:...), or files: a QR image (.png, .jpg) or a text file."
        ),
    ] = None,
    batch: Annotated[
        str | None,
        typer.Option("--batch", help="A file of payloads, one per line; '-' reads standard input."),
    ] = None,
    trust: Annotated[
        list[Path] | None,
        typer.Option(
            "--trust",
            help="Trust source: certificate, trust list, JWKS or directory. Repeatable. "
            "Default: the local trust store ('healthcert trust add').",
        ),
    ] = None,
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
) -> None:
    """Verify health certificates and report, for each input, whether it is valid and why.

    Exit status: 0 when every input is valid, 1 when any is not, 2 on a usage error.
    """
    if not inputs and batch is None:
        fail("nothing to verify: give INPUT arguments or --batch FILE")
    from healthcert import verify as pipeline

    clock = parse_time(at)
    ctx = pipeline.context(load_trust_store(trust or []), clock)
    batch_stream = _open_batch(batch) if batch is not None else None
    items = _items(inputs or [], batch_stream)
    results = _verify_all(items, ctx, workers)
    all_valid = _print_results(results, json_output)
    if not all_valid:
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

    for argument in arguments:
        yield from inputs.from_argument(argument)
    if batch is not None:
        with batch:
            yield from inputs.from_lines(batch)


def _verify_chunk(items: list[Item]) -> list[tuple[bool, str]]:
    """Verify in a worker; JSON is made here, so that only text crosses back."""
    assert _worker_context is not None
    return [_verified(item, _worker_context) for item in items]


def _verified(item: Item, ctx: VerificationContext) -> tuple[bool, str]:
    from healthcert.verify import verify_item

    report = verify_item(item, ctx)
    return report.valid, report.json_line()


def _chunks(items: Iterable[Item]) -> Iterator[list[Item]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


def _verify_all(
    items: Iterable[Item], ctx: VerificationContext, workers: int
) -> Iterator[tuple[bool, str]]:
    """(valid, report as a JSON line) for every item, in input order."""
    global _worker_context
    _worker_context = ctx
    if workers == 1:
        for item in items:
            yield _verified(item, ctx)
        return
    import multiprocessing

    # Forked workers inherit the loaded trust store instead of loading or unpickling it.
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for chunk in pool.imap(_verify_chunk, _chunks(items)):
            yield from chunk


def _print_results(results: Iterable[tuple[bool, str]], as_json: bool) -> bool:
    from healthcert.cli.render import ReportPrinter

    printer = None if as_json else ReportPrinter()
    write = sys.stdout.write
    all_valid = True
    for valid, line in results:
        all_valid = all_valid and valid
        if printer is None:
            write(line + "\n")
        else:
            printer.show(json.loads(line))
    sys.stdout.flush()
    return all_valid
