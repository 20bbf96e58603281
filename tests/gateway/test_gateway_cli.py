"""The gateway's commands: what they make, and a clear refusal (exit 2 or 3) for bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner, Result

from healthcert.cli import app
from healthcert.gateway.wire import entry_signature_holds
from healthcert.keys.keyfile import read_certificate

PASSPHRASE = "cli test passphrase"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        "HEALTHCERT_HOME": str(tmp_path / "home"),
        "HEALTHCERT_GATEWAY_HOME": str(tmp_path / "gateway"),
        "HEALTHCERT_GATEWAY_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "HEALTHCERT_KEY_PASSPHRASE": PASSPHRASE,
    }


def _run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def test_init_party_and_onboard_record_entries_signed_by_the_anchor(
    env: dict[str, str], tmp_path: Path
) -> None:
    made = _run(env, "gateway", "init", "--json")
    assert made.exit_code == 0
    assert json.loads(made.output)["anchor"] == str(tmp_path / "gateway" / "anchor.pem")
    anchor_key = (tmp_path / "gateway" / "anchor.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in anchor_key
    assert (tmp_path / "gateway" / "anchor.key.pem").stat().st_mode & 0o777 == 0o600
    assert _run(env, "gateway", "init").exit_code == 1  # never replaced without --force
    assert _run(env, "keys", "init", "--country", "DE").exit_code == 0
    for usage in ("upload", "auth"):
        made = _run(env, "keys", "party", "--usage", usage, "--country", "DE")
        assert made.exit_code == 0, made.output
        key = tmp_path / "home" / "keys" / f"{usage}.key.pem"
        assert b"ENCRYPTED PRIVATE KEY" in key.read_bytes()
    auth = read_certificate(tmp_path / "home" / "keys" / "auth.pem")
    usage = auth.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert [oid.dotted_string for oid in usage] == ["1.3.6.1.5.5.7.3.2"]  # TLS client
    keys = tmp_path / "home" / "keys"
    done = _run(
        env, "gateway", "onboard", "--country", "DE", "--csca", str(keys / "csca.pem"),
        "--upload", str(keys / "upload.pem"), "--auth", str(keys / "auth.pem"), "--json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert [line.count("DE") for line in done.output.splitlines()] == [1, 1, 1]
    again = _run(env, "gateway", "onboard", "--country", "DE", "--csca", str(keys / "csca.pem"))
    assert again.exit_code == 1 and "already onboarded for DE" in again.output
    _entries_hold(env, tmp_path)


def _entries_hold(env: dict[str, str], tmp_path: Path) -> None:
    from healthcert.database.db import session_factory
    from healthcert.gateway.database import gateway_engine
    from healthcert.gateway.repository import parties

    anchor = read_certificate(tmp_path / "gateway" / "anchor.pem")
    engine = gateway_engine(env["HEALTHCERT_GATEWAY_DATABASE_URL"])
    with session_factory(engine)() as session:
        found = parties(session, "DE")
        assert sorted(p.certificate_type for p in found) == ["AUTHENTICATION", "CSCA", "UPLOAD"]
        for party in found:
            assert entry_signature_holds(
                anchor, "DE", party.certificate_type, party.raw_data, party.signature
            )
    engine.dispose()


def test_onboarding_a_certificate_of_another_country_is_refused(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert _run(env, "gateway", "init").exit_code == 0
    assert _run(env, "keys", "init", "--country", "FR").exit_code == 0
    csca = str(tmp_path / "home" / "keys" / "csca.pem")
    refused = _run(env, "gateway", "onboard", "--country", "DE", "--csca", csca)
    assert refused.exit_code == 1
    assert "the certificate's subject names country FR, not DE" in refused.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("keys", "party", "--usage", "sign", "--country", "DE"), "usage must be one of"),
        (("keys", "party", "--usage", "upload", "--country", "Germany"), "two-letter"),
        (("gateway", "onboard", "--country", "DE"), "name at least one of"),
        (("gateway", "onboard", "--country", "DE", "--csca", "missing.pem"), "no such file"),
        (("gateway", "serve", "--behind-proxy"), "needs --trusted-proxy"),
        (("trust", "sync", "https://127.0.0.1:1", "--anchor", "missing.pem"), "no such file"),
        (("gateway", "publish", "https://127.0.0.1:1", "--anchor", "missing.pem"), "no such file"),
    ],
)
def test_bad_input_is_a_usage_error(
    env: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    result = _run(env, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_sync_with_no_gateway_keeps_the_last_copy_and_says_so(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert _run(env, "gateway", "init").exit_code == 0
    anchor = str(tmp_path / "gateway" / "anchor.pem")
    result = _run(env, "trust", "sync", "http://127.0.0.1:9", "--anchor", anchor)
    assert result.exit_code == 1
    assert "the last good trust data is kept" in result.output


def test_every_gateway_command_and_option_has_help() -> None:
    import typer

    from healthcert.cli.gateway import app as gateway_app

    commands = getattr(typer.main.get_command(gateway_app), "commands", {})
    assert set(commands) == {"init", "onboard", "serve", "follow", "publish"}
    for command in commands.values():
        assert command.help
        for parameter in command.params:
            assert getattr(parameter, "help", None), f"{command.name} {parameter.name}"
