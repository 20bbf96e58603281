"""``healthcert audit``: read the service's append-only audit log."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from typing import Annotated

import orjson
import typer

from healthcert.cli.common import parse_time
from healthcert.cli.db import UrlOption


def audit(
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action, e.g. certificate.issue.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only events at or after this ISO 8601 time.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100000)] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    url: UrlOption = None,
) -> None:
    """List audit events, newest first: when, who, what, which object."""
    from healthcert.service import audit as log
    from healthcert.service.context import open_context

    ctx = open_context(url)
    with ctx.sessions() as session:
        found = log.events(session, action=action, since=parse_time(since), limit=limit)
        rows = [log.as_json(event) for event in found]
    for row in rows:
        if as_json:
            typer.echo(orjson.dumps(row).decode("utf-8"))
        else:
            target = f"{row['object_type']}:{row['object_id'] or '-'}"
            typer.echo(f"{row['at']}  {row['actor']:<24} {row['action']:<22} {target}")
