"""The numeric shc:/ QR form of a SMART Health Card, single and chunked."""

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcert import report as codes
from healthcert.codec import shc_numeric
from healthcert.errors import PayloadError
from healthcert.limits import MAX_QR_CHUNKS

EXAMPLES = Path(__file__).parents[1] / "data" / "shc" / "examples"


def _read(name: str) -> str:
    return (EXAMPLES / name).read_text().strip()


def test_each_character_is_two_digits_of_its_code_minus_45() -> None:
    # '-' 45, '.' 46, 'X' 88, 'z' 122, '0' 48, '9' 57, '_' 95
    assert shc_numeric.encode_digits("-.Xz09_") == "00014377031250"
    assert shc_numeric.decode_digits("00014377031250") == "-.Xz09_"


@pytest.mark.parametrize("number", ["00", "01", "03"])
def test_example_qr_text_decodes_to_its_jws_and_back(number: str) -> None:
    text = _read(f"example-{number}-f-qr-code-numeric-value-0.txt")
    jws = _read(f"example-{number}-d-jws.txt")
    assert shc_numeric.join([text]) == jws
    assert shc_numeric.to_qr_text(jws) == text


def test_three_chunks_join_in_any_order() -> None:
    chunks = [_read(f"example-02-f-qr-code-numeric-value-{index}.txt") for index in (2, 0, 1)]
    assert all(chunk.startswith(("shc:/1/3/", "shc:/2/3/", "shc:/3/3/")) for chunk in chunks)
    assert shc_numeric.join(chunks) == _read("example-02-d-jws.txt")


def test_one_of_one_is_a_whole_card() -> None:
    digits = shc_numeric.encode_digits("a.b.c")
    assert shc_numeric.join([f"shc:/1/1/{digits}"]) == "a.b.c"


def test_prefix_is_case_insensitive() -> None:
    assert shc_numeric.join(["SHC:/" + shc_numeric.encode_digits("a.b.c")]) == "a.b.c"


@pytest.mark.parametrize(
    ("texts", "code"),
    [
        (["shc:/1/3/5676", "shc:/3/3/5676"], codes.CHUNKS_INVALID),  # chunk 2 missing
        (["shc:/1/2/5676", "shc:/1/2/5676"], codes.CHUNKS_INVALID),  # given twice
        (["shc:/1/2/5676", "shc:/2/3/5676"], codes.CHUNKS_INVALID),  # two sets
        (["shc:/3/2/5676"], codes.CHUNKS_INVALID),  # index beyond total
        ([f"shc:/1/{MAX_QR_CHUNKS + 1}/5676"], codes.CHUNKS_INVALID),
        ([], codes.CHUNKS_INVALID),
        (["shc:/567"], codes.NUMERIC_INVALID),  # odd number of digits
        (["shc:/5678"], codes.NUMERIC_INVALID),  # 78 is beyond 'z'
        (["shc:/5a76"], codes.NUMERIC_INVALID),
        (["shc:/56\u0660\u0661"], codes.NUMERIC_INVALID),  # Arabic-Indic digits are not 0-9
        (["shc:/1219"], codes.NUMERIC_INVALID),  # '9' and '@' are no JWS characters
        (["HC1:5676"], codes.PREFIX_INVALID),
    ],
)
def test_bad_qr_texts_name_their_problem(texts: list[str], code: str) -> None:
    with pytest.raises(PayloadError) as raised:
        shc_numeric.join(texts)
    assert raised.value.code == code


def test_encode_refuses_characters_outside_a_jws() -> None:
    with pytest.raises(ValueError, match="compact JWS"):
        shc_numeric.encode_digits("a b")


def _reference_digits(digits: str) -> str:
    """The digits read one pair at a time, as the framework describes them."""
    if len(digits) % 2 or any(char not in "0123456789" for char in digits):
        raise PayloadError(codes.NUMERIC_INVALID, "shc:/ must be followed by pairs of digits")
    text = "".join(chr(int(digits[i : i + 2]) + 45) for i in range(0, len(digits), 2))
    if any(char not in JWS_CHARACTERS for char in text) or any(
        int(digits[i : i + 2]) > 77 for i in range(0, len(digits), 2)
    ):
        raise PayloadError(
            codes.NUMERIC_INVALID, "a digit pair encodes no JWS character (pairs run 00 to 77)"
        )
    return text


JWS_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=")
_DIGITS_AND_MORE = st.text(alphabet="0123456789" * 8 + "abf \n\t/\u0660²:", max_size=40)


def _outcome(read: Callable[[], object]) -> object:
    try:
        return read()
    except PayloadError as error:
        return (error.code, error.message)


@settings(max_examples=400, deadline=None)
@given(st.one_of(_DIGITS_AND_MORE, st.text(alphabet="0123456789", max_size=40)))
def test_digits_read_as_the_framework_reads_them(digits: str) -> None:
    expected = _outcome(lambda: _reference_digits(digits))
    assert _outcome(lambda: shc_numeric.decode_digits(digits)) == expected
    assert _outcome(lambda: shc_numeric.decode_digits_to_bytes(digits).decode()) == expected


@settings(max_examples=400, deadline=None)
@given(
    prefix=st.sampled_from(["shc:/", "SHC:/", "shc:/1/1/", "shc:/1/2/", "shc:/", "HC1:", ""]),
    digits=_DIGITS_AND_MORE,
    second=st.one_of(st.just(""), st.builds(lambda d: " shc:/2/2/" + d, _DIGITS_AND_MORE)),
)
def test_a_qr_text_reads_as_its_chunks_joined(prefix: str, digits: str, second: str) -> None:
    text = (prefix + digits + second).strip()
    expected = _outcome(lambda: shc_numeric.join(text.split()).encode("ascii"))
    found = _outcome(lambda: shc_numeric.qr_text_to_bytes(text))
    assert found == expected
    if isinstance(found, bytes):  # what jws.decode_compact(alphabet_checked=True) relies on
        assert not found.translate(None, "".join(JWS_CHARACTERS).encode())
