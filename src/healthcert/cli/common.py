"""What the commands share: the error line and exit codes, time parsing, the trust store to
verify with, and telling a file a person names from a payload."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from healthcert.cli.messages import _
from healthcert.errors import ConfigurationError, HealthcertError, KeyStoreError, TrustStoreError

if TYPE_CHECKING:
    from healthcert.formats.base import VerificationContext
    from healthcert.trust.revocation import DccRevocations
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

# One exit status per kind of failure, the same for every command.
EXIT_OK = 0
EXIT_INVALID = 1  # the answer is no: not valid, not green, a batch line failed, nothing matched
EXIT_USAGE = 2  # the command line: an option, a value, a file it names that is not there, or a
# setting not given (HEALTHCERT_KEY_PASSPHRASE)
EXIT_CONFIG = 3  # key or trust material that cannot be used: key files (or their passphrase),
# trust sources, the trust store, policy files
EXIT_INTERNAL = 4  # a fault of healthcert itself
DEBUG_ENV = "HEALTHCERT_DEBUG"

EXIT_CODES_HELP = (
    "Exit status: 0 success (every certificate valid); 1 a certificate not valid, a verdict "
    "not green, or a batch line failed; 2 usage error (an option, a value, a file that does "
    "not exist, HEALTHCERT_KEY_PASSPHRASE not set); 3 key or trust error (key files that "
    "cannot be read or decrypted, trust sources, policy files); 4 internal error."
)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """One red line on stderr, never a traceback; the message is shown as written, never read
    as markup (paths and payloads hold brackets) and never wrapped."""
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False, soft_wrap=True)
    # (A call inside an f-string is not seen by the catalog's extraction: named first.)
    prefix = _("error:")
    console.print(f"[bold red]{prefix}[/] {escape(message)}")
    raise typer.Exit(code)


def exit_code_of(error: Exception) -> int:
    """The exit status of an error healthcert raises on purpose."""
    from healthcert.rules.policy import PolicyError

    if isinstance(error, ConfigurationError):  # a setting not given: the invocation is wrong
        return EXIT_USAGE
    if isinstance(error, KeyStoreError | TrustStoreError | PolicyError):
        return EXIT_CONFIG
    return EXIT_INVALID


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the errors healthcert raises on purpose into one red line and their exit status."""
    try:
        yield
    except HealthcertError as error:
        fail(str(error), exit_code_of(error))


def run_guarded(command: Callable[[], object]) -> None:
    """Run the command line; an error nobody foresaw is one line and exit status 4, its
    traceback shown only with HEALTHCERT_DEBUG=1."""
    try:
        command()
    except typer.Exit:
        raise
    except Exception as error:  # the last line of defence, by design
        if os.environ.get(DEBUG_ENV):
            raise
        from rich.console import Console
        from rich.markup import escape

        console = Console(stderr=True, highlight=False, soft_wrap=True)
        what = escape(str(error) or type(error).__name__)
        hint = _("(a fault of healthcert; run again with {setting}=1 to see where)").format(
            setting=DEBUG_ENV
        )
        prefix = _("internal error:")
        console.print(f"[bold red]{prefix}[/] {what} {hint}")
        sys.exit(EXIT_INTERNAL)


# What a path a person types ends with; a payload never does (see ``looks_like_path``).
PATH_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".svg"}
    | {".txt", ".jsonl", ".json", ".pdf", ".pem", ".der", ".smart-health-card"}
)
# How each format's payload begins (case aside); such text is never a path, slashes or not.
_PAYLOAD_STARTS = ("hc1:", "shc:/", "{")
# The Base45 alphabet: a long text of these alone is a payload with a missing or mistyped
# prefix (its report says PREFIX_INVALID), though it may hold slashes and dots.
_BASE45 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_SHORTEST_PAYLOAD = 64


def looks_like_path(argument: str) -> bool:
    """Whether an argument that is not an existing file was meant as one: it ends with a file
    extension or holds a path separator, and does not begin as a payload does (``shc:/``
    holds a slash, Base45 and base64 payloads may hold slashes and dots)."""
    text = argument.strip()
    if not text or len(text) > 4096 or text.lower().startswith(_PAYLOAD_STARTS):
        return False
    if text.startswith("eyJ") and text.count(".") == 2:  # a compact JWS (SMART Health Card)
        return False
    if len(text) >= _SHORTEST_PAYLOAD and _BASE45.issuperset(text):
        return False
    if Path(text).suffix.lower() in PATH_SUFFIXES:
        return True
    return "/" in text or os.sep in text


def require_files(arguments: Iterable[str], *, directories: bool = False) -> None:
    """A usage error naming the first argument meant as a file that is not one (nor, with
    ``directories``, a directory)."""
    for argument in arguments:
        if not argument.strip():
            continue  # an empty payload, reported as INPUT_EMPTY
        path = Path(argument)
        try:
            exists, is_dir = path.exists(), path.is_dir()
        except (OSError, ValueError):
            exists = is_dir = False
        if is_dir and not directories:
            fail(_("{path}: is a directory, not a file").format(path=argument))
        if not exists and looks_like_path(argument):
            known = Path(argument.strip()).suffix.lower() in PATH_SUFFIXES
            message = (
                _("{path}: no such file")
                if known
                else _(
                    "{path}: no such file (and not a payload: those begin with HC1:, shc:/ or {{)"
                )
            )
            fail(message.format(path=argument))


AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Validation clock: ISO 8601 (no offset = UTC), or days or hours from now such as "
        "+30d or -12h. Default: now.",
    ),
]
_RELATIVE_TIME = re.compile(r"([+-])(\d{1,5})([dh])")


def parse_time(text: str | None) -> datetime | None:
    """ISO 8601 (a time without an offset is UTC), or ``+30d`` / ``-12h`` from now."""
    if text is None:
        return None
    relative = _RELATIVE_TIME.fullmatch(text.strip())
    if relative is not None:
        sign, amount, unit = relative.groups()
        step = timedelta(days=int(amount)) if unit == "d" else timedelta(hours=int(amount))
        return datetime.now(UTC) + (step if sign == "+" else -step)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        fail(
            _("--at {value} is not an ISO 8601 date or date-time, nor +Nd or -Nh from now").format(
                value=repr(text)
            )
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def load_trust_store(
    specs: list[str], countries: list[str] | None = None, did_signers: list[Path] | None = None
) -> VerifierTrust:
    """The trust sources named on the command line, or else the local trust store; a DID trust
    list among them must carry a proof by one of ``did_signers`` (certificate files), if given."""
    from healthcert.formats.shc.issuers import is_issuer_binding, parse_issuer_binding
    from healthcert.trust.verifier import load_verifier_trust

    for spec in specs:
        path = parse_issuer_binding(spec)[1] if is_issuer_binding(spec) else Path(spec)
        if not path.exists():
            fail(_("--trust {source}: no such file or directory").format(source=spec))
    by_issuer = parse_trust_countries(countries or [])
    require_files(str(path) for path in did_signers or [])
    with reported_errors():
        from healthcert.trust.sources import read_certificate_files

        signers = read_certificate_files(did_signers or [], "--did-signer")
        return load_verifier_trust(specs, by_issuer, signers)
    raise AssertionError("unreachable")  # reported_errors() exits on every error


def parse_trust_countries(values: list[str]) -> dict[str, str]:
    """``--trust-country ISS=CC`` values by issuer URL; a usage error for a malformed one."""
    from healthcert.formats.shc.issuers import is_issuer_binding, issuer_country

    countries = {}
    for value in values:
        iss, _equals, country = value.rpartition("=")
        if not is_issuer_binding(value):
            fail(
                _("--trust-country {value} is not of the form https://issuer.example=CC").format(
                    value=repr(value)
                )
            )
        try:
            countries[iss] = issuer_country(country)
        except TrustStoreError as error:
            fail(f"--trust-country {value!r}: {error}")
    return countries


def verification_context(
    trust: list[str] | None,
    at: str | None,
    countries: list[str] | None = None,
    did_signers: list[Path] | None = None,
) -> VerificationContext:
    """The context the verify commands share: the trust named (or the local store), the clock."""
    from healthcert import verification as pipeline

    clock = parse_time(at)
    sources = load_trust_store(trust or [], countries, did_signers)
    if trust:
        return pipeline.context(sources.store, clock, shc_issuers=sources.shc_issuers)
    revocations, note = _synced()
    return pipeline.context(
        sources.store,
        clock,
        shc_issuers=sources.shc_issuers,
        dcc_revocations=revocations,
        trust_note=note,
    )


def _synced() -> tuple[DccRevocations | None, dict[str, object] | None]:
    """What the last gateway sync left for the local trust store: the revocations, and the
    note every report carries (when, from where, a warning when stale)."""
    from healthcert.trust.synced import load_synced_revocations, max_age, read_state, trust_note

    with reported_errors():
        state = read_state()
        if state is None:
            return None, None
        # Staleness is real time, whatever clock (--at) the certificates are judged at.
        return load_synced_revocations(), trust_note(state, None, max_age())
    raise AssertionError("unreachable")  # reported_errors() exits on every error
