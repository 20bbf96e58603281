"""What each error code of a report means, in the command line's language (the table is
``healthcert.error_meanings``, shared with the check page)."""

from __future__ import annotations

from healthcert.cli.messages import _
from healthcert.error_meanings import meaning


def error_text(code: str) -> str | None:
    """The meaning of ``code`` in the chosen language; None for a code not listed here."""
    return meaning(code, _)
