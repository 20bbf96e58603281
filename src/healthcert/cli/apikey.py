"""``healthcert apikey``: API keys of the certificate service."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from typing import Annotated

import typer

from healthcert.cli.common import fail
from healthcert.cli.db import UrlOption

app = typer.Typer(
    name="apikey",
    help="Create, list and revoke API keys of the service.",
    no_args_is_help=True,
    add_completion=False,
)
OPERATOR = ("admin", "cli")


@app.command("create")
def create(
    role: Annotated[
        str, typer.Option("--role", help="admin, recorder, issuer, verifier or officer.")
    ],
    label: Annotated[
        str, typer.Option("--label", help="Who holds the key; unique, records are its own.")
    ],
    countries: Annotated[
        str,
        typer.Option(
            "--countries",
            help="An officer's post: the countries of residence it reviews, e.g. US,CA.",
        ),
    ] = "",
    identity_source: Annotated[
        bool,
        typer.Option(
            "--identity-source",
            help="The holder of the key verifies identities (a passport office, a consulate): "
            "it alone sets the contact a holder's sign-in codes go to.",
        ),
    ] = False,
    url: UrlOption = None,
) -> None:
    """Create a key and print it once: only its hash is stored."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor
    from healthcert.service.context import open_context
    from healthcert.service.errors import Conflict, Invalid

    try:
        created = create_key(
            open_context(url),
            role,
            label,
            Actor(*OPERATOR),
            countries.split(","),
            identity_source=identity_source,
        )
    except (Invalid, Conflict) as error:
        fail(str(error))
    typer.echo(created.secret)


@app.command("list")
def list_keys(url: UrlOption = None) -> None:
    """The keys: id, role, label, prefix and whether revoked (never the secret)."""
    from healthcert.service.apikeys import list_keys
    from healthcert.service.context import open_context

    for key in list_keys(open_context(url)):
        state = "revoked" if key["revoked"] else "active"
        covered = ",".join(key["countries"])  # type: ignore[arg-type]
        if key["identity_source"]:
            state += ", identity source"
        line = f"{key['id']}\t{key['role']}\t{key['label']}\t{key['prefix']}…\t{state}"
        typer.echo(f"{line}\t{covered}" if covered else line)


@app.command("revoke")
def revoke(key_id: int, url: UrlOption = None) -> None:
    """Revoke the key with this id."""
    from healthcert.service.apikeys import revoke_key
    from healthcert.service.audit import Actor
    from healthcert.service.context import open_context

    if not revoke_key(open_context(url), key_id, Actor(*OPERATOR)):
        fail(f"no active key with id {key_id}")
