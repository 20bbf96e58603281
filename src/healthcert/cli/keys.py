"""``healthcert keys``: create and list this issuer's CSCA and DSCs.

Thin: every command calls ``healthcert.keys``. Heavy imports happen inside the commands so
that mounting this sub-app costs the main CLI nothing at start-up.
"""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from healthcert.cli.common import EXIT_INVALID, EXIT_USAGE, fail, reported_errors

if TYPE_CHECKING:
    from cryptography import x509

app = typer.Typer(
    name="keys",
    help="Create and list the signing keys of this issuer: the CSCA and its DSCs.",
    no_args_is_help=True,
    add_completion=False,
)

CountryOption = Annotated[
    str, typer.Option("--country", "-c", help="ISO 3166-1 alpha-2 code of the issuing country.")
]
NameOption = Annotated[
    str | None, typer.Option("--name", help="Common name (CN) of the CSCA certificate.")
]
ForceOption = Annotated[
    bool,
    typer.Option("--force", help="Replace an existing CSCA; the old one moves to keys/retired/."),
]
TypesOption = Annotated[
    str,
    typer.Option(
        "--types",
        "-t",
        help="Comma-separated kinds the DSC may sign: vaccination,test,recovery; or "
        "health-code alone, for a DSC that signs health codes only.",
    ),
]
DaysOption = Annotated[
    int, typer.Option("--days", help="Validity in days; never beyond the CSCA's end.")
]
AlgOption = Annotated[
    str, typer.Option("--alg", help="Signature algorithm: ES256 (EC P-256) or PS256 (RSA-3072).")
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for programs instead of a table.")
]


@app.command("init")
def init_command(
    country: CountryOption,
    name: NameOption = None,
    force: ForceOption = False,
) -> None:
    """Create the CSCA, the self-signed authority that certifies this issuer's DSCs."""
    with reported_errors():
        from healthcert.errors import KeyStoreError
        from healthcert.keys.csca import check_country, create_csca
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.keyfile import passphrase_from_env

        try:
            code = check_country(country)
        except KeyStoreError as error:  # a value on the command line: a usage error
            fail(str(error), EXIT_USAGE)
        passphrase = passphrase_from_env()
        directory = KeyDirectory()
        if directory.has_csca() and not force:
            message = f"a CSCA already exists in {directory.root}; use --force to replace it"
            fail(message, EXIT_INVALID)
        csca = create_csca(code, name)
        directory.save_csca(csca, passphrase, force=force)
        _print_created("CSCA", csca.certificate, directory.csca_cert_path)


@app.command("dsc")
def dsc_command(
    types: TypesOption = "vaccination,test,recovery",
    days: DaysOption = 730,
    alg: AlgOption = "ES256",
) -> None:
    """Create a DSC signed by the CSCA; the newest valid DSC signs new certificates."""
    with reported_errors():
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.dsc import create_dsc
        from healthcert.keys.eku import parse_kinds
        from healthcert.keys.keyfile import passphrase_from_env
        from healthcert.keys.material import ALGORITHMS, Algorithm

        algorithm = alg.upper()
        if algorithm not in ALGORITHMS:
            fail(f"--alg must be one of {', '.join(ALGORITHMS)}, got {alg!r}", EXIT_USAGE)
        if days < 1:
            fail("--days must be at least 1", EXIT_USAGE)
        try:
            kinds = parse_kinds(types)
        except ValueError as error:
            fail(f"--types: {error}", EXIT_USAGE)
        directory = KeyDirectory()
        csca = directory.load_csca(passphrase_from_env())
        chosen: Algorithm = "PS256" if algorithm == "PS256" else "ES256"
        dsc = create_dsc(csca, kinds, algorithm=chosen, days=days)
        kid = directory.save_dsc(dsc, passphrase_from_env())
        _print_created("DSC", dsc.certificate, directory.dsc_paths(kid)[0])
        if dsc.certificate.not_valid_after_utc == csca.certificate.not_valid_after_utc:
            _note("validity shortened to end with the CSCA")


@app.command("border")
def border_command(
    country: CountryOption,
    days: DaysOption = 730,
) -> None:
    """Create this destination's border key: sealed certificates are encrypted to it.

    A P-256 key certified by the CSCA for key agreement only (it signs nothing), written as
    keys/border-CC.pem (publish it to issuers: `issue --seal-to`) and keys/border-CC.key.pem
    (encrypted; border verifiers open sealed certificates with it: `verify --unseal-key`).
    """
    with reported_errors():
        from healthcert.errors import KeyStoreError
        from healthcert.keys.border import create_border_key, retire_border_key, save_border_key
        from healthcert.keys.csca import check_country
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.keyfile import passphrase_from_env
        from healthcert.keys.subject import subject_country

        try:
            code = check_country(country)
        except KeyStoreError as error:
            fail(str(error), EXIT_USAGE)
        if days < 1:
            fail("--days must be at least 1", EXIT_USAGE)
        directory = KeyDirectory()
        csca = directory.load_csca(passphrase_from_env())
        if subject_country(csca.certificate) != code:
            held = subject_country(csca.certificate)
            fail(f"the CSCA here is {held}'s: a border key of {code} needs {code}'s CSCA")
        border = create_border_key(csca, days=days)
        retired = retire_border_key(directory.root, code)
        cert_path, key_path = save_border_key(directory.root, border, passphrase_from_env())
        _print_created("border key", border.certificate, cert_path)
        _note(f"private key (encrypted): {key_path}")
        if retired is not None:
            _note(
                f"the previous border key is kept as {retired[1]}: certificates sealed to it "
                "still open with it (`verify --unseal-key`, and the service loads it)"
            )


@app.command("list")
def list_command(json_output: JsonOption = False) -> None:
    """List the CSCA and the DSCs in the key directory, marking the one in use."""
    with reported_errors():
        from healthcert.keys.directory import KeyDirectory

        directory = KeyDirectory()
        csca = directory.load_csca_certificate() if directory.csca_cert_path.exists() else None
        current = directory.current_dsc()
        rows = [_describe(stored.certificate, "DSC") for stored in directory.dscs()]
        for row in rows:
            row["current"] = current is not None and row["kid_hex"] == current.kid.hex()
        csca_row = _describe(csca, "CSCA") if csca is not None else None
        if json_output:
            typer.echo(json.dumps({"csca": csca_row, "dscs": rows}, indent=2))
        else:
            _print_table(csca_row, rows, str(directory.root))


@app.command("jwks")
def jwks_command(
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write the JWKS to this file instead of standard output.",
        ),
    ] = None,
) -> None:
    """Print the public keys of this issuer's signers as a JWKS (JSON Web Key Set).

    This is what a SMART Health Card issuer publishes at <iss>/.well-known/jwks.json: one key
    per EC P-256 DSC (RSA DSCs sign no card), kid = the key's RFC 7638 thumbprint, use sig,
    alg ES256. Verify cards issued with `issue --format shc --iss ISS` with
    `verify --trust ISS=jwks.json`.
    """
    with reported_errors():
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.jwks import signer_jwks

        text = json.dumps(signer_jwks(KeyDirectory()), indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return

    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {output}: {error.strerror or error}", EXIT_INVALID)


def _describe(cert: x509.Certificate, role: str) -> dict[str, Any]:
    """The public facts of a CSCA or DSC, for people and for ``--json``."""
    from healthcert.keys.eku import kinds_from_certificate
    from healthcert.keys.kid import kid_of

    kid = kid_of(cert)
    kinds = sorted(kind.value for kind in kinds_from_certificate(cert)) if role == "DSC" else []
    now = datetime.now(UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    status = "valid" if start <= now < end else ("expired" if now >= end else "not yet valid")
    return {
        "role": role,
        "kid": base64.b64encode(kid).decode(),
        "kid_hex": kid.hex(),
        "subject": cert.subject.rfc4514_string(),
        "algorithm": _algorithm(cert),
        "types": kinds,
        "not_before": start.isoformat(),
        "not_after": end.isoformat(),
        "status": status,
    }


def _algorithm(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = cert.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "ES256" if key.curve.name == "secp256r1" else f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey):
        return "PS256"
    return type(key).__name__


def _print_created(role: str, cert: x509.Certificate, path: object) -> None:
    from rich.console import Console
    from rich.markup import escape

    facts = _describe(cert, role)
    Console().print(
        f"[green]Created {role}[/] {escape(facts['subject'])}\n"
        f"  kid {facts['kid']} ({facts['kid_hex']}), {facts['algorithm']}\n"
        f"  valid {facts['not_before']} to {facts['not_after']}\n"
        f"  {escape(str(path))}",
        soft_wrap=True,
    )


def _note(message: str) -> None:
    from rich.console import Console

    Console().print(f"[yellow]note:[/] {message}")


def _print_table(csca: dict[str, Any] | None, dscs: list[dict[str, Any]], root: str) -> None:
    from rich import box
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    if csca is None and not dscs:
        console.print(f"No keys in {escape(root)}: run `healthcert keys init --country CC`.")
        return
    title = escape(csca["subject"]) if csca else "no CSCA"
    table = Table(title=f"{title} in {escape(root)}", box=box.SIMPLE)
    for column in ("role", "kid", "alg", "valid until", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("may sign", overflow="fold")
    for row in ([csca] if csca else []) + dscs:
        status = "in use" if row.get("current") else row["status"]
        kinds = ", ".join(row["types"]) or "-"
        table.add_row(
            row["role"], row["kid"], row["algorithm"], row["not_after"][:10], status, kinds
        )
    console.print(table)


@app.command("party")
def party_command(
    usage: Annotated[
        str,
        typer.Option(
            "--usage",
            "-u",
            help="upload: the key that signs what this country publishes to a gateway; auth: "
            "its TLS client certificate there.",
        ),
    ],
    country: CountryOption,
    days: DaysOption = 730,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing key of this usage.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Create this country's UPLOAD or AUTHENTICATION key for a gateway (a self-signed
    certificate the gateway's operator onboards: keys/upload.pem or keys/auth.pem)."""
    with reported_errors():
        from healthcert.errors import KeyStoreError
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.keyfile import passphrase_from_env
        from healthcert.keys.party import check_usage, create_party

        try:
            chosen = check_usage(usage)
            party = create_party(country, chosen, days=days)
        except KeyStoreError as error:
            fail(str(error), EXIT_USAGE)
        directory = KeyDirectory()
        if directory.party_paths(chosen)[0].exists() and not force:
            fail(f"a {chosen} key already exists in {directory.root}; use --force", EXIT_INVALID)
        path = directory.save_party(chosen, party, passphrase_from_env())
    if json_output:
        facts = _describe(party.certificate, chosen.upper())
        typer.echo(json.dumps({**facts, "path": str(path)}))
    else:
        _print_created(chosen.upper(), party.certificate, path)
