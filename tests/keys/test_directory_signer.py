from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcert.errors import ConfigurationError, KeyStoreError
from healthcert.keys.csca import create_csca
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.dsc import create_dsc
from healthcert.keys.home import HOME_ENV, healthcert_home
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.keys.kid import kid_of
from healthcert.keys.signer import Signer
from healthcert.model.kinds import EntryKind

SECRET = b"s3cret passphrase"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def directory(tmp_path: Path) -> KeyDirectory:
    keys = KeyDirectory(tmp_path)
    keys.save_csca(create_csca("DE", now=NOW - timedelta(days=400)), SECRET)
    return keys


def _add_dsc(
    keys: KeyDirectory, *, days_ago: int, kinds: list[EntryKind] | None = None, alg: str = "ES256"
) -> bytes:
    csca = keys.load_csca(SECRET)
    dsc = create_dsc(
        csca,
        kinds or list(EntryKind),
        algorithm=alg,  # type: ignore[arg-type]
        days=365,
        now=NOW - timedelta(days=days_ago),
    )
    return keys.save_dsc(dsc, SECRET)


def test_layout_and_permissions(directory: KeyDirectory, tmp_path: Path) -> None:
    kid = _add_dsc(directory, days_ago=1)
    names = sorted(path.name for path in (tmp_path / "keys").iterdir())
    assert names == ["csca.key.pem", "csca.pem", f"dsc-{kid.hex()}.key.pem", f"dsc-{kid.hex()}.pem"]
    for name in ("csca.key.pem", f"dsc-{kid.hex()}.key.pem"):
        assert stat.S_IMODE((tmp_path / "keys" / name).stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


def test_csca_is_not_overwritten_without_force(directory: KeyDirectory) -> None:
    first = directory.load_csca_certificate()
    with pytest.raises(KeyStoreError, match="--force"):
        directory.save_csca(create_csca("DE"), SECRET)
    assert directory.load_csca_certificate() == first
    directory.save_csca(create_csca("DE"), SECRET, force=True)
    assert directory.load_csca_certificate() != first
    retired = sorted(path.name for path in (directory.root / "retired").iterdir())
    assert len(retired) == 2 and retired[0].endswith("csca.key.pem")


def test_current_dsc_is_the_newest_valid_one(directory: KeyDirectory) -> None:
    _add_dsc(directory, days_ago=200)
    newest = _add_dsc(directory, days_ago=10)
    _add_dsc(directory, days_ago=500)  # expired: 365 days from 500 days ago
    vaccination_only = _add_dsc(directory, days_ago=5, kinds=[EntryKind.VACCINATION])
    assert len(directory.dscs()) == 4
    current = directory.current_dsc(now=NOW)
    assert current is not None and current.kid == vaccination_only
    tests = directory.current_dsc([EntryKind.TEST], now=NOW)
    assert tests is not None and tests.kid == newest
    assert directory.current_dsc(now=NOW + timedelta(days=400)) is None


def test_load_signer_es256_signs_verifiably(directory: KeyDirectory, tmp_path: Path) -> None:
    kid = _add_dsc(directory, days_ago=1, kinds=[EntryKind.TEST, EntryKind.RECOVERY])
    signer = Signer.load(tmp_path, now=NOW, passphrase=SECRET)
    assert signer.kid == kid == kid_of(signer.certificate)
    assert signer.algorithm == "ES256"
    assert signer.kinds == {EntryKind.TEST, EntryKind.RECOVERY}
    assert signer.may_sign(EntryKind.TEST) and not signer.may_sign(EntryKind.VACCINATION)
    assert signer.not_after == signer.certificate.not_valid_after_utc
    signature = signer.sign(b"message")
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    public_key = signer.certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(der, b"message", ec.ECDSA(hashes.SHA256()))


def test_load_signer_ps256_signs_with_pss(directory: KeyDirectory, tmp_path: Path) -> None:
    _add_dsc(directory, days_ago=1, alg="PS256")
    signer = Signer.load(tmp_path, now=NOW, passphrase=SECRET)
    assert signer.algorithm == "PS256"
    public_key = signer.certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    public_key.verify(signer.sign(b"message"), b"message", pss, hashes.SHA256())


def test_load_signer_reads_the_environment(
    directory: KeyDirectory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_dsc(directory, days_ago=1)
    monkeypatch.setenv(HOME_ENV, str(tmp_path))
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    with pytest.raises(ConfigurationError, match=PASSPHRASE_ENV):
        Signer.load(now=NOW)
    monkeypatch.setenv(PASSPHRASE_ENV, "not it")
    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        Signer.load(now=NOW)
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET.decode())
    assert isinstance(Signer.load(now=NOW), Signer)


def test_no_valid_dsc(directory: KeyDirectory, tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="keys dsc"):
        Signer.load(tmp_path, now=NOW, passphrase=SECRET)
    _add_dsc(directory, days_ago=1, kinds=[EntryKind.TEST])
    with pytest.raises(KeyStoreError, match="for vaccination"):
        Signer.load(tmp_path, kinds=[EntryKind.VACCINATION], now=NOW, passphrase=SECRET)


def test_signer_repr_hides_the_private_key(directory: KeyDirectory, tmp_path: Path) -> None:
    _add_dsc(directory, days_ago=1)
    signer = Signer.load(tmp_path, now=NOW, passphrase=SECRET)
    assert "private_key" not in repr(signer)


def test_home_default_and_override() -> None:
    assert healthcert_home({}) == Path.home() / ".local" / "share" / "healthcert"
    assert healthcert_home({HOME_ENV: "~/hc"}) == Path.home() / "hc"


def test_no_csca_yet(tmp_path: Path) -> None:
    with pytest.raises(KeyStoreError, match="keys init"):
        KeyDirectory(tmp_path).load_csca(SECRET)


def test_a_signer_knows_its_country_and_issuing_needs_one() -> None:
    from dataclasses import replace

    from healthcert.errors import RequestError
    from healthcert.issuance import issuer_country
    from healthcert.keys.signer import signer_from

    now = datetime.now(UTC)
    signer = signer_from(create_dsc(create_csca("AT", now=now), now=now))
    assert signer.country == "AT"
    assert issuer_country(signer) == "AT"
    with pytest.raises(RequestError, match=r"no country \(C\)"):
        issuer_country(replace(signer, country=None))
