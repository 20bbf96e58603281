"""Two countries and a gateway, each its own folder, driven through the command line in
separate processes, as operators would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PASSPHRASE = "gateway tests passphrase"


@dataclass(frozen=True)
class Place:
    """One installation: a HEALTHCERT_HOME, or the gateway's home and database."""

    root: Path
    gateway: Path

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            HEALTHCERT_HOME=str(self.root),
            HEALTHCERT_KEY_PASSPHRASE=PASSPHRASE,
            HEALTHCERT_GATEWAY_HOME=str(self.gateway / "home"),
            HEALTHCERT_GATEWAY_DATABASE_URL=f"sqlite:///{self.gateway / 'gateway.db'}",
        )
        env.pop("HEALTHCERT_TRUST_MAX_AGE_HOURS", None)
        return env

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "healthcert", *args],
            env={**self.env(), **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"healthcert {' '.join(args)}: {done.returncode}\n{done.stderr}")
        return done

    def verify(self, payload: str) -> dict[str, object]:
        report: dict[str, object] = json.loads(
            self.run("verify", payload, "--json", check=False).stdout
        )
        return report


def country(root: Path, gateway: Path, code: str) -> Place:
    """A country with a CSCA, a DSC and its UPLOAD and AUTHENTICATION keys."""
    place = Place(root / code, gateway)
    place.run("keys", "init", "--country", code)
    place.run("keys", "dsc")
    place.run("keys", "party", "--usage", "upload", "--country", code)
    place.run("keys", "party", "--usage", "auth", "--country", code)
    return place


def onboard(gateway: Place, member: Place, code: str) -> None:
    keys = member.root / "keys"
    gateway.run(
        "gateway", "onboard", "--country", code, "--csca", str(keys / "csca.pem"),
        "--upload", str(keys / "upload.pem"), "--auth", str(keys / "auth.pem"),
    )  # fmt: skip


@contextmanager
def serving(gateway: Place, *args: str) -> Iterator[str]:
    """``healthcert gateway serve`` on a free port; its URL, until the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-m", "healthcert", "gateway", "serve", "--port", "0", *args],
        env=gateway.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "listening on" not in line:
            process.kill()
            raise AssertionError(f"the gateway did not start: {line}{process.communicate()[1]}")
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=30)


def issue(place: Place, tmp: Path, certificate_id: str, country_code: str, *options: str) -> str:
    request = json.loads(
        (Path(__file__).parents[2] / "examples" / "request-vaccination.json").read_text()
    )
    request["entry"]["certificate_id"] = certificate_id
    request["entry"]["country"] = country_code
    path = tmp / f"{certificate_id.replace(':', '_').replace('#', '_')}.json"
    path.write_text(json.dumps(request))
    return place.run("issue", "--json", str(path), *options).stdout.strip()
