"""What the commands share: the error line, time parsing, the trust store to verify with."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from healthcert.trust.store import TrustStore

EXIT_INVALID = 1
EXIT_USAGE = 2


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One clear red line on stderr, never a traceback."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def parse_time(text: str | None) -> datetime | None:
    """ISO 8601; a time without an offset is UTC."""
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(f"--at {text!r} is not an ISO 8601 date or date-time")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def load_trust_store(paths: list[Path]) -> TrustStore:
    """The trust sources named on the command line, or else the local trust store."""
    from healthcert.errors import HealthcertError
    from healthcert.trust.store import load_local_trust, load_trust

    try:
        return load_trust(paths) if paths else load_local_trust()
    except HealthcertError as error:
        fail(str(error))
