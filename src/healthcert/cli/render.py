"""The person's view of a report: a coloured verdict, who and what, and every problem found.

With a destination (``verify --country``), the panel takes the colour of the entry verdict and
shows its reasons and each rule's outcome; ``rules check`` shows the rules as a table.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from healthcert.cli import messages
from healthcert.cli.error_texts import error_text
from healthcert.cli.messages import _
from healthcert.formats import registry
from healthcert.model.display import display_name

_CHECK_MARK = {True: "[green]✔[/]", False: "[red]✘[/]", None: "[dim]–[/]"}
_RULE_MARK = {"passed": "[green]✔[/]", "failed": "[red]✘[/]", "open": "[yellow]?[/]"}
_COLOUR_STYLE = {"green": "bold green", "yellow": "bold yellow", "red": "bold red"}
# The coded fields of an entry shown by name, each on its own row, in the order a person reads.
_CODED_FIELDS = (
    "disease",
    "vaccine",
    "product",
    "manufacturer",
    "test_type",
    "test_device",
    "result",
)


def _verdict_title(verdict: str) -> str:
    words = {
        "green": (_("GREEN"), _("may enter")),
        "yellow": (_("YELLOW"), _("action needed")),
        "red": (_("RED"), _("may not enter")),
    }[verdict]
    return f"[{_COLOUR_STYLE[verdict]}]{words[0]}[/] {words[1]}"


def _health_code_title(verdict: str) -> str:
    """A health code's colour is the consulate's decision on the declaration, for one trip."""
    words = {
        "green": (_("GREEN"), _("approved for this trip")),
        "yellow": (_("YELLOW"), _("pending: more documents needed")),
        "red": (_("RED"), _("rejected")),
    }[verdict]
    return f"[{_COLOUR_STYLE[verdict]}]{words[0]}[/] {words[1]}"


def _label(name: str) -> str:
    """A row's label. Labels of at most 7 letters in English keep the column narrow."""
    labels = {
        "format": _("format"),
        "holder": _("holder"),
        "entry": _("entry"),
        "disease": _("disease"),
        "vaccine": _("vaccine"),
        "product": _("product"),
        "manufacturer": _("maker"),
        "test_type": _("test"),
        "test_device": _("device"),
        "result": _("result"),
        "issued": _("issued"),
        "expires": _("expires"),
        "issuer": _("issuer"),
        "checks": _("checks"),
        "error": _("error"),
        "destination": _("destination"),
        "requirement": _("requirement"),
        "reason": _("reason"),
        "rule": _("rule"),
        "document": _("document"),
        "trip": _("trip"),
        "route": _("route"),
        "declaration": _("declaration"),
    }
    return labels[name]


def _check_name(name: str) -> str:
    """A check of the report by name; in English its key, as the JSON and README write it."""
    names = {
        "decode": _("decode"),
        "schema": _("schema"),
        "signature": _("signature"),
        "validity_period": _("validity_period"),
        "key_usage": _("key_usage"),
        "rules": _("rules"),
        "trip": _("trip"),
    }
    return names.get(name, name)


def _result_name(result: str) -> str:
    return {"passed": _("passed"), "failed": _("failed"), "open": _("open")}.get(result, result)


class ReportPrinter:
    """Prints reports as panels; codes a person reads are named in ``lang`` (en or zh)."""

    def __init__(self, console: Console | None = None, lang: str = "en") -> None:
        self.console = console or Console(highlight=False)
        self.lang = lang

    def show(self, report: dict[str, Any]) -> None:
        valid = bool(report["valid"])
        title = (
            "[bold green]{}[/]".format(_("VALID"))
            if valid
            else "[bold red]{}[/]".format(_("NOT VALID"))
        )
        verdict = report.get("verdict")
        body = Table.grid(padding=(0, 2))
        body.add_column(style="bold")
        body.add_column()
        for label, value in _summary_rows(report, self.lang):
            body.add_row(_label(label), value)
        checks = "  ".join(
            f"{_CHECK_MARK[ok]} {_check_name(name)}" for name, ok in report["checks"].items()
        )
        body.add_row(_label("checks"), checks)
        for error in report["errors"]:
            body.add_row(
                f"[red]{_label('error')}[/]",
                f"[red]{escape(error['code'])}[/] {escape(_error_message(error))}",
            )
        if verdict is not None and report["format"] == registry.HEALTH_CODE:
            title = f"{title} · {_health_code_title(verdict)}"
        elif verdict is not None:
            title = f"{title} · {_verdict_title(verdict)}"
            _add_verdict_rows(body, report)
        border = _border(valid) if verdict is None else verdict
        self.console.print(
            Panel(
                body, title=title, subtitle=escape(_shorten(report["input"])), border_style=border
            )
        )

    def show_rules(self, report: dict[str, Any]) -> None:
        """A report as ``rules check`` shows it: the verdict, its reasons, a table of rules."""
        verdict = report.get("verdict") or "red"
        validity = _("valid") if report["valid"] else "[red]{}[/]".format(_("not valid"))
        self.console.print(
            f"{_verdict_title(verdict)} · {validity} · {_destination(report)} · "
            f"[dim]{escape(_shorten(report['input']))}[/]"
        )
        for reason in report.get("verdict_reasons") or ():
            self.console.print(f"  {_reason(reason)}")
        rules = report.get("rules") or []
        if rules:
            self.console.print(_rules_table(rules))


def _error_message(error: dict[str, Any]) -> str:
    """The report's own message in English; in another language, what its code means."""
    if messages.current() == messages.DEFAULT:
        return str(error["message"])
    return error_text(str(error["code"])) or str(error["message"])


def _border(valid: bool) -> str:
    return "green" if valid else "red"


def _destination(report: dict[str, Any]) -> str:
    destination = report.get("destination") or {}
    text = _("entry to {country}").format(country=destination.get("country") or "?")
    if destination.get("origin"):
        text += " " + _("from {origin} (origin risk {risk})").format(
            origin=destination["origin"], risk=_risk(destination.get("origin_risk"))
        )
    return escape(text)


def _risk(level: Any) -> str:
    names = {"low": _("low"), "medium": _("medium"), "high": _("high")}
    return names.get(str(level), str(level))


def _reason(reason: dict[str, Any]) -> str:
    colour = "red" if reason["code"] in ("CERTIFICATE_INVALID", "RULE_FAILED") else "yellow"
    return f"[{colour}]{escape(reason['code'])}[/] {escape(reason['message'])}"


def _add_verdict_rows(body: Table, report: dict[str, Any]) -> None:
    body.add_row(_label("destination"), _destination(report))
    requirement = (report.get("destination") or {}).get("requirement")
    if requirement and not report.get("verdict_reasons"):
        body.add_row(_label("requirement"), escape(requirement))
    for reason in report.get("verdict_reasons") or ():
        body.add_row(f"[yellow]{_label('reason')}[/]", _reason(reason))
    for outcome in report.get("rules") or ():
        body.add_row(_label("rule"), _rule_line(outcome))


def _rule_line(outcome: dict[str, Any]) -> str:
    mark = _RULE_MARK.get(outcome["result"], "?")
    return f"{mark} {escape(outcome['id'])} {escape(outcome['description'])}"


def _rules_table(rules: list[dict[str, Any]]) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column(_("rule"), no_wrap=True)
    table.add_column(_("type"))
    table.add_column(_("result"), no_wrap=True)
    table.add_column(_("description"), overflow="fold")  # Chinese text has no spaces to wrap at
    for outcome in rules:
        mark = _RULE_MARK.get(outcome["result"], "?")
        table.add_row(
            escape(outcome["id"]),
            escape(outcome["type"]),
            f"{mark} {escape(_result_name(outcome['result']))}",
            escape(outcome["description"]),
        )
    return table


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_rows(report: dict[str, Any], lang: str = "en") -> list[tuple[str, str]]:
    rows = [("format", escape(report["format"] or _("unknown")))]
    certificate = report.get("certificate")
    if certificate and report["format"] == registry.HEALTH_CODE:
        rows.extend(_health_code_rows(certificate, report.get("trip") or {}))
    elif certificate:
        # Names and entries come from the payload: shown as text, never read as markup.
        rows.append(("holder", escape(_holder(certificate["holder"]))))
        if "entry" in certificate:  # a light certificate carries none: no health data
            rows.append(("entry", escape(_entry(certificate["entry"], lang))))
            rows.extend(_coded_rows(certificate["entry"], lang))
    # The signed issue and expiry times, where the format carries them (EU DCC: iat, exp).
    for label, key in (("issued", "iat"), ("expires", "exp")):
        if report.get(key):
            rows.append((label, escape(str(report[key]))))
    issuer = report.get("issuer") or {}
    if issuer.get("country") or issuer.get("kid"):
        # A SMART Health Card names its issuer by URL, a seal by its signer's subject.
        who = issuer.get("country") or issuer.get("iss") or issuer.get("subject") or "?"
        rows.append(("issuer", escape(f"{who} (kid {issuer.get('kid')})")))
    return rows


def _health_code_rows(certificate: dict[str, Any], trip: dict[str, Any]) -> list[tuple[str, str]]:
    holder = certificate["holder"]
    document = (
        f"{holder.get('document_type')} {holder.get('document_number')} "
        f"({holder.get('document_country')})"
    )
    places = (trip.get("origin_city"), trip.get("origin_country"))
    origin = ", ".join(place for place in places if place)
    route = _("{origin} -> {destination} at {port}").format(
        origin=origin, destination=trip.get("destination_country"), port=trip.get("port_of_entry")
    )
    if trip.get("via"):
        route += " " + _("via {stops}").format(stops=", ".join(trip["via"]))
    departing = _("{transport} departing {departure}").format(
        transport=trip.get("transport"), departure=trip.get("departure")
    )
    return [
        ("holder", escape(_holder(holder))),
        ("document", escape(document)),
        ("trip", escape(departing)),
        ("route", escape(route)),
        ("declaration", escape(str(certificate.get("declaration_id")))),
    ]


def _holder(holder: dict[str, Any]) -> str:
    """Family name first, as documents print it whatever the culture, then the Doc 9303 form
    that the holder's passport carries: "王, 小明 (WANG<<XIAOMING), born 1985-07-21"."""
    written = ", ".join(
        part for part in (holder.get("family_name"), holder.get("given_name")) if part
    )
    latin = "<<".join(
        part for part in (holder.get("family_name_latin"), holder.get("given_name_latin")) if part
    )
    names = f"{written} ({latin})" if written and latin else written or latin
    born = holder.get("date_of_birth") or _("unknown")
    return _("{names}, born {date}").format(names=names, date=born)


def _named(field: str, code: str, lang: str) -> str:
    """``Comirnaty (EU/1/20/1528)``: the name a person reads, with the code to look up."""
    name = display_name(field, code, lang)
    return name if name == code else f"{name} ({code})"


def _coded_rows(entry: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    return [
        (field, escape(_named(field, entry[field], lang)))
        for field in _CODED_FIELDS
        if isinstance(entry.get(field), str) and entry[field]
    ]


def _country(entry: dict[str, Any], lang: str) -> str:
    # A SMART Health Card names no country: unless its issuer's is known, it is null.
    country = entry.get("country")
    if not country:
        return _("unknown country")
    # Two letters a border officer knows first, then the name: "CN (China)".
    name = display_name("country", country, lang)
    return country if name == country else f"{country} ({name})"


def _entry(entry: dict[str, Any], lang: str) -> str:
    kind = entry.get("kind")
    if kind == "vaccination":
        return _("vaccination, dose {dose}/{doses} on {date} in {country}").format(
            dose=entry.get("dose_number"),
            doses=entry.get("total_doses"),
            date=entry.get("date"),
            country=_country(entry, lang),
        )
    if kind == "test":
        return _("test, sampled {time} in {country}").format(
            time=entry.get("sample_time"), country=_country(entry, lang)
        )
    return _("recovery, first positive {positive}, valid {start} to {end}").format(
        positive=entry.get("first_positive"),
        start=entry.get("valid_from"),
        end=entry.get("valid_until"),
    )
