"""``healthcert db``: the service's database schema."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from typing import Annotated

import typer

app = typer.Typer(
    name="db",
    help="The certificate service's database.",
    no_args_is_help=True,
    add_completion=False,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", help="Database URL; default HEALTHCERT_DATABASE_URL, else ./var/healthcert.db."
    ),
]


@app.command("upgrade")
def upgrade(url: UrlOption = None) -> None:
    """Create or upgrade the schema to the newest revision."""
    from healthcert.database.db import make_engine
    from healthcert.database.migrate import current_revision, upgrade

    engine = make_engine(url)
    upgrade(engine)
    typer.echo(f"schema at revision {current_revision(engine)}")


@app.command("current")
def current(url: UrlOption = None) -> None:
    """Print the schema's revision (none when the database was never upgraded)."""
    from healthcert.database.db import make_engine
    from healthcert.database.migrate import current_revision

    typer.echo(current_revision(make_engine(url)) or "none")
