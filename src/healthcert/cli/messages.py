"""The language of what the command line writes for people: ``--lang``, else the
environment's (LC_ALL, LC_MESSAGES, LANG), else English; and its gettext catalog
(``cli/locale/<lang>/LC_MESSAGES/cli.po``, compiled to ``.mo`` by ``make messages-compile``).

Nothing is read before a message is: English is the source text and loads nothing, and
another language's catalog is read on its first message, so ``healthcert verify --json``
and ``--help`` pay nothing for it. JSON output never goes through here (its keys and codes
are English for programs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from healthcert import catalogs

if TYPE_CHECKING:
    import gettext

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
    return catalogs.load(LOCALES, DOMAIN, language)
