"""No input makes verification raise: malformed, hostile and subtly wrong payloads all get a report.

Two halves. Property-based tests feed the pipeline mutations of a real payload, random text,
random bytes and random CBOR in every layer, and check that each report is consistent and uses
known codes only. Example-based tests, on real keys, check the limits and one code per problem a
real certificate can have (tampered, unknown signer, expired, wrong key usage, ...).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import types
import zlib
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from healthcert import report as codes
from healthcert import verification
from healthcert.codec import base45, cbor, cose, deflate
from healthcert.errors import RequestError
from healthcert.formats.base import VerificationContext
from healthcert.formats.eu_dcc import payload as eu_dcc
from healthcert.formats.eu_dcc.mapping import to_dcc
from healthcert.issuance import issue_hc1, parse_request
from healthcert.keys.csca import create_csca
from healthcert.keys.dsc import create_dsc
from healthcert.keys.material import CertifiedKey
from healthcert.keys.signer import Signer, signer_from
from healthcert.limits import MAX_DECOMPRESSED_BYTES, MAX_INPUT_BYTES, MAX_NESTING_DEPTH
from healthcert.model.kinds import ALL_KINDS, EntryKind
from healthcert.report import Report
from healthcert.trust.certificates import read_facts, trusted_key
from healthcert.trust.entry import TrustedKey
from healthcert.trust.store import ImportBatch, TrustStore

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
EXAMPLES = Path(__file__).parent.parent / "examples"

NOW = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
DSC_START = NOW - timedelta(days=1)
DSC_DAYS = 365
DSC_END = DSC_START + timedelta(days=DSC_DAYS)

# Every stable code healthcert.report defines; INTERNAL_ERROR is deliberately not one of them.
KNOWN_CODES = frozenset(
    value
    for name, value in vars(codes).items()
    if name.isupper() and isinstance(value, str) and value == name
)
DECODE_CODES = frozenset(
    {
        codes.INPUT_EMPTY,
        codes.INPUT_TOO_LARGE,
        codes.INPUT_UNREADABLE,
        codes.PREFIX_INVALID,
        codes.BASE45_INVALID,
        codes.DECOMPRESS_FAILED,
        codes.COSE_INVALID,
        codes.CBOR_INVALID,
    }
)
CODES_OF_CHECK = {
    "schema": {codes.SCHEMA_INVALID},
    "signature": {
        codes.ALG_UNSUPPORTED,
        codes.KID_UNKNOWN,
        codes.HEADER_INVALID,
        codes.SIGNATURE_INVALID,
    },
    "validity_period": {
        codes.CLAIMS_INVALID,
        codes.CLAIM_MISSING,
        codes.EXPIRED,
        codes.NOT_YET_VALID,
        codes.DSC_EXPIRED,
        codes.DSC_NOT_YET_VALID,
    },
    "key_usage": {codes.KEY_USAGE_MISMATCH},
}


# -- keys, trust and certificates -------------------------------------------------------------


def request(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return document


VACCINATION = request("request-vaccination.json")
ANTIBODY_TEST = request("request-antibody-test.json")


@cache
def csca() -> CertifiedKey:
    return create_csca("CN", now=NOW - timedelta(days=30))


def dsc(kinds: frozenset[EntryKind] = ALL_KINDS) -> CertifiedKey:
    return _dsc(frozenset(kinds))


@cache
def _dsc(kinds: frozenset[EntryKind]) -> CertifiedKey:
    return create_dsc(csca(), kinds, now=DSC_START, days=DSC_DAYS)


def signer(kinds: frozenset[EntryKind] = ALL_KINDS) -> Signer:
    return signer_from(dsc(kinds))


def trust_of(*certificates: x509.Certificate, extra: tuple[TrustedKey, ...] = ()) -> TrustStore:
    keys = list(extra)
    for certificate in certificates:
        keys.append(trusted_key(read_facts(certificate.public_bytes(Encoding.DER)), "test"))
    store = TrustStore()
    store.add_batch(ImportBatch(keys=keys))
    return store


@cache
def trust() -> TrustStore:
    return trust_of(dsc().certificate)


def ctx(clock: datetime = NOW + timedelta(hours=1), store: TrustStore | None = None) -> Any:
    return verification.context(trust() if store is None else store, clock)


@cache
def valid_payload() -> str:
    return issue_hc1(parse_request(VACCINATION), signer(), now=NOW)


@cache
def valid_dcc() -> dict[str, Any]:
    return to_dcc(parse_request(VACCINATION).certificate())


def sign(
    dcc: Any,
    *,
    key: Signer | None = None,
    iat: datetime = NOW,
    exp: datetime = NOW + timedelta(days=30),
) -> str:
    return eu_dcc.encode(
        dcc, issuer_country="CN", issued_at=iat, expires=exp, signer=key or signer()
    )


def hc1(cose_bytes: bytes) -> str:
    return eu_dcc.PREFIX + base45.encode(zlib.compress(cose_bytes))


def sign1_with(
    claims_bytes: bytes,
    *,
    protected: dict[Any, Any] | None = None,
    unprotected: dict[Any, Any] | None = None,
    tags: tuple[int, ...] = (18,),
    key: Signer | None = None,
) -> bytes:
    """A COSE_Sign1 built by hand around any claims bytes, really signed."""
    key = key or signer()
    header = {1: cose.ES256, 4: key.kid} if protected is None else protected
    protected_raw = cbor2.dumps(header)
    signature = key.sign(cose.signed_bytes(protected_raw, claims_bytes))
    item: Any = [protected_raw, unprotected or {}, claims_bytes, signature]
    for tag in tags:
        item = cbor2.CBORTag(tag, item)
    return cbor2.dumps(item)


def claims(
    dcc: Any, iat: datetime = NOW, exp: datetime = NOW + timedelta(days=30)
) -> dict[Any, Any]:
    return {1: "CN", 4: int(exp.timestamp()), 6: int(iat.timestamp()), -260: {1: dcc}}


# -- the consistency every report must have ---------------------------------------------------


def run(payload: str, context: VerificationContext | None = None) -> Report:
    report = verification.verify_payload(payload, context or ctx())
    check_consistent(report)
    return report


def check_consistent(report: Report) -> None:
    found = report.error_codes
    assert set(found) <= KNOWN_CODES, found
    document = json.loads(report.json_line())  # strict JSON, whatever the input held
    assert document["valid"] is report.valid
    checks = report.checks
    assert set(checks) >= {"decode", "schema", "signature", "validity_period", "key_usage"}
    if checks["decode"] is not True:
        assert checks["decode"] is False
        assert all(checks[name] is None for name in checks if name != "decode"), checks
        assert len(found) == 1, found
        if report.format in (None, eu_dcc.name):  # random text may look like another format
            assert found[0] in DECODE_CODES, found
        assert report.certificate is None and not report.valid
        return
    assert not set(found) & DECODE_CODES, found
    for name in ("schema", "signature", "validity_period"):
        assert checks[name] in (True, False), (name, checks)
    for name, related in CODES_OF_CHECK.items():
        assert (checks[name] is False) == bool(set(found) & related), (name, checks, found)
    if report.valid:
        assert not found and all(result is not False for result in checks.values())


def same_signed_content(payload: str, other: str) -> bool:
    first, second = eu_dcc.decode(payload).sign1, eu_dcc.decode(other).sign1
    return (first.protected_raw, first.payload, first.signature) == (
        second.protected_raw,
        second.payload,
        second.signature,
    )


# -- property-based: mutations, random text, random bytes, random CBOR ------------------------

CHARACTERS = st.one_of(st.sampled_from(base45.ALPHABET), st.characters())


@st.composite
def mutated(draw: st.DrawFn) -> str:
    text = valid_payload()
    for _ in range(draw(st.integers(1, 4))):
        operation = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        if operation == "flip" and text:
            text = text[:at] + draw(CHARACTERS) + text[at + 1 :]
        elif operation == "insert":
            text = text[:at] + draw(CHARACTERS) + text[at:]
        elif operation == "delete":
            text = text[:at] + text[at + 1 :]
        else:
            text = text[:at]
    return text


@FUZZ
@given(mutated())
def test_mutations_of_a_valid_payload(payload: str) -> None:
    report = run(payload)
    if payload.strip() == valid_payload():
        assert report.valid
    elif report.valid:
        # Deflate ignores the padding bits of its last byte: a flip there changes the text
        # but not a single signed byte. Nothing else may pass.
        assert same_signed_content(payload, valid_payload())


def test_the_unchanged_payload_is_valid() -> None:
    report = run(valid_payload())
    assert report.valid, report.errors
    assert report.format == "eu-dcc"
    assert all(report.checks.values())
    assert report.issuer == {
        "country": "CN",
        "kid": base64.b64encode(signer().kid).decode(),
    }
    assert report.certificate is not None
    assert report.certificate["holder"]["family_name"] == "王"


# What each format recognises its payloads by, so that random text reaches every decoder.
PREFIXES = ["", "HC1:", "shc:/", "shc:/1/2/", "SHC:/", "{", '{"data":', '{"data": {}, "sig": ']


@FUZZ
@given(st.sampled_from(PREFIXES), st.text(max_size=600))
def test_random_text(prefix: str, text: str) -> None:
    assert not run(prefix + text).valid


@FUZZ
@given(st.sampled_from(PREFIXES[2:5]), st.text(alphabet="0123456789", max_size=600))
def test_random_digits_as_a_smart_health_card(prefix: str, digits: str) -> None:
    assert not run(prefix + digits).valid


@FUZZ
@given(st.text(alphabet=base45.ALPHABET + "abc\t", max_size=600))
def test_random_text_after_the_prefix(text: str) -> None:
    report = run(eu_dcc.PREFIX + text)
    assert not report.valid
    assert report.checks["decode"] is False


@FUZZ
@given(st.binary(max_size=1500))
def test_random_bytes_through_zlib_and_base45(data: bytes) -> None:
    report = run(hc1(data))
    assert not report.valid
    assert report.checks["decode"] is False


@FUZZ
@given(st.binary(max_size=1500))
def test_random_bytes_base45_without_zlib(data: bytes) -> None:
    report = run(eu_dcc.PREFIX + base45.encode(data))
    assert report.checks["decode"] is False


INTERESTING_TAGS = [0, 1, 2, 3, 4, 5, 18, 21, 24, 28, 29, 30, 32, 35, 36, 61, 100, 256, 258, 1004]

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=20),
    st.sampled_from(["1.3.0", "2021-05-01", "2021-05-01T10:00:00Z", "v", "t", "r", "nam"]),
)
MAP_KEYS = st.one_of(
    st.integers(min_value=-300, max_value=300),
    st.text(max_size=5),
    st.sampled_from(["v", "t", "r", "ver", "nam", "dob", "fn", "gn", "fnt", "gnt", "tg"]),
)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(MAP_KEYS, children, max_size=4),
        st.builds(cbor2.CBORTag, st.sampled_from(INTERESTING_TAGS), children),
    )


CBOR_VALUES = st.recursive(LEAVES, containers, max_leaves=20)
TEXT_MAPS = st.dictionaries(MAP_KEYS, CBOR_VALUES, max_size=6)


def well_formed(data: bytes) -> bool:
    """Whether cbor2 itself, under healthcert's limits, reads these bytes (some tags such as
    bignum 2 around a non-byte-string are not CBOR a decoder accepts)."""
    try:
        cbor.loads(data)
    except cbor.CborError:
        return False
    return True


def _encodable(value: Any) -> bytes:
    try:
        return cbor2.dumps(value)
    except (cbor2.CBOREncodeError, ValueError, TypeError, OverflowError):
        assume(False)
        raise AssertionError("unreachable") from None


@FUZZ
@given(CBOR_VALUES)
def test_random_cbor_as_the_cose_structure(value: Any) -> None:
    report = run(hc1(_encodable(value)))
    assert not report.valid


@FUZZ
@given(CBOR_VALUES)
def test_random_cbor_as_the_signed_claims(value: Any) -> None:
    report = run(hc1(sign1_with(_encodable(value))))
    assert not report.valid


@FUZZ
@given(CBOR_VALUES, st.sampled_from([(18,), (), (18, 61)]))
def test_random_dcc_in_real_claims(dcc: Any, tags: tuple[int, ...]) -> None:
    claims_bytes = _encodable(claims(dcc))
    report = run(hc1(sign1_with(claims_bytes, tags=tags)))
    if isinstance(dcc, dict) and well_formed(claims_bytes):
        # The envelope is sound and really signed: whatever the DCC holds, decoding and the
        # signature pass and the schema judges it.
        assert report.checks["decode"] is True
        assert report.checks["signature"] is True
        assert report.checks["schema"] is False
    assert not report.valid


@FUZZ
@given(TEXT_MAPS, TEXT_MAPS)
def test_random_headers(protected: dict[Any, Any], unprotected: dict[Any, Any]) -> None:
    claims_bytes = cbor2.dumps(claims(valid_dcc()))
    report = run(hc1(sign1_with(claims_bytes, protected=protected, unprotected=unprotected)))
    assert report.checks["signature"] is not True or cose.HEADER_ALG in protected
    assert not report.valid or (
        protected.get(1) == cose.ES256 and protected.get(4, unprotected.get(4)) == signer().kid
    )


@FUZZ
@given(LEAVES, LEAVES, LEAVES)
def test_random_claim_values(iss: Any, iat: Any, exp: Any) -> None:
    document = {1: iss, 4: exp, 6: iat, -260: {1: valid_dcc()}}
    claims_bytes = _encodable(document)
    report = run(hc1(sign1_with(claims_bytes)))
    assume(well_formed(claims_bytes))
    assert report.checks["decode"] is True
    assert report.checks["signature"] is True
    assert report.checks["validity_period"] is not None


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


@FUZZ
@given(st.data())
def test_one_field_of_a_real_dcc_replaced(data: st.DataObject) -> None:
    dcc = json.loads(json.dumps(valid_dcc()))
    path = data.draw(st.sampled_from(_paths(dcc)))
    parent = dcc
    for part in path[:-1]:
        parent = parent[part]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(CBOR_VALUES)
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    claims_bytes = _encodable(claims(dcc))
    report = run(hc1(sign1_with(claims_bytes)))
    if well_formed(claims_bytes):
        assert report.checks["decode"] is True
        assert report.checks["signature"] is True
        assert report.checks["validity_period"] is True


def test_a_surrogate_in_the_input_still_gives_a_json_report() -> None:
    # What Python makes of a command-line argument or a JSON string that is not valid UTF-8.
    for text in ("HC1:\udcff", "\ud800", valid_payload()[:40] + "\udc80", "\udcffHC1:"):
        report = run(text)
        assert not report.valid
        assert "\ufffd" in json.loads(report.json_line())["input"]


@pytest.mark.parametrize("number", [2**64, -(2**64) - 1, 10**30])
def test_integers_beyond_64_bits_in_the_dcc(number: int) -> None:
    dcc = json.loads(json.dumps(valid_dcc()))
    dcc["v"][0]["dn"] = number
    dcc["extension"] = [number]
    report = run(hc1(sign1_with(cbor2.dumps(claims(dcc)))))  # the report is still JSON
    assert report.checks["signature"] is True


def test_a_shared_reference_cycle_in_the_dcc() -> None:
    # CBOR value sharing (tags 28/29) can make a DCC contain itself.
    cycle = cbor2.CBORTag(28, {"ver": "1.3.0", "self": cbor2.CBORTag(29, 0)})
    report = run(hc1(sign1_with(cbor2.dumps(claims(cycle)))))
    assert not report.valid


# -- limits -----------------------------------------------------------------------------------


def test_empty_input() -> None:
    for text in ("", "   ", "\n\t\r\n"):
        report = run(text)
        assert report.error_codes == [codes.INPUT_EMPTY]
        assert report.checks["decode"] is False


def test_input_over_8_kib() -> None:
    report = run(eu_dcc.PREFIX + "0" * (MAX_INPUT_BYTES + 1 - len(eu_dcc.PREFIX)))
    assert report.error_codes == [codes.INPUT_TOO_LARGE]
    assert report.payload is None  # a huge input is not echoed back
    at_limit = run(eu_dcc.PREFIX + "0" * (MAX_INPUT_BYTES - len(eu_dcc.PREFIX)))
    assert codes.INPUT_TOO_LARGE not in at_limit.error_codes


def test_input_over_8_kib_counts_bytes_not_characters() -> None:
    # 4,100 characters, but 8,200 bytes of UTF-8.
    report = run(eu_dcc.PREFIX + "é" * 4100)
    assert report.error_codes == [codes.INPUT_TOO_LARGE]


def test_surrounding_whitespace_is_not_the_payload() -> None:
    assert run("\n  " + valid_payload() + " \r\n").valid


class CountingInflater:
    """zlib.decompressobj that counts every byte it hands out."""

    total = 0

    def __init__(self, wbits: int = zlib.MAX_WBITS) -> None:
        self._inner = zlib.decompressobj(wbits)

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        out = self._inner.decompress(data, max_length)
        CountingInflater.total += len(out)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def test_zlib_bomb_is_refused_without_inflating_it(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = zlib.compress(b"\0" * 1_000_000, 9)
    payload = eu_dcc.PREFIX + base45.encode(bomb)
    assert len(payload) < MAX_INPUT_BYTES
    CountingInflater.total = 0
    counting = types.SimpleNamespace(
        decompressobj=CountingInflater, error=zlib.error, MAX_WBITS=zlib.MAX_WBITS
    )
    monkeypatch.setattr(deflate, "zlib", counting)
    report = run(payload)
    assert report.error_codes == [codes.INPUT_TOO_LARGE]
    assert 0 < CountingInflater.total <= 2 * MAX_DECOMPRESSED_BYTES


def test_inflated_size_limit_boundary() -> None:
    at_limit = run(hc1(b"\0" * MAX_DECOMPRESSED_BYTES))
    assert codes.INPUT_TOO_LARGE not in at_limit.error_codes
    assert run(hc1(b"\0" * (MAX_DECOMPRESSED_BYTES + 1))).error_codes == [codes.INPUT_TOO_LARGE]


def test_broken_zlib() -> None:
    compressed = zlib.compress(eu_dcc.decode(valid_payload()).sign1.payload)
    for broken in (compressed[:-5], compressed[:2], b"\x78\x9c\xff\xff", b"\x00" * 10):
        report = run(eu_dcc.PREFIX + base45.encode(broken))
        assert report.error_codes == [codes.DECOMPRESS_FAILED]


def test_bytes_after_the_zlib_stream_are_refused() -> None:
    compressed = base45.decode(valid_payload()[len(eu_dcc.PREFIX) :])
    for trailer in (b"\x00", b"junk", compressed):
        report = run(eu_dcc.PREFIX + base45.encode(compressed + trailer))
        assert report.error_codes == [codes.DECOMPRESS_FAILED]


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_cbor_nested_deeper_than_the_limit() -> None:
    # In the claims (signed), in the unprotected header, and as the COSE structure itself.
    dcc = dict(valid_dcc(), deep=_nested(MAX_NESTING_DEPTH + 10))
    assert run(hc1(sign1_with(cbor2.dumps(claims(dcc))))).error_codes == [codes.CBOR_INVALID]
    deep_header = sign1_with(cbor2.dumps(claims(valid_dcc())), unprotected={9: _nested(50)})
    assert run(hc1(deep_header)).error_codes == [codes.CBOR_INVALID]
    assert run(hc1(cbor2.dumps(_nested(1000)))).error_codes == [codes.CBOR_INVALID]


def test_cbor_nesting_within_the_limit_decodes() -> None:
    # claims -> hcert -> dcc -> "deep": three levels, and the rest of the limit for the value.
    dcc = dict(valid_dcc(), deep=_nested(MAX_NESTING_DEPTH - 4))
    report = run(hc1(sign1_with(cbor2.dumps(claims(dcc)))))
    assert report.checks["decode"] is True
    assert report.checks["signature"] is True


def _map(*pairs: tuple[bytes, bytes]) -> bytes:
    """A CBOR map written byte by byte, so that it may repeat a key."""
    assert len(pairs) < 24
    return bytes([0xA0 | len(pairs)]) + b"".join(key + value for key, value in pairs)


def test_duplicate_map_keys() -> None:
    dcc = cbor2.dumps(valid_dcc())
    iat, exp = cbor2.dumps(int(NOW.timestamp())), cbor2.dumps(int(DSC_END.timestamp()) - 60)
    hcert_claim = _map((b"\x01", dcc))
    iss_twice = _map(
        (b"\x01", cbor2.dumps("CN")),
        (b"\x04", exp),
        (b"\x06", iat),
        (b"\x01", cbor2.dumps("DE")),
        (cbor2.dumps(-260), hcert_claim),
    )
    dcc_twice = _map(
        (b"\x01", cbor2.dumps("CN")),
        (b"\x04", exp),
        (b"\x06", iat),
        (cbor2.dumps(-260), _map((b"\x01", dcc), (b"\x01", cbor2.dumps({"ver": "1.3.0"})))),
    )
    inner = cbor2.loads(dcc)
    dob_twice = _map(
        *[(cbor2.dumps(key), cbor2.dumps(value)) for key, value in inner.items()],
        (cbor2.dumps("dob"), cbor2.dumps("1999-01-01")),
    )
    dob_claims = _map(
        (b"\x01", cbor2.dumps("CN")),
        (b"\x04", exp),
        (b"\x06", iat),
        (cbor2.dumps(-260), _map((b"\x01", dob_twice))),
    )
    for claims_bytes in (iss_twice, dcc_twice, dob_claims):
        report = run(hc1(sign1_with(claims_bytes)))
        assert report.error_codes == [codes.CBOR_INVALID]


def test_duplicate_keys_in_the_protected_header() -> None:
    key = signer()
    protected_raw = _map(
        (b"\x01", b"\x26"), (b"\x04", cbor2.dumps(key.kid)), (b"\x01", b"\x38\x24")
    )
    claims_bytes = cbor2.dumps(claims(valid_dcc()))
    signature = key.sign(cose.signed_bytes(protected_raw, claims_bytes))
    report = run(hc1(cbor2.dumps(cbor2.CBORTag(18, [protected_raw, {}, claims_bytes, signature]))))
    assert report.checks["decode"] is False
    assert report.error_codes[0] in {codes.COSE_INVALID, codes.CBOR_INVALID}


# -- real certificates, one problem at a time -------------------------------------------------


def outcome(report: Report) -> tuple[dict[str, bool | None], list[str]]:
    return dict(report.checks), report.error_codes


ALL_PASS = {
    "decode": True,
    "schema": True,
    "signature": True,
    "validity_period": True,
    "key_usage": True,
}


def expect(report: Report, codes_found: list[str], **checks: bool | None) -> None:
    assert outcome(report) == (dict(ALL_PASS, **checks), codes_found), report.errors
    assert report.valid is (not codes_found)


@pytest.mark.parametrize("tags", [(18,), (), (18, 61)], ids=["tag-18", "untagged", "tag-61"])
def test_envelopes_the_spec_allows(tags: tuple[int, ...]) -> None:
    payload = hc1(sign1_with(cbor2.dumps(claims(valid_dcc())), tags=tags))
    expect(run(payload), [])


def test_kid_in_the_unprotected_header_only() -> None:
    key = signer()
    payload = hc1(
        sign1_with(
            cbor2.dumps(claims(valid_dcc())), protected={1: cose.ES256}, unprotected={4: key.kid}
        )
    )
    expect(run(payload), [])


def test_tampered_payload() -> None:
    sign1 = eu_dcc.decode(valid_payload()).sign1
    document = cbor2.loads(sign1.payload)
    document[-260][1]["nam"]["gnt"] = "XIAOHONG"
    tampered = cbor2.dumps(
        cbor2.CBORTag(18, [sign1.protected_raw, {}, cbor2.dumps(document), sign1.signature])
    )
    report = run(hc1(tampered))
    expect(report, [codes.SIGNATURE_INVALID], signature=False)


def test_unknown_kid() -> None:
    report = run(valid_payload(), ctx(store=TrustStore()))
    expect(report, [codes.KID_UNKNOWN], signature=False, key_usage=None)
    other = create_dsc(csca(), now=DSC_START)
    report = run(valid_payload(), ctx(store=trust_of(other.certificate)))
    expect(report, [codes.KID_UNKNOWN], signature=False, key_usage=None)


@pytest.mark.parametrize("alg", [-8, -35, "ES256", None, True, [], {}, [-7], b"\xf9"])
def test_algorithm_not_supported(alg: Any) -> None:
    key = signer()
    payload = hc1(sign1_with(cbor2.dumps(claims(valid_dcc())), protected={1: alg, 4: key.kid}))
    expect(run(payload), [codes.ALG_UNSUPPORTED], signature=False)


def test_expired() -> None:
    payload = sign(valid_dcc(), exp=NOW + timedelta(days=10))
    expect(run(payload, ctx(NOW + timedelta(days=10))), [])
    report = run(payload, ctx(NOW + timedelta(days=10, seconds=1)))
    expect(report, [codes.EXPIRED], validity_period=False)


def test_not_yet_valid() -> None:
    payload = sign(valid_dcc(), iat=NOW)
    expect(run(payload, ctx(NOW)), [])
    report = run(payload, ctx(NOW - timedelta(seconds=1)))
    expect(report, [codes.NOT_YET_VALID], validity_period=False)


def test_dsc_not_yet_valid_at_issuance() -> None:
    expect(run(sign(valid_dcc(), iat=DSC_START)), [])
    report = run(sign(valid_dcc(), iat=DSC_START - timedelta(hours=1)))
    expect(report, [codes.DSC_NOT_YET_VALID], validity_period=False)


def test_dsc_expired_before_the_certificate() -> None:
    expect(run(sign(valid_dcc(), exp=DSC_END)), [])
    report = run(sign(valid_dcc(), exp=DSC_END + timedelta(days=1)))
    expect(report, [codes.DSC_EXPIRED], validity_period=False)


def test_issuance_never_outlives_the_dsc() -> None:
    long_lived = dict(VACCINATION, valid_days=3650)
    report = run(issue_hc1(parse_request(long_lived), signer(), now=NOW))
    expect(report, [])
    assert report.extra.get("exp", DSC_END.strftime("%Y-%m-%dT%H:%M:%SZ")) <= DSC_END.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )


def test_dsc_without_the_vaccination_eku() -> None:
    tests_only = frozenset({EntryKind.TEST})
    with pytest.raises(RequestError):
        issue_hc1(parse_request(VACCINATION), signer(tests_only), now=NOW)
    # A careless issuer signs anyway; the verifier must notice.
    careless = dataclasses.replace(signer(tests_only), kinds=ALL_KINDS)
    payload = issue_hc1(parse_request(VACCINATION), careless, now=NOW)
    store = trust_of(dsc(tests_only).certificate)
    expect(run(payload, ctx(store=store)), [codes.KEY_USAGE_MISMATCH], key_usage=False)
    test_payload = issue_hc1(parse_request(ANTIBODY_TEST), signer(tests_only), now=NOW)
    expect(run(test_payload, ctx(store=store)), [])


def dsc_with_eku(oids: list[str] | None) -> CertifiedKey:
    """A DSC signed by the CSCA with the given EKU OIDs (None: no EKU extension)."""
    key = ec.generate_private_key(ec.SECP256R1())
    authority = csca()
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.COMMON_NAME, "hand-made DSC"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(DSC_START)
        .not_valid_after(DSC_END)
    )
    if oids is not None:
        usage = x509.ExtendedKeyUsage([x509.ObjectIdentifier(oid) for oid in oids])
        builder = builder.add_extension(usage, critical=False)
    return CertifiedKey(key, builder.sign(authority.private_key, hashes.SHA256()))


@pytest.mark.parametrize(
    ("oids", "vaccination_ok", "test_ok"),
    [
        (["1.3.6.1.4.1.0.1847.2021.1.2"], True, False),  # the early-draft vaccination OID
        (["1.3.6.1.4.1.0.1847.2021.1.1"], False, True),  # the early-draft test OID
        (["1.3.6.1.4.1.1847.2021.1.2"], True, False),
        (None, True, True),  # no EKU: any kind
        ([ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string], False, False),  # none of ours
    ],
    ids=["draft-vaccination", "draft-test", "vaccination", "no-eku", "client-auth-only"],
)
def test_key_usage_by_eku(oids: list[str] | None, vaccination_ok: bool, test_ok: bool) -> None:
    issued = dsc_with_eku(oids)
    key = dataclasses.replace(signer_from(issued), kinds=ALL_KINDS)
    store = trust_of(issued.certificate)
    for document, allowed in ((VACCINATION, vaccination_ok), (ANTIBODY_TEST, test_ok)):
        report = run(issue_hc1(parse_request(document), key, now=NOW), ctx(store=store))
        if allowed:
            expect(report, [])
        else:
            expect(report, [codes.KEY_USAGE_MISMATCH], key_usage=False)


def test_schema_failure_does_not_hide_the_other_checks() -> None:
    broken = dict(valid_dcc(), dob="21 July 1985")
    expect(run(sign(broken)), [codes.SCHEMA_INVALID], schema=False)
    # Every independent check failing at once, each with its own code.
    tests_only = frozenset({EntryKind.TEST})
    careless = dataclasses.replace(signer(tests_only), kinds=ALL_KINDS)
    payload = sign(broken, key=careless, exp=NOW + timedelta(days=1))
    report = run(payload, ctx(NOW + timedelta(days=2), trust_of(dsc(tests_only).certificate)))
    expect(
        report,
        [codes.SCHEMA_INVALID, codes.EXPIRED, codes.KEY_USAGE_MISMATCH],
        schema=False,
        validity_period=False,
        key_usage=False,
    )


def test_schema_failure_and_a_bad_signature() -> None:
    broken = dict(valid_dcc(), ver="9.9")
    sign1 = eu_dcc.decode(sign(broken)).sign1
    forged = bytes([sign1.signature[0] ^ 0x80]) + sign1.signature[1:]
    payload = hc1(cbor2.dumps(cbor2.CBORTag(18, [sign1.protected_raw, {}, sign1.payload, forged])))
    expect(
        run(payload), [codes.SCHEMA_INVALID, codes.SIGNATURE_INVALID], schema=False, signature=False
    )


def _decoy(kid: bytes) -> TrustedKey:
    return TrustedKey(
        kid=kid,
        public_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        source="decoy",
        types=ALL_KINDS,
    )


@pytest.mark.parametrize("decoys_first", [True, False])
def test_two_trusted_keys_with_the_same_kid(decoys_first: bool) -> None:
    kid = signer().kid
    real = trusted_key(read_facts(dsc().certificate.public_bytes(Encoding.DER)), "real")
    keys = [_decoy(kid), _decoy(kid), real] if decoys_first else [real, _decoy(kid)]
    store = TrustStore()
    store.add_batch(ImportBatch(keys=keys))
    assert len(store.keys_for(kid)) == len(keys)
    expect(run(valid_payload(), ctx(store=store)), [])


def test_only_wrong_keys_with_the_kid() -> None:
    kid = signer().kid
    store = TrustStore()
    store.add_batch(ImportBatch(keys=[_decoy(kid), _decoy(kid)]))
    report = run(valid_payload(), ctx(store=store))
    expect(report, [codes.SIGNATURE_INVALID], signature=False)


def test_ps256_certificate() -> None:
    rsa_dsc = create_dsc(csca(), algorithm="PS256", now=DSC_START, days=DSC_DAYS)
    payload = issue_hc1(parse_request(VACCINATION), signer_from(rsa_dsc), now=NOW)
    expect(run(payload, ctx(store=trust_of(rsa_dsc.certificate))), [])
    # The ES256 DSC's store does not know this kid.
    expect(run(payload), [codes.KID_UNKNOWN], signature=False, key_usage=None)
