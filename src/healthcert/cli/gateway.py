"""``healthcert gateway``: run a trust gateway (init, onboard, serve, follow) and, on a
country's side, publish to one.

Thin: every command calls ``healthcert.gateway``. The server's commands need the service
extra (checked first); ``publish`` needs only the library.
"""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli.common import EXIT_CONFIG, EXIT_INVALID, EXIT_USAGE, fail, reported_errors
from healthcert.cli.service_extra import needs_service

if TYPE_CHECKING:
    from cryptography import x509

    from healthcert.gateway.anchor import GatewayFiles
    from healthcert.gateway.client import Connection
    from healthcert.keys.directory import KeyDirectory

app = typer.Typer(
    name="gateway",
    help="A trust gateway countries join: init, onboard, serve, follow; and publish to one.",
    no_args_is_help=True,
    add_completion=False,
)

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="Gateway database URL. Default: HEALTHCERT_GATEWAY_DATABASE_URL, else "
        "sqlite:///var/gateway.db.",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON for programs instead of text.")
]
AnchorOption = Annotated[
    Path,
    typer.Option(
        "--anchor",
        help="The gateway's anchor certificate (anchor.pem), handed over out of band: it checks "
        "the gateway's TLS certificate and everything it signs.",
    ),
]


def _init(
    name: Annotated[str, typer.Option("--name", help="Common name of the anchor.")] = (
        "healthcert gateway"
    ),
    hostname: Annotated[
        list[str] | None,
        typer.Option(
            "--hostname",
            help="Host name or IP address of the TLS certificate. Repeatable. Default: "
            "localhost and 127.0.0.1.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing anchor.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Create the gateway's trust anchor (key encrypted with HEALTHCERT_KEY_PASSPHRASE) and
    its TLS server certificate, in HEALTHCERT_GATEWAY_HOME (default HEALTHCERT_HOME/gateway).
    Hand anchor.pem to every country out of band."""
    with reported_errors():
        from healthcert.gateway.anchor import DEFAULT_HOSTNAMES, GatewayFiles, gateway_home
        from healthcert.gateway.anchor import init_gateway as create
        from healthcert.keys.keyfile import passphrase_from_env

        files = GatewayFiles(gateway_home())
        if files.exists() and not force:
            fail(f"a gateway anchor already exists in {files.root}; use --force", EXIT_INVALID)
        create(
            files,
            passphrase_from_env(),
            name=name,
            hostnames=hostname or list(DEFAULT_HOSTNAMES),
            force=force,
        )
    if json_output:
        typer.echo(json.dumps({"anchor": str(files.anchor_cert), "tls": str(files.tls_cert)}))
        return
    typer.echo(f"Created the gateway anchor {files.anchor_cert}")
    typer.echo(f"  and its TLS certificate {files.tls_cert}")


def _onboard(
    country: Annotated[str, typer.Option("--country", "-c", help="ISO 3166-1 alpha-2 code.")],
    csca: Annotated[Path | None, typer.Option("--csca", help="The country's CSCA (PEM).")] = None,
    upload: Annotated[
        Path | None, typer.Option("--upload", help="Its UPLOAD certificate (PEM).")
    ] = None,
    auth: Annotated[
        Path | None, typer.Option("--auth", help="Its AUTHENTICATION (TLS client) certificate.")
    ] = None,
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Onboard a country's trusted parties, each signed by the gateway's anchor."""
    given = [("CSCA", csca), ("UPLOAD", upload), ("AUTHENTICATION", auth)]
    chosen = [(kind, path) for kind, path in given if path is not None]
    if not chosen:
        fail("name at least one of --csca, --upload, --auth")
    for _kind, path in chosen:
        if not path.is_file():
            fail(f"{path}: no such file")
    with reported_errors():
        from healthcert.database.db import session_factory
        from healthcert.gateway.anchor import GatewayFiles, gateway_home
        from healthcert.gateway.database import gateway_engine
        from healthcert.gateway.onboarding import onboard
        from healthcert.keys.keyfile import passphrase_from_env, read_certificate

        anchor = GatewayFiles(gateway_home()).load_anchor(passphrase_from_env())
        certificates = [(kind, read_certificate(path)) for kind, path in chosen]
        with session_factory(gateway_engine(database), writes=True)() as session:
            done = [onboard(session, anchor, country, kind, cert) for kind, cert in certificates]
            session.commit()
    for entry in done:
        if json_output:
            typer.echo(
                json.dumps(
                    {
                        "country": entry.country,
                        "certificateType": entry.certificate_type,
                        "thumbprint": entry.thumbprint,
                    }
                )
            )
        else:
            typer.echo(f"Onboarded {entry.certificate_type} of {entry.country} {entry.thumbprint}")


def _serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="0: any free port.")] = 8443,
    tls: Annotated[
        bool,
        typer.Option(
            "--tls/--behind-proxy",
            help="Terminate TLS here, client certificates required (default); or plain HTTP "
            "behind a proxy that terminates TLS and passes the client certificate in "
            "X-SSL-Client-Cert (URL-encoded PEM).",
        ),
    ] = True,
    proxy: Annotated[
        list[str] | None,
        typer.Option(
            "--trusted-proxy",
            help="Address of the proxy whose X-SSL-Client-Cert header counts. Repeatable; "
            "needed with --behind-proxy.",
        ),
    ] = None,
    ttl_hours: Annotated[
        float,
        typer.Option("--ttl-hours", min=0.01, max=24 * 30, help="Downloads expire after this."),
    ] = 24.0,
    database: DatabaseOption = None,
) -> None:
    """Serve uploads and signed downloads until interrupted (Ctrl-C)."""
    if not tls and not proxy:
        fail("--behind-proxy needs --trusted-proxy ADDRESS (the proxy's address)")
    with reported_errors():
        import asyncio
        import contextlib
        import sys
        from datetime import timedelta

        from healthcert.gateway.anchor import GatewayFiles, gateway_home
        from healthcert.gateway.app import GatewaySettings
        from healthcert.gateway.database import gateway_engine
        from healthcert.gateway.did_list import did_writer
        from healthcert.gateway.server import Listening, bind, serve, tls_context
        from healthcert.keys.keyfile import passphrase_from_env

        files = GatewayFiles(gateway_home())
        passphrase = passphrase_from_env()
        anchor = files.load_anchor(passphrase)
        settings = GatewaySettings(
            anchor=anchor,
            engine=gateway_engine(database),
            trusted_proxies=frozenset(proxy or ()),
            ttl=timedelta(hours=ttl_hours),
            did_writer=did_writer(anchor, _public_host(files, host)),
        )
        context = tls_context(files, passphrase, settings) if tls else None
        try:
            sock = bind(host, port)
        except OSError as error:
            fail(f"cannot listen on {host}:{port}: {error.strerror}", EXIT_USAGE)
        listening = Listening(host, sock.getsockname()[1], tls)
        typer.echo(f"healthcert gateway listening on {listening.url}", err=False)
        sys.stdout.flush()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the operator stops it
            asyncio.run(serve(settings, sock, context))


def _public_host(files: GatewayFiles, listening: str) -> str:
    """The name the gateway's DID documents are ids under: its TLS certificate's first DNS
    name, else the address it listens on."""
    from cryptography import x509

    from healthcert.keys.keyfile import read_certificate

    if files.tls_cert.exists():
        names = read_certificate(files.tls_cert).extensions.get_extension_for_class(
            x509.SubjectAlternativeName
        )
        dns = names.value.get_values_for_type(x509.DNSName)
        if dns:
            return dns[0]
    return listening


def _publish(
    url: Annotated[str, typer.Argument(help="The gateway's URL, such as https://gw:8443.")],
    anchor: AnchorOption,
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="A rule (or list of rules) JSON file to publish. Repeatable."),
    ] = None,
    revoke: Annotated[
        list[str] | None,
        typer.Option("--revoke", metavar="UCI", help="A certificate's UCI to revoke. Repeatable."),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Upload this country's DSCs, border certificates (keys/border-CC.pem), rules and
    revocations that the gateway does not have from here yet, each signed (CMS) by
    keys/upload.pem; authenticate with keys/auth.pem."""
    for path in rules or []:
        if not path.is_file():
            fail(f"--rules {path}: no such file")
    certificate = read_anchor(anchor)
    with reported_errors():
        from healthcert.gateway.publish import publish
        from healthcert.keys.directory import KeyDirectory
        from healthcert.keys.keyfile import passphrase_from_env

        passphrase = passphrase_from_env()
        directory = KeyDirectory()
        upload = directory.load_party("upload", passphrase)
        with _connect(url, certificate, directory, passphrase) as connection:
            outcome = publish(
                connection, upload, directory, rule_files=rules or [], revoked_ucis=revoke or []
            )
    summary = {
        "dscs": outcome.dscs,
        "border_certificates": outcome.borders,
        "rules": outcome.rules,
        "revocation_batches": outcome.batches,
        "already_published": outcome.already,
        "refused": [{"entry": name, "reason": reason} for name, reason in outcome.refused],
    }
    if json_output:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"Published {len(outcome.dscs)} DSCs, {len(outcome.borders)} border certificates, "
            f"{len(outcome.rules)} rules, "
            f"{len(outcome.batches)} revocation batches; {outcome.already} already there."
        )
        for name, reason in outcome.refused:
            typer.echo(f"  refused {name}: {reason}", err=True)
    if outcome.refused:
        raise typer.Exit(EXIT_INVALID)


def _connect(
    url: str, anchor: x509.Certificate, directory: KeyDirectory, passphrase: bytes
) -> Connection:
    """A connection with this installation's AUTHENTICATION certificate, when it has one."""
    from healthcert.gateway.client import ClientIdentity, Connection

    certificate, key = directory.party_paths("auth")
    identity = ClientIdentity(certificate, key, passphrase) if certificate.exists() else None
    return Connection(url, anchor, identity)


def read_anchor(path: Path) -> x509.Certificate:
    """The anchor certificate a person names; exit 2 when it is not there."""
    if not path.is_file():
        fail(f"--anchor {path}: no such file")
    from healthcert.keys.keyfile import read_certificate

    with reported_errors():
        return read_certificate(path)
    raise AssertionError("unreachable")


def _follow(
    url: Annotated[str, typer.Argument(help="The URL of the gateway to follow.")],
    anchor: Annotated[
        Path, typer.Option("--anchor", help="That gateway's anchor certificate (anchor.pem).")
    ],
    database: DatabaseOption = None,
    json_output: JsonOption = False,
) -> None:
    """Import what changed at another gateway since the last time, checked against its anchor,
    and republish it with where it came from (run it on a schedule, e.g. every few minutes)."""
    certificate = read_anchor(anchor)
    with reported_errors():
        from healthcert.database.db import session_factory
        from healthcert.gateway.anchor import GatewayFiles, gateway_home
        from healthcert.gateway.client import Connection, DownloadRejected
        from healthcert.gateway.database import gateway_engine
        from healthcert.gateway.federation import follow
        from healthcert.keys.keyfile import passphrase_from_env

        own = GatewayFiles(gateway_home()).load_anchor(passphrase_from_env())
        engine = gateway_engine(database)
        try:
            with (
                Connection(url, certificate) as connection,
                session_factory(engine, writes=True)() as session,
            ):
                result = follow(session, own, connection)
                session.commit()
        except DownloadRejected as error:
            fail(f"{error}; nothing was imported", EXIT_CONFIG)
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "url": result.url,
                    "seq": result.seq,
                    "imported": result.imported,
                    "skipped": result.skipped,
                }
            )
        )
        return
    counts = (
        ", ".join(f"{n} {kind}" for kind, n in sorted(result.imported.items())) or "nothing new"
    )
    typer.echo(f"{result.url} (sequence {result.seq}): imported {counts}")
    for line in result.skipped:
        typer.echo(f"  skipped {line}", err=True)


app.command("init")(_init)
app.command("onboard")(needs_service(_onboard))
app.command("serve")(needs_service(_serve))
app.command("follow")(needs_service(_follow))
app.command("publish")(_publish)
