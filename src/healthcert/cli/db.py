"""``healthcert db``: the service's database schema."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from pathlib import Path
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


@app.command("backup")
def backup(
    file: Annotated[Path, typer.Argument(help="Where to write the backup.", dir_okay=False)],
    url: UrlOption = None,
) -> None:
    """Back up the database to FILE: SQLite's online copy, or pg_dump's custom format on
    PostgreSQL (pg_dump on PATH). Safe while the service runs."""
    from healthcert.cli.common import EXIT_USAGE, fail
    from healthcert.database.backup import BackupError
    from healthcert.database.backup import backup as write_backup

    try:
        typer.echo(write_backup(file, url))
    except BackupError as error:
        fail(str(error), EXIT_USAGE)


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup written by `healthcert db backup`.")],
    url: UrlOption = None,
) -> None:
    """Replace the database's contents with the backup in FILE (pg_restore on PostgreSQL).
    Stop the service first: its caches would not know what changed."""
    from healthcert.cli.common import EXIT_USAGE, fail
    from healthcert.database.backup import BackupError
    from healthcert.database.backup import restore as read_backup

    try:
        typer.echo(read_backup(file, url))
    except BackupError as error:
        fail(str(error), EXIT_USAGE)
