"""Reading a file a person names, with a size bound, as key files and trust sources are read."""

from __future__ import annotations

from pathlib import Path

from healthcert.errors import HealthcertError


def read_bounded(path: Path, limit: int, error: type[HealthcertError], what: str) -> bytes:
    """At most ``limit`` bytes of ``path``; ``error`` names the path when it is missing,
    unreadable or larger (``what`` says what the file should have been)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
    except FileNotFoundError as missing:
        raise error(f"{path}: no such file") from missing
    except OSError as failure:
        raise error(f"{path}: cannot read: {failure.strerror or failure}") from failure
    if len(data) > limit:
        raise error(f"{path}: too large for {what}: larger than {limit} bytes")
    return data
