"""EU DCC iat and exp claims that are no time datetime can hold.

Claims are kept as POSIX seconds and bounded by hand to datetime's years 1 to 9999; a value
outside (a bignum, a NaN, a bool, which is an int in Python) is a claim the verifier cannot
read. It fails the validity period (CLAIMS_INVALID), never counts as a missing bound, never
stops verification and never reaches the report as a time.
"""

from __future__ import annotations

import json
import math
import zlib
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from healthcert import report as codes
from healthcert import verification
from healthcert.codec import base45, cose
from healthcert.formats.base import VerificationContext, utc_text
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.signer import Signer, signer_from
from healthcert.report import Report
from healthcert.trust.certificates import read_facts, trusted_key
from healthcert.trust.store import ImportBatch, TrustStore

DCC_EXAMPLE = (
    Path(__file__).parents[1] / "data" / "eu-dcc-schema-examples" / "vaccination" / "simple.json"
)
# The DSC is valid from ISSUED for a year; the clock sits inside that year.
ISSUED = datetime(2026, 1, 1, tzinfo=UTC)
CLOCK = datetime(2026, 6, 1, tzinfo=UTC)
FIRST_SECOND = -62135596800  # 0001-01-01T00:00:00Z
LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z


@cache
def signer() -> Signer:
    csca = create_csca("DE", now=ISSUED)
    return signer_from(create_dsc(csca, now=ISSUED, days=365))


@cache
def context() -> VerificationContext:
    facts = read_facts(signer().certificate.public_bytes(Encoding.DER))
    store = TrustStore()
    store.add_batch(ImportBatch(keys=[trusted_key(facts, "test DSC")]))
    return verification.context(store, CLOCK)


def payload(**times: Any) -> str:
    """An HC1 payload whose CWT holds exactly the given iat and exp (by name), signed."""
    dcc = json.loads(DCC_EXAMPLE.read_text(encoding="utf-8"))
    claims: dict[int, Any] = {eu_dcc.CLAIM_ISS: "DE"}
    if "iat" in times:
        claims[eu_dcc.CLAIM_IAT] = times["iat"]
    if "exp" in times:
        claims[eu_dcc.CLAIM_EXP] = times["exp"]
    claims[eu_dcc.CLAIM_HCERT] = {eu_dcc.HCERT_DCC: dcc}
    signed = cose.sign(cbor2.dumps(claims), signer())
    return eu_dcc.PREFIX + base45.encode(zlib.compress(signed))


def verified(text: str) -> Report:
    return verification.verify_payload(text, context())


def test_the_payload_is_sound_with_ordinary_claims() -> None:
    # Without this, a report without iat/exp below could be a report that never got that far.
    iat, exp = int(ISSUED.timestamp()) + 86400, int(CLOCK.timestamp()) + 86400
    report = verified(payload(iat=iat, exp=exp))
    assert report.valid, report.errors
    assert report.extra == {"iat": "2026-01-02T00:00:00Z", "exp": "2026-06-02T00:00:00Z"}


OUT_OF_RANGE: dict[str, Any] = {
    "2**70": 2**70,  # a CBOR bignum (tag 2), which cbor2 gives back as an int
    "-2**70": -(2**70),
    "2**64-1": 2**64 - 1,  # the largest plain CBOR unsigned integer
    "last+1": LAST_SECOND + 1,
    "first-1": FIRST_SECOND - 1,
    "last+1.0": LAST_SECOND + 1.0,
    "first-0.5": FIRST_SECOND - 0.5,
    "nan": math.nan,
    "inf": math.inf,
    "-inf": -math.inf,
    "true": True,  # a bool is an int to isinstance, but not a time
    "false": False,
    "null": None,
    "text": "1780000000",
    "other-tag": cbor2.CBORTag(6, 1780000000),
    "array": [1780000000],
}


SOUND = {"iat": int(ISSUED.timestamp()) + 86400, "exp": int(CLOCK.timestamp()) + 86400}


@pytest.mark.parametrize("value", OUT_OF_RANGE.values(), ids=OUT_OF_RANGE.keys())
@pytest.mark.parametrize("claims", [("iat",), ("exp",), ("iat", "exp")], ids=["iat", "exp", "both"])
def test_a_claim_time_out_of_range_is_refused_not_absent(
    claims: tuple[str, ...], value: Any
) -> None:
    times = {**SOUND, **dict.fromkeys(claims, value)}
    report = verified(payload(**times))
    assert report.format == "eu-dcc"
    # The sound claim is still recorded; the odd one never reaches the report as a time.
    assert report.extra == {
        name: utc_text(seconds) for name, seconds in SOUND.items() if name not in claims
    }
    # Not a bound the clock may stand in for: the certificate is not valid, and each claim
    # says why.
    assert report.error_codes == [codes.CLAIMS_INVALID] * len(claims)
    for name, error in zip(claims, report.errors, strict=True):
        assert error.message.startswith(f"the {name} claim ")
    assert report.checks == {
        "decode": True,
        "schema": True,
        "signature": True,
        "validity_period": False,
        "key_usage": True,
    }
    assert not report.valid
    # The report still serialises: no NaN or bignum leaked into it.
    json.loads(report.json_line())


@pytest.mark.parametrize("claim", ["iat", "exp"])
def test_in_a_batch_an_odd_claim_touches_no_other_report(claim: str) -> None:
    odd = payload(**{**SOUND, claim: math.nan})
    sound = payload(iat=int(ISSUED.timestamp()), exp=int(CLOCK.timestamp()) + 86400)
    reports = verification.verify_payloads([(sound, None), (odd, None), (sound, None)], context())
    assert [report.valid for report in reports] == [True, False, True]
    assert reports[1].error_codes == [codes.CLAIMS_INVALID]
    assert (
        reports[0].extra
        == reports[2].extra
        == {
            "iat": "2026-01-01T00:00:00Z",
            "exp": "2026-06-02T00:00:00Z",
        }
    )
    assert reports[1].extra == {
        name: utc_text(seconds) for name, seconds in SOUND.items() if name != claim
    }


@pytest.mark.parametrize(
    ("times", "extra", "errors"),
    [
        (
            {"iat": FIRST_SECOND, "exp": FIRST_SECOND},
            {"iat": "0001-01-01T00:00:00Z", "exp": "0001-01-01T00:00:00Z"},
            [
                (codes.EXPIRED, "expired at 0001-01-01T00:00:00Z"),
                (codes.DSC_NOT_YET_VALID, "signed before its signer certificate was valid"),
            ],
        ),
        (
            {"iat": LAST_SECOND, "exp": LAST_SECOND},
            {"iat": "9999-12-31T23:59:59Z", "exp": "9999-12-31T23:59:59Z"},
            [
                (codes.NOT_YET_VALID, "issued at 9999-12-31T23:59:59Z, after the clock"),
                (codes.DSC_EXPIRED, "valid beyond the end of its signer certificate"),
            ],
        ),
        (
            {"iat": float(LAST_SECOND), "exp": LAST_SECOND},
            {"iat": "9999-12-31T23:59:59Z", "exp": "9999-12-31T23:59:59Z"},
            [
                (codes.NOT_YET_VALID, "issued at 9999-12-31T23:59:59Z, after the clock"),
                (codes.DSC_EXPIRED, "valid beyond the end of its signer certificate"),
            ],
        ),
    ],
    ids=["first-second", "last-second", "last-second-float"],
)
def test_the_first_and_last_seconds_of_datetime_are_times(
    times: dict[str, Any], extra: dict[str, str], errors: list[tuple[str, str]]
) -> None:
    # The edges of the accepted span are inclusive; each bound then fails on its own code.
    report = verified(payload(**times))
    assert report.extra == extra
    assert [(error.code, error.message) for error in report.errors] == errors
    assert report.checks["validity_period"] is False
    assert report.checks["signature"] is True


# Floats that are not whole: ones within half a microsecond below a second, which datetime
# rounds up to it, a half, and tiny ones on both sides of the epoch.
FRACTIONAL = [1780000000.9999996, 1.9999999, 1780000000.5, -0.5, 1e-7, -1e-7, -0.9999996]


@pytest.mark.parametrize("seconds", FRACTIONAL)
def test_fractional_claims_are_written_as_datetime_writes_them(seconds: float) -> None:
    # Before claims stayed in seconds they were datetimes, rounded to the microsecond: the
    # report's text must not move to another second for a float claim.
    assert not seconds.is_integer()  # a literal may round to a whole float: not here
    report = verified(payload(iat=seconds))
    when = datetime.fromtimestamp(seconds, tz=UTC)
    assert report.extra == {"iat": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
