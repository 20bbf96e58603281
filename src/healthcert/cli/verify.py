"""``healthcert verify``: reports for payloads, files, images and batches, in input order."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import dataclasses
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

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
from healthcert.cli.messages import _
from healthcert.cli.verdict import (
    CountryOption,
    LanguageOption,
    OriginOption,
    PoliciesOption,
    build_judge,
    languages,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.batch import ChunkResult, Unit
    from healthcert.formats.base import TripQuery


def verify(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Payloads (HC1:..., shc:/..., a VDS-NC seal, HCD1:...), or files: a QR image "
            "(.png, .jpg), a .smart-health-card file or a text file. The QR codes of one card "
            "split in chunks are joined."
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
    lang: LanguageOption = None,
    policies: PoliciesOption = None,
    minimal: Annotated[
        bool,
        typer.Option(
            "--minimal",
            help="Show only what a check needs: validity, verdict, the holder's name and date "
            "of birth (and a health code's document and trip), issue and expiry; nothing of "
            "their health, no rules, not the payload.",
        ),
    ] = False,
    trip: Annotated[
        str | None,
        typer.Option(
            "--trip",
            help="TRANSPORT@DATE, such as CA982@2026-12-09: accept only health codes for that "
            "transport departing on that (local) date.",
        ),
    ] = None,
    did_signer: Annotated[
        list[Path] | None,
        typer.Option(
            "--did-signer",
            help="Certificate of the signer of a DID trust list given with --trust: its proof "
            "must verify with it, or the list is refused (exit 3).",
        ),
    ] = None,
    unseal_key: Annotated[
        list[Path] | None,
        typer.Option(
            "--unseal-key",
            help="A border key (border-CC.key.pem, its passphrase from "
            "HEALTHCERT_KEY_PASSPHRASE) that opens sealed certificates (HCS1:) sealed to it.",
        ),
    ] = None,
) -> None:
    """Verify health certificates and report, for each input, whether it is valid and why.

    With --country, each report also carries the destination's entry verdict: green (valid,
    every rule passed), yellow (valid, but an action is needed) or red (invalid, or a rule
    failed), with its reasons and every rule's outcome.

    A health code (HCD1:) carries its own verdict, the consulate's colour: it is valid when
    genuine and in force, and accepted only when green too.

    Exit status: 0 when every input is valid (with --country: when every verdict is green; a
    health code: valid and green),
    1 when any is not, 2 on a usage error (a file named that does not exist), 3 when the trust
    sources or policies cannot be used, 4 on an internal error.
    """
    language = languages(lang)
    if not inputs and batch is None:
        fail(_("nothing to verify: give INPUT arguments or --batch FILE"))
    require_files(inputs or [])
    judge = build_judge(country, origin, language, policies)
    if minimal:
        from healthcert.disclosure import minimal_after

        judge = minimal_after(judge)
    trip_query = _trip(trip) if trip is not None else None
    ctx = verification_context(trust, at, trust_country, did_signer)
    if trip_query is not None:
        ctx = dataclasses.replace(ctx, trip=trip_query)
    if unseal_key:
        ctx = dataclasses.replace(ctx, unseal_keys=_unseal_keys(unseal_key))
    batch_stream = _open_batch(batch) if batch is not None else None
    units = _units(inputs or [], batch_stream)
    output = _standard_output_descriptor() if json_output else None
    from healthcert.batch import verify_as_json

    results = verify_as_json(units, ctx, workers=workers, judge=judge, output=output)
    all_accepted = _print_results(results, json_output, language)
    if not all_accepted:
        raise typer.Exit(EXIT_INVALID)


def _unseal_keys(paths: list[Path]) -> tuple[ec.EllipticCurvePrivateKey, ...]:
    require_files(str(path) for path in paths)
    from healthcert.cli.common import reported_errors
    from healthcert.keys.border import load_unseal_key
    from healthcert.keys.keyfile import passphrase_from_env

    with reported_errors():
        passphrase = passphrase_from_env()
        return tuple(load_unseal_key(path, passphrase) for path in paths)
    raise AssertionError("unreachable")  # reported_errors() exits on every error


def _trip(text: str) -> TripQuery:
    from healthcert.formats.base import TripQuery

    try:
        return TripQuery.parse(text)
    except ValueError as error:
        fail(f"--trip {error}")


def _open_batch(batch: str) -> BinaryIO:
    if batch == "-":
        return sys.stdin.buffer
    try:
        return Path(batch).open("rb")
    except OSError as error:
        fail(
            _("cannot read --batch {path}: {problem}").format(
                path=batch, problem=error.strerror or error
            )
        )


def _units(arguments: list[str], batch: BinaryIO | None) -> Iterator[Unit]:
    from healthcert import inputs

    yield from inputs.from_arguments(arguments)
    if batch is not None:
        with batch:
            yield from batch


def _standard_output_descriptor() -> int | None:
    """The file descriptor beneath standard output; None where there is none (output
    captured in memory, as a program calling the command may do)."""
    try:
        return sys.stdout.buffer.fileno()
    except (AttributeError, OSError, ValueError):
        return None


def _print_results(results: Iterable[ChunkResult], as_json: bool, lang: str) -> bool:
    from healthcert.cli.render import ReportPrinter

    printer = None if as_json else ReportPrinter(lang=lang)
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
