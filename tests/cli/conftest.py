"""What the command tests share: a real issuer, its DSC as a trust file, a clean home."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthcert.keys.home import HOME_ENV

from ..rules.certs import Issuer, make_issuer


@pytest.fixture(scope="session")
def issuer() -> Issuer:
    return make_issuer("DE")


@pytest.fixture(scope="session")
def dsc_file(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "dsc-de.pem"
    path.write_bytes(issuer.dsc_pem)
    return path


@pytest.fixture(autouse=True)
def clean_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HEALTHCERT_HOME: no local trust store, no local policies."""
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    # Wide enough that rich never wraps a rule description in the middle of a test's phrase.
    monkeypatch.setenv("COLUMNS", "240")
    # The messages' language follows the environment: the tests read English unless they ask.
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")
    return tmp_path / "home"
