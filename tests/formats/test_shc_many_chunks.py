"""Legacy SMART Health Cards split over many ``shc:/i/n/`` chunks: accepted up to
MAX_QR_CHUNKS, the most one input can hold, and refused beyond it."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcert import report as codes
from healthcert import verification as pipeline
from healthcert.codec import shc_numeric
from healthcert.errors import PayloadError
from healthcert.formats.base import VerificationContext
from healthcert.formats.shc import card as shc
from healthcert.formats.shc.issuers import ShcIssuers
from healthcert.limits import MAX_INPUT_BYTES, MAX_QR_CHUNKS
from healthcert.model.certificate import Certificate, Holder, Vaccination
from healthcert.report import Report
from healthcert.trust.store import TrustStore

ISS = "https://a.example"
KEY = ec.generate_private_key(ec.SECP256R1())
CLOCK = dt.datetime(2024, 3, 2, tzinfo=dt.UTC)
CARD = shc.encode(
    Certificate(
        holder=Holder(family_name="Ng", date_of_birth="1990"),
        entry=Vaccination(
            vaccine="J07BX03",
            product="EU/1/20/1528",
            manufacturer="ORG-100030215",
            dose_number=1,
            total_doses=1,
            date=dt.date(2024, 2, 12),
            country="DE",
            issuer="X",
            certificate_id="1",
        ),
    ),
    KEY,
    None,
    ISS,
    nbf=dt.datetime(2024, 3, 1, tzinfo=dt.UTC),
)
DIGITS = shc_numeric.encode_digits(CARD)


def _context() -> VerificationContext:
    issuers = ShcIssuers()
    issuers.add_jwks(ISS, {"keys": [shc.issuer_jwk(KEY.public_key())]})
    return VerificationContext(trust=TrustStore(), clock=CLOCK, shc_issuers=issuers)


def _split(total: int, digits: str = DIGITS, *, claimed: int | None = None) -> list[str]:
    """The card's digits as ``total`` chunks of whole digit pairs, as an old issuer split it."""
    pairs = len(digits) // 2
    bounds = [2 * (pairs * index // total) for index in range(total + 1)]
    return [
        f"shc:/{index + 1}/{claimed or total}/{digits[bounds[index] : bounds[index + 1]]}"
        for index in range(total)
    ]


def test_the_bound_is_the_most_chunks_one_input_can_hold() -> None:
    def smallest(total: int) -> str:  # every chunk with its header and one digit pair
        return "\n".join(f"shc:/{index}/{total}/00" for index in range(1, total + 1))

    assert len(smallest(MAX_QR_CHUNKS)) <= MAX_INPUT_BYTES < len(smallest(MAX_QR_CHUNKS + 1))


@pytest.mark.parametrize("total", [17, 100, 300])
def test_a_card_in_many_chunks_verifies_through_the_pipeline(total: int) -> None:
    chunks = _split(total)
    shuffled = chunks[1::2] + chunks[0::2]
    report = pipeline.verify_payload("\n".join(shuffled), _context())
    assert report.valid, report.errors
    assert report.issuer["iss"] == ISS
    assert report.certificate is not None
    assert report.certificate["holder"]["family_name"] == "Ng"


def test_a_card_in_as_many_chunks_as_the_bound_verifies() -> None:
    # So many chunks of this card exceed the input limit, so the card format is called as the
    # pipeline calls it once the input passed that limit.
    chunks = _split(MAX_QR_CHUNKS)
    assert shc_numeric.join(chunks) == CARD
    report = Report(input="chunks")
    shc.verify_into(report, "\n".join(reversed(chunks)), _context())
    assert report.valid, report.errors


def test_one_chunk_more_than_the_bound_is_refused() -> None:
    with pytest.raises(PayloadError) as raised:
        shc_numeric.join(_split(MAX_QR_CHUNKS + 1))
    assert raised.value.code == codes.CHUNKS_INVALID
    expected = (
        f"a card in {MAX_QR_CHUNKS + 1} chunks: no more than {MAX_QR_CHUNKS} fit in one input"
    )
    assert raised.value.message == expected
    claimed = _split(3, claimed=MAX_QR_CHUNKS + 1)
    report = pipeline.verify_payload("\n".join(claimed), _context())
    assert report.error_codes == [codes.CHUNKS_INVALID]


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        (_split(40)[:-1], "chunk 40 of 40 is missing: give all chunks together"),
        ([*_split(40), _split(40)[7]], "a chunk was given more than once"),
        ([*_split(40)[:-1], f"shc:/40/41/{DIGITS[-2:]}"], "sets of different sizes"),
        ([*_split(40)[:-1], "shc:/40/40/"], "chunk 40 of 40 holds no digits"),
    ],
)
def test_missing_repeated_inconsistent_or_empty_chunks_are_refused(
    chunks: list[str], message: str
) -> None:
    report = pipeline.verify_payload("\n".join(chunks), _context())
    assert report.error_codes == [codes.CHUNKS_INVALID]
    assert message in report.errors[0].message
