"""``healthcert serve``: the certificate service over HTTP (FastAPI on uvicorn)."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import os
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated

import typer

from healthcert.cli.common import EXIT_USAGE, exit_code_of, fail
from healthcert.cli.db import UrlOption
from healthcert.errors import HealthcertError

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext
    from healthcert.service.delivery import Senders


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8000,
    url: UrlOption = None,
    country: Annotated[
        str, typer.Option("--country", help="Issuing country when keys must be created.")
    ] = "CN",
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Demo set-up: keys, a recorder key and a demo holder, printed in the terminal.",
        ),
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=1,
            max=64,
            help="Worker processes sharing the port (about one per CPU core).",
        ),
    ] = 1,
    graceful: Annotated[
        int,
        typer.Option(
            "--graceful-timeout",
            min=0,
            max=3600,
            help="Seconds a stopping server (SIGTERM) gives the requests in flight.",
        ),
    ] = 30,
) -> None:
    """Run the service: upgrade the schema, create keys on first start, then serve /api/v1
    (and Prometheus metrics at /metrics) until SIGTERM, which finishes the requests in flight.

    Messages to holders are delivered by the service (with --workers, by its jobs process):
    e-mail with HEALTHCERT_SMTP_HOST/_PORT/_SECURITY/_USER/_PASSWORD/_FROM, SMS with
    HEALTHCERT_SMS_URL and _TOKEN. Holders may sign in through an OpenID Connect provider with
    HEALTHCERT_OIDC_*. Sealed certificates open with the home's keys/border-*.key.pem and the
    key files listed in HEALTHCERT_UNSEAL_KEYS."""
    if workers > 1:
        from healthcert.api.multiprocess import share_metrics

        share_metrics()  # before the metrics are defined: each worker writes its own file
    from healthcert.api import logs
    from healthcert.api.app import create_app
    from healthcert.api.server import Listen, bind, run
    from healthcert.service.bootstrap import ensure_border_key, ensure_issuer_keys, service_trust
    from healthcert.service.context import open_context
    from healthcert.service.oidc import OidcProvider, OidcSettings
    from healthcert.service.outbox import senders_from_environment
    from healthcert.service.warmup import warm_up

    logs.configure()
    if demo:
        from healthcert.service.demo import prepare_environment

        prepare_environment()
    try:
        senders = senders_from_environment()
        identity_provider = OidcSettings.from_environment(os.environ)
    except ValueError as error:
        fail(str(error))
    try:
        if ensure_issuer_keys(country):
            typer.echo(f"No keys found: created the CSCA and a DSC of {country.upper()}.")
        if demo and (border := ensure_border_key()) is not None:
            typer.echo(f"Created the demo border key: {border} (sealed certificates open here).")
        ctx = open_context(url)
        ctx.signer()  # a passphrase that does not open the home's keys is said now
        ctx.unseal_keys()  # and so is a border key file that cannot be read
        _trust_own_keys()
    except HealthcertError as error:
        fail(str(error), exit_code_of(error))
    ctx.trust_loader = service_trust
    if identity_provider is not None:
        ctx.oidc = OidcProvider(identity_provider)
    if "HEALTHCERT_SHC_ISSUER" not in os.environ:
        ctx.shc_issuer = f"http://{host}:{port}/api/v1/shc"
    if demo:
        from healthcert.service.demo import set_up

        set_up(ctx, host, port)
    else:
        from healthcert.keys.home import healthcert_home

        typer.echo(f"Key home: {healthcert_home().resolve()} (HEALTHCERT_HOME)")
    listen = Listen(host, port, workers, graceful)
    try:
        sock = bind(listen)
    except OSError as error:
        fail(f"cannot listen on {host}:{port}: {error.strerror or error}", EXIT_USAGE)
    warm_up(ctx)  # what the first requests would load: none of them waits for it
    purge_every = _purge_interval()
    typer.echo(f"healthcert serving on http://{host}:{port}/api/v1 (OpenAPI: /api/v1/docs)")
    # The outbox and retention run once per machine: beside the one worker, or in a process
    # of their own beside several.
    run(create_app(ctx), ctx, listen, sock, lambda: _start_jobs(ctx, senders, purge_every))


def _purge_interval() -> timedelta | None:
    """How often to purge what retention no longer allows: HEALTHCERT_PURGE_EVERY_MINUTES (60;
    0 leaves it to ``healthcert purge`` run by the operator's own scheduler)."""
    from healthcert.service.retention import RetentionPeriods

    text = os.environ.get("HEALTHCERT_PURGE_EVERY_MINUTES", "60")
    if not text.strip().isdigit():
        fail(f"HEALTHCERT_PURGE_EVERY_MINUTES={text!r}: give a whole number of minutes")
    try:
        RetentionPeriods.from_environment()
    except ValueError as error:
        fail(str(error))
    return timedelta(minutes=int(text)) if int(text) else None


def _start_jobs(
    ctx: ServiceContext, senders: Senders, purge_every: timedelta | None
) -> Callable[[], None]:
    """Start the outbox and the scheduled purge; what stops them both."""
    from healthcert.service.outbox import OutboxWorker
    from healthcert.service.retention import start_schedule

    purging = start_schedule(ctx, purge_every) if purge_every is not None else None
    outbox = OutboxWorker(ctx, senders).start()

    def stop() -> None:
        outbox.stop()
        if purging is not None:
            purging.set()

    return stop


def _trust_own_keys() -> None:
    """The home's trust store gets the own keys, so ``healthcert verify`` beside the service
    accepts what it signs; said when it changes."""
    from healthcert.trust.home_trust import trust_own_keys

    results = trust_own_keys()
    if results:
        count = sum(result.added + result.anchors for result in results)
        typer.echo(f"Trusted this installation's own keys in its trust store ({count} added).")
    for dropped in (entry for result in results for entry in result.dropped):
        typer.echo(f"  no longer trusted: {dropped.source} ({dropped.reason})")
