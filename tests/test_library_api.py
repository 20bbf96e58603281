"""The library gives what the command line gives: ``Report.to_dict`` is the JSON document
``healthcert verify --json`` prints, for a trust store from ``TrustStore.from_paths`` and a
signer from ``Signer.load`` made from the same files and settings as the commands use."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography import x509
from typer.testing import CliRunner

import healthcert
from healthcert.batch import verify_many
from healthcert.cli import app
from healthcert.codec import base45
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.shc.card import issuer_jwk
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.keys.signer import Signer
from healthcert.report import ErrorCode
from healthcert.trust.store import TrustStore

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SECRET = "a passphrase for the library tests"
ISS = "https://health.example.cn/shc"
runner = CliRunner()


@dataclass(frozen=True)
class Issued:
    home: Path
    at: str  # the validation clock, as --at takes it
    trust: list[str]  # what --trust is given, and TrustStore.from_paths too
    payloads: dict[str, str]


def _cli(env: dict[str, str], *args: str) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def _dsc_file(home: Path) -> Path:
    keys = home / "keys"
    return next(p for p in keys.glob("dsc-*.pem") if not p.name.endswith(".key.pem"))


def _with_wrong_signature(payload: str) -> str:
    sign1 = eu_dcc.decode(payload).sign1
    signature = bytearray(sign1.signature)
    signature[7] ^= 0x01
    tagged = cbor2.CBORTag(18, [sign1.protected_raw, {}, sign1.payload, bytes(signature)])
    return eu_dcc.PREFIX + base45.encode(zlib.compress(cbor2.dumps(tagged)))


@pytest.fixture(scope="module")
def issued(tmp_path_factory: pytest.TempPathFactory) -> Issued:
    home = tmp_path_factory.mktemp("library-home")
    env = {HOME_ENV: str(home), PASSPHRASE_ENV: SECRET}
    _cli(env, "keys", "init", "--country", "CN")
    _cli(env, "keys", "dsc")
    request = str(EXAMPLES / "request-vaccination.json")
    payloads = {
        name: _cli(env, "issue", "--json", request, "--format", name, "--iss", ISS).strip()
        for name in ("eu-dcc", "shc", "icao-vds-nc")
    }
    payloads["wrong signature"] = _with_wrong_signature(payloads["eu-dcc"])
    payloads["garbage"] = "not a health certificate"
    dsc = _dsc_file(home)
    certificate = x509.load_pem_x509_certificate(dsc.read_bytes())
    jwks = home / "jwks.json"
    jwks.write_text(json.dumps({"keys": [issuer_jwk(certificate.public_key())]}))  # type: ignore[arg-type]
    # A clock of our own, a day into the DSC's life, to the second.
    at = (certificate.not_valid_before_utc + timedelta(days=1)).replace(microsecond=0)
    trust = [str(home / "keys" / "csca.pem"), str(dsc), f"{ISS}={jwks}"]
    return Issued(home, at.isoformat(), trust, payloads)


def _cli_reports(issued: Issued, payloads: list[str], *extra: str) -> list[dict[str, Any]]:
    trust = [option for path in issued.trust for option in ("--trust", path)]
    env = {HOME_ENV: str(issued.home)}
    result = runner.invoke(
        app, ["verify", "--json", "--at", issued.at, *trust, *extra, *payloads], env=env
    )
    assert result.exit_code in (0, 1), result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.parametrize("country", [None, "CN", "DE"])
def test_to_dict_is_the_json_line_the_command_prints(
    issued: Issued, country: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(issued.home))
    names = ["eu-dcc", "wrong signature", "shc", "icao-vds-nc", "garbage"]
    payloads = [issued.payloads[name] for name in names]
    extra = [] if country is None else ["--country", country]
    trust = healthcert.TrustStore.from_paths(issued.trust)
    at = datetime.fromisoformat(issued.at)
    reports = list(healthcert.verify_many(payloads, trust=trust, at=at, country=country))
    one_by_one = [healthcert.verify(text, trust=trust, at=at, country=country) for text in payloads]
    assert [r.to_dict() for r in one_by_one] == [r.to_dict() for r in reports]
    documents = [report.to_dict() for report in reports]
    assert documents == _cli_reports(issued, payloads, *extra)
    # The same keys in the same order, not only the same mapping.
    assert [list(d) for d in documents] == [list(d) for d in _cli_reports(issued, payloads, *extra)]
    by_name = dict(zip(names, documents, strict=True))
    assert [by_name[name]["valid"] for name in names] == [True, False, True, True, False]
    assert [error["code"] for error in by_name["wrong signature"]["errors"]] == [
        "SIGNATURE_INVALID"
    ]
    assert [error["code"] for error in by_name["garbage"]["errors"]] == ["PREFIX_INVALID"]
    assert by_name["shc"]["format"] == "shc" and by_name["icao-vds-nc"]["format"] == "icao-vds-nc"
    if country is not None:
        assert all(document["destination"]["country"] == country for document in documents)


def test_to_dict_is_a_copy_and_plain_json(issued: Issued) -> None:
    (report,) = verify_many(
        [issued.payloads["wrong signature"]],
        trust=TrustStore.from_paths(issued.trust),
        at=datetime.fromisoformat(issued.at),
    )
    document = report.to_dict()
    assert type(document["errors"][0]["code"]) is str
    assert report.errors[0].code is ErrorCode.SIGNATURE_INVALID
    document["checks"]["signature"] = True
    document["issuer"]["country"] = "XX"
    assert report.checks["signature"] is False and report.issuer["country"] == "CN"
    assert json.loads(report.json_line()) == report.to_dict()


def test_to_dict_of_an_input_that_is_not_utf8_is_what_the_json_shows() -> None:
    from healthcert.verification import context, verify_payload

    report = verify_payload("HC1:\udcff", context(TrustStore()), label="arg \udcff")
    assert report.to_dict() == json.loads(report.json_line())
    assert report.to_dict()["input"] == "arg \ufffd\ufffd\ufffd"


def test_signer_load_signs_what_the_command_issues(
    issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(issued.home))
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    from_env = Signer.load()
    by_argument = Signer.load(issued.home, SECRET.encode(), kid=from_env.kid)
    assert from_env.kid == by_argument.kid == eu_dcc.decode(issued.payloads["eu-dcc"]).sign1.kid
    assert from_env.country == "CN" and from_env.algorithm == "ES256"


def test_every_public_name_resolves_and_says_where_it_is_defined() -> None:
    assert set(healthcert.__all__) == {"__version__", *healthcert._DEFINED_IN}
    for name in healthcert.__all__:
        value = getattr(healthcert, name)
        assert value is not None, name
    assert healthcert.verify.__module__ == "healthcert.verification"
    assert healthcert.ErrorCode.KID_UNKNOWN == "KID_UNKNOWN"
    with pytest.raises(AttributeError):
        healthcert.no_such_name  # noqa: B018


def test_issue_takes_json_a_request_or_a_certificate(
    issued: Issued, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(issued.home))
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    signer = healthcert.Signer.load()
    document = json.loads((EXAMPLES / "request-vaccination.json").read_text(encoding="utf-8"))
    request = healthcert.IssueRequest.model_validate(document)
    trust = healthcert.TrustStore.from_paths(issued.trust)
    at = datetime.fromisoformat(issued.at)
    for given in (document, request, request.certificate()):
        for wire_format in ("eu-dcc", "icao-vds-nc"):
            payload = healthcert.issue(given, signer=signer, format=wire_format, now=at)
            report = healthcert.verify(payload, trust=trust, at=at)
            assert (report.format, report.valid, report.errors) == (wire_format, True, [])
            assert report.certificate is not None
            holder = report.certificate["holder"]
            # A VDS-NC seal carries the Doc 9303 Latin form of the names only.
            assert (holder["family_name_latin"], holder["date_of_birth"]) == (
                request.holder.family_name_latin,
                request.holder.date_of_birth,
            )
    card = healthcert.issue(document, signer=signer, format="shc", issuer_url=ISS, now=at)
    assert healthcert.verify(card, trust=trust, at=at).valid


def test_issue_says_what_is_wrong(issued: Issued, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(issued.home))
    monkeypatch.setenv(PASSPHRASE_ENV, SECRET)
    signer = healthcert.Signer.load()
    document = json.loads((EXAMPLES / "request-vaccination.json").read_text(encoding="utf-8"))
    with pytest.raises(healthcert.RequestError, match=r"holder\.date_of_birth"):
        healthcert.issue(
            {**document, "holder": {**document["holder"], "date_of_birth": "1"}}, signer=signer
        )
    with pytest.raises(healthcert.RequestError, match="unknown format 'pdf'"):
        healthcert.issue(document, signer=signer, format="pdf")
    with pytest.raises(healthcert.RequestError, match="issuer"):
        healthcert.issue(document, signer=signer, format="shc")
