"""Claims that are present but unreadable are refused, in every format: never counted as absent.

Every time claim of every format gets every kind of wrong value its encoding can carry, in a
payload really signed by a trusted key: the report must not be valid, must name the claim with
the exact code and message, and must fail the validity period. The other checks still pass, so
the refusal is the claim's alone. A sound claim still verifies, and a forged signature is still
refused whatever the claims hold.

CBOR (HC1) carries text, tags, booleans, floats out of range, NaN, arrays, maps, byte strings,
null and integers out of range. JSON (SMART Health Cards, VDS-NC) has no tags or byte strings,
and orjson refuses NaN and infinities as the JSON they are not: those payloads do not decode.
"""

from __future__ import annotations

import json
import math
import zlib
from typing import Any

import cbor2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from healthcert import report as codes
from healthcert import verification
from healthcert.codec import base45, cose
from healthcert.formats.base import VerificationContext
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.report import Report
from healthcert.trust.store import TrustStore
from tests.formats import test_eu_dcc_claim_times as hc1_fixture
from tests.formats import test_shc_verify_paths as shc_fixture
from tests.formats import test_vdsnc as vdsnc_fixture

FIRST_SECOND = -62135596800  # 0001-01-01T00:00:00Z
LAST_SECOND = 253402300799  # 9999-12-31T23:59:59Z
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

NOT_SECONDS = ", not a number of seconds since 1970"
OUTSIDE = "is a number of seconds outside the years 1 to 9999"
NAN = "is NaN, not a time"


def _time_words(value: Any, noun: str) -> str:
    """What the message says of a time claim: a number by its value, the rest by its kind."""
    if type(value) in (int, float):
        return NAN if value != value else OUTSIDE
    return f"holds {noun}{NOT_SECONDS}"


# Each wrong value with the noun the messages use for its kind. Tags are those the decoder
# reads as the bare value they wrap (0, 1, 100, 1004 for dates; 2 a bignum; 28, 256, 55799
# marks) and others it keeps: around a time in range, each would pass for one untagged.
_IN_RANGE = st.integers(0, 2**32)
_TAGS = [0, 1, 6, 28, 100, 256, 1004, 55799, 4000]
_OUT_OF_RANGE_FLOATS = st.one_of(
    st.floats(min_value=LAST_SECOND + 1, allow_nan=False),
    st.floats(max_value=FIRST_SECOND - 1, allow_nan=False),
)
_OUT_OF_RANGE_INTS = st.one_of(
    st.integers(LAST_SECOND + 1, 2**64 - 1), st.integers(-(2**64), FIRST_SECOND - 1)
)
CBOR_WRONG: st.SearchStrategy[tuple[Any, str]] = st.one_of(
    st.text(max_size=12).map(lambda value: (value, "text")),
    st.tuples(st.sampled_from(_TAGS), _IN_RANGE).map(
        lambda pair: (cbor2.CBORTag(*pair), f"CBOR tag {pair[0]}")
    ),
    _IN_RANGE.map(lambda value: (cbor2.CBORTag(2, value.to_bytes(5, "big")), "CBOR tag 2")),
    st.booleans().map(lambda value: (value, "a boolean")),
    _OUT_OF_RANGE_FLOATS.map(lambda value: (value, "a floating-point number")),
    st.just((math.nan, "a floating-point number")),
    st.lists(_IN_RANGE, max_size=3).map(lambda value: (value, "an array")),
    st.dictionaries(st.integers(0, 9), _IN_RANGE, max_size=3).map(lambda value: (value, "a map")),
    st.binary(max_size=8).map(lambda value: (value, "a byte string")),
    st.just((None, "null")),
    _OUT_OF_RANGE_INTS.map(lambda value: (value, "an integer")),
)
JSON_WRONG: st.SearchStrategy[tuple[Any, str]] = st.one_of(
    st.text(max_size=12).map(lambda value: (value, "text")),
    st.booleans().map(lambda value: (value, "a boolean")),
    st.one_of(st.floats(min_value=1e12, max_value=1e300), st.floats(-1e300, -1e12)).map(
        lambda value: (value, "a floating-point number")
    ),
    st.integers(LAST_SECOND + 1, 2**63).map(lambda value: (value, "an integer")),
    st.lists(_IN_RANGE, max_size=3).map(lambda value: (value, "an array")),
    st.dictionaries(st.text(max_size=3), _IN_RANGE, max_size=3).map(lambda value: (value, "a map")),
    st.just((None, "null")),
)


def _expect_refused(report: Report, code: str, message: str, check: str) -> None:
    assert not report.valid
    assert [(error.code, error.message) for error in report.errors] == [(code, message)]
    assert report.checks[check] is False
    assert report.checks["decode"] is True and report.checks["signature"] is True
    json.loads(report.json_line())  # whatever the claim held, the report is strict JSON


# --- EU DCC (HC1) ------------------------------------------------------------------------------

HC1_SOUND = hc1_fixture.SOUND


def _hc1(**claims: Any) -> Report:
    return hc1_fixture.verified(hc1_fixture.payload(**claims))


@SETTINGS
@given(claim=st.sampled_from(["iat", "exp"]), wrong=CBOR_WRONG)
@example(claim="exp", wrong=(None, "null"))
@example(claim="exp", wrong=(cbor2.CBORTag(1, 1780000000), "CBOR tag 1"))
@example(claim="exp", wrong=(cbor2.CBORTag(55799, 1780000000), "CBOR tag 55799"))
@example(claim="iat", wrong=(cbor2.CBORTag(100, 20000), "CBOR tag 100"))
@example(claim="exp", wrong=("1780000000", "text"))
@example(claim="exp", wrong=(True, "a boolean"))
@example(claim="exp", wrong=(math.nan, "a floating-point number"))
def test_an_hc1_time_claim_of_any_wrong_kind_is_refused(claim: str, wrong: tuple[Any, str]) -> None:
    value, noun = wrong
    report = _hc1(**{**HC1_SOUND, claim: value})
    message = f"the {claim} claim {_time_words(value, noun)}"
    _expect_refused(report, codes.CLAIMS_INVALID, message, "validity_period")
    assert claim not in report.extra


@SETTINGS
@given(wrong=CBOR_WRONG)
def test_an_hc1_issuer_that_is_not_text_breaks_the_cwt_schema(wrong: tuple[Any, str]) -> None:
    value, noun = wrong
    if isinstance(value, str):
        return  # text is what iss is
    document = {1: value, 4: HC1_SOUND["exp"], 6: HC1_SOUND["iat"], -260: {1: _dcc()}}
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps(document)))
    _expect_refused(
        report, codes.SCHEMA_INVALID, f"the CWT's iss claim holds {noun}, not text", "schema"
    )
    assert report.checks["validity_period"] is True
    assert report.issuer["country"] is None


def test_a_tagged_text_issuer_is_no_text() -> None:
    document = {1: cbor2.CBORTag(0, "DE"), 4: HC1_SOUND["exp"], 6: HC1_SOUND["iat"]}
    dcc = json.loads(hc1_fixture.DCC_EXAMPLE.read_text(encoding="utf-8"))
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps({**document, -260: {1: dcc}})))
    assert report.error_codes == [codes.SCHEMA_INVALID]
    assert report.errors[0].message == "the CWT's iss claim holds CBOR tag 0, not text"


def _hc1_text(claims_bytes: bytes, *, forged: bool = False) -> str:
    signed = bytearray(cose.sign(claims_bytes, hc1_fixture.signer()))
    if forged:
        signed[-1] ^= 1  # the last byte of the signature
    return eu_dcc.PREFIX + base45.encode(zlib.compress(bytes(signed)))


def test_a_tag_around_a_claim_key_names_no_claim() -> None:
    # 1(4) is not the key 4: the CWT has no exp, however the decoder reads the key.
    dcc = json.loads(hc1_fixture.DCC_EXAMPLE.read_text(encoding="utf-8"))
    document = {
        1: "DE",
        cbor2.CBORTag(1, 4): HC1_SOUND["exp"],
        6: HC1_SOUND["iat"],
        -260: {1: dcc},
    }
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps(document)))
    assert [(error.code, error.message) for error in report.errors] == [
        (codes.CLAIM_MISSING, "the exp claim is required and absent")
    ]


def test_hc1_requires_exp_and_iat() -> None:
    for missing in ("iat", "exp"):
        present = {name: value for name, value in HC1_SOUND.items() if name != missing}
        report = _hc1(**present)
        _expect_refused(
            report,
            codes.CLAIM_MISSING,
            f"the {missing} claim is required and absent",
            "validity_period",
        )
    report = _hc1()
    assert report.error_codes == [codes.CLAIM_MISSING, codes.CLAIM_MISSING]


@SETTINGS
@given(
    iat=st.one_of(
        st.integers(int(hc1_fixture.ISSUED.timestamp()), int(hc1_fixture.CLOCK.timestamp())),
        st.floats(hc1_fixture.ISSUED.timestamp(), hc1_fixture.CLOCK.timestamp()),
    ),
    days=st.integers(0, 200),
)
def test_sound_hc1_claims_still_verify(iat: float, days: int) -> None:
    exp = int(hc1_fixture.CLOCK.timestamp()) + days * 3600
    report = _hc1(iat=iat, exp=exp)
    assert report.valid, report.errors


@SETTINGS
@given(wrong=st.one_of(st.none(), CBOR_WRONG))
def test_a_forged_hc1_is_refused_whatever_its_claims(wrong: tuple[Any, str] | None) -> None:
    dcc = json.loads(hc1_fixture.DCC_EXAMPLE.read_text(encoding="utf-8"))
    exp = HC1_SOUND["exp"] if wrong is None else wrong[0]
    document = {1: "DE", 4: exp, 6: HC1_SOUND["iat"], -260: {1: dcc}}
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps(document), forged=True))
    assert not report.valid
    assert report.checks["signature"] is False
    expected = [codes.SIGNATURE_INVALID] + ([] if wrong is None else [codes.CLAIMS_INVALID])
    assert report.error_codes == expected


def test_hc1_batches_refuse_as_single_payloads_do() -> None:
    payloads = [
        hc1_fixture.payload(**HC1_SOUND),
        hc1_fixture.payload(**{**HC1_SOUND, "exp": "2026-07-01"}),
        hc1_fixture.payload(iat=HC1_SOUND["iat"]),
        hc1_fixture.payload(**{**HC1_SOUND, "iat": cbor2.CBORTag(1, HC1_SOUND["iat"])}),
    ]
    context = hc1_fixture.context()
    batch = verification.verify_payloads([(text, None) for text in payloads], context)
    alone = [verification.verify_payload(text, context) for text in payloads]
    assert [report.to_dict() for report in batch] == [report.to_dict() for report in alone]
    assert [report.error_codes for report in batch] == [
        [],
        [codes.CLAIMS_INVALID],
        [codes.CLAIM_MISSING],
        [codes.CLAIMS_INVALID],
    ]


def test_an_hc1_kid_that_is_no_byte_string_is_named() -> None:
    claims_bytes = cbor2.dumps(
        {1: "DE", 4: HC1_SOUND["exp"], 6: HC1_SOUND["iat"], -260: {1: _dcc()}}
    )
    kid = hc1_fixture.signer().kid
    for protected, unprotected, code, message in [
        ({1: -7, 4: kid.hex()}, {}, codes.HEADER_INVALID, "the COSE kid holds text"),
        # A null kid in the protected header is no licence to read the unprotected one.
        ({1: -7, 4: None}, {4: kid}, codes.HEADER_INVALID, "the COSE kid holds null"),
        ({1: -7}, {}, codes.KID_UNKNOWN, "neither COSE header carries a kid"),
    ]:
        report = hc1_fixture.verified(_hand_signed(claims_bytes, protected, unprotected))
        assert report.error_codes == [code]
        assert report.errors[0].message.startswith(message)
        assert report.checks["signature"] is False
    good = _hand_signed(claims_bytes, {1: -7}, {4: kid})  # the kid may be unprotected
    assert hc1_fixture.verified(good).valid


def test_an_hc1_algorithm_of_any_size_is_named_briefly() -> None:
    claims_bytes = cbor2.dumps(
        {1: "DE", 4: HC1_SOUND["exp"], 6: HC1_SOUND["iat"], -260: {1: _dcc()}}
    )
    kid = hc1_fixture.signer().kid
    for algorithm, shown in [
        (2**4000, "an integer beyond 64 bits"),  # too long for str() to write
        ("ES256", "text"),
        ([-7] * 500, "an array"),
        (-8, "-8"),
    ]:
        report = hc1_fixture.verified(_hand_signed(claims_bytes, {1: algorithm, 4: kid}, {}))
        assert [(error.code, error.message) for error in report.errors] == [
            (codes.ALG_UNSUPPORTED, f"COSE algorithm {shown} is not ES256 (-7) or PS256 (-37)")
        ]


def _dcc() -> Any:
    return json.loads(hc1_fixture.DCC_EXAMPLE.read_text(encoding="utf-8"))


def _hand_signed(
    claims_bytes: bytes, protected: dict[Any, Any], unprotected: dict[Any, Any]
) -> str:
    """A COSE_Sign1 with the given headers, signed by the trusted DSC's key."""
    protected_raw = cbor2.dumps(protected)
    signature = hc1_fixture.signer().sign(cose.signed_bytes(protected_raw, claims_bytes))
    sign1 = cbor2.CBORTag(18, [protected_raw, unprotected, claims_bytes, signature])
    return eu_dcc.PREFIX + base45.encode(zlib.compress(cbor2.dumps(sign1)))


# --- SMART Health Cards ------------------------------------------------------------------------

SHC_CLAIMS = shc_fixture.CLAIMS  # nbf 2024-03-01, no exp; the clock is 2024-03-02


def _shc_context() -> VerificationContext:
    issuers = ShcIssuers()
    key = shc.issuer_jwk(shc_fixture.KEY.public_key())
    issuers.add_jwks(shc_fixture.ISS, {"keys": [key]}, country="DE")
    return VerificationContext(trust=TrustStore(), clock=shc_fixture.CLOCK, shc_issuers=issuers)


def _shc_both_ways(card: str) -> Report:
    """The card verified alone and in a batch between two sound cards: the same report."""
    context = _shc_context()
    alone = Report(input="card")
    shc.verify_into(alone, card, context)
    sound = shc_fixture._token(shc_fixture.HEADER, SHC_CLAIMS)
    batch = [Report(input="card") for _ in range(3)]
    shc.verify_many(list(zip(batch, [sound, card, sound], strict=True)), context)
    assert batch[1].to_dict() == alone.to_dict()
    assert batch[0].valid and batch[2].valid
    return alone


@SETTINGS
@given(claim=st.sampled_from(["nbf", "exp"]), wrong=JSON_WRONG)
@example(claim="exp", wrong=(None, "null"))
@example(claim="nbf", wrong=("1709283600", "text"))
@example(claim="exp", wrong=(False, "a boolean"))
@example(claim="exp", wrong=(1e300, "a floating-point number"))
def test_a_card_time_claim_of_any_wrong_kind_is_refused(claim: str, wrong: tuple[Any, str]) -> None:
    value, noun = wrong
    card = shc_fixture._token(shc_fixture.HEADER, {**SHC_CLAIMS, claim: value})
    report = _shc_both_ways(card)
    message = f"the {claim} claim {_time_words(value, noun)}"
    _expect_refused(report, codes.CLAIMS_INVALID, message, "validity_period")


def test_a_card_exp_of_null_is_not_a_card_without_exp() -> None:
    report = _shc_both_ways(shc_fixture._token(shc_fixture.HEADER, {**SHC_CLAIMS, "exp": None}))
    _expect_refused(
        report, codes.CLAIMS_INVALID, f"the exp claim holds null{NOT_SECONDS}", "validity_period"
    )


def test_a_card_without_nbf_is_refused_and_without_exp_is_not() -> None:
    without_nbf = {name: value for name, value in SHC_CLAIMS.items() if name != "nbf"}
    report = _shc_both_ways(shc_fixture._token(shc_fixture.HEADER, without_nbf))
    _expect_refused(
        report, codes.CLAIM_MISSING, "the nbf claim is required and absent", "validity_period"
    )
    assert "exp" not in SHC_CLAIMS
    assert _shc_both_ways(shc_fixture._token(shc_fixture.HEADER, SHC_CLAIMS)).valid


@SETTINGS
@given(
    nbf=st.one_of(st.integers(1_600_000_000, 1709337600), st.floats(1.6e9, 1709337600.0)),
    exp=st.one_of(st.none(), st.integers(1709337600, 2**33), st.floats(1709337600.0, 8e9)),
)
def test_sound_card_claims_still_verify(nbf: float, exp: float | None) -> None:
    claims = {**SHC_CLAIMS, "nbf": nbf} if exp is None else {**SHC_CLAIMS, "nbf": nbf, "exp": exp}
    assert _shc_both_ways(shc_fixture._token(shc_fixture.HEADER, claims)).valid


@SETTINGS
@given(wrong=st.one_of(st.none(), JSON_WRONG))
def test_a_forged_card_is_refused_whatever_its_claims(wrong: tuple[Any, str] | None) -> None:
    claims = SHC_CLAIMS if wrong is None else {**SHC_CLAIMS, "exp": wrong[0]}
    card = shc_fixture._token(shc_fixture.HEADER, claims, key=shc_fixture.OTHER_KEY)
    report = _shc_both_ways(card)
    assert not report.valid and report.checks["signature"] is False
    expected = [codes.SIGNATURE_INVALID] + ([] if wrong is None else [codes.CLAIMS_INVALID])
    assert report.error_codes == expected


def test_json_without_a_number_for_nan_or_infinity_does_not_decode() -> None:
    for literal in ("NaN", "Infinity", "1e400"):
        text = json.dumps({**SHC_CLAIMS, "exp": 0}).replace('"exp": 0', f'"exp": {literal}')
        card = _signed_card_text(text)
        report = _shc_both_ways(card)
        assert report.error_codes == [codes.JSON_INVALID]
        assert report.checks["decode"] is False


def _signed_card_text(claims_text: str) -> str:
    from healthcert.codec import b64, jws

    payload = jws.deflate_raw(claims_text.encode())
    header = b64.urlsafe_encode(json.dumps(shc_fixture.HEADER).encode())
    signing_input = f"{header}.{b64.urlsafe_encode(payload)}"
    signature = jws.sign(shc_fixture.KEY, signing_input.encode())
    return f"{signing_input}.{b64.urlsafe_encode(signature)}"


@SETTINGS
@given(wrong=JSON_WRONG)
def test_a_card_rid_that_is_not_text_is_refused(wrong: tuple[Any, str]) -> None:
    value, _ = wrong
    if isinstance(value, str) and value:
        return  # text is what a rid is
    vc = {**SHC_CLAIMS["vc"], "rid": value}
    report = _shc_both_ways(shc_fixture._token(shc_fixture.HEADER, {**SHC_CLAIMS, "vc": vc}))
    assert not report.valid
    assert report.error_codes == [codes.SCHEMA_INVALID]
    assert report.errors[0].message.startswith("vc.rid holds ")
    assert report.checks["schema"] is False and report.checks["validity_period"] is True


# --- ICAO VDS-NC -------------------------------------------------------------------------------

VDS_WRONG: st.SearchStrategy[tuple[Any, str]] = st.one_of(
    st.integers(-(2**40), 2**40).map(lambda value: (value, f"holds {value!r}")),
    st.floats(-1e300, 1e300).map(lambda value: (value, f"holds {value!r}")),
    st.booleans().map(lambda value: (value, "holds a boolean")),
    st.lists(st.integers(0, 9), max_size=3).map(lambda value: (value, "holds an array")),
    st.dictionaries(st.text(max_size=3), st.integers(0, 9), max_size=3).map(
        lambda value: (value, "holds a map")
    ),
    st.just((None, "holds null")),
    st.sampled_from(["", "yesterday", "2024-13-01T00:00:00Z", "31.05.2024"]).map(
        lambda value: (value, f"{value!r} is not an ISO 8601 date and time")
    ),
    st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]).map(
        lambda value: (value, f"{value!r} is outside the years 1 to 9999")
    ),
)


def _test_seal(ri: Any) -> Report:
    seal = json.loads(vdsnc_fixture._seal(vdsnc_fixture.TEST))
    seal["data"]["msg"]["dat"]["ri"] = ri
    return vdsnc_fixture._verify(vdsnc_fixture._resign(seal))


@SETTINGS
@given(wrong=VDS_WRONG)
def test_a_seal_report_time_of_any_wrong_kind_is_refused(wrong: tuple[Any, str]) -> None:
    value, words = wrong
    report = _test_seal(value)
    assert not report.valid
    assert [(error.code, error.message) for error in report.errors] == [
        (codes.CLAIMS_INVALID, f"dat.ri {words}" + _iso_tail(words))
    ]
    assert report.checks["validity_period"] is False
    assert report.checks["signature"] is True and report.checks["schema"] is True


def _iso_tail(words: str) -> str:
    return ", not an ISO 8601 date and time" if words.startswith("holds") else ""


def test_a_seal_without_report_time_is_judged_without_that_bound() -> None:
    seal = json.loads(vdsnc_fixture._seal(vdsnc_fixture.TEST))
    del seal["data"]["msg"]["dat"]["ri"]
    assert vdsnc_fixture._verify(vdsnc_fixture._resign(seal)).valid


def test_a_sound_seal_report_time_still_verifies_and_a_forged_seal_is_refused() -> None:
    assert _test_seal("2024-05-31T08:00:00+00:00").valid
    seal = json.loads(vdsnc_fixture._seal(vdsnc_fixture.TEST))
    seal["data"]["msg"]["dat"]["ri"] = "2024-05-30T08:00:00+00:00"  # changed after signing
    report = vdsnc_fixture._verify(json.dumps(seal))
    assert report.error_codes == [codes.SIGNATURE_INVALID]
    seal["data"]["msg"]["dat"]["ri"] = 20240530  # and to no time at all
    report = vdsnc_fixture._verify(json.dumps(seal))
    assert report.error_codes == [codes.SIGNATURE_INVALID, codes.CLAIMS_INVALID]


def test_a_number_is_no_sample_time_either() -> None:
    seal = json.loads(vdsnc_fixture._seal(vdsnc_fixture.TEST))
    seal["data"]["msg"]["dat"]["sc"] = 20240530
    report = vdsnc_fixture._verify(vdsnc_fixture._resign(seal))
    assert [(error.code, error.message) for error in report.errors] == [
        (codes.SCHEMA_INVALID, "dat.sc holds 20240530, not an ISO 8601 date and time")
    ]


def test_a_dose_number_is_whole() -> None:
    for seq, valid in [(3, True), (3.0, True), ("3", True), (2.7, False), ("٣", False)]:
        seal = json.loads(vdsnc_fixture._seal())
        seal["data"]["msg"]["ve"][0]["vd"][0]["seq"] = seq
        report = vdsnc_fixture._verify(vdsnc_fixture._resign(seal))
        assert report.valid is valid, (seq, report.errors)
        if not valid:
            assert report.error_codes == [codes.SCHEMA_INVALID]


# --- values too large to write ---------------------------------------------------------------


def test_a_report_holding_an_integer_python_will_not_write_still_serialises() -> None:
    # A bignum of 2,000 compressible bytes: a short QR code, and more digits than str() writes.
    dcc = _dcc()
    dcc["v"][0]["dn"] = 2**16000
    document = {1: "DE", 4: HC1_SOUND["exp"], 6: HC1_SOUND["iat"], -260: {1: dcc}}
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps(document), forged=True))
    assert report.error_codes == [codes.SIGNATURE_INVALID]
    assert report.certificate is not None
    written = json.loads(report.json_line())
    assert written["certificate"]["entry"]["dose_number"] == "an integer of 16001 bits"


def test_a_seal_number_python_will_not_read_is_no_json() -> None:
    seal = vdsnc_fixture._seal().replace('"v":1', '"v":' + "9" * 5000)
    report = vdsnc_fixture._verify(seal)
    assert report.error_codes == [codes.JSON_INVALID]
    assert report.checks["decode"] is False


def test_a_seal_header_of_any_size_is_named_briefly() -> None:
    seal = vdsnc_fixture._seal().replace('"t":"icao.vacc"', '"t":[' + ",".join(["1"] * 2000) + "]")
    report = vdsnc_fixture._verify(seal)
    assert [(error.code, error.message) for error in report.errors] == [
        (codes.SCHEMA_INVALID, "data.hdr.t an array is not a known seal")
    ]


def test_string_references_in_the_dcc_do_not_stop_the_claims_being_read() -> None:
    # Reading the claims again with tags kept must not refuse what reads without them: the
    # references inside tag 256 resolve only when it is read as cbor2 reads it.
    dcc = _dcc()
    dcc["ver"] = cbor2.CBORTag(256, {0: "000", "000": None})
    document = {1: "DE", 4: HC1_SOUND["exp"], 6: cbor2.CBORTag(1, HC1_SOUND["iat"])}
    report = hc1_fixture.verified(_hc1_text(cbor2.dumps({**document, -260: {1: dcc}})))
    assert report.checks["decode"] is True and report.checks["signature"] is True
    assert (codes.CLAIMS_INVALID, f"the iat claim holds CBOR tag 1{NOT_SECONDS}") in [
        (error.code, error.message) for error in report.errors
    ]
