"""A SMART Health Card issuer from the command line alone: ``keys jwks`` publishes the keys that
``issue --format shc`` signs with, ``verify --trust ISS=jwks.json`` trusts them, and
``--trust-country ISS=CC`` gives the issuer the country its cards do not carry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from healthcert.cli import app
from healthcert.codec import b64, jws

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
ISS = "https://health.example.cn/shc"
runner = CliRunner()


@pytest.fixture
def keys(clean_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HEALTHCERT_KEY_PASSPHRASE", "a test passphrase")
    assert runner.invoke(app, ["keys", "init", "--country", "CN"]).exit_code == 0
    assert runner.invoke(app, ["keys", "dsc", "--types", "vaccination,test"]).exit_code == 0
    return clean_home / "keys"


def _run(code: int, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.stdout


def _card() -> str:
    request = str(EXAMPLES / "request-vaccination.json")
    return _run(0, "issue", "--json", request, "--format", "shc", "--iss", ISS).strip()


def _report(*args: str, code: int = 0) -> dict[str, Any]:
    (line,) = _run(code, "verify", "--json", *args).splitlines()
    report: dict[str, Any] = json.loads(line)
    return report


def _dsc_key(keys: Path) -> ec.EllipticCurvePublicKey:
    path = next(p for p in keys.glob("dsc-*.pem") if not p.name.endswith(".key.pem"))
    key = x509.load_pem_x509_certificate(path.read_bytes()).public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def test_keys_jwks_then_issue_then_verify(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    assert _run(0, "keys", "jwks", "--output", str(jwks_path)) == ""
    card = _card()
    report = _report(card, "--trust", f"{ISS}={jwks_path}")
    assert report["valid"] is True, report["errors"]
    assert report["issuer"]["iss"] == ISS
    assert report["issuer"]["country"] is None  # the card names none and none was given
    (jwk,) = json.loads(jwks_path.read_text())["keys"]
    assert report["issuer"]["kid"] == jwk["kid"]


def test_keys_jwks_prints_each_signer_by_its_thumbprint(keys: Path) -> None:
    document = json.loads(_run(0, "keys", "jwks"))
    (jwk,) = document["keys"]
    numbers = _dsc_key(keys).public_numbers()
    assert jwk == {
        "kty": "EC",
        "crv": "P-256",
        "x": b64.urlsafe_encode(numbers.x.to_bytes(32, "big")),
        "y": b64.urlsafe_encode(numbers.y.to_bytes(32, "big")),
        "use": "sig",
        "alg": "ES256",
        "kid": jws.jwk_thumbprint({name: jwk[name] for name in ("kty", "crv", "x", "y")}),
    }


def test_keys_jwks_leaves_rsa_signers_out_and_needs_one_ec_signer(keys: Path) -> None:
    assert runner.invoke(app, ["keys", "dsc", "--alg", "PS256"]).exit_code == 0
    assert len(json.loads(_run(0, "keys", "jwks"))["keys"]) == 1
    for path in keys.glob("dsc-*"):
        path.unlink()
    assert runner.invoke(app, ["keys", "dsc", "--alg", "PS256"]).exit_code == 0
    result = runner.invoke(app, ["keys", "jwks"])
    assert result.exit_code == 3  # key material that cannot be used
    assert "no EC P-256 DSC" in result.stderr and "healthcert keys dsc" in result.stderr


def test_keys_jwks_cannot_write_is_one_error_line(keys: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["keys", "jwks", "--output", str(tmp_path / "no" / "jwks.json")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot write ")


def test_trust_country_is_shown_and_used_for_the_entry(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    card = _card()
    report = _report(card, "--trust", f"{ISS}={jwks_path}", "--trust-country", f"{ISS}=cn")
    assert report["valid"] is True, report["errors"]
    assert report["issuer"]["country"] == "CN"
    assert report["certificate"]["entry"]["country"] == "CN"


def test_trust_country_reaches_keys_of_the_local_trust_store(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    _run(0, "trust", "add", "--issuer-url", ISS, str(jwks_path))
    card = _card()
    assert _report(card)["issuer"]["country"] is None
    report = _report(card, "--trust-country", f"{ISS}=CN")
    assert report["valid"] is True, report["errors"]
    assert report["issuer"]["country"] == "CN"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("CN", "is not of the form https://issuer.example=CC"),
        (f"{ISS}=CHN", "is not a two-letter ISO 3166 code"),
        (f"{ISS}=", "is not of the form"),
        ("https://other.example.org=CN", "no trusted source holds a key of it"),
    ],
)
def test_a_bad_trust_country_is_a_usage_error(
    keys: Path, tmp_path: Path, value: str, message: str
) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    result = runner.invoke(
        app, ["verify", _card(), "--trust", f"{ISS}={jwks_path}", "--trust-country", value]
    )
    assert result.exit_code == 2, result.output
    assert message in result.stderr


@pytest.mark.parametrize(
    ("given", "expected"), [([], None), (["--trust-country", f"{ISS}=CN"], "CN")]
)
def test_the_entry_verdict_with_and_without_the_issuer_country(
    keys: Path, tmp_path: Path, given: list[str], expected: str | None
) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    card = _card()
    args = ["--trust", f"{ISS}={jwks_path}", *given, "--country", "SG"]
    report = _report(card, *args, code=0)
    assert report["issuer"]["country"] == expected
    # The card names no country: the entry's is the issuer's when given, else unknown (null),
    # and the rules read a DCC without co. SG's rules do not ask for the entry's country.
    assert report["certificate"]["entry"]["country"] == expected
    assert report["verdict"] == "green", report.get("verdict_reasons")


def test_a_country_recorded_in_the_local_trust_store_is_shown(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    _run(0, "trust", "add", "--issuer-url", ISS, "--country", "cn", str(jwks_path))
    (listed,) = [json.loads(line) for line in _run(0, "trust", "list", "--json").splitlines()]
    assert (listed["country"], listed["issuer_url"]) == ("CN", ISS)
    report = _report(_card())
    assert report["valid"] is True, report["errors"]
    assert report["issuer"]["country"] == "CN"
    assert report["certificate"]["entry"]["country"] == "CN"


def test_a_bad_trust_store_country_is_refused(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    result = runner.invoke(app, ["trust", "add", "--country", "China", str(jwks_path)])
    assert result.exit_code == 2
    assert "country 'China' is not a two-letter ISO 3166 code" in result.stderr
    assert _run(0, "trust", "list", "--json") == ""


def test_rules_check_takes_the_issuer_country_too(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    args = ["rules", "check", "--country", "SG", "--json", "--trust", f"{ISS}={jwks_path}"]
    (line,) = _run(0, *args, "--trust-country", f"{ISS}=CN", _card()).splitlines()
    report = json.loads(line)
    assert report["issuer"]["country"] == "CN" and report["verdict"] == "green"


def test_the_panel_shows_an_unknown_country_as_unknown(keys: Path, tmp_path: Path) -> None:
    jwks_path = tmp_path / "jwks.json"
    _run(0, "keys", "jwks", "--output", str(jwks_path))
    card = _card()
    shown = " ".join(_run(0, "verify", card, "--trust", f"{ISS}={jwks_path}").split())
    assert "in unknown country" in shown and "None" not in shown
    given = _run(0, "verify", card, "--trust", f"{ISS}={jwks_path}", "--trust-country", f"{ISS}=CN")
    assert " in CN" in " ".join(given.split())
