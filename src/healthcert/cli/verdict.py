"""What the commands that give an entry verdict share: their options and the judge they build.

Importing this module costs typer only: the rules engine is imported when a judge is built,
so that ``healthcert verify`` without ``--country`` never loads it.
"""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli import messages
from healthcert.cli.common import fail, reported_errors
from healthcert.cli.messages import _

if TYPE_CHECKING:
    from healthcert.rules.policy import Policies
    from healthcert.verification import Judge

GREEN = "green"
_COUNTRY = re.compile(r"[A-Z]{2}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})?")

CountryOption = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="Destination country (ISO 3166 alpha-2): apply its entry rules and give each "
        "certificate a green, yellow or red verdict.",
    ),
]
OriginOption = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="Country the traveller arrives from (ISO 3166 alpha-2); a high-risk origin under "
        "the destination's policy makes the verdict yellow. Needs --country.",
    ),
]
LanguageOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Language of what a person reads: the messages and labels (en, zh), rule "
        "descriptions, verdict reasons, policy actions and the names of codes (vaccine, test, "
        "country...): en, zh, de, ... (English where a text lacks it). Default: the "
        "environment's (LC_ALL, LC_MESSAGES, LANG), else English.",
    ),
]
PoliciesOption = Annotated[
    Path | None,
    typer.Option(
        "--policies",
        help="A directory of destination policy files (JSON); its policies replace the "
        "shipped ones and those in HEALTHCERT_HOME/policies, country by country.",
    ),
]


def country_code(text: str, option: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper case; a usage error otherwise."""
    code = text.strip().upper()
    if not _COUNTRY.fullmatch(code):
        fail(
            _("{option} {value} is not a two-letter country code (ISO 3166-1 alpha-2)").format(
                option=option, value=repr(text)
            )
        )
    return code


def language_tag(text: str) -> str:
    tag = text.strip().lower()
    if not _LANGUAGE.fullmatch(tag):
        fail(
            _("--lang {value} is not a language code such as en, zh or de").format(value=repr(text))
        )
    return tag


def languages(lang: str | None) -> str:
    """Set the language of the command's messages from ``--lang`` (else the environment's)
    and return the language of rule descriptions and code names: ``--lang`` as given (rules
    speak more languages than the messages), else the messages'."""
    if lang is None:
        return messages.choose(None)
    tag = language_tag(lang)
    messages.choose(tag)
    return tag


def load_policies(directory: Path | None) -> Policies:
    """The destination policies, or one red line naming the bad file and field."""
    from healthcert.rules import policy

    if directory is not None and not directory.is_dir():
        fail(_("--policies {path}: is not a directory").format(path=directory))
    with reported_errors():
        return policy.load_policies(directory)
    raise AssertionError("unreachable")  # reported_errors() exits on every error


def build_judge(
    country: str | None, origin: str | None, language: str, policies: Path | None
) -> Judge | None:
    """The judge for ``--country`` (None without it); --from and --policies need --country."""
    if country is None:
        if origin is not None or policies is not None:
            fail(_("--from and --policies need --country: the destination whose rules apply"))
        return None
    return make_judge(
        country_code(country, "--country"),
        None if origin is None else country_code(origin, "--from"),
        language_tag(language),
        load_policies(policies),
    )


def make_judge(destination: str, origin: str | None, language: str, policies: Policies) -> Judge:
    from healthcert.rules.verdict import judge_for

    return judge_for(destination, policies=policies, origin=origin, language=language)
