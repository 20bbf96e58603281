"""Base64url and base64 as JOSE and VDS-NC use them: padding optional, alphabet strict."""

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec import b64


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"f", "Zg"), (b"fo", "Zm8"), (b"foo", "Zm9v"), (b"\xfb\xff", "-_8")],
)
def test_urlsafe_round_trip_without_padding(data: bytes, text: str) -> None:
    assert b64.urlsafe_encode(data) == text
    assert b64.urlsafe_decode(text) == data


@pytest.mark.parametrize("text", ["Zg==", "Zm8=", "-_8="])
def test_urlsafe_decode_accepts_padding(text: str) -> None:
    assert b64.urlsafe_decode(text) == b64.urlsafe_decode(text.rstrip("="))


@pytest.mark.parametrize(
    "text", ["Zm9v+", "Zm/v", "Zm 9v", "Z", "Zg===", "Zg=g", "Zm9v\n", "Zm8==", "Zg="]
)
def test_urlsafe_decode_refuses_what_is_not_base64url(text: str) -> None:
    with pytest.raises(b64.Base64Error):
        b64.urlsafe_decode(text)


def test_standard_decode_takes_plus_and_slash_with_or_without_padding() -> None:
    assert b64.standard_decode("+/8=") == b"\xfb\xff"
    assert b64.standard_decode("+/8") == b"\xfb\xff"
    with pytest.raises(b64.Base64Error):
        b64.standard_decode("-_8")


@settings(max_examples=500, deadline=None)
@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_==", max_size=14
    )
)
def test_checked_parts_decode_as_the_strict_decoder_does(text: str) -> None:
    # A JWS part, its alphabet already checked, read by the lenient decoder: same answers.
    try:
        expected: bytes | None = b64.urlsafe_decode(text)
    except b64.Base64Error:
        expected = None
    try:
        found: bytes | None = b64.urlsafe_decode_checked(text.encode("ascii"))
    except b64.Base64Error:
        found = None
    assert found == expected
    if expected is not None:
        bare = text.rstrip("=")
        assert expected == base64.urlsafe_b64decode(bare + "=" * (-len(bare) % 4))
