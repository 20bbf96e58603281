"""``healthcert purge``: delete what the retention periods no longer allow keeping."""

from __future__ import annotations

# Imports live inside the command: the command line imports every command module at start-up.
from typing import Annotated

import orjson
import typer

from healthcert.cli.common import EXIT_USAGE, fail, parse_time
from healthcert.cli.db import UrlOption


def purge(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count what is due, delete nothing.")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Judge what is due at this ISO 8601 time (default: now)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    url: UrlOption = None,
) -> None:
    """Delete records, declarations, uploaded documents, sessions, codes and outbox messages
    past their retention periods; the audit log keeps one event with the counts.

    Periods, in days, from HEALTHCERT_RETAIN_RECORDS_DAYS (400, once no certificate is in
    force), _DECLARATIONS_DAYS (90 after the departure, once decided), _DOCUMENTS_DAYS (30
    after the departure) and _OUTBOX_DAYS (7). The service also purges every hour.
    """
    from healthcert.service.context import open_context
    from healthcert.service.retention import RetentionPeriods
    from healthcert.service.retention import purge as run_purge

    try:
        periods = RetentionPeriods.from_environment()
    except ValueError as error:
        fail(str(error), EXIT_USAGE)
    counts = run_purge(open_context(url), periods, now=parse_time(at), dry_run=dry_run)
    if as_json:
        typer.echo(orjson.dumps({"dry_run": dry_run, "purged": counts.as_json()}).decode())
        return
    verb = "due" if dry_run else "deleted"
    for name, count in counts.as_json().items():
        typer.echo(f"{name.replace('_', ' '):<16} {count:>8} {verb}")
