"""``make run``: an end-to-end demonstration on this machine, in ./demo-out.

A demo country (CN) creates its CSCA and a DSC, issues a vaccination certificate and an antibody
(IgG) test certificate with their QR codes, and a verifier that trusts the DSC reads the QR
images back and verifies them, then asks for the entry verdict of China's example policy for a
traveller arriving from Germany. Every step is the real command a person would type.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.formats import registry
from healthcert.formats.shc.card import issuer_jwk

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


# A SMART Health Card names its issuer by URL; a real one publishes /.well-known/jwks.json.
DEMO_SHC_ISSUER = "https://health.example.cn/shc"


def _publish_jwks(dsc: Path) -> Path:
    """What the demo issuer would publish: its signing key as a JWKS."""
    public_key = x509.load_pem_x509_certificate(dsc.read_bytes()).public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    target = OUT / "jwks.json"
    target.write_text(json.dumps({"keys": [issuer_jwk(public_key)]}, indent=2))
    return target


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
        request = str(EXAMPLES / f"request-{name}.json")
        _run("issue", "--json", request, "--qr", str(OUT / f"{name}.png"), env=env, capture=True)
    vaccination = str(EXAMPLES / "request-vaccination.json")
    for format_name in (registry.SHC, registry.ICAO_VDS_NC):
        image = str(OUT / f"vaccination-{format_name}.png")
        options = ["--format", format_name, "--iss", DEMO_SHC_ISSUER, "--qr", image]
        _run("issue", "--json", vaccination, *options, env=env, capture=True)
    dsc = next(p for p in (OUT / "home" / "keys").glob("dsc-*.pem") if ".key." not in p.name)
    _run("trust", "add", str(dsc), str(OUT / "home" / "keys" / "csca.pem"), env=env)
    jwks = _publish_jwks(dsc)
    _run(
        "verify",
        *(str(OUT / f"{name}.png") for name in ("vaccination", "antibody-test")),
        *(str(OUT / f"vaccination-{name}.png") for name in (registry.SHC, registry.ICAO_VDS_NC)),
        "--trust", str(dsc), "--trust", str(OUT / "home" / "keys" / "csca.pem"),
        "--trust", f"{DEMO_SHC_ISSUER}={jwks}",
        env=env,
    )  # fmt: skip
    _run("verify", "--json", str(OUT / "antibody-test.png"), env=env)
    _run("verify", "--country", "CN", "--from", "DE", str(OUT / "vaccination.png"), env=env)
    print(f"\nThe QR images are in {OUT}/; open them, or scan them with a phone.")


if __name__ == "__main__":
    main()
