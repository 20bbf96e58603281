"""``healthcert issue``: sign one request, or a batch of them, in one of the formats of
``formats.registry``.

The library is imported inside the functions: every command, ``healthcert verify`` too,
loads this module to build the command line."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli.common import EXIT_INVALID, fail, reported_errors, require_files
from healthcert.errors import HealthcertError, RequestError
from healthcert.formats import registry

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.issuance import IssueRequest
    from healthcert.keys.signer import Signer

_CHUNK = 128  # requests per task of a worker process, and signed together
# What became of one request line: (payload, "") or ("", the error).
Outcome = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Job:
    """How to issue: the signer, the format, and for SMART Health Cards the issuer URL."""

    signer: Signer
    format_name: str
    shc_issuer: str | None
    # The border key sealed payloads are encrypted to (``--seal-to``), or None.
    seal_to: ec.EllipticCurvePublicKey | None = None

    def issue(self, request_json: str) -> str:
        from healthcert.issuance import issue_payload, parse_request

        request = parse_request(json.loads(request_json))
        payload = issue_payload(
            request, self.signer, format_name=self.format_name, shc_issuer=self.shc_issuer
        )
        return self.sealed(payload)

    def sealed(self, payload: str) -> str:
        """``payload`` sealed to the border key, when one is given."""
        if self.seal_to is None or not payload:
            return payload
        from healthcert.formats.sealed.payload import seal

        return seal(payload, self.seal_to)

    def issue_lines(self, lines: list[str]) -> list[Outcome]:
        """(payload, "") or ("", error) for each JSON line, in order. They are signed together
        (``issue.issue_many``): EU DCCs a third faster than one by one."""
        from healthcert.issuance import issue_many, parse_request

        outcomes: list[Outcome] = []
        parsed: list[tuple[int, IssueRequest]] = []
        for line in lines:
            try:
                parsed.append((len(outcomes), parse_request(json.loads(line))))
                outcomes.append(("", ""))
            except (ValueError, HealthcertError) as error:
                outcomes.append(("", str(error)))
        try:
            signed = issue_many(
                [request for _, request in parsed],
                self.signer,
                self.format_name,
                issuer_url=self.shc_issuer,
            )
        except HealthcertError as error:  # the signer itself cannot sign: every line says so
            signed = [RequestError(str(error))] * len(parsed)
        for (index, _), result in zip(parsed, signed, strict=True):
            outcomes[index] = (
                ("", str(result))
                if isinstance(result, RequestError)
                else (self.sealed(result.payload), "")
            )
        return outcomes


def _format_name(value: str) -> str:
    # Health codes are signed by the declarations service (issuance.issue_health_code).
    if value not in registry.CERTIFICATE_FORMATS:
        known = ", ".join(registry.CERTIFICATE_FORMATS)
        raise typer.BadParameter(f"{value!r} is not one of {known}")
    return value


def issue(
    request_file: Annotated[
        Path | None,
        typer.Option("--json", help="A request: the certificate as JSON (holder, entry)."),
    ] = None,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help="Requests as JSON Lines: one payload printed per line."),
    ] = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="Also write the QR code to this .png or .svg.")
    ] = None,
    format_name: Annotated[
        str,
        typer.Option(
            "--format",
            parser=_format_name,
            help="Wire format: "
            + ", ".join(
                f"{known.name} ({known.title})"
                for known in registry.FORMATS
                if known.carries_certificate
            )
            + ".",
        ),
    ] = registry.EU_DCC,
    iss: Annotated[
        str | None,
        typer.Option(
            "--iss",
            envvar="HEALTHCERT_SHC_ISSUER",
            help="With --format shc: the issuer's https URL, where its JWKS is published.",
        ),
    ] = None,
    ec: Annotated[
        str | None,
        typer.Option(
            "--ec",
            help="QR error correction level L, M, Q or H (default: "
            + ", ".join(f"{known.qr_error_level} for {known.name}" for known in registry.FORMATS)
            + ").",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes that sign in parallel.")
    ] = 1,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="With --batch: lines are native records; store records and certificates in "
            "the service's database (see --url) instead of printing payloads.",
        ),
    ] = False,
    sender: Annotated[
        str, typer.Option("--sender", help="With --store: whose record ids the lines carry.")
    ] = "batch",
    url: Annotated[
        str | None, typer.Option("--url", help="With --store: the database URL.")
    ] = None,
    seal_to: Annotated[
        Path | None,
        typer.Option(
            "--seal-to",
            help="A destination's border key certificate (border-CC.pem): seal each EU DCC to "
            "it (HCS1:), readable only with that country's border key.",
        ),
    ] = None,
) -> None:
    """Issue a signed certificate payload with the current DSC of the key directory.

    The private key's passphrase comes from HEALTHCERT_KEY_PASSPHRASE.
    """
    if (request_file is None) == (batch is None):
        fail("give exactly one of --json REQUEST.json or --batch REQUESTS.jsonl")
    if store and batch is None:
        fail("--store goes with --batch")
    level = None if ec is None else ec.upper()
    if level is not None and level not in ("L", "M", "Q", "H"):
        fail("--ec must be L, M, Q or H")
    if store and format_name != registry.EU_DCC:
        fail("--store issues EU DCC certificates; other formats are issued from the service")
    if seal_to is not None and format_name != registry.EU_DCC:
        fail("--seal-to seals EU DCCs (--format eu-dcc)")
    if seal_to is not None and store:
        fail("--seal-to prints sealed payloads; it does not go with --store")
    job = Job(_load_signer(), format_name, iss, _recipient(seal_to))
    if request_file is not None:
        _issue_one(request_file, job, qr, level)
    elif batch is not None:
        if qr is not None:
            fail("--qr is for a single request; render a batch's payloads one by one")
        if store:
            from healthcert.cli.batch_store import store_batch

            store_batch(batch, job.signer, workers, sender, url)
            return
        _issue_batch(batch, job, workers)


def _recipient(path: Path | None) -> ec.EllipticCurvePublicKey | None:
    if path is None:
        return None
    require_files([str(path)])
    from healthcert.keys.border import load_recipient

    with reported_errors():
        return load_recipient(path)
    raise AssertionError("unreachable")  # reported_errors() exits on every error


def _load_signer() -> Signer:
    """The DSC the service would sign certificates with, from the same key home."""
    from healthcert.keys.signer import certificate_signer

    with reported_errors():
        return certificate_signer()
    raise AssertionError("unreachable")  # reported_errors() exits on every error


def _issue_one(request_file: Path, job: Job, qr: Path | None, ec: str | None) -> None:
    try:
        payload = job.issue(request_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, HealthcertError) as error:
        fail(f"{request_file}: {error}")
    if qr is not None:
        from healthcert.codec.qr import render

        try:
            render(payload, qr, error_level=ec)
        except (OSError, ValueError) as error:
            fail(f"cannot write {qr}: {error}")
    sys.stdout.write(payload + "\n")


def _read_lines(batch: Path) -> list[str]:
    try:
        return batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read --batch {batch}: {error}")


def _results(lines: list[str], job: Job, workers: int) -> Iterator[Outcome]:
    chunks = [lines[start : start + _CHUNK] for start in range(0, len(lines), _CHUNK)]
    if workers == 1:
        for chunk in chunks:
            yield from job.issue_lines(chunk)
        return
    from healthcert.fanout import in_order

    # Forked workers inherit the job: its signing key is never pickled or sent.
    for outcomes in in_order(job.issue_lines, chunks, workers):
        yield from outcomes


def _issue_batch(batch: Path, job: Job, workers: int) -> None:
    """One output line per input line: the payload, or an empty line and the error on stderr."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress

    lines = _read_lines(batch)
    errors = Console(stderr=True, highlight=False)
    failed = 0
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("issuing", total=len(lines))
        for number, (payload, error) in enumerate(_results(lines, job, workers), 1):
            sys.stdout.write(payload + "\n")
            if error:
                failed += 1
                errors.print(f"[red]line {number}:[/] {escape(error)}")
            progress.advance(task)
    sys.stdout.flush()
    if failed:
        errors.print(f"[red]{failed} of {len(lines)} requests failed[/]")
        raise typer.Exit(EXIT_INVALID)
