"""The border keys a deployment opens sealed certificates (``HCS1:``) with.

Two places name them: every ``keys/border-*.key.pem`` of the service's key home (a destination
that made its border key there with ``healthcert keys border``), and the files listed in
``HEALTHCERT_UNSEAL_KEYS`` (separated as PATH is: ``:`` on POSIX), for a verifier-only
deployment that holds a border key and no issuer keys. Each is decrypted with
``HEALTHCERT_KEY_PASSPHRASE``. A file that cannot be read stops the loading with an error that
names it (and never shows what it holds): the service says so at start and on ``/ready``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.keys.border import load_unseal_key
from healthcert.keys.home import healthcert_home
from healthcert.keys.keyfile import passphrase_from_env

UNSEAL_KEYS_ENV = "HEALTHCERT_UNSEAL_KEYS"
BORDER_KEY_FILES = "border-*.key.pem"

UnsealKeys = tuple[ec.EllipticCurvePrivateKey, ...]


def unseal_key_paths(
    home: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """The key home's border key files (in name order), then those the environment lists."""
    environment = os.environ if environ is None else environ
    folder = (home if home is not None else healthcert_home(environment)) / "keys"
    found = sorted(folder.glob(BORDER_KEY_FILES)) if folder.is_dir() else []
    listed = [
        Path(text.strip()).expanduser()
        for text in environment.get(UNSEAL_KEYS_ENV, "").split(os.pathsep)
        if text.strip()
    ]
    return found + [path for path in listed if path not in found]


def load_unseal_keys(
    home: Path | None = None, environ: Mapping[str, str] | None = None
) -> UnsealKeys:
    """The private border keys of ``unseal_key_paths``; none without any file (and then no
    passphrase is needed). KeyStoreError or ConfigurationError naming the file that fails."""
    paths = unseal_key_paths(home, environ)
    if not paths:
        return ()
    passphrase = passphrase_from_env(environ)
    return tuple(load_unseal_key(path, passphrase) for path in paths)
