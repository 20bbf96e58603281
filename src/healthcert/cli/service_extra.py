"""The certificate service is an extra: ``pip install 'healthcert[service]'``.

The library and the commands for keys, trust, issue, verify and rules need none of its
packages. The commands that run the service (serve, db, apikey, audit, issue --store) check for
them before they start, and where one is missing refuse with the install hint (exit 2) instead
of a traceback from deep inside an import.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer

from healthcert.cli.common import EXIT_USAGE, fail

INSTALL_HINT = "pip install 'healthcert[service]'"
# The service's own imports, by import name: the web framework and server, the database and
# its migrations, and the PDF writer.
SERVICE_MODULES = ("fastapi", "uvicorn", "sqlalchemy", "alembic", "fpdf")

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def missing_modules() -> list[str]:
    """The service's modules that cannot be imported here, in SERVICE_MODULES order."""
    return [name for name in SERVICE_MODULES if importlib.util.find_spec(name) is None]


def require_service() -> None:
    """Return when the service's packages are installed; otherwise one red line naming the
    missing ones and the install hint, and exit 2."""
    missing = missing_modules()
    if missing:
        fail(
            f"this command needs the certificate service, which is not installed "
            f"(missing: {', '.join(missing)}); install it with: {INSTALL_HINT}",
            EXIT_USAGE,
        )


def needs_service(command: Callable[_Params, _Result]) -> Callable[_Params, _Result]:
    """``command``, refusing as ``require_service`` does before it runs. Its signature is
    kept, so typer reads the same options from it."""

    @functools.wraps(command)
    def guarded(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        require_service()
        return command(*args, **kwargs)

    return guarded


def all_need_service(group: typer.Typer) -> typer.Typer:
    """``group`` with each of its commands guarded by ``needs_service``."""
    for command in group.registered_commands:
        if command.callback is not None:
            command.callback = needs_service(command.callback)
    return group
