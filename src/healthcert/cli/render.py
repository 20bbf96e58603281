"""The person's view of a report: a coloured verdict, who and what, and every problem found."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

_CHECK_MARK = {True: "[green]✔[/]", False: "[red]✘[/]", None: "[dim]–[/]"}


class ReportPrinter:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False)

    def show(self, report: dict[str, Any]) -> None:
        valid = bool(report["valid"])
        title = "[bold green]VALID[/]" if valid else "[bold red]NOT VALID[/]"
        body = Table.grid(padding=(0, 2))
        body.add_column(style="bold")
        body.add_column()
        for label, value in _summary_rows(report):
            body.add_row(label, value)
        checks = "  ".join(f"{_CHECK_MARK[ok]} {name}" for name, ok in report["checks"].items())
        body.add_row("checks", checks)
        for error in report["errors"]:
            body.add_row("[red]error[/]", f"[red]{error['code']}[/] {error['message']}")
        self.console.print(
            Panel(
                body, title=title, subtitle=_shorten(report["input"]), border_style=_border(valid)
            )
        )


def _border(valid: bool) -> str:
    return "green" if valid else "red"


def _shorten(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _summary_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    rows = [("format", report["format"] or "unknown")]
    certificate = report.get("certificate")
    if certificate:
        rows.append(("holder", _holder(certificate["holder"])))
        rows.append(("entry", _entry(certificate["entry"])))
    issuer = report.get("issuer") or {}
    if issuer.get("country") or issuer.get("kid"):
        rows.append(("issuer", f"{issuer.get('country') or '?'} (kid {issuer.get('kid')})"))
    return rows


def _holder(holder: dict[str, Any]) -> str:
    names = " ".join(part for part in (holder.get("given_name"), holder.get("family_name")) if part)
    return f"{names}, born {holder.get('date_of_birth') or 'unknown'}"


def _entry(entry: dict[str, Any]) -> str:
    kind = entry.get("kind")
    if kind == "vaccination":
        return (
            f"vaccination, dose {entry.get('dose_number')}/{entry.get('total_doses')} "
            f"on {entry.get('date')} in {entry.get('country')}"
        )
    if kind == "test":
        return (
            f"test {entry.get('test_type')}, result {entry.get('result')}, "
            f"sampled {entry.get('sample_time')} in {entry.get('country')}"
        )
    return (
        f"recovery, first positive {entry.get('first_positive')}, valid "
        f"{entry.get('valid_from')} to {entry.get('valid_until')}"
    )
