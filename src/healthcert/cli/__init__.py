"""The ``healthcert`` command: thin, every command calls the library."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import typer

from healthcert.cli import issue as issue_command
from healthcert.cli import messages
from healthcert.cli import verify as verify_command
from healthcert.cli.common import EXIT_CODES_HELP, run_guarded

app = typer.Typer(
    name="healthcert",
    help="Issue and verify international travel health certificates, offline.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown joins the lines of a docstring's paragraph, as the terminal's width wraps them.
    rich_markup_mode="markdown",
    epilog=EXIT_CODES_HELP,
)


@app.callback()
def _each_run() -> None:
    # Each run speaks the environment's language until a command's --lang says otherwise
    # (a program that runs several commands in one process must not keep the last one's).
    messages.choose(None)


app.command("verify")(verify_command.verify)
app.command("issue")(issue_command.issue)


def _mount_sub_apps() -> None:
    from healthcert.cli import gateway, keys, light, rules, trust

    app.command("light")(light.light)
    app.add_typer(keys.app, name="keys")
    app.add_typer(gateway.app, name="gateway")
    app.add_typer(trust.app, name="trust")
    app.add_typer(rules.app, name="rules")


def _mount_service_commands() -> None:
    # Each module imports only typer at the top: FastAPI and SQLAlchemy load inside commands,
    # which first check that the service extra is installed.
    from healthcert.cli import apikey, audit, db, declarations, outbox, purge, serve
    from healthcert.cli.service_extra import all_need_service, needs_service

    app.command("serve")(needs_service(serve.serve))
    app.add_typer(all_need_service(db.app), name="db")
    app.add_typer(all_need_service(apikey.app), name="apikey")
    app.command("audit")(needs_service(audit.audit))
    app.command("purge")(needs_service(purge.purge))
    app.add_typer(all_need_service(declarations.app), name="declarations")
    app.add_typer(all_need_service(outbox.app), name="outbox")


_mount_sub_apps()
_mount_service_commands()


def main() -> None:
    run_guarded(app)
