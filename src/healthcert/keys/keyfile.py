"""Private keys at rest: encrypted PKCS#8 PEM files, readable by their owner only.

The passphrase comes from the environment, never from a command-line argument (which other
users could read from the process list). No function here prints or logs key material.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from healthcert.errors import ConfigurationError, KeyStoreError
from healthcert.files import read_bounded
from healthcert.keys.material import PrivateKey

PASSPHRASE_ENV = "HEALTHCERT_KEY_PASSPHRASE"
PRIVATE_MODE = 0o600
MAX_PEM_BYTES = 64 * 1024


def passphrase_from_env(environ: Mapping[str, str] | None = None) -> bytes:
    """The key passphrase from ``HEALTHCERT_KEY_PASSPHRASE``; ConfigurationError if unset/empty."""
    value = (os.environ if environ is None else environ).get(PASSPHRASE_ENV, "")
    if not value:
        raise ConfigurationError(
            f"{PASSPHRASE_ENV} is not set: export the passphrase that protects the private keys"
        )
    return value.encode("utf-8")


def write_private_key(path: Path, key: PrivateKey, passphrase: bytes) -> None:
    """Write ``key`` encrypted with ``passphrase``, mode 0600, replacing the file atomically."""
    if not passphrase:
        raise ConfigurationError("refusing to write a private key without a passphrase")
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase),
    )
    write_atomically(path, pem, PRIVATE_MODE)


def read_private_key(path: Path, passphrase: bytes) -> PrivateKey:
    """The private key in ``path``; KeyStoreError when missing, unencrypted or wrongly unlocked."""
    data = _read_small(path)
    try:
        key = serialization.load_pem_private_key(data, password=passphrase)
    except TypeError as error:
        # cryptography says TypeError both for "not encrypted" and "needs a password".
        raise KeyStoreError(f"{path}: the key file is not encrypted; refusing to use it") from error
    except ValueError as error:
        raise KeyStoreError(
            f"{path}: cannot decrypt the key: wrong {PASSPHRASE_ENV} or a damaged file"
        ) from error
    except UnsupportedAlgorithm as error:
        raise KeyStoreError(f"{path}: unsupported key encryption or key type") from error
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise KeyStoreError(f"{path}: only EC and RSA signing keys are supported")
    return key


def write_certificate(path: Path, cert: x509.Certificate) -> None:
    """Write ``cert`` as PEM (public data, mode 0644), replacing the file atomically."""
    write_atomically(path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def read_certificate(path: Path) -> x509.Certificate:
    """The PEM certificate in ``path``; KeyStoreError when missing or not a certificate."""
    try:
        return x509.load_pem_x509_certificate(_read_small(path))
    except ValueError as error:
        raise KeyStoreError(f"{path}: not a PEM certificate") from error


def write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Write through a temporary file so that a crash never leaves half a key behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        # mkstemp creates the file 0600; widen only for public files, before any byte is written.
        os.fchmod(handle, mode)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _read_small(path: Path) -> bytes:
    return read_bounded(path, MAX_PEM_BYTES, KeyStoreError, "a key or certificate file")
