"""``healthcert trust``: the keys this installation accepts, persisted under HEALTHCERT_HOME.

Thin: every command calls ``healthcert.trust``. Heavy imports happen inside the commands so
that mounting this sub-app costs the main CLI nothing at start-up.
"""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import base64
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli.common import (
    EXIT_CONFIG,
    EXIT_INVALID,
    EXIT_USAGE,
    fail,
    reported_errors,
    require_files,
)
from healthcert.errors import TrustStoreError

if TYPE_CHECKING:
    from rich.console import Console

    from healthcert.trust.entry import TrustedKey
    from healthcert.trust.store import ImportResult, TrustStore

app = typer.Typer(
    name="trust",
    help="Manage the trust store: the DSCs, CSCAs and JWKS keys that verification accepts.",
    no_args_is_help=True,
    add_completion=False,
)

# A list with a problem country can skip hundreds of entries; people need the gist.
MAX_WARNING_LINES = 20

JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for programs instead of a table.")
]


@app.command("add")
def add_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Certificates (PEM/DER), EU trust lists, JWKS files, or directories of them."
        ),
    ],
    issuer_url: Annotated[
        str | None,
        typer.Option("--issuer-url", help="Issuer URL to record on the keys of a JWKS."),
    ] = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            help="ISO 3166-1 alpha-2 country to record on the keys that name none (a SMART "
            "Health Card issuer's JWKS): reports show it as the issuer's country.",
        ),
    ] = None,
    did_signer: Annotated[
        list[Path] | None,
        typer.Option(
            "--did-signer",
            help="Certificate (PEM/DER) of the signer of a DID trust list: its proof must "
            "verify with it, or the list is refused. Without, the proof is not checked.",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Import trust sources; adding a source again replaces its earlier keys.

    WHO GDHCN DID trust lists (did.json) are read like the other lists; each import says
    whether the list's proof was checked.
    """
    require_files((str(path) for path in paths), directories=True)
    require_files(str(path) for path in did_signer or [])
    if country is not None:
        country = _country_option(country)
    with reported_errors():
        from healthcert.trust.local import add_to_local_trust
        from healthcert.trust.sources import read_certificate_files

        signers = read_certificate_files(did_signer or [], "--did-signer")
        results = add_to_local_trust(
            paths, issuer_url=issuer_url, country=country, did_signers=signers
        )
    if json_output:
        for result in results:
            typer.echo(json.dumps(_result_json(result)))
    else:
        for result in results:
            _print_result(result)


@app.command("list")
def list_command(
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print JSON Lines, one object per key, for programs."),
    ] = False,
    country: Annotated[
        str | None, typer.Option("--country", "-c", help="Only the keys of this country.")
    ] = None,
) -> None:
    """List the trusted keys (and, for people, the trusted CSCAs)."""
    with reported_errors():
        from healthcert.trust.local import key_summary, load_local_trust

        store = load_local_trust()
        keys = sorted(store, key=lambda key: (key.country or "", key.source, key.kid))
    if country:
        keys = [key for key in keys if (key.country or "").upper() == country.upper()]
    if json_output:
        for key in keys:
            typer.echo(json.dumps(key_summary(key)))
    else:
        _print_keys(store, keys)


@app.command("remove")
def remove_command(
    kid: Annotated[
        str | None,
        typer.Argument(help="Kid of the key to remove: base64 (as listed), base64url or hex."),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Remove every key and CSCA imported from this source."),
    ] = None,
) -> None:
    """Remove keys by kid, or everything one source brought in."""
    if (kid is None) == (source is None):
        fail("name either a KID or --source NAME", EXIT_USAGE)
    with reported_errors():
        from healthcert.trust.local import remove_from_local_trust

        removed = remove_from_local_trust(kid=kid, source=source)
    if not removed:
        what = f"kid {kid}" if kid is not None else f"source {source}"
        fail(f"nothing in the trust store matches {what}", EXIT_INVALID)
    from rich.console import Console

    Console().print(f"Removed {removed} entr{'y' if removed == 1 else 'ies'}.", highlight=False)


def _result_json(result: ImportResult) -> dict[str, object]:
    return {
        "source": result.source,
        "added": result.added,
        "border_keys": result.border_keys,
        "anchors": result.anchors,
        "duplicates": result.duplicates,
        "replaced": result.replaced,
        "ignored": result.ignored,
        "skipped": [{"entry": s.source, "reason": s.reason} for s in result.skipped],
        "dropped": [{"entry": s.source, "reason": s.reason} for s in result.dropped],
        "tolerated": [{"entry": s.source, "warning": s.reason} for s in result.tolerated],
        "notes": [{"entry": s.source, "note": s.reason} for s in result.notes],
    }


def _print_result(result: ImportResult) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(highlight=False)
    added = f"{result.added} keys added"
    if result.border_keys:
        # A border key signs nothing: say what it is for, lest "a key added" read as a signer.
        added += f" (border keys: {result.border_keys}, for key agreement: sealed to, no signing)"
    parts = [added, f"{len(result.skipped)} skipped"]
    parts += [f"{n} {label}" for n, label in _extras(result) if n]
    console.print(f"[bold]{escape(result.source)}[/]: " + ", ".join(parts), soft_wrap=True)
    for note in result.notes:
        console.print(f"  note {escape(note.source)}: {escape(note.reason)}", soft_wrap=True)
    warnings = list(result.skipped) + list(result.dropped)
    for skipped in warnings[:MAX_WARNING_LINES]:
        line = f"  [yellow]skipped[/] {escape(skipped.source)}: {escape(skipped.reason)}"
        console.print(line, soft_wrap=True)
    if len(warnings) > MAX_WARNING_LINES:
        rest = len(warnings) - MAX_WARNING_LINES
        console.print(f"  ... and {rest} more (--json lists every one)")
    _print_tolerated(console, [(s.source, s.reason) for s in result.tolerated])


def _print_tolerated(console: Console, warnings: list[tuple[str, str]]) -> None:
    """Keys trusted despite a defect: each is named, as the operator may want to ask why."""
    from rich.markup import escape

    for entry, warning in warnings[:MAX_WARNING_LINES]:
        console.print(f"  [yellow]warning[/] {escape(entry)}: {escape(warning)}", soft_wrap=True)
    if len(warnings) > MAX_WARNING_LINES:
        rest = len(warnings) - MAX_WARNING_LINES
        console.print(f"  ... and {rest} more warnings (--json lists every one)")


def _extras(result: ImportResult) -> list[tuple[int, str]]:
    return [
        (result.anchors, "CSCAs trusted"),
        (result.duplicates, "already present"),
        (result.replaced, "replaced from an earlier import"),
        (len(result.dropped), "earlier keys dropped (not signed by the new CSCAs)"),
        (result.ignored, "ignored (not signing keys)"),
    ]


def _print_keys(store: TrustStore, keys: list[TrustedKey]) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if not keys and not store.anchors:
        console.print("The trust store is empty: add sources with `healthcert trust add PATH`.")
        return
    table = Table(title=f"{len(keys)} trusted keys", box=box.SIMPLE)
    for column in ("kid", "country", "types", "valid until", "subject", "source"):
        table.add_column(column, overflow="fold")
    for key in keys:
        table.add_row(
            base64.b64encode(key.kid).decode(),
            escape(key.country or "-"),
            _types_text(key),
            key.not_after.date().isoformat() if key.not_after else "-",
            escape(key.subject or key.issuer_url or "-"),
            escape(key.source),
        )
    console.print(table)
    tolerated = [(base64.b64encode(key.kid).decode(), key.warning) for key in keys if key.warning]
    _print_tolerated(console, [(f"kid {kid}", warning) for kid, warning in tolerated])
    countries = sorted({anchor.country for anchor in store.anchors})
    if countries:
        console.print(f"Trusted CSCAs for: {escape(', '.join(countries))}", highlight=False)


def _types_text(key: TrustedKey) -> str:
    """What a key may sign, or, for a border key, that it is one (it signs nothing)."""
    from healthcert.trust.border import BORDER_USAGE, usage_of

    if usage_of(key) == BORDER_USAGE:
        return "border (key agreement)"
    return ",".join(sorted(kind.value for kind in key.types)) or "none"


def _country_option(value: str) -> str:
    """The --country given, as the trust store keeps it; a usage error when it is no code."""
    from healthcert.formats.shc.issuers import issuer_country

    try:
        return issuer_country(value)
    except TrustStoreError as error:
        fail(f"--country {value!r}: {error}")


@app.command("sync")
def sync_command(
    url: Annotated[str, typer.Argument(help="The gateway's URL, such as https://gw:8443.")],
    anchor: Annotated[
        Path,
        typer.Option(
            "--anchor",
            help="The gateway's anchor certificate (anchor.pem), handed over out of band.",
        ),
    ],
    json_output: JsonOption = False,
) -> None:
    """Download the gateway's trust list, revocations and rules, check every entry against
    the anchor and every DSC against its country's CSCA, and keep them for offline use.

    A sync that fails keeps the last good copy: a list whose signature, sequence or expiry is
    wrong is refused (exit 3), a gateway that cannot be reached is an error (exit 1).
    """
    from healthcert.cli.gateway import read_anchor

    certificate = read_anchor(anchor)
    with reported_errors():
        from healthcert.gateway.client import (
            ClientIdentity,
            Connection,
            DownloadRejected,
            GatewayError,
        )
        from healthcert.gateway.sync import sync
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.keyfile import PASSPHRASE_ENV, passphrase_from_env

        cert_path, key_path = KeyDirectory().party_paths("auth")
        identity = None
        if cert_path.exists() and os.environ.get(PASSPHRASE_ENV):
            identity = ClientIdentity(cert_path, key_path, passphrase_from_env())
        try:
            with Connection(url, certificate, identity) as connection:
                result = sync(connection)
        except DownloadRejected as error:
            fail(f"refused: {error}; the last good trust data is kept", EXIT_CONFIG)
        except GatewayError as error:
            fail(f"{error}; the last good trust data is kept", EXIT_INVALID)
    summary = {
        "url": result.url,
        "seq": result.seq,
        "full": result.full,
        "changed": result.changed,
        "entries": result.entries,
        "dscs": result.dscs,
        "border_keys": result.border_keys,
        "revocation_batches": result.revocation_batches,
        "rules": result.rules,
        "expires": result.expires,
        "skipped": [{"entry": s.source, "reason": s.reason} for s in result.skipped],
    }
    if json_output:
        typer.echo(json.dumps(summary))
        return
    if not result.changed:
        typer.echo(
            f"{result.url}: nothing new (sequence {result.seq}); valid until {result.expires}"
        )
        return
    typer.echo(
        f"{result.url}: {'full' if result.full else 'delta'} sync to sequence {result.seq}: "
        f"{result.dscs} DSCs trusted, {result.border_keys} border keys, "
        f"{result.revocation_batches} revocation batches, "
        f"{result.rules} rules; valid until {result.expires}"
    )
    for skipped in result.skipped[:MAX_WARNING_LINES]:
        typer.echo(f"  skipped {skipped.source}: {skipped.reason}")
