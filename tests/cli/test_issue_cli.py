"""``healthcert keys`` and ``healthcert issue`` end to end: real keys, real payloads, real QR codes.

Every command runs through the real CLI (typer's runner, and once a real process) with its own
HEALTHCERT_HOME and the key passphrase in the environment, as an operator would run it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from healthcert import report as codes
from healthcert import verification
from healthcert.cli import app
from healthcert.codec.qr import read_image
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.trust.store import load_trust

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
SECRET = "correct horse battery staple, issuing"
runner = CliRunner()


def request(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return document


def env_for(home: Path, passphrase: str | None = SECRET) -> dict[str, str | None]:
    return {HOME_ENV: str(home), PASSPHRASE_ENV: passphrase}


def invoke(home: Path, *args: str, passphrase: str | None = SECRET) -> Result:
    result = runner.invoke(app, list(args), env=env_for(home, passphrase))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr
    assert SECRET not in result.output
    return result


def ok(home: Path, *args: str) -> str:
    result = invoke(home, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def error(code: int, home: Path, *args: str, passphrase: str | None = SECRET) -> str:
    result = invoke(home, *args, passphrase=passphrase)
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("error: "), result.stderr
    return result.stderr


@pytest.fixture(scope="module")
def issuer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HEALTHCERT_HOME with a CSCA and a DSC made by the commands themselves."""
    home = tmp_path_factory.mktemp("issuer")
    assert "Created CSCA" in ok(home, "keys", "init", "--country", "CN")
    assert "Created DSC" in ok(home, "keys", "dsc", "--types", "vaccination,test,recovery")
    return home


def trust_files(home: Path) -> list[Path]:
    keys = home / "keys"
    return [keys / "csca.pem", *sorted(keys.glob("dsc-*[0-9a-f].pem"))]


def verified(home: Path, payload: str) -> Any:
    store = load_trust(trust_files(home))
    return verification.verify_payload(payload, verification.context(store, datetime.now(UTC)))


def write_request(directory: Path, document: dict[str, Any], name: str = "request.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def single_payload(output: str) -> str:
    lines = output.splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith("HC1:")
    return lines[0]


# -- one request ------------------------------------------------------------------------------


def test_issue_prints_a_payload_that_verifies(issuer: Path, tmp_path: Path) -> None:
    for name in ("request-vaccination.json", "request-antibody-test.json"):
        payload = single_payload(ok(issuer, "issue", "--json", str(EXAMPLES / name)))
        report = verified(issuer, payload)
        assert report.valid, report.errors
        assert report.issuer["country"] == "CN"


def test_issue_with_a_png_qr_code(issuer: Path, tmp_path: Path) -> None:
    image = tmp_path / "out.png"
    request_file = str(EXAMPLES / "request-vaccination.json")
    payload = single_payload(ok(issuer, "issue", "--json", request_file, "--qr", str(image)))
    assert image.read_bytes().startswith(b"\x89PNG")
    assert read_image(image.read_bytes()) == [payload]
    assert verified(issuer, payload).valid


def test_issue_with_an_svg_qr_code(issuer: Path, tmp_path: Path) -> None:
    image = tmp_path / "out.svg"
    request_file = str(EXAMPLES / "request-vaccination.json")
    payload = single_payload(ok(issuer, "issue", "--json", request_file, "--qr", str(image)))
    text = image.read_text(encoding="utf-8")
    assert "<svg" in text and "</svg>" in text
    assert payload not in text  # an image of the payload, not the payload in clear
    assert verified(issuer, payload).valid


@pytest.mark.parametrize("level", ["M", "Q", "m", "q"])
def test_error_correction_levels(issuer: Path, tmp_path: Path, level: str) -> None:
    image = tmp_path / f"ec-{level}.png"
    request_file = str(EXAMPLES / "request-antibody-test.json")
    payload = single_payload(
        ok(issuer, "issue", "--json", request_file, "--qr", str(image), "--ec", level)
    )
    assert read_image(image.read_bytes()) == [payload]


def test_higher_error_correction_makes_a_bigger_code(issuer: Path, tmp_path: Path) -> None:
    from PIL import Image

    sizes = {}
    for level in ("M", "Q"):
        image = tmp_path / f"{level}.png"
        request_file = str(EXAMPLES / "request-vaccination.json")
        ok(issuer, "issue", "--json", request_file, "--qr", str(image), "--ec", level)
        with Image.open(image) as picture:
            sizes[level] = picture.size[0]
    assert sizes["Q"] > sizes["M"]


@pytest.mark.parametrize("level", ["X", "MQ", "1"])
def test_unknown_error_correction_level(issuer: Path, level: str) -> None:
    request_file = str(EXAMPLES / "request-vaccination.json")
    assert "--ec" in error(2, issuer, "issue", "--json", request_file, "--ec", level)


@pytest.mark.parametrize("name", ["out.txt", "no-such-dir/out.png"])
def test_unwritable_qr_target(issuer: Path, tmp_path: Path, name: str) -> None:
    request_file = str(EXAMPLES / "request-vaccination.json")
    message = error(2, issuer, "issue", "--json", request_file, "--qr", str(tmp_path / name))
    assert "cannot write" in message


def test_invalid_request_names_the_field(issuer: Path, tmp_path: Path) -> None:
    document = request("request-vaccination.json")
    document["entry"]["dose_number"] = 0
    message = error(2, issuer, "issue", "--json", str(write_request(tmp_path, document)))
    assert "dose_number" in message


@pytest.mark.parametrize("content", [b"{not json", b"", b"\xff\xfe", b"[]", b"42"])
def test_unreadable_request_file(issuer: Path, tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert str(path) in error(2, issuer, "issue", "--json", str(path))


def test_missing_request_file(issuer: Path, tmp_path: Path) -> None:
    error(2, issuer, "issue", "--json", str(tmp_path / "absent.json"))


@pytest.mark.parametrize(
    "args",
    [
        ["issue"],
        ["issue", "--json", "a.json", "--batch", "b.jsonl"],
    ],
)
def test_exactly_one_of_json_and_batch(issuer: Path, args: list[str]) -> None:
    assert "exactly one" in error(2, issuer, *args)


def test_qr_is_for_a_single_request(issuer: Path, tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(request("request-vaccination.json")) + "\n", encoding="utf-8")
    error(2, issuer, "issue", "--batch", str(batch), "--qr", str(tmp_path / "x.png"))


# -- keys and the passphrase ------------------------------------------------------------------


def test_missing_passphrase_is_a_clear_error(issuer: Path, tmp_path: Path) -> None:
    request_file = str(EXAMPLES / "request-vaccination.json")
    for passphrase in (None, ""):
        message = error(2, issuer, "issue", "--json", request_file, passphrase=passphrase)
        assert PASSPHRASE_ENV in message
    fresh = tmp_path / "fresh"
    assert PASSPHRASE_ENV in error(2, fresh, "keys", "init", "--country", "CN", passphrase=None)
    assert not (fresh / "keys" / "csca.key.pem").exists()


def test_missing_passphrase_for_a_new_dsc(issuer: Path) -> None:
    before = sorted((issuer / "keys").iterdir())
    assert PASSPHRASE_ENV in error(2, issuer, "keys", "dsc", passphrase=None)
    assert sorted((issuer / "keys").iterdir()) == before


def test_wrong_passphrase_is_a_clear_error(issuer: Path) -> None:
    request_file = str(EXAMPLES / "request-vaccination.json")
    result = invoke(issuer, "issue", "--json", request_file, passphrase="not the passphrase")
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "decrypt" in result.stderr


def test_issue_without_keys(tmp_path: Path) -> None:
    request_file = str(EXAMPLES / "request-vaccination.json")
    assert "keys dsc" in error(3, tmp_path / "empty", "issue", "--json", request_file)


def test_dsc_limited_to_tests_refuses_a_vaccination(tmp_path: Path) -> None:
    home = tmp_path / "tests-only"
    ok(home, "keys", "init", "--country", "DE")
    ok(home, "keys", "dsc", "--types", "test")
    message = error(2, home, "issue", "--json", str(EXAMPLES / "request-vaccination.json"))
    assert "vaccination" in message
    payload = single_payload(
        ok(home, "issue", "--json", str(EXAMPLES / "request-antibody-test.json"))
    )
    assert verified(home, payload).valid


def test_a_batch_line_the_dsc_may_not_sign_is_refused_alone(tmp_path: Path) -> None:
    home = tmp_path / "tests-only"
    ok(home, "keys", "init", "--country", "DE")
    ok(home, "keys", "dsc", "--types", "test")
    lines = numbered_requests(3)
    lines.insert(1, json.dumps(request("request-vaccination.json"), ensure_ascii=False))
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(home, "issue", "--batch", str(batch))
    assert result.exit_code == 1
    out = result.stdout.splitlines()
    assert out[1] == "" and "line 2:" in result.stderr and "vaccination" in result.stderr
    assert "1 of 4" in result.stderr
    for payload in (out[0], out[2], out[3]):
        assert verified(home, payload).valid


def test_private_keys_are_encrypted_and_never_printed(issuer: Path) -> None:
    for key_file in (issuer / "keys").glob("*.key.pem"):
        text = key_file.read_text(encoding="ascii")
        assert "ENCRYPTED PRIVATE KEY" in text
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    listing = json.loads(ok(issuer, "keys", "list", "--json"))
    assert listing["csca"]["subject"].endswith("C=CN")
    assert "PRIVATE" not in json.dumps(listing)


# -- batches ----------------------------------------------------------------------------------


def given_name(number: int) -> str:
    """A distinct name per number, in letters only (a name holds no digits)."""
    return "Jürgen" + chr(ord("a") + number // 26) + chr(ord("a") + number % 26)


def numbered_requests(count: int) -> list[str]:
    lines = []
    for number in range(count):
        document = request("request-antibody-test.json")
        document["holder"]["given_name"] = given_name(number)
        document["entry"]["certificate_id"] = f"URN:UVCI:01:CN:BATCH{number:016d}#A"
        lines.append(json.dumps(document, ensure_ascii=False))
    return lines


def test_batch_with_a_bad_line(issuer: Path, tmp_path: Path) -> None:
    good = numbered_requests(3)
    broken = request("request-vaccination.json")
    broken["entry"]["dose_number"] = 0
    lines = [good[0], "{not json", good[1], json.dumps(broken), "", good[2]]
    batch = tmp_path / "batch.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke(issuer, "issue", "--batch", str(batch))
    assert result.exit_code == 1
    out = result.stdout.split("\n")
    assert out[-1] == "" and len(out) == len(lines) + 1
    for line, payload in zip(lines, out, strict=False):
        assert payload.startswith("HC1:") is (line in good), (line, payload)
    for number in (2, 4, 5):
        assert f"line {number}:" in result.stderr
    assert "line 1:" not in result.stderr and "line 3:" not in result.stderr
    assert "3 of 6" in result.stderr
    for payload in out[:-1]:
        if payload:
            assert verified(issuer, payload).valid


def _dccs(output: str) -> list[Any]:
    return [eu_dcc.decode(line).dcc for line in output.splitlines()]


def test_batch_with_two_workers_keeps_the_order(issuer: Path, tmp_path: Path) -> None:
    lines = numbered_requests(300)  # more than one chunk of work per process
    lines[150] = "not a request"
    batch = tmp_path / "many.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = invoke(issuer, "issue", "--batch", str(batch), "--workers", "1")
    two = invoke(issuer, "issue", "--batch", str(batch), "--workers", "2")
    assert one.exit_code == two.exit_code == 1
    first, second = one.stdout.splitlines(), two.stdout.splitlines()
    assert len(first) == len(second) == 300
    assert first[150] == second[150] == ""
    del first[150], second[150]
    # ECDSA signatures are randomised: the same certificates, not the same bytes.
    dccs = _dccs("\n".join(first))
    assert dccs == _dccs("\n".join(second))
    names = [dcc["nam"]["gn"] for dcc in dccs]
    assert names == [given_name(number) for number in range(300) if number != 150]
    assert "line 151:" in one.stderr and "line 151:" in two.stderr


def test_empty_batch(issuer: Path, tmp_path: Path) -> None:
    batch = tmp_path / "empty.jsonl"
    batch.write_text("", encoding="utf-8")
    assert ok(issuer, "issue", "--batch", str(batch)) == ""


def test_unreadable_batch(issuer: Path, tmp_path: Path) -> None:
    error(2, issuer, "issue", "--batch", str(tmp_path / "absent.jsonl"))
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(b"\xff\xfe\x00")
    error(2, issuer, "issue", "--batch", str(binary))


# -- a real process ---------------------------------------------------------------------------


def test_issue_in_a_real_process(issuer: Path, tmp_path: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if value is not None}
    environment.update({HOME_ENV: str(issuer), PASSPHRASE_ENV: SECRET})
    image = tmp_path / "process.png"
    command = [sys.executable, "-m", "healthcert", "issue", "--qr", str(image)]
    command += ["--json", str(EXAMPLES / "request-vaccination.json")]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 0, done.stderr
    payload = single_payload(done.stdout)
    assert read_image(image.read_bytes()) == [payload]
    assert verified(issuer, payload).valid

    del environment[PASSPHRASE_ENV]
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and PASSPHRASE_ENV in done.stderr


def test_verify_reports_keys_from_another_issuer_as_unknown(issuer: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    ok(other, "keys", "init", "--country", "DE")
    ok(other, "keys", "dsc")
    payload = single_payload(
        ok(other, "issue", "--json", str(EXAMPLES / "request-vaccination.json"))
    )
    report = verified(issuer, payload)
    assert report.error_codes == [codes.KID_UNKNOWN]
