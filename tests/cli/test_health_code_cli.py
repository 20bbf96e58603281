"""Health codes end to end: keys made by the commands, a code signed by the library call the
declarations service makes, and ``healthcert verify`` reading it as a traveller shows it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from healthcert.codec import qr
from healthcert.formats.health_code.model import Colour, HealthCode, HealthCodeHolder, Trip
from healthcert.issuance import issue_health_code
from healthcert.keys.signer import Signer
from healthcert.model.kinds import EntryKind

from .test_issue_cli import SECRET, error, invoke, ok, trust_files

# Beijing time: the local departure date is what --trip names.
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def consulate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A HEALTHCERT_HOME whose only DSC signs health codes, made by the commands."""
    home = tmp_path_factory.mktemp("consulate")
    assert "Created CSCA" in ok(home, "keys", "init", "--country", "CN")
    assert "Created DSC" in ok(home, "keys", "dsc", "--types", "health-code")
    return home


def departure() -> datetime:
    return (datetime.now(UTC) + timedelta(hours=30)).astimezone(BEIJING).replace(second=0)


def issued(home: Path, colour: Colour, when: datetime) -> str:
    signer = Signer.load(home, SECRET, kinds=[EntryKind.HEALTH_CODE])
    code = HealthCode(
        colour=colour,
        trip=Trip("DE", when, "CA931", "FRA", "CN", "Beijing"),
        holder=HealthCodeHolder(
            "王", "小明", "WANG", "XIAOMING", date(1985, 7, 21), "P", "CN", "E12345678"
        ),
        declaration_id="DECL-7",
    )
    return issue_health_code(code, signer, datetime.now(UTC))


def verify_args(home: Path, *args: str) -> list[str]:
    trust = [part for path in trust_files(home) for part in ("--trust", str(path))]
    return ["verify", *trust, *args]


def test_a_green_code_is_shown_and_accepted(consulate: Path) -> None:
    payload = issued(consulate, Colour.GREEN, departure())
    shown = " ".join(ok(consulate, *verify_args(consulate, payload)).split())
    for part in (
        "VALID · GREEN approved for this trip",
        "format health-code",
        "王, 小明 (WANG<<XIAOMING), born 1985-07-21",
        "document P E12345678 (CN)",
        "trip CA931 departing",
        "route Beijing, CN -> DE at FRA",
        "declaration DECL-7",
    ):
        assert part in shown


@pytest.mark.parametrize("colour", [Colour.YELLOW, Colour.RED])
def test_a_genuine_yellow_or_red_code_is_valid_but_not_accepted(
    consulate: Path, colour: Colour
) -> None:
    payload = issued(consulate, colour, departure())
    result = invoke(consulate, *verify_args(consulate, "--json", payload))
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert (report["valid"], report["verdict"], report["errors"]) == (True, colour.value, [])
    assert report["certificate"]["holder"]["document_number"] == "E12345678"
    assert report["trip"]["transport"] == "CA931"


def test_the_trip_is_checked(consulate: Path) -> None:
    when = departure()
    payload = issued(consulate, Colour.GREEN, when)
    day = when.date().isoformat()
    ok(consulate, *verify_args(consulate, "--trip", f"CA931@{day}", payload))
    other_day = (when.date() + timedelta(days=1)).isoformat()
    result = invoke(
        consulate, *verify_args(consulate, "--json", "--trip", f"CA931@{other_day}", payload)
    )
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [item["code"] for item in report["errors"]] == ["TRIP_MISMATCH"]
    assert report["checks"]["trip"] is False


@pytest.mark.parametrize("trip", ["CA931", "CA931@2026-02-30", "CA931@tomorrow"])
def test_a_malformed_trip_is_a_usage_error(consulate: Path, trip: str) -> None:
    message = error(2, consulate, *verify_args(consulate, "--trip", trip, "HCD1:x"))
    assert "--trip" in message


def test_the_qr_image_is_verified(consulate: Path, tmp_path: Path) -> None:
    payload = issued(consulate, Colour.GREEN, departure())
    image = tmp_path / "code.png"
    qr.render(payload, image)
    report = json.loads(ok(consulate, *verify_args(consulate, "--json", str(image))))
    assert (report["valid"], report["verdict"], report["payload"]) == (True, "green", payload)


def test_the_health_code_dsc_signs_no_certificate(consulate: Path) -> None:
    assert "may not sign vaccination certificates" in error(
        2,
        consulate,
        "issue",
        "--json",
        str(Path(__file__).parents[2] / "examples" / "request-vaccination.json"),
    )


def test_a_dsc_for_an_unknown_kind_is_refused(consulate: Path) -> None:
    message = error(2, consulate, "keys", "dsc", "--types", "travel")
    assert "use vaccination, test, recovery and/or health-code" in message
