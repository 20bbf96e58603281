"""``healthcert verify`` end to end: every kind of input, JSON Lines, exit codes and the clock.

Keys are made and certificates issued by the commands themselves, in a HEALTHCERT_HOME of the
test's own, and verified through typer's runner and, where the process matters (time zone,
arguments that are not UTF-8), through a real ``python -m healthcert``.
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from cryptography import x509
from typer.testing import CliRunner

from healthcert import report as codes
from healthcert.cli import app
from healthcert.issuance import issue_hc1, parse_request
from healthcert.keys.home import HOME_ENV
from healthcert.keys.keyfile import PASSPHRASE_ENV
from healthcert.keys.signer import Signer

EXAMPLES = Path(__file__).parent.parent.parent / "examples"
SECRET = "correct horse battery staple, verifying"
runner = CliRunner()


@dataclass(frozen=True)
class World:
    home: Path
    trust: list[str]  # --trust options naming the CSCA and the DSC
    issued_at: datetime  # iat of the payloads below
    vaccination: str
    antibody_test: str  # valid for 7 days
    png: Path
    text_file: Path


def _request(name: str) -> Any:
    return parse_request(json.loads((EXAMPLES / name).read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    home = tmp_path_factory.mktemp("verifier")
    env = {HOME_ENV: str(home), PASSPHRASE_ENV: SECRET}
    for args in (["keys", "init", "--country", "CN"], ["keys", "dsc"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
    keys = home / "keys"
    (dsc_file,) = [path for path in keys.glob("dsc-*.pem") if not path.name.endswith(".key.pem")]
    dsc = x509.load_pem_x509_certificate(dsc_file.read_bytes())
    # A clock of our own: a day into the DSC's life, to the second.
    issued_at = dsc.not_valid_before_utc + timedelta(days=1)
    signer = Signer.load(home, passphrase=SECRET.encode(), now=issued_at)
    vaccination = issue_hc1(_request("request-vaccination.json"), signer, now=issued_at)
    antibody_test = issue_hc1(_request("request-antibody-test.json"), signer, now=issued_at)
    images = tmp_path_factory.mktemp("inputs")
    png = images / "vaccination.png"
    result = runner.invoke(
        app,
        ["issue", "--json", str(EXAMPLES / "request-vaccination.json"), "--qr", str(png)],
        env=env,
    )
    assert result.exit_code == 0, result.output
    text_file = images / "payload.txt"
    text_file.write_text(antibody_test + "\n", encoding="utf-8")
    trust = ["--trust", str(keys / "csca.pem"), "--trust", str(dsc_file)]
    return World(home, trust, issued_at, vaccination, antibody_test, png, text_file)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def at(world: World, delta: timedelta = timedelta(hours=1)) -> list[str]:
    return ["--at", iso(world.issued_at + delta) + "Z"]


def invoke(
    world: World, *args: str, stdin: bytes | None = None, home: Path | None = None
) -> Result:
    env: dict[str, str | None] = {HOME_ENV: str(home or world.home), PASSPHRASE_ENV: None}
    result = runner.invoke(app, ["verify", *args], input=stdin, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.stderr
    return result


def reports(result: Result) -> list[dict[str, Any]]:
    """Every stdout line parsed as strict JSON: nothing but reports may be there."""
    assert result.stdout.endswith("\n")
    lines = result.stdout[:-1].split("\n")
    parsed = [json.loads(line, parse_constant=_refuse_constant) for line in lines]
    assert all(isinstance(report, dict) and "valid" in report for report in parsed)
    return parsed


def _refuse_constant(name: str) -> Any:
    raise AssertionError(f"{name} is not strict JSON")


def json_reports(world: World, *args: str, stdin: bytes | None = None, code: int) -> list[Any]:
    result = invoke(world, "--json", *world.trust, *args, stdin=stdin)
    assert result.exit_code == code, result.output
    assert result.stderr == ""
    return reports(result)


def error_codes(report: dict[str, Any]) -> list[str]:
    return [error["code"] for error in report["errors"]]


# -- inputs -----------------------------------------------------------------------------------


def test_literal_payload(world: World) -> None:
    (report,) = json_reports(world, *at(world), world.vaccination, code=0)
    assert report["valid"] is True
    assert report["input"] == report["payload"] == world.vaccination
    assert report["format"] == "eu-dcc"
    assert set(report["checks"].values()) == {True}
    assert report["issuer"]["country"] == "CN"
    assert report["certificate"]["holder"]["family_name_latin"] == "WANG"


def test_png_file(world: World) -> None:
    (report,) = json_reports(world, str(world.png), code=0)  # issued now: the clock is now
    assert report["valid"] is True
    assert report["input"] == str(world.png)
    assert report["payload"].startswith("HC1:")


def test_text_file(world: World, tmp_path: Path) -> None:
    (report,) = json_reports(world, *at(world), str(world.text_file), code=0)
    assert report["input"] == str(world.text_file)
    assert report["payload"] == world.antibody_test
    with_bom = tmp_path / "bom.txt"
    with_bom.write_bytes(b"\xef\xbb\xbf" + world.antibody_test.encode() + b"\r\n")
    (report,) = json_reports(world, *at(world), str(with_bom), code=0)
    assert report["valid"] is True


def test_unreadable_files(world: World, tmp_path: Path) -> None:
    not_utf8 = tmp_path / "latin1.txt"
    not_utf8.write_bytes(b"HC1:\xe9\xe9")
    not_an_image = tmp_path / "broken.png"
    not_an_image.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    blank = tmp_path / "blank.png"
    from PIL import Image

    Image.new("L", (64, 64), 255).save(blank)
    found = json_reports(world, str(not_utf8), str(not_an_image), str(blank), code=1)
    assert [error_codes(report) for report in found] == [
        [codes.INPUT_UNREADABLE],
        [codes.QR_UNREADABLE],
        [codes.QR_UNREADABLE],
    ]
    assert [report["input"] for report in found] == [str(not_utf8), str(not_an_image), str(blank)]


def test_several_arguments_in_order(world: World) -> None:
    tampered = world.vaccination[:-12] + ("0" if world.vaccination[-12] != "0" else "1")
    tampered += world.vaccination[-11:]
    arguments = [
        world.vaccination,
        "not a certificate",
        str(world.png),
        str(world.text_file),
        tampered,
        world.antibody_test,
    ]
    found = json_reports(world, *at(world), *arguments, code=1)
    assert [report["input"] for report in found] == arguments
    assert [report["valid"] for report in found] == [True, False, True, True, False, True]
    assert error_codes(found[1]) == [codes.PREFIX_INVALID]
    assert found[4]["checks"]["decode"] is not True or not found[4]["checks"]["signature"]


def batch_bytes(world: World) -> tuple[bytes, list[list[str]]]:
    """A batch with a blank line, a line that is not UTF-8 and a bad payload, and the codes
    each line's report must carry."""
    lines = [
        world.vaccination.encode(),
        b"",
        b"HC1:\xff\xfe not utf-8",
        b"   ",
        b"HC1:NCFO",
        world.antibody_test.encode() + b"\r",
        b"shc:/0123",
    ]
    expected = [
        [],
        [codes.INPUT_EMPTY],
        [codes.INPUT_UNREADABLE],
        [codes.INPUT_EMPTY],
        [codes.BASE45_INVALID],
        [],
        None,  # another format, or none this verifier reads: any decode error
    ]
    return b"\n".join(lines) + b"\n", expected


def _check_batch(found: list[dict[str, Any]], expected: list[list[str] | None]) -> None:
    assert len(found) == len(expected)
    for report, codes_expected in zip(found, expected, strict=True):
        if codes_expected is None:
            assert report["valid"] is False and report["errors"]
        else:
            assert error_codes(report) == codes_expected, report
            assert report["valid"] is (not codes_expected)


def test_batch_file(world: World, tmp_path: Path) -> None:
    data, expected = batch_bytes(world)
    batch = tmp_path / "batch.txt"
    batch.write_bytes(data)
    found = json_reports(world, *at(world), "--batch", str(batch), code=1)
    _check_batch(found, expected)
    assert found[2]["input"].startswith("HC1:")  # labelled by what could be read of it


def test_batch_from_stdin(world: World) -> None:
    data, expected = batch_bytes(world)
    _check_batch(json_reports(world, *at(world), "--batch", "-", stdin=data, code=1), expected)


def test_batch_without_a_final_newline(world: World) -> None:
    data = (world.vaccination + "\n" + world.antibody_test).encode()
    found = json_reports(world, *at(world), "--batch", "-", stdin=data, code=0)
    assert len(found) == 2


def test_arguments_come_before_the_batch(world: World) -> None:
    data = (world.antibody_test + "\n").encode()
    found = json_reports(
        world, *at(world), world.vaccination, "--batch", "-", "bad", stdin=data, code=1
    )
    assert [report["input"] for report in found] == [world.vaccination, "bad", world.antibody_test]


def test_all_valid_batch_exits_zero(world: World) -> None:
    data = ((world.vaccination + "\n") * 3).encode()
    found = json_reports(world, *at(world), "--batch", "-", stdin=data, code=0)
    assert [report["valid"] for report in found] == [True] * 3


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_batch_leaves_the_collector_as_it_found_it(world: World, workers: str) -> None:
    """The batch freezes what was loaded and collects less often while it runs; a program that
    calls the command (these tests, say) gets its collector back as it was, nothing frozen."""
    before = gc.get_threshold()
    data = ((world.vaccination + "\n") * 3).encode()
    json_reports(world, *at(world), "--batch", "-", "--workers", workers, stdin=data, code=0)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_workers_give_the_same_output(world: World, tmp_path: Path) -> None:
    data, _ = batch_bytes(world)
    batch = tmp_path / "big.txt"
    batch.write_bytes(data * 90)  # 630 lines: several chunks per worker
    outputs = []
    for workers in ("1", "2"):
        result = invoke(
            world, "--json", *world.trust, *at(world), "--batch", str(batch), "--workers", workers
        )
        assert result.exit_code == 1
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert len(reports(result)) == 630


def test_workers_keep_argument_order(world: World) -> None:
    arguments = [world.vaccination, "x", world.antibody_test, "", str(world.text_file)] * 3
    outputs = []
    for workers in ("1", "2"):
        result = invoke(world, "--json", *world.trust, *at(world), "--workers", workers, *arguments)
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert [report["input"] for report in reports(result)] == arguments


# -- the clock --------------------------------------------------------------------------------


def test_at_with_and_without_offset(world: World) -> None:
    payload = world.antibody_test
    before = iso(world.issued_at - timedelta(hours=1))
    after = iso(world.issued_at + timedelta(hours=1))
    tokyo = (world.issued_at + timedelta(hours=1)).astimezone(timezone(timedelta(hours=9)))
    cases = {
        before + "Z": [codes.NOT_YET_VALID],
        before + "+00:00": [codes.NOT_YET_VALID],
        before: [codes.NOT_YET_VALID],
        after: [],  # no offset: UTC
        after + "Z": [],
        after.replace("T", " "): [],
        tokyo.isoformat(): [],
        iso(tokyo) + "-05:00": [],  # the Tokyo wall clock read in New York: 14 hours later
        iso(world.issued_at + timedelta(days=7, seconds=1)): [codes.EXPIRED],
        iso(world.issued_at) + "Z": [],  # iat == clock
    }
    for clock, expected in cases.items():
        (report,) = json_reports(world, "--at", clock, payload, code=1 if expected else 0)
        assert error_codes(report) == expected, clock


@pytest.mark.parametrize(
    "clock", ["yesterday", "2026-13-01", "2026-02-30T00:00:00", "", "12:00", "2026-01-01T25:00"]
)
def test_bad_at_is_a_usage_error(world: World, clock: str) -> None:
    result = invoke(world, *world.trust, "--at", clock, world.vaccination)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and "--at" in result.stderr


def test_at_without_offset_is_utc_whatever_the_local_zone(world: World) -> None:
    # One hour after issuance, read as UTC: valid. Read as Tokyo time it would be eight hours
    # before issuance, and as New York time it would still be valid: Tokyo tells them apart.
    clock = iso(world.issued_at + timedelta(hours=1))
    done = run_process(
        world, ["verify", "--json", *world.trust, "--at", clock, world.vaccination], TZ="Asia/Tokyo"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (report,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert report["valid"] is True


# -- exit codes and usage errors --------------------------------------------------------------


def test_no_inputs_is_a_usage_error(world: World) -> None:
    result = invoke(world)
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.startswith("error: ")


@pytest.mark.parametrize(
    "args",
    [
        ["--workers", "0", "x"],
        ["--workers", "many", "x"],
        ["--no-such-option", "x"],
        ["--batch"],
    ],
)
def test_option_errors_exit_two(world: World, args: list[str]) -> None:
    result = invoke(world, *args)
    assert result.exit_code == 2
    assert result.stdout == ""


def test_missing_batch_file_is_a_usage_error(world: World, tmp_path: Path) -> None:
    result = invoke(world, "--batch", str(tmp_path / "absent.txt"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "absent.txt" in result.stderr


def test_missing_trust_file_is_a_usage_error(world: World, tmp_path: Path) -> None:
    result = invoke(world, "--trust", str(tmp_path / "absent.pem"), world.vaccination)
    assert result.exit_code == 2
    assert result.stdout == "" and result.stderr.startswith("error: ")


def test_empty_batch_is_valid(world: World) -> None:
    result = invoke(world, "--json", "--batch", "-", stdin=b"")
    assert result.exit_code == 0
    assert result.stdout == ""


def test_no_passphrase_needed_to_verify(world: World) -> None:
    # invoke() removes HEALTHCERT_KEY_PASSPHRASE from the environment.
    result = invoke(world, *world.trust, *at(world), world.vaccination)
    assert result.exit_code == 0


def test_local_trust_store(world: World, tmp_path: Path) -> None:
    verifier_home = tmp_path / "verifier"
    result = invoke(world, "--json", *at(world), world.vaccination, home=verifier_home)
    assert result.exit_code == 1
    (report,) = reports(result)
    assert error_codes(report) == [codes.KID_UNKNOWN]
    env = {HOME_ENV: str(verifier_home)}
    added = runner.invoke(app, ["trust", "add", *world.trust[1::2]], env=env)
    assert added.exit_code == 0, added.output
    result = invoke(world, "--json", *at(world), world.vaccination, home=verifier_home)
    assert result.exit_code == 0, result.output


# -- what a person reads ----------------------------------------------------------------------


def verdicts(output: str) -> list[str]:
    """The title of every report panel, in order."""
    return re.findall(r"─ (VALID|NOT VALID) ─", output)


def test_human_output(world: World) -> None:
    tampered = world.vaccination.replace("HC1:", "HC2:", 1)
    result = invoke(
        world,
        *world.trust,
        *at(world, timedelta(days=8)),
        world.vaccination,
        world.antibody_test,
        tampered,
    )
    assert result.exit_code == 1
    out = result.stdout
    assert verdicts(out) == ["VALID", "NOT VALID", "NOT VALID"]
    assert codes.EXPIRED in out and codes.PREFIX_INVALID in out
    assert "WANG" in out or "王" in out
    assert result.stderr == ""


def test_human_output_of_an_unknown_signer(world: World, tmp_path: Path) -> None:
    result = invoke(world, *at(world), world.vaccination, home=tmp_path / "nobody")
    assert result.exit_code == 1
    assert verdicts(result.stdout) == ["NOT VALID"]
    assert codes.KID_UNKNOWN in result.stdout


def test_human_output_all_valid(world: World) -> None:
    result = invoke(world, *world.trust, *at(world), world.vaccination, str(world.text_file))
    assert result.exit_code == 0
    assert verdicts(result.stdout) == ["VALID", "VALID"]


# -- real processes ---------------------------------------------------------------------------


def run_process(
    world: World, args: list[Any], **extra_env: str
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != PASSPHRASE_ENV}
    environment.update({HOME_ENV: str(world.home), "COLUMNS": "200", **extra_env})
    done = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"healthcert", *args],
        capture_output=True,
        env=environment,
        timeout=120,
    )
    stdout = done.stdout.decode("utf-8")
    stderr = done.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    return subprocess.CompletedProcess(done.args, done.returncode, stdout, stderr)


def test_real_process_json_lines(world: World) -> None:
    args = [
        "verify",
        "--json",
        *world.trust,
        *at(world),
        world.vaccination,
        "nonsense",
        str(world.png),
    ]
    done = run_process(world, args)
    assert done.returncode == 1
    assert done.stderr == ""
    found = [json.loads(line) for line in done.stdout.splitlines()]
    assert [report["valid"] for report in found] == [True, False, True]
    assert error_codes(found[1]) == [codes.PREFIX_INVALID]
    assert found[2]["input"] == str(world.png)


def test_real_process_argument_that_is_not_utf8(world: World) -> None:
    args: list[Any] = [
        "verify",
        "--json",
        *world.trust,
        *at(world),
        b"HC1:\xff\xfe",
        world.vaccination,
    ]
    done = run_process(world, args)
    assert done.returncode == 1
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["valid"] is False and first["errors"]
    assert "\ufffd" in first["input"]
    assert second["valid"] is True


def test_real_process_batch_from_stdin(world: World) -> None:
    data, expected = batch_bytes(world)
    environment = {key: value for key, value in os.environ.items() if key != PASSPHRASE_ENV}
    environment[HOME_ENV] = str(world.home)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "healthcert",
            "verify",
            "--json",
            *world.trust,
            *at(world),
            "--batch",
            "-",
            "--workers",
            "2",
        ],
        input=data,
        capture_output=True,
        env=environment,
        timeout=120,
    )
    assert done.returncode == 1
    assert b"Traceback" not in done.stderr
    _check_batch([json.loads(line) for line in done.stdout.decode().splitlines()], expected)


@pytest.mark.parametrize("destination", ["pipe", "file"])
def test_real_process_workers_write_the_same_output_in_order(
    world: World, tmp_path: Path, destination: str
) -> None:
    """In a real process the workers write their reports to standard output themselves, in
    turn; whether it is a pipe or a file, the bytes are those one worker writes."""
    data, _ = batch_bytes(world)
    batch = tmp_path / "batch.txt"
    batch.write_bytes(data * 60)  # 420 lines: the parent's first 16, then chunks of 64 each
    outputs = []
    for workers in ("1", "2", "3"):
        args = ["verify", "--json", *world.trust, *at(world), "--batch", str(batch)]
        args += ["--workers", workers]
        if destination == "pipe":
            done = run_process(world, args)
            outputs.append(done.stdout)
        else:
            with (tmp_path / f"out{workers}.txt").open("wb") as out:
                env = {k: v for k, v in os.environ.items() if k != PASSPHRASE_ENV}
                env[HOME_ENV] = str(world.home)
                command = [sys.executable, "-m", "healthcert", *args]
                done = subprocess.run(command, stdout=out, env=env, timeout=120, check=False)
            outputs.append((tmp_path / f"out{workers}.txt").read_text(encoding="utf-8"))
        assert done.returncode == 1
    assert outputs[0] == outputs[1] == outputs[2]
    found = [json.loads(line) for line in outputs[0].splitlines()]
    assert len(found) == 420
    assert [report["input"] for report in found[:7]] == [report["input"] for report in found[7:14]]


# -- what a person reads ----------------------------------------------------------------------


def _panel(world: World, *args: str) -> str:
    env = {HOME_ENV: str(world.home), PASSPHRASE_ENV: None, "COLUMNS": "200"}
    result = runner.invoke(app, ["verify", *world.trust, *at(world), *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_panel_names_the_codes(world: World) -> None:
    shown = _panel(world, world.vaccination)
    assert "Comirnaty (EU/1/20/1528)" in shown
    assert "Biontech Manufacturing GmbH (ORG-100030215)" in shown
    assert "COVID-19 (840539006)" in shown
    assert "in CN (China)" in shown


def test_the_panel_names_the_codes_in_chinese(world: World) -> None:
    shown = _panel(world, "--lang", "zh", world.antibody_test)
    assert "IgG抗体检测 (94563-4)" in shown
    assert "检出 (260373001)" in shown
    assert "新冠肺炎 (840539006)" in shown
    assert "于 CN (中国) 采样" in shown
