"""Benchmark of a country's sync from the trust gateway, against the raw ECDSA verify, in one run.

    .venv/bin/python bench/bench_gateway.py [--dscs 10000] [--countries 20]

Fills a gateway database with COUNTRIES onboarded countries and DSCS DSCs (each uploaded as
the uploader's CMS, as an upload leaves it), starts ``healthcert gateway serve`` in its own
process (TLS with client certificates, as deployed), and times from a fresh HEALTHCERT_HOME:

* a full sync: every page fetched and its signature checked, every entry's anchor signature,
  every DSC against its country's CSCA, the local trust store written;
* a delta sync with nothing new: a new connection (TLS handshake included) and one request.

Beside them, the bare `cryptography` ECDSA P-256 verify, measured in the same run; every
timing keeps its best of ROUNDS. Targets: full sync under 5 s, empty delta under 100 ms.
Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert.database.db import session_factory
from healthcert.gateway.anchor import GatewayFiles, init_gateway
from healthcert.gateway.client import ClientIdentity, Connection
from healthcert.gateway.cms import sign_cms
from healthcert.gateway.database import gateway_engine
from healthcert.gateway.onboarding import onboard
from healthcert.gateway.repository import next_change
from healthcert.gateway.sync import sync
from healthcert.gateway.tables import SignerCertificate
from healthcert.gateway.wire import thumbprint
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.keyfile import write_certificate, write_private_key
from healthcert.keys.kid import kid_of_der
from healthcert.keys.party import create_party

ROUNDS = 3
PASSPHRASE = "bench gateway passphrase"
COUNTRY_CODES = [f"{chr(65 + i // 26)}{chr(65 + i % 26)}" for i in range(26 * 26)]


def _best(function: Callable[[], object], rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def _fill(root: Path, dscs: int, countries: int) -> tuple[GatewayFiles, str, ClientIdentity]:
    """The gateway's anchor and database, filled; a client identity to connect with."""
    files = GatewayFiles(root / "gateway")
    anchor = init_gateway(files, PASSPHRASE.encode())
    url = f"sqlite:///{root / 'gateway.db'}"
    engine = gateway_engine(url)
    now = datetime.now(UTC)
    identity = None
    with session_factory(engine, writes=True)() as session:
        for index, code in enumerate(COUNTRY_CODES[:countries]):
            csca, upload, auth = (
                create_csca(code),
                create_party(code, "upload"),
                create_party(code, "auth"),
            )
            for kind, party in (("CSCA", csca), ("UPLOAD", upload), ("AUTHENTICATION", auth)):
                onboard(session, anchor, code, kind, party.certificate, now=now)
            for _ in range(dscs // countries + (1 if index < dscs % countries else 0)):
                der = create_dsc(csca).certificate.public_bytes(Encoding.DER)
                session.add(
                    SignerCertificate(
                        country=code,
                        kid=base64.b64encode(kid_of_der(der)).decode(),
                        thumbprint=thumbprint(der),
                        raw_data=der,
                        signature=base64.b64encode(sign_cms(der, upload)).decode(),
                        created_at=now,
                        change=next_change(session),
                        deleted=False,
                    )
                )
            if identity is None:
                write_certificate(root / "auth.pem", auth.certificate)
                write_private_key(root / "auth.key.pem", auth.private_key, PASSPHRASE.encode())
                identity = ClientIdentity(
                    root / "auth.pem", root / "auth.key.pem", PASSPHRASE.encode()
                )
        session.commit()
    engine.dispose()
    assert identity is not None
    return files, url, identity


def _serve(files: GatewayFiles, database: str) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    env.update(HEALTHCERT_GATEWAY_HOME=str(files.root), HEALTHCERT_KEY_PASSPHRASE=PASSPHRASE)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "healthcert",
            "gateway",
            "serve",
            "--port",
            "0",
            "--database",
            database,
        ],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if "listening on" not in line:
        process.kill()
        raise SystemExit(f"the gateway did not start: {line!r}")
    return process, line.rsplit(" ", 1)[1].strip()


def _raw_verify_seconds(count: int) -> float:
    """One bare `cryptography` ECDSA P-256 verify (DER signature), per call."""
    key = ec.generate_private_key(ec.SECP256R1())
    messages = [os.urandom(300) for _ in range(count)]
    signatures = [key.sign(message, ec.ECDSA(hashes.SHA256())) for message in messages]
    public, algorithm = key.public_key(), ec.ECDSA(hashes.SHA256())
    pairs = list(zip(signatures, messages, strict=True))
    return _best(lambda: [public.verify(s, m, algorithm) for s, m in pairs]) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dscs", type=int, default=10_000)
    parser.add_argument("--countries", type=int, default=20)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        start = time.perf_counter()
        files, database, identity = _fill(root, options.dscs, options.countries)
        filled = time.perf_counter() - start
        print(f"filled {options.dscs} DSCs of {options.countries} countries in {filled:.1f} s")
        process, url = _serve(files, database)
        try:
            anchor = GatewayFiles(files.root).load_anchor(PASSPHRASE.encode()).certificate
            homes = iter(root / f"country-{n}" for n in range(ROUNDS))

            def full() -> None:
                with Connection(url, anchor, identity) as connection:
                    result = sync(connection, next(homes))
                assert result.dscs == options.dscs, result

            full_seconds = _best(full)
            home = root / "country-0"

            def delta() -> None:
                with Connection(url, anchor, identity) as connection:
                    assert sync(connection, home).changed is False

            delta_seconds = _best(delta, rounds=10)
        finally:
            process.terminate()
            process.wait(timeout=30)
    raw = _raw_verify_seconds(2000)
    per_dsc = full_seconds / options.dscs
    print(f"raw ECDSA P-256 verify:        {raw * 1e6:8.1f} us")
    print(
        f"full sync of {options.dscs} DSCs:      {full_seconds:8.3f} s   (target < 5 s); "
        f"{per_dsc * 1e6:.1f} us a DSC = {per_dsc / raw:.1f} raw verifies"
    )
    print(
        f"delta sync, nothing new:       {delta_seconds * 1e3:8.1f} ms  (target < 100 ms); "
        f"= {delta_seconds / raw:.0f} raw verifies"
    )


if __name__ == "__main__":
    main()
