"""The language of what the command line writes for people: ``--lang``, else the
environment's (LC_ALL, LC_MESSAGES, LANG), else English; and its gettext catalog
(``cli/locale/<lang>/LC_MESSAGES/cli.po``, compiled to ``.mo`` by ``make messages-compile``).

Nothing is read before a message is: English is the source text and loads nothing, and
another language's catalog is read on its first message, so ``healthcert verify --json``
and ``--help`` pay nothing for it. JSON output never goes through here (its keys and codes
are English for programs)."""

from __future__ import annotations

# gettext is loaded already: click, beneath typer, speaks through it.
import gettext
import os
from pathlib import Path

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "cli"
SUPPORTED = ("en", "zh")
DEFAULT = "en"
# POSIX order: the first of these that is set names the language of messages.
_ENVIRONMENT = ("LC_ALL", "LC_MESSAGES", "LANG")

_chosen: str | None = None
_catalogs: dict[str, gettext.NullTranslations] = {}


def language_of(asked: str | None) -> str:
    """``asked`` (``--lang``) if given, else the environment's; a language without a
    catalog reads English. ``zh-CN``, ``zh_CN.UTF-8`` and ``zh`` are all ``zh``."""
    text = asked if asked else _from_environment()
    base = text.strip().split(".")[0].replace("_", "-").split("-")[0].lower()
    return base if base in SUPPORTED else DEFAULT


def _from_environment() -> str:
    for name in _ENVIRONMENT:
        value = os.environ.get(name)
        if value:
            return value
    return DEFAULT


def choose(asked: str | None) -> str:
    """Set the language of this command's messages (from ``--lang`` or the environment)."""
    global _chosen
    _chosen = language_of(asked)
    return _chosen


def current() -> str:
    return _chosen if _chosen is not None else language_of(None)


def _(message: str) -> str:
    """``message`` in the chosen language (English, the source, when it has no translation)."""
    language = current()
    if language == DEFAULT:
        return message
    return _catalog(language).gettext(message)


def _catalog(language: str) -> gettext.NullTranslations:
    found = _catalogs.get(language)
    if found is None:
        found = _catalogs[language] = _load(language)
    return found


def _load(language: str) -> gettext.NullTranslations:
    """The compiled catalog when it is as new as its source, else the source read here (a
    checkout where ``make messages-compile`` has not run), else none."""
    folder = LOCALES / language / "LC_MESSAGES"
    compiled, source = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
    if compiled.exists() and (
        not source.exists() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        with compiled.open("rb") as file:
            return gettext.GNUTranslations(file)
    if source.exists():
        return _SourceCatalog(read_po(source.read_text(encoding="utf-8")))
    return gettext.NullTranslations()


def read_po(text: str) -> dict[str, str]:
    """The translated messages of a ``.po`` file (msgid -> msgstr), fuzzy ones left out. The
    command line needs no Babel to read its source catalog: it is not a core dependency."""
    import ast

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
                parts[field].append(ast.literal_eval(line))
        message, translation = "".join(parts.get("msgid", [])), "".join(parts.get("msgstr", []))
        if message and translation:
            found[message] = translation
    return found


class _SourceCatalog(gettext.NullTranslations):
    """A catalog read from its ``.po`` source."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)
