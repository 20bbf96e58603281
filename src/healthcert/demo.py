"""``make run``: an end-to-end demonstration on this machine, in ./demo-out.

A demo country (CN) creates its CSCA and a DSC, issues a vaccination certificate and an antibody
(IgG) test certificate with their QR codes, and a verifier that trusts the DSC reads the QR
images back and verifies them, then asks for the entry verdict of China's example policy for a
traveller arriving from Germany. Every step is the real command a person would type.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

OUT = Path("demo-out")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(*args: str, env: dict[str, str], capture: bool = False) -> str:
    print(f"\n$ healthcert {shlex.join(args)}", flush=True)
    command = [sys.executable, "-m", "healthcert", *args]
    result = subprocess.run(command, env=env, text=True, capture_output=capture, check=False)
    if capture:
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
    if result.returncode not in (0, 1):
        raise SystemExit(f"the demo step failed with exit status {result.returncode}")
    return result.stdout if capture else ""


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    env = dict(os.environ)
    env["HEALTHCERT_HOME"] = str(OUT / "home")
    # A demo secret only: a real deployment keeps the passphrase in its secret store.
    env["HEALTHCERT_KEY_PASSPHRASE"] = "demo-only-passphrase"
    _run("keys", "init", "--country", "CN", "--name", "Demo CSCA China", env=env)
    _run("keys", "dsc", "--types", "vaccination,test,recovery", env=env)
    for name in ("vaccination", "antibody-test"):
        request = EXAMPLES / f"request-{name}.json"
        image = OUT / f"{name}.png"
        _run("issue", "--json", str(request), "--qr", str(image), env=env, capture=True)
    for dsc in sorted((OUT / "home" / "keys").glob("dsc-*.pem")):
        if not dsc.name.endswith(".key.pem"):
            _run("trust", "add", str(dsc), env=env)
    _run("verify", str(OUT / "vaccination.png"), str(OUT / "antibody-test.png"), env=env)
    _run("verify", "--json", str(OUT / "antibody-test.png"), env=env)
    _run("verify", "--country", "CN", "--from", "DE", str(OUT / "vaccination.png"), env=env)
    print(f"\nThe QR images are in {OUT}/; open them, or scan them with a phone.")


if __name__ == "__main__":
    main()
