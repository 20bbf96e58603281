"""The Jinja2 environment of the pages; each render gets the visitor's catalog."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from healthcert.web import i18n

TEMPLATES = Path(__file__).parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(name: str, language: str, path: str, **values: Any) -> str:
    """``name`` in ``language``; the catalog goes in the context (not the environment's
    globals), so concurrent requests in different languages never share one."""
    catalog = i18n.translations(language)
    return (
        environment()
        .get_template(name)
        .render(
            _=catalog.gettext,
            gettext=catalog.gettext,
            ngettext=catalog.ngettext,
            lang=language,
            languages=i18n.LANGUAGES,
            path=path,
            **values,
        )
    )
