"""The C fast path of shc:/ digits and base64url (``codec/_jose.c``) reads what Python reads.

It may decline any input (None), and then the Python code decides; whatever it does return
must be exactly what the Python code returns. On valid input it must not decline: that is the
whole point of it, and a card verified in C must not be refused in Python or the reverse.
"""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert.codec import b64, shc_numeric

_jose = pytest.importorskip(
    "healthcert.codec._jose", reason="the optional C extension was not built here"
)

JWS_CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.="
URL_CHARACTERS = JWS_CHARACTERS[:-2]


@given(st.text(alphabet=JWS_CHARACTERS, max_size=400))
def test_digits_of_any_jws_text_decode_as_in_python(jws_text: str) -> None:
    digits = shc_numeric.encode_digits(jws_text)
    assert _jose.shc_digits(digits) == jws_text.encode("ascii")
    assert shc_numeric.read_pairs_in_python(digits) == jws_text.encode("ascii")


@settings(max_examples=500)
@given(st.text(alphabet="0123456789 /:a\u00e9\n", max_size=40))
def test_any_digit_text_is_declined_or_read_as_python_reads_it(digits: str) -> None:
    fast = _jose.shc_digits(digits)
    if fast is not None:
        assert fast == shc_numeric.read_pairs_in_python(digits)


@pytest.mark.parametrize(
    ("digits", "why"),
    [
        ("5", "an odd number of digits"),
        ("78", "a pair beyond 77"),
        ("02", "'/' is no JWS character"),
        ("13", "':' is no JWS character"),
        ("19", "'@' is no JWS character"),
        ("46", "'[' is no JWS character"),
        ("5 6", "white space, which bytes.fromhex would skip"),
        ("0a", "a hexadecimal letter"),
        ("\u0665\u0665", "digits of another script"),
    ],
)
def test_digits_that_spell_no_jws_are_declined(digits: str, why: str) -> None:
    assert _jose.shc_digits(digits) is None, why
    assert shc_numeric.read_pairs_in_python(digits) is None, why


@given(st.binary(max_size=300), st.booleans())
def test_base64url_of_any_bytes_decodes_as_in_python(data: bytes, padded: bool) -> None:
    text = base64.urlsafe_b64encode(data)
    if not padded:
        text = text.rstrip(b"=")
    assert _jose.b64url(text) == data
    assert b64.checked_decode_in_python(text) == data


@settings(max_examples=500)
@given(st.text(alphabet=URL_CHARACTERS + "=+/", max_size=24))
def test_any_base64_text_is_declined_or_read_as_python_reads_it(text: str) -> None:
    data = text.encode("ascii")
    fast = _jose.b64url(data)
    if fast is None:
        return
    assert fast == b64.checked_decode_in_python(data)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (b"A", "4n+1 characters encode no bytes"),
        (b"AB=", "padding that does not reach a multiple of four"),
        (b"A===", "three padding characters"),
        (b"AB=C", "padding inside the text"),
    ],
)
def test_bad_base64url_is_declined_and_refused_by_python(text: bytes, why: str) -> None:
    assert _jose.b64url(text) is None, why
    with pytest.raises(b64.Base64Error):
        b64.checked_decode_in_python(text)


@pytest.mark.parametrize("text", [b"AB+/", b"AB C", b"AB.C", b"\xffABC"])
def test_bytes_outside_the_alphabet_are_declined(text: bytes) -> None:
    """The callers vouch for the alphabet (decode_compact checks it first), but the C code
    does not rely on that."""
    assert _jose.b64url(text) is None


def test_unused_low_bits_are_not_looked_at_as_in_python() -> None:
    """'AB' and 'AP' both decode to 0x00: the last character's low four bits are unused."""
    assert _jose.b64url(b"AP") == b64.checked_decode_in_python(b"AP") == b"\x00"


def test_a_fast_path_that_declines_reaches_the_python_error() -> None:
    with pytest.raises(b64.Base64Error, match="4n\\+1"):
        b64.urlsafe_decode_checked(b"ABCDE")
