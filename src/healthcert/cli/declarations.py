"""``healthcert declarations``: a post that works from a terminal reviews health declarations
with the same use cases as the consular API."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
from typing import TYPE_CHECKING, Annotated, Any

import orjson
import typer

from healthcert.cli.common import EXIT_INVALID, fail
from healthcert.cli.db import UrlOption
from healthcert.cli.messages import _
from healthcert.cli.verdict import LanguageOption, languages

if TYPE_CHECKING:
    from healthcert.declarations.review import Post

app = typer.Typer(
    name="declarations",
    help="Review travellers' health declarations: the queue, one declaration, a decision.",
    no_args_is_help=True,
    add_completion=False,
)

CountriesOption = Annotated[
    str,
    typer.Option(
        "--countries",
        help="The post's countries of residence, e.g. US,CA; default every country.",
    ),
]
OfficerOption = Annotated[
    str, typer.Option("--officer", help="Who decides, for the history and the audit log.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="JSON instead of text.")]


def _post(countries: str, officer: str = "cli") -> Post:
    from healthcert.declarations.review import Post
    from healthcert.service.audit import Actor

    covered = {c.strip().upper() for c in countries.split(",") if c.strip()}
    return Post(Actor("officer", officer), frozenset(covered) if covered else None)


def _status(state: str) -> str:
    """A status as a person reads it; in English its name, as the JSON writes it."""
    names = {
        "submitted": _("submitted"),
        "auto_approved": _("auto_approved"),
        "approved": _("approved"),
        "rejected": _("rejected"),
        "documents_requested": _("documents_requested"),
        "withdrawn": _("withdrawn"),
    }
    return names.get(state, state)


def _echo_json(document: Any) -> None:
    typer.echo(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode("utf-8"))


def _guarded(run: Any, *args: Any) -> Any:
    """The use case's answer; its refusal as one error line (exit 1, or 2 for bad input)."""
    from healthcert.service.errors import Conflict, Invalid, NotFound

    try:
        return run(*args)
    except Invalid as error:
        fail(str(error))
    except (NotFound, Conflict) as error:
        fail(str(error), EXIT_INVALID)


@app.command("list")
def list_queue(
    status: Annotated[str, typer.Option("--status", help="Which status.")] = "submitted",
    countries: CountriesOption = "",
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0)] = 0,
    as_json: JsonOption = False,
    url: UrlOption = None,
    lang: LanguageOption = None,
) -> None:
    """The queue, oldest first: id, residence, destination, departure, submitted."""
    from healthcert.declarations.review import queue
    from healthcert.service.context import open_context

    languages(lang)
    rows = _guarded(queue, open_context(url), _post(countries), status, limit, offset)
    if as_json:
        _echo_json(rows)
        return
    for row in rows:
        typer.echo(
            f"{row['id']}\t{_status(row['status'])}\t{row['residence_country']}->{row['destination']}"
            f"\t{row['departure']}\t{row['submitted_at']}"
        )


@app.command("show")
def show(
    declaration_id: Annotated[int, typer.Argument(help="The declaration's id.")],
    countries: CountriesOption = "",
    as_json: JsonOption = False,
    url: UrlOption = None,
    lang: LanguageOption = None,
) -> None:
    """One declaration: its fields, each piece of evidence verified, its history."""
    from healthcert.declarations.review import examine
    from healthcert.service.context import open_context

    language = languages(lang)
    found = _guarded(examine, open_context(url), _post(countries), declaration_id, language)
    if as_json:
        _echo_json(found)
        return
    trip = found["trip"]
    typer.echo(
        _("declaration {id}: {status} (version {version})").format(
            id=found["id"], status=_status(found["status"]), version=found["version"]
        )
    )
    typer.echo(
        _("trip: {city}, {country} -> {port}, {destination} on {departure} ({transport})").format(
            city=trip["from_city"],
            country=trip["from_country"],
            port=trip["port_of_entry"],
            destination=trip["to_country"],
            departure=trip["departure"],
            transport=trip["transport"],
        )
    )
    for item in found["evidence"]:
        typer.echo(
            _("evidence {id}: {kind}").format(id=item["id"], kind=_kind(item["kind"]))
            + _evidence_state(item)
        )
    for step in found["history"]:
        state = _status(step["status"])
        typer.echo(f"{step['at']}  {state:<20} {step['actor']}  {step['reason'] or ''}")


def _kind(kind: str) -> str:
    names = {"payload": _("payload"), "record": _("record"), "document": _("document")}
    return names.get(kind, kind)


def _evidence_state(item: dict[str, Any]) -> str:
    report = item.get("report")
    if report is None:
        return ""
    return " " + (_("valid") if report["valid"] else _("NOT valid"))


@app.command("decide")
def decide(
    declaration_id: Annotated[int, typer.Argument(help="The declaration's id.")],
    decision: Annotated[
        str, typer.Option("--decision", help="approve, reject or request_documents.")
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Required to reject or request documents.")
    ] = None,
    officer: OfficerOption = "cli",
    countries: CountriesOption = "",
    as_json: JsonOption = False,
    url: UrlOption = None,
    lang: LanguageOption = None,
) -> None:
    """Decide a declaration in the queue; the holder is notified, the audit log records it."""
    from healthcert.declarations.review import decide as decide_one
    from healthcert.service.context import open_context

    languages(lang)
    post = _post(countries, officer)
    found = _guarded(decide_one, open_context(url), post, declaration_id, decision, reason)
    if as_json:
        _echo_json(found)
        return
    typer.echo(
        _("declaration {id}: {status}").format(id=found["id"], status=_status(found["status"]))
    )
