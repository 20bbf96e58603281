from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert.errors import ConfigurationError, KeyStoreError
from healthcert.keys.keyfile import (
    PASSPHRASE_ENV,
    passphrase_from_env,
    read_certificate,
    read_private_key,
    write_certificate,
    write_private_key,
)

from .certs import self_signed

SECRET = b"correct horse battery staple"


def _spki(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_round_trip_encrypted_owner_only(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "nested" / "dsc.key.pem"
    write_private_key(path, key, SECRET)
    text = path.read_text()
    assert text.startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = read_private_key(path, SECRET)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    assert _spki(loaded) == _spki(key)
    assert [p.name for p in path.parent.iterdir()] == ["dsc.key.pem"]  # no temporary left


def test_wrong_passphrase_is_a_clear_keystore_error(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    write_private_key(path, ec.generate_private_key(ec.SECP256R1()), SECRET)
    with pytest.raises(KeyStoreError) as caught:
        read_private_key(path, b"wrong")
    message = str(caught.value)
    assert "wrong HEALTHCERT_KEY_PASSPHRASE" in message
    assert "wrong" in message and SECRET.decode() not in message


def test_unencrypted_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plain.pem"
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyStoreError, match="not encrypted"):
        read_private_key(path, SECRET)


def test_missing_key_file(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="no such file"):
        read_private_key(tmp_path / "absent.pem", SECRET)


def test_passphrase_from_env() -> None:
    assert passphrase_from_env({PASSPHRASE_ENV: "pässword"}) == "pässword".encode()


@pytest.mark.parametrize("environ", [{}, {PASSPHRASE_ENV: ""}])
def test_missing_or_empty_passphrase_is_a_configuration_error(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match=PASSPHRASE_ENV):
        passphrase_from_env(environ)


def test_passphrase_from_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(ConfigurationError):
        passphrase_from_env()
    monkeypatch.setenv(PASSPHRASE_ENV, "x")
    assert passphrase_from_env() == b"x"


def test_no_key_is_written_without_a_passphrase(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        write_private_key(tmp_path / "k.pem", ec.generate_private_key(ec.SECP256R1()), b"")
    assert not (tmp_path / "k.pem").exists()


def test_certificate_round_trip(tmp_path: Path) -> None:
    cert = self_signed()
    path = tmp_path / "c.pem"
    write_certificate(path, cert)
    assert read_certificate(path) == cert
    path.write_text("not a certificate")
    with pytest.raises(KeyStoreError, match="not a PEM certificate"):
        read_certificate(path)
