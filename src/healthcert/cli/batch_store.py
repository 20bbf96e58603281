"""``healthcert issue --batch FILE --store``: issue native record lines and store them."""

from __future__ import annotations

# Imports live inside the commands: the command line imports every command module at
# start-up, and `healthcert verify` must not pay for the service, the database, the rules
# engine, the key tools or the terminal renderer of commands it does not run.
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from healthcert.cli.common import EXIT_INVALID, fail

if TYPE_CHECKING:
    from healthcert.keys.signer import Signer


def store_batch(batch: Path, signer: Signer, workers: int, sender: str, url: str | None) -> None:
    """Each line is a native record (record_id, holder with document, entry); a summary goes to
    stderr, one line per failed input line, and the exit status is 1 if any failed."""
    from healthcert.cli.service_extra import require_service

    require_service()  # before the service's modules are imported
    from datetime import UTC, datetime

    from healthcert.issuance import issuer_country
    from healthcert.service import batch_store as bulk
    from healthcert.service.apikeys import sender_actor
    from healthcert.service.context import open_context

    try:
        lines = batch.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read --batch {batch}: {error}")
    ctx = open_context(url)
    now = datetime.now(UTC)
    signing = bulk.Signing(signer, issuer_country(signer), ctx.issuer_name, now)
    actor = sender_actor(ctx, sender)
    started = time.perf_counter()
    stored = failed = 0
    unstored = bulk.unstored_lines(ctx, lines, actor.key_id or 0)
    for chunk in bulk.prepared(unstored, signing, workers):
        good = [item for item in chunk if isinstance(item, bulk.Prepared)]
        for item in chunk:
            if isinstance(item, bulk.Failed):
                failed += 1
                sys.stderr.write(f"line {item.line}: {item.error}\n")
        stored += bulk.store_chunk(ctx, good, actor)
    elapsed = time.perf_counter() - started
    rate = stored / elapsed if elapsed > 0 else 0.0
    sys.stderr.write(f"stored {stored} certificates in {elapsed:.2f} s ({rate:.0f}/s)\n")
    if failed:
        sys.stderr.write(f"{failed} of {len(lines)} lines failed\n")
        raise typer.Exit(EXIT_INVALID)
