"""gettext catalogs, shared by the pages and the command line: a language's compiled ``.mo``
when it is as new as its ``.po`` source, else the source read here (a checkout where
``make messages-compile`` has not run; Babel is not a core dependency), else none."""

from __future__ import annotations

import gettext
from pathlib import Path


def load(locales: Path, domain: str, language: str) -> gettext.NullTranslations:
    """The catalog of ``domain`` in ``language`` under ``locales``."""
    folder = locales / language / "LC_MESSAGES"
    compiled, source = folder / f"{domain}.mo", folder / f"{domain}.po"
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as file:
            return gettext.GNUTranslations(file)
    if source.exists():
        return SourceCatalog(read_po(source.read_text(encoding="utf-8")))
    return gettext.NullTranslations()


def read_po(text: str) -> dict[str, str]:
    """The translated messages of a ``.po`` file (msgid -> msgstr), fuzzy ones left out."""
    import ast  # only where no compiled catalog is found: the command line starts without it

    found: dict[str, str] = {}
    for block in text.split("\n\n"):
        lines = [line.strip() for line in block.strip().splitlines()]
        if any(line.startswith("#,") and "fuzzy" in line for line in lines):
            continue
        parts: dict[str, list[str]] = {}
        field = None
        for line in lines:
            if line.startswith(("msgid ", "msgstr ")):
                field, _, rest = line.partition(" ")
                parts[field] = [ast.literal_eval(rest)]
            elif line.startswith('"') and field is not None:
                # A .po string is written as a C string literal, which Python reads alike.
                parts[field].append(ast.literal_eval(line))
        message, translation = "".join(parts.get("msgid", [])), "".join(parts.get("msgstr", []))
        if message and translation:
            found[message] = translation
    return found


class SourceCatalog(gettext.NullTranslations):
    """A catalog read from its ``.po`` source (no plural forms: the catalogs use none)."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)
