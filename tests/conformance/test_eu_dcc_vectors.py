"""The EU DCC test vectors (tests/data/eu-dcc, Apache-2.0), every case, every expectation.

Each EXPECTED* flag present in a case must agree with healthcert's report, verified with the
case's TESTCTX.CERTIFICATE as the only trusted key and its VALIDATIONCLOCK as the clock.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from healthcert import report as codes
from healthcert import verification
from healthcert.codec.qr import QrError, read_image, render
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.report import Report
from healthcert.trust.certificates import UnusableCertificate, read_facts, trusted_key
from healthcert.trust.store import ImportBatch, TrustStore

VECTORS = Path(__file__).parent.parent / "data" / "eu-dcc"
CASES = sorted(VECTORS.rglob("*.json"))

# Upstream cases whose expectation contradicts the specification they test, with the reason.
_PL_6 = (
    "the payload is signed by a recovery DSC whose kid is not in TESTCTX (which holds a "
    "vaccination DSC); the key usage of a signer the verifier does not have cannot be "
    "computed, so healthcert reports key_usage null with KID_UNKNOWN, not true"
)
_PL_JSON = (
    "the case's JSON describes another person than its payload (other names and date of "
    "birth), so the payload cannot match it"
)
_PL_CODES = (
    "a code outside its value set (device 9999, country XY, manufacturer ORG-99999999) is "
    "valid under schema 1.3.3, which names value sets without constraining codes; membership "
    "is for the business rules (ES 1101 and 1103 expect the same schema to accept such codes)"
)
# Upstream expectations that contradict the specification or the case's own data, each with
# the reason. The test asserts that healthcert indeed disagrees, so a fixed vector shows up.
KNOWN_WRONG: dict[tuple[str, str], str] = {
    ("common/2DCode/raw/CO15.json", "EXPECTEDKEYUSAGE"): (
        "the DSC's extendedKeyUsage extension is an empty SEQUENCE, which RFC 5280 forbids "
        "(SIZE (1..MAX)); the certificate does not parse, and healthcert will not guess the "
        "key usage of a certificate it cannot read"
    ),
    ("PL/1.0.0/2DCode/raw/6.json", "EXPECTEDKEYUSAGE"): _PL_6,
    ("PL/1.2.1/2DCode/raw/6.json", "EXPECTEDKEYUSAGE"): _PL_6,
    ("PL/1.3.0/2DCode/raw/6.json", "EXPECTEDKEYUSAGE"): _PL_6,
    **{
        (f"PL/{version}/2DCode/raw/{case}.json", "EXPECTEDSCHEMAVALIDATION"): _PL_CODES
        for version in ("1.0.0", "1.2.1", "1.3.0")
        for case in (7, 8, 9)
    },
    ("SK/2DCode/raw/3.json", "EXPECTEDSCHEMAVALIDATION"): (
        "the DCC holds two vaccination entries; schema 1.3.3 (maxItems 1) and the hcert "
        "specification allow one entry per certificate"
    ),
    ("PL/1.3.0/2DCode/raw/1.json", "EXPECTEDVALIDJSON"): _PL_JSON,
    ("PL/1.3.0/2DCode/raw/5.json", "EXPECTEDVALIDJSON"): _PL_JSON,
    ("FR/2DCode/raw/test_pcr_ok.json", "EXPECTEDVALIDJSON"): (
        "the case's JSON gives the sample and result times two hours earlier than its payload "
        "(14:34:56Z in the payload, 12:34:56Z in the JSON): a time-zone slip upstream"
    ),
}


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def _case_id(path: Path) -> str:
    return str(path.relative_to(VECTORS))


def _trust(context: dict[str, Any]) -> TrustStore:
    """The case's certificate, trusted as the DSC it is meant to be (some are self-signed)."""
    store = TrustStore()
    certificate = context.get("CERTIFICATE")
    if certificate:
        try:
            facts = read_facts(base64.b64decode(certificate))
        except UnusableCertificate:
            return store
        store.add_batch(ImportBatch(keys=[trusted_key(facts, "TESTCTX.CERTIFICATE")]))
    return store


def _clock(context: dict[str, Any]) -> datetime | None:
    text = context.get("VALIDATIONCLOCK")
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _report(case: dict[str, Any]) -> Report:
    """The report on the case's payload; a TESTCTX certificate that cannot be read is no
    trust at all, as it would be in a verifier."""
    context = case["TESTCTX"]
    ctx = verification.context(_trust(context), _clock(context))
    return verification.verify_payload(case.get("PREFIX", ""), ctx)


def _decoded_dcc(payload: str) -> Any:
    return eu_dcc.decode(payload).dcc


def _plain(value: Any) -> Any:
    """Compare as JSON would, and date-times as instants ('Z' and '+00:00' are one time)."""
    return _instants(json.loads(json.dumps(value, default=dict)))


def _instants(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _instants(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_instants(item) for item in value]
    if isinstance(value, str) and "T" in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def test_the_vectors_are_all_here() -> None:
    assert len(CASES) == 206


@pytest.mark.parametrize("path", CASES, ids=_case_id)
def test_case(path: Path, tmp_path: Path) -> None:
    case_id = _case_id(path)
    case = _load(path)
    expected: dict[str, bool] = case["EXPECTEDRESULTS"]
    report = _report(case)
    for flag, value in expected.items():
        if (case_id, flag) in KNOWN_WRONG:
            with pytest.raises(AssertionError):
                _check_flag(flag, value, path, case, report, tmp_path)
        else:
            _check_flag(flag, value, path, case, report, tmp_path)


def _check_flag(
    flag: str, value: bool, path: Path, case: dict[str, Any], report: Report, tmp_path: Path
) -> None:
    step_codes = {
        "EXPECTEDUNPREFIX": codes.PREFIX_INVALID,
        "EXPECTEDB45DECODE": codes.BASE45_INVALID,
        "EXPECTEDCOMPRESSION": codes.DECOMPRESS_FAILED,
    }
    checks = {
        "EXPECTEDDECODE": "decode",
        "EXPECTEDVALIDOBJECT": "decode",
        "EXPECTEDSCHEMAVALIDATION": "schema",
        "EXPECTEDVERIFY": "signature",
        "EXPECTEDEXPIRATIONCHECK": "validity_period",
        "EXPECTEDKEYUSAGE": "key_usage",
    }
    detail = f"{flag}={value}: checks {report.checks}, errors {report.error_codes}"
    if flag in step_codes:
        assert report.has_error(step_codes[flag]) is (not value), detail
        if not value:
            assert report.checks["decode"] is False, detail
    elif flag in checks:
        # A failed expectation is met by a check that failed or could not be computed (null):
        # either way the certificate is not accepted.
        outcome = report.checks[checks[flag]]
        assert (outcome is True) is value, detail
        if not value:
            assert not report.valid, detail
    elif flag == "EXPTECTEDEXPIRED":  # upstream's misspelling of EXPECTEDEXPIRATIONCHECK
        assert report.checks["validity_period"] is value, detail
    elif flag in ("EXPECTEDVALIDJSON", "EXPECTEDENCODE"):
        _check_json(value, case, report)
    elif flag == "EXPECTEDPICTUREDECODE":
        _check_picture(value, path, case, tmp_path)
    elif flag == "EXPECTEDRESULTS":  # an upstream summary flag: the whole case is as expected
        assert report.checks["decode"] is value, detail
    else:
        pytest.fail(f"unknown expectation {flag}")


def _check_json(value: bool, case: dict[str, Any], report: Report) -> None:
    """The DCC inside the payload is the case's JSON (and so encodes to the same CBOR)."""
    if "JSON" not in case:
        assert report.checks["decode"] is value
        return
    decoded = report.checks["decode"] is True
    matches = decoded and _plain(_decoded_dcc(case["PREFIX"])) == _plain(case["JSON"])
    assert matches is value


def _picture(path: Path, case: dict[str, Any], tmp_path: Path) -> bytes:
    """The case's PNG: inline as 2DCODE, or beside the raw folder as png/<name>.png. A few
    cases ship no picture at all; for them the payload is rendered here, so the flag still
    checks that the payload survives a QR code."""
    if "2DCODE" in case:
        return base64.b64decode(case["2DCODE"])
    beside = path.parent.parent / "png" / f"{path.stem}.png"
    if beside.exists():
        return beside.read_bytes()
    rendered = tmp_path / "rendered.png"
    render(case["PREFIX"], rendered)
    return rendered.read_bytes()


def _check_picture(value: bool, path: Path, case: dict[str, Any], tmp_path: Path) -> None:
    try:
        texts = read_image(_picture(path, case, tmp_path))
    except QrError:
        texts = []
    assert (case["PREFIX"] in texts) is value, f"read {texts!r}"
