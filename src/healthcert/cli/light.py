"""``healthcert light``: a light certificate for the holder of a certificate this issuer trusts.

Imports live inside the command: the command line imports every command module at start-up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli.common import (
    EXIT_INVALID,
    AtOption,
    TrustOption,
    fail,
    reported_errors,
    require_files,
    verification_context,
)

if TYPE_CHECKING:
    from healthcert.report import Report


def light(
    source: Annotated[
        str,
        typer.Argument(
            help="The holder's certificate: a payload (HC1:..., shc:/..., a VDS-NC seal) or a "
            "file holding one (a QR image, a .smart-health-card file, a text file)."
        ),
    ],
    hours: Annotated[
        int,
        typer.Option(
            "--hours", min=1, max=48, help="How long it holds, never beyond the certificate."
        ),
    ] = 48,
    trust: TrustOption = None,
    at: AtOption = None,
    qr: Annotated[
        Path | None, typer.Option("--qr", help="Also write its QR code to this .png or .svg.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print {payload, expires} as JSON.")
    ] = False,
) -> None:
    """Make a light certificate (HCL1:): the holder's name and date of birth, valid for at most
    48 hours, with no health data, for checks at home.

    The certificate is verified first, with --trust or the local trust store; a certificate
    that is not valid gets no light certificate (exit 1). Signed with the current DSC of the
    key directory; the passphrase comes from HEALTHCERT_KEY_PASSPHRASE.
    """
    require_files([source])
    report = _verified(source, trust, at)
    if not report.valid:
        codes = ", ".join(report.error_codes)
        typer.echo(f"the certificate is not valid ({codes}): no light certificate", err=True)
        raise typer.Exit(EXIT_INVALID)
    payload = _signed(report, hours, at)
    if qr is not None:
        from healthcert.codec.qr import render

        try:
            render(payload, qr)
        except (OSError, ValueError) as error:
            fail(f"cannot write {qr}: {error}")
    if json_output:
        expires = _expiry(payload)
        sys.stdout.write(json.dumps({"payload": payload, "expires": expires}) + "\n")
    else:
        sys.stdout.write(payload + "\n")


def _verified(source: str, trust: list[str] | None, at: str | None) -> Report:
    from healthcert.inputs import from_argument
    from healthcert.verification import verify_item

    items = from_argument(source)
    if len(items) != 1:
        fail(f"{source}: holds {len(items)} certificates, give one")
    return verify_item(items[0], verification_context(trust, at))


def _signed(report: Report, hours: int, at: str | None) -> str:
    from healthcert.cli.common import parse_time
    from healthcert.errors import RequestError
    from healthcert.issuance import issue_light
    from healthcert.keys.signer import Signer

    with reported_errors():
        signer = Signer.load()
    try:
        return issue_light(report, signer, hours=hours, now=parse_time(at))
    except RequestError as error:
        fail(str(error), EXIT_INVALID)


def _expiry(payload: str) -> str:
    from healthcert.formats.base import utc_text
    from healthcert.formats.cwt import CLAIM_EXP
    from healthcert.formats.light.certificate import decode

    return utc_text(decode(payload)[1][CLAIM_EXP])
