"""``Signer.load``: the signer ``healthcert issue`` uses, from the environment or from arguments."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from healthcert.errors import ConfigurationError, KeyStoreError
from healthcert.keys.csca import create_csca
from healthcert.keys.directory import KeyDirectory
from healthcert.keys.dsc import create_dsc
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.keys.signer import Signer
from healthcert.model.kinds import EntryKind

SECRET = "the passphrase of these keys"
NOW = datetime(2026, 3, 1, tzinfo=UTC)


def _add_dsc(keys: KeyDirectory, *, days_ago: int, kinds: list[EntryKind] | None = None) -> bytes:
    dsc = create_dsc(
        keys.load_csca(SECRET.encode()),
        kinds or list(EntryKind),
        days=365,
        now=NOW - timedelta(days=days_ago),
    )
    return keys.save_dsc(dsc, SECRET.encode())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A key home with a CSCA; the environment names another home and no passphrase."""
    root = tmp_path / "issuer"
    KeyDirectory(root).save_csca(create_csca("FR", now=NOW - timedelta(days=400)), SECRET.encode())
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "elsewhere"))
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    return root


def test_from_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _add_dsc(KeyDirectory(home), days_ago=100)
    newest = _add_dsc(KeyDirectory(home), days_ago=10)
    monkeypatch.setenv(HOME_ENV, str(home))
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    signer = Signer.load(now=NOW)
    assert signer.kid == newest and signer.country == "FR" and signer.algorithm == "ES256"


def test_arguments_win_over_the_environment(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    newest = _add_dsc(KeyDirectory(home), days_ago=10)
    monkeypatch.setenv(PASSPHRASE_ENV, "not the passphrase")
    for passphrase in (SECRET, SECRET.encode()):
        assert Signer.load(home, passphrase, now=NOW).kid == newest
        assert Signer.load(str(home), passphrase=passphrase, now=NOW).kid == newest


def test_a_missing_or_empty_passphrase_is_a_configuration_error(home: Path) -> None:
    _add_dsc(KeyDirectory(home), days_ago=10)
    with pytest.raises(ConfigurationError, match=f"{PASSPHRASE_ENV} is not set"):
        Signer.load(home, now=NOW)
    for empty in ("", b""):
        with pytest.raises(ConfigurationError, match=r"passphrase .* is empty"):
            Signer.load(home, empty, now=NOW)
    with pytest.raises(KeyStoreError, match="cannot decrypt"):
        Signer.load(home, "wrong", now=NOW)


def test_a_kid_chooses_the_dsc(home: Path) -> None:
    keys = KeyDirectory(home)
    older = _add_dsc(keys, days_ago=100)
    _add_dsc(keys, days_ago=10)
    assert Signer.load(home, SECRET, kid=older, now=NOW).kid == older
    shown = base64.b64encode(older).decode()  # as `healthcert keys list` shows it
    assert Signer.load(home, SECRET, kid=shown, now=NOW).kid == older


def test_a_kid_that_names_no_dsc_is_a_configuration_error(home: Path) -> None:
    _add_dsc(KeyDirectory(home), days_ago=10)
    with pytest.raises(ConfigurationError, match=r"no DSC with kid AAAAAAAAAAA= in .*keys"):
        Signer.load(home, SECRET, kid=bytes(8), now=NOW)
    with pytest.raises(ConfigurationError, match="is not base64"):
        Signer.load(home, SECRET, kid="not base64!", now=NOW)


def test_a_kid_of_a_dsc_that_cannot_sign_is_refused(home: Path) -> None:
    keys = KeyDirectory(home)
    expired = _add_dsc(keys, days_ago=400)
    tests_only = _add_dsc(keys, days_ago=10, kinds=[EntryKind.TEST])
    shown = base64.b64encode(expired).decode()
    with pytest.raises(
        KeyStoreError, match=f"the DSC with kid {re.escape(shown)} is not valid at 2026-03-01"
    ):
        Signer.load(home, SECRET, kid=expired, now=NOW)
    with pytest.raises(KeyStoreError, match="may not sign vaccination"):
        Signer.load(home, SECRET, kid=tests_only, kinds=[EntryKind.VACCINATION], now=NOW)
    assert Signer.load(home, SECRET, kid=tests_only, kinds=[EntryKind.TEST], now=NOW).kid == (
        tests_only
    )


def test_a_home_without_keys_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "absent"))
    with pytest.raises(KeyStoreError, match=f"no key directory .*absent.*{HOME_ENV}.*keys init"):
        Signer.load(now=NOW)
    (tmp_path / "empty" / "keys").mkdir(parents=True)
    with pytest.raises(KeyStoreError, match=r"no valid DSC in .*empty.*keys dsc"):
        Signer.load(tmp_path / "empty", now=NOW)
