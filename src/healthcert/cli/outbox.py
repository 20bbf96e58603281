"""``healthcert outbox``: the messages waiting for delivery (sign-in codes, notices)."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from typing import Annotated

import typer

from healthcert.cli.common import fail
from healthcert.cli.db import UrlOption

app = typer.Typer(
    name="outbox",
    help="Deliver the service's queued messages (e-mail over SMTP, SMS through a gateway).",
    no_args_is_help=True,
    add_completion=False,
)


@app.command("deliver")
def deliver(
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """One pass: deliver every due message once (the service's own worker does this every few
    seconds). Settings: HEALTHCERT_SMTP_* and HEALTHCERT_SMS_* (see `healthcert serve`)."""
    import orjson

    from healthcert.service.context import open_context
    from healthcert.service.outbox import deliver_due, senders_from_environment

    try:
        senders = senders_from_environment()
    except ValueError as error:
        fail(str(error))
    done = deliver_due(open_context(url), senders)
    if as_json:
        typer.echo(orjson.dumps(done.__dict__).decode())
        return
    typer.echo(
        f"delivered {done.delivered}, failed {done.failed} (tried again later), "
        f"given up {done.given_up}"
    )
    for channel, count in sorted(done.waiting.items()):
        typer.echo(f"{count} {channel} message(s) wait: no {channel} sender is configured")
