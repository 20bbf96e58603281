"""The border keys a deployment opens sealed certificates with: every border key of its key
home and the files HEALTHCERT_UNSEAL_KEYS lists, decrypted with the key passphrase; a file
that cannot be read is named at start and on /ready, and a request gets 503, never a 500."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from healthcert.errors import HealthcertError
from healthcert.keys.border import border_kid, create_border_key, save_border_key
from healthcert.keys.csca import create_csca
from healthcert.keys.keyfile import write_private_key
from healthcert.service.errors import Unavailable
from healthcert.service.unseal import UNSEAL_KEYS_ENV, load_unseal_keys, unseal_key_paths
from tests.service.sealed_world import PASSPHRASE, World, make_world, world_context

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import ec

    from healthcert.keys.material import CertifiedKey

ENV = {"HEALTHCERT_KEY_PASSPHRASE": PASSPHRASE}


def _kids(keys: tuple[ec.EllipticCurvePrivateKey, ...]) -> list[bytes]:
    return [border_kid(key.public_key()) for key in keys]


def _kid(border: CertifiedKey) -> bytes:
    return border_kid(border.private_key.public_key())


def _elsewhere(folder: Path, country: str) -> tuple[CertifiedKey, Path]:
    """A border key kept outside any key home, as a verifier-only deployment keeps it."""
    border = create_border_key(create_csca(country))
    folder.mkdir(parents=True, exist_ok=True)
    return border, save_border_key(folder, border, PASSPHRASE.encode())[1]


def test_the_key_homes_border_keys_and_the_listed_files_are_loaded(tmp_path: Path) -> None:
    world = make_world(tmp_path / "home")
    fr, fr_path = _elsewhere(tmp_path / "vault", "FR")
    de, de_path = _elsewhere(tmp_path / "vault", "DE")
    listed = os.pathsep.join([str(fr_path), "", str(de_path)])
    environ = {**ENV, UNSEAL_KEYS_ENV: listed}
    paths = unseal_key_paths(world.home, environ)
    assert paths == [world.home / "keys" / "border-CN.key.pem", fr_path, de_path]
    keys = load_unseal_keys(world.home, environ)
    assert _kids(keys) == [_kid(world.border), _kid(fr), _kid(de)]


def test_a_verifier_only_deployment_has_only_the_listed_keys(tmp_path: Path) -> None:
    fr, fr_path = _elsewhere(tmp_path / "vault", "FR")
    keys = load_unseal_keys(tmp_path / "empty-home", {**ENV, UNSEAL_KEYS_ENV: str(fr_path)})
    assert _kids(keys) == [_kid(fr)]


def test_no_key_anywhere_needs_no_passphrase(tmp_path: Path) -> None:
    assert load_unseal_keys(tmp_path, {}) == ()


def test_the_context_loads_them_from_its_key_home_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthcert.service.context import open_context

    world = make_world(tmp_path / "home")
    fr, fr_path = _elsewhere(tmp_path / "vault", "FR")
    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv(UNSEAL_KEYS_ENV, str(fr_path))
    context = open_context(f"sqlite:///{tmp_path / 'db.sqlite'}")
    context.key_home = world.home
    try:
        assert _kids(context.unseal_keys()) == [_kid(world.border), _kid(fr)]
    finally:
        context.engine.dispose()


@pytest.mark.parametrize(
    ("problem", "said"),
    [
        ("damaged", "cannot decrypt the key"),
        ("wrong passphrase", "cannot decrypt the key"),
        ("missing", "border-XX.key.pem"),
        ("no passphrase", "HEALTHCERT_KEY_PASSPHRASE is not set"),
    ],
)
def test_a_key_that_cannot_be_read_is_named(tmp_path: Path, problem: str, said: str) -> None:
    world = make_world(tmp_path / "home")
    key_file = world.home / "keys" / "border-CN.key.pem"
    environ = dict(ENV)
    if problem == "damaged":
        key_file.write_bytes(key_file.read_bytes()[:200])
    elif problem == "wrong passphrase":
        environ["HEALTHCERT_KEY_PASSPHRASE"] = "another"
    elif problem == "missing":
        environ[UNSEAL_KEYS_ENV] = str(tmp_path / "border-XX.key.pem")
    else:
        environ = {}
    with pytest.raises(HealthcertError) as raised:
        load_unseal_keys(world.home, environ)
    assert said in str(raised.value)
    if problem != "no passphrase":
        named = "border-XX.key.pem" if problem == "missing" else str(key_file)
        assert named in str(raised.value)
    assert "PRIVATE KEY" not in str(raised.value)


def _broken_world(tmp_path: Path) -> World:
    world = make_world(tmp_path / "home")
    key_file = world.home / "keys" / "border-CN.key.pem"
    key_file.write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nnot a key\n")
    return world


def test_a_broken_key_makes_the_service_not_ready_and_requests_503(
    tmp_path: Path, database_url: str, keys: dict[str, dict[str, str]]
) -> None:
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app

    world = _broken_world(tmp_path)
    context = world_context(database_url, world)
    with pytest.raises(Unavailable, match=r"border-CN\.key\.pem"):
        context.unseal_keys()
    with TestClient(create_app(context)) as client:
        ready = client.get("/api/v1/ready")
        assert ready.status_code == 503
        assert "border-CN.key.pem" in ready.json()["reason"]
        answer = client.post("/api/v1/verify", json={"payload": "HC1:x"}, headers=keys["verifier"])
        assert answer.status_code == 503
        assert "border-CN.key.pem" in answer.json()["detail"]
        # Mended, the key loads on the next request: the failure was not kept.
        key_file = world.home / "keys" / "border-CN.key.pem"
        write_private_key(key_file, world.border.private_key, PASSPHRASE.encode())
        assert client.get("/api/v1/ready").status_code == 200
        answer = client.post("/api/v1/verify", json={"payload": "HC1:x"}, headers=keys["verifier"])
        assert answer.status_code == 200 and answer.json()["valid"] is False
    context.engine.dispose()


def test_serve_refuses_to_start_naming_the_key_it_cannot_read(tmp_path: Path) -> None:
    import subprocess
    import sys

    broken = tmp_path / "border-FR.key.pem"
    broken.write_bytes(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nnot a key\n")
    env = {
        **os.environ,
        "HEALTHCERT_HOME": str(tmp_path / "home"),
        "HEALTHCERT_KEY_PASSPHRASE": PASSPHRASE,
        UNSEAL_KEYS_ENV: str(broken),
    }
    command = [sys.executable, "-m", "healthcert", "serve", "--port", "1"]
    command += ["--url", f"sqlite:///{tmp_path / 'serve.db'}"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"a border key cannot be loaded: {broken}: cannot decrypt the key" in done.stderr
    assert "not a key" not in done.stdout + done.stderr
