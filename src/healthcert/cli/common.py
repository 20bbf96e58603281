"""What the commands share: the error line, time parsing, the trust store to verify with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

if TYPE_CHECKING:
    from healthcert.formats.base import VerificationContext
    from healthcert.trust.verifier import VerifierTrust

TrustOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trust",
        help="Trust source: certificate, EU trust list, JWKS, directory, VCI issuer directory, "
        "or a SMART Health Card issuer bound to its keys as https://issuer.example=jwks.json. "
        "Repeatable. Default: the local trust store ('healthcert trust add').",
    ),
]
TrustCountryOption = Annotated[
    list[str] | None,
    typer.Option(
        "--trust-country",
        metavar="ISS=CC",
        help="The country (ISO 3166-1 alpha-2) of a trusted SMART Health Card issuer, which its "
        "cards do not name: the report shows it and the entry rules use it. Repeatable. "
        "Without it an issuer's country is unknown (null).",
    ),
]

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


def load_trust_store(specs: list[str], countries: list[str] | None = None) -> VerifierTrust:
    """The trust sources named on the command line, or else the local trust store."""
    from healthcert.errors import HealthcertError
    from healthcert.trust.verifier import load_verifier_trust

    by_issuer = parse_trust_countries(countries or [])
    try:
        return load_verifier_trust(specs, by_issuer)
    except HealthcertError as error:
        fail(str(error))


def parse_trust_countries(values: list[str]) -> dict[str, str]:
    """``--trust-country ISS=CC`` values by issuer URL; a usage error for a malformed one."""
    from healthcert.errors import TrustStoreError
    from healthcert.trust.shc_issuers import is_issuer_binding, issuer_country

    countries = {}
    for value in values:
        iss, _, country = value.rpartition("=")
        if not is_issuer_binding(value):
            fail(f"--trust-country {value!r} is not of the form https://issuer.example=CC")
        try:
            countries[iss] = issuer_country(country)
        except TrustStoreError as error:
            fail(f"--trust-country {value!r}: {error}")
    return countries


def verification_context(
    trust: list[str] | None, at: str | None, countries: list[str] | None = None
) -> VerificationContext:
    """The context the verify commands share: the trust named (or the local store), the clock."""
    from healthcert import verify as pipeline

    clock = parse_time(at)
    sources = load_trust_store(trust or [], countries)
    return pipeline.context(sources.store, clock, shc_issuers=sources.shc_issuers)
