"""RFC 8785 JSON canonicalisation: the bytes a VDS-NC signature covers."""

import struct

import pytest

from healthcert.codec import canonical_json
from healthcert.limits import MAX_NESTING_DEPTH


def _double(bits: int) -> float:
    value: float = struct.unpack(">d", bits.to_bytes(8, "big"))[0]
    return value


# RFC 8785 appendix B: IEEE 754 bit patterns and their ECMAScript serialisation.
NUMBER_SAMPLES = [
    (0x0000000000000000, "0"),
    (0x8000000000000000, "0"),
    (0x0000000000000001, "5e-324"),
    (0x8000000000000001, "-5e-324"),
    (0x7FEFFFFFFFFFFFFF, "1.7976931348623157e+308"),
    (0xFFEFFFFFFFFFFFFF, "-1.7976931348623157e+308"),
    (0x4340000000000000, "9007199254740992"),
    (0xC340000000000000, "-9007199254740992"),
    (0x4430000000000000, "295147905179352830000"),
    (0x44B52D02C7E14AF5, "9.999999999999997e+22"),
    (0x44B52D02C7E14AF6, "1e+23"),
    (0x44B52D02C7E14AF7, "1.0000000000000001e+23"),
    (0x444B1AE4D6E2EF4E, "999999999999999700000"),
    (0x444B1AE4D6E2EF4F, "999999999999999900000"),
    (0x444B1AE4D6E2EF50, "1e+21"),
    (0x3EB0C6F7A0B5ED8C, "9.999999999999997e-7"),
    (0x3EB0C6F7A0B5ED8D, "0.000001"),
    (0x41B3DE4355555553, "333333333.3333332"),
    (0x41B3DE4355555554, "333333333.33333325"),
    (0x41B3DE4355555555, "333333333.3333333"),
    (0x41B3DE4355555556, "333333333.3333334"),
    (0x41B3DE4355555557, "333333333.33333343"),
    (0xBECBF647612F3696, "-0.0000033333333333333333"),
    (0x43143FF3C1CB0959, "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), NUMBER_SAMPLES)
def test_numbers_serialise_as_ecmascript_does(bits: int, text: str) -> None:
    assert canonical_json.number(_double(bits)) == text


@pytest.mark.parametrize("bits", [0x7FFFFFFFFFFFFFFF, 0x7FF0000000000000, 0xFFF0000000000000])
def test_nan_and_infinities_have_no_json_form(bits: int) -> None:
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.number(_double(bits))


def test_integers_beyond_2_to_the_53_are_written_as_the_double_they_become() -> None:
    assert canonical_json.number(2**60) == "1152921504606847000"
    assert canonical_json.number(-42) == "-42"
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.number(10**400)


def test_rfc_8785_example_object() -> None:
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonical_json.dumps(canonical_json.loads(text)) == expected.encode("utf-8")


def test_members_sort_by_utf16_code_units_not_code_points() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    order = list(canonical_json.loads(canonical_json.dumps(value)))
    # U+1F600 is the surrogate pair D83D DE00, which sorts before U+FB33.
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


def test_nested_objects_sort_at_every_level_without_whitespace() -> None:
    value = {"msg": {"pid": {"n": "X", "dob": "1990-01-02"}, "b": [{"z": 1, "a": 2}]}, "hdr": {}}
    assert canonical_json.dumps(value) == (
        b'{"hdr":{},"msg":{"b":[{"a":2,"z":1}],"pid":{"dob":"1990-01-02","n":"X"}}}'
    )


def test_non_ascii_names_are_written_as_utf8_not_escaped() -> None:
    value = {"n": "Müller Łukasz 张伟 Ωμέγα", "\u00e9": "\u2028"}
    assert canonical_json.dumps(value) == ('{"n":"Müller Łukasz 张伟 Ωμέγα","é":"\u2028"}'.encode())


def test_control_characters_use_short_escapes_where_json_has_them() -> None:
    assert canonical_json.dumps("\b\t\n\f\r\x01\x1f\x7f") == b'"\\b\\t\\n\\f\\r\\u0001\\u001f\x7f"'


def test_lone_surrogates_are_refused() -> None:
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.dumps("\ud800")


@pytest.mark.parametrize(
    "text",
    ['{"a": 1, "a": 2}', "[NaN]", '{"a": Infinity}', "{", '{"a": 1e400}'],
)
def test_loads_refuses_what_is_not_i_json(text: str) -> None:
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.dumps(canonical_json.loads(text))


def test_nesting_beyond_the_limit_is_refused_both_ways() -> None:
    deep: object = []
    for _ in range(MAX_NESTING_DEPTH + 1):
        deep = [deep]
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.dumps(deep)
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.loads("[" * 5000 + "]" * 5000)


def test_non_json_values_are_refused() -> None:
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.dumps({"when": object()})
    with pytest.raises(canonical_json.CanonicalJsonError):
        canonical_json.dumps({1: "a"})
