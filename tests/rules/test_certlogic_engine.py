"""The CertLogic engine beyond the conformance suites: date-time edge cases of the
specification, errors instead of guesses, validation messages, and property tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcert.errors import HealthcertError
from healthcert.rules import certlogic
from healthcert.rules.certlogic import (
    CertLogicError,
    compile_logic,
    evaluate,
    is_falsy,
    is_truthy,
    validate,
)


def plus_time(text: str, amount: int, unit: str) -> Any:
    return evaluate({"plusTime": [text, amount, unit]}, None)


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


# --- plusTime: formats and normalisation ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021", utc(2021, 12, 31)),
        ("2020-02", utc(2020, 2, 29)),
        ("2021-02", utc(2021, 2, 28)),
        ("2021-06-01", utc(2021, 6, 1)),
        ("2021-06-01T10:20:30", utc(2021, 6, 1, 10, 20, 30)),
        ("2021-06-01T10:20:30Z", utc(2021, 6, 1, 10, 20, 30)),
        ("2021-06-01T10:20:30+2", utc(2021, 6, 1, 8, 20, 30)),
        ("2021-06-01T10:20:30+02", utc(2021, 6, 1, 8, 20, 30)),
        ("2021-06-01T10:20:30+230", utc(2021, 6, 1, 7, 50, 30)),
        ("2021-06-01T10:20:30+0230", utc(2021, 6, 1, 7, 50, 30)),
        ("2021-06-01T10:20:30+2:30", utc(2021, 6, 1, 7, 50, 30)),
        ("2021-06-01T10:20:30-02:30", utc(2021, 6, 1, 12, 50, 30)),
        ("2021-06-01T00:30:00+01:00", utc(2021, 5, 31, 23, 30)),
        ("2021-06-01T10:20:30.1Z", utc(2021, 6, 1, 10, 20, 30, 100_000)),
        ("2021-06-01T10:20:30.12+00:00", utc(2021, 6, 1, 10, 20, 30, 120_000)),
        # Any number of decimals; everything after the third is cut off (rounded down).
        ("2021-06-01T10:20:30.123999999Z", utc(2021, 6, 1, 10, 20, 30, 123_000)),
    ],
)
def test_plus_time_formats_become_utc_milliseconds(text: str, expected: datetime) -> None:
    result = plus_time(text, 0, "day")
    assert result == expected
    assert result.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "21-06-01",
        "2021-6-1",
        "2021-06-01 10:20:30",
        "2021-06-01T10:20",
        "2021-06-01T10:20:30z",
        "2021-06-01t10:20:30",
        "2021-06-01T10:20:30+123:00",
        "2021-06-01T10:20:30+24:00",
        "2021-13-01",
        "2021-02-30",
        "2021-13",
        "2021-06-01T24:00:00",
        "2021-06-01T23:60:00",
        "0000-01-01",
        "２０２１-06-01",  # full-width digits are not ASCII digits
        " 2021-06-01",
        "2021-06-01\n",
    ],
)
def test_plus_time_refuses_other_formats(text: str) -> None:
    with pytest.raises(CertLogicError):
        plus_time(text, 0, "day")


@pytest.mark.parametrize(
    ("text", "amount", "unit", "expected"),
    [
        # The specification's leap-day table.
        ("2020-02-29", 1, "day", utc(2020, 3, 1)),
        ("2020-02-29", 1, "month", utc(2020, 3, 29)),
        ("2020-02-29", 1, "year", utc(2021, 3, 1)),
        # A day that does not exist in the target month overflows, as JavaScript's Date does.
        ("2021-01-31", 1, "month", utc(2021, 3, 3)),
        ("2020-01-31", 1, "month", utc(2020, 3, 2)),
        ("2021-03-31", -1, "month", utc(2021, 3, 3)),
        ("2021-12-15", 1, "month", utc(2022, 1, 15)),
        ("2021-01-15", -1, "month", utc(2020, 12, 15)),
        ("2021-01-15", -25, "month", utc(2018, 12, 15)),
        ("2020-02-29", -4, "year", utc(2016, 2, 29)),
        ("2020-02-29", 4, "year", utc(2024, 2, 29)),
        ("2021-06-01T23:00:00Z", 1, "hour", utc(2021, 6, 2)),
        ("2021-06-01", -1, "hour", utc(2021, 5, 31, 23)),
        # Offsetting works on UTC fields: the +02:00 date is 2021-05-31 in UTC.
        ("2021-06-01T01:00:00+02:00", 1, "month", utc(2021, 7, 1, 23)),
        # No daylight saving time: 180 days are 180 * 24 hours.
        ("2021-06-23T00:00:00Z", -180, "day", utc(2020, 12, 25)),
        ("2021-03-27T12:00:00Z", 24, "hour", utc(2021, 3, 28, 12)),
        # Partial dates are their last day before offsetting.
        ("2004-02", 18, "year", utc(2022, 3, 1)),
        ("2004", 18, "year", utc(2022, 12, 31)),
    ],
)
def test_plus_time_arithmetic(text: str, amount: int, unit: str, expected: datetime) -> None:
    assert plus_time(text, amount, unit) == expected


def test_plus_time_out_of_range_is_an_error_not_a_wrong_date() -> None:
    with pytest.raises(CertLogicError):
        plus_time("9999-12-31", 1, "day")
    with pytest.raises(CertLogicError):
        plus_time("2021-01-01", 10**12, "day")
    with pytest.raises(CertLogicError):
        plus_time("0001-01-01T00:30:00+01:00", 0, "day")


@pytest.mark.parametrize("operand", [None, 20210601, True, ["2021-06-01"], {"a": 1}])
def test_plus_time_needs_a_string(operand: Any) -> None:
    with pytest.raises(CertLogicError, match="plusTime"):
        evaluate({"plusTime": [{"var": "d"}, 0, "day"]}, {"d": operand})


# --- dccDateOfBirth ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dob", "expected"),
    [
        ("1964", utc(1964, 12, 31)),
        ("1964-02", utc(1964, 2, 29)),
        ("1963-02", utc(1963, 2, 28)),
        ("1964-04", utc(1964, 4, 30)),
        ("1964-08-12", utc(1964, 8, 12)),
    ],
)
def test_dcc_date_of_birth(dob: str, expected: datetime) -> None:
    assert evaluate({"dccDateOfBirth": [{"var": "dob"}]}, {"dob": dob}) == expected


@pytest.mark.parametrize("dob", ["", None, 1964, "1964-08-12T00:00:00Z", "1964-13", "64-08-12"])
def test_dcc_date_of_birth_refuses_anything_else(dob: Any) -> None:
    with pytest.raises(CertLogicError):
        evaluate({"dccDateOfBirth": [{"var": "dob"}]}, {"dob": dob})


# --- extractFromUVCI ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uvci", "index", "expected"),
    [
        ("URN:UVCI:01:DE:ABC/123#X", 0, "01"),
        ("URN:UVCI:01:DE:ABC/123#X", 1, "DE"),
        ("URN:UVCI:01:DE:ABC/123#X", 4, "X"),
        ("urn:uvci:01:DE", 0, "urn"),  # the optional prefix is upper case, as written
        ("URN:UVCI:", 0, ""),
        ("a::c/#/f", 1, ""),
        ("a::c/#/f", 6, None),
    ],
)
def test_extract_from_uvci(uvci: str, index: int, expected: str | None) -> None:
    assert evaluate({"extractFromUVCI": [{"var": "u"}, index]}, {"u": uvci}) == expected


def test_extract_from_uvci_refuses_non_strings() -> None:
    with pytest.raises(CertLogicError):
        evaluate({"extractFromUVCI": [{"var": "u"}, 0]}, {"u": 42})


# --- errors instead of guesses ------------------------------------------------------------------

NOW = "2021-06-01T00:00:00Z"


@pytest.mark.parametrize(
    ("logic", "data"),
    [
        ({"<": ["1", 2]}, None),
        ({"<": [{"var": "x"}, 2]}, {}),
        ({">=": [True, 0]}, None),
        ({"<": [1, 2, "3"]}, None),
        ({"<": [1.5, 2]}, None),
        ({"after": ["2021-06-01", "2021-05-01"]}, None),
        ({"before": [{"plusTime": [NOW, 0, "day"]}, 5]}, None),
        ({"not-before": [{"plusTime": [NOW, 0, "day"]}, {"var": "x"}]}, {"x": None}),
        ({"after": [{"var": "a"}, {"var": "b"}]}, {"a": datetime(2021, 1, 1), "b": 1}),
        ({"if": [{"plusTime": [NOW, 0, "day"]}, 1, 2]}, None),
        ({"!": [{"plusTime": [NOW, 0, "day"]}]}, None),
        ({"and": [True, {"plusTime": [NOW, 0, "day"]}]}, None),
        ({"and": [{"var": "x"}, True]}, {"x": 0.5}),
        ({"===": [["a"], ["a"]]}, None),
        ({"===": [{"var": "x"}, 1]}, {"x": {"a": 1}}),
        ({"===": [{"plusTime": [NOW, 0, "day"]}, {"plusTime": [NOW, 0, "day"]}]}, None),
        ({"in": ["a", "abc"]}, None),
        ({"in": ["a", {"var": "x"}]}, {"x": {"a": 1}}),
        ({"in": [["a"], [["a"]]]}, None),
        ({"+": ["1", 2]}, None),
        ({"+": [1, {"var": "x"}]}, {}),
        ({"reduce": ["abc", {"var": "accumulator"}, 0]}, None),
        ({"reduce": [{"var": "x"}, {"+": [{"var": "accumulator"}, 1]}, 0]}, {"x": {"a": 1}}),
    ],
)
def test_type_mismatches_raise(logic: Any, data: Any) -> None:
    with pytest.raises(CertLogicError):
        evaluate(logic, data)


def test_cert_logic_error_is_a_healthcert_error() -> None:
    assert issubclass(CertLogicError, HealthcertError)


def test_invalid_logic_raises_before_evaluating() -> None:
    with pytest.raises(CertLogicError, match='unrecognised operator: "or"'):
        compile_logic({"or": [True, False]})
    with pytest.raises(CertLogicError, match="not a valid CertLogic expression"):
        evaluate(None, {})


@pytest.mark.parametrize(
    ("logic", "expected"),
    [
        ({"===": [1, 1.0]}, True),
        ({"===": [True, 1]}, False),
        ({"===": [0, False]}, False),
        ({"===": [{"var": "nothing"}, {"var": "o.missing"}]}, True),
        ({"===": ["", {"var": "nothing"}]}, False),
        ({"in": [1, [True, 1]]}, True),
        ({"in": [True, [1]]}, False),
        ({"in": [{"var": "nothing"}, [{"var": "nothing"}]]}, True),
        ({"+": [2.0, 3]}, 5),
        ({"<": [1, 2.0, 3]}, True),
        ({"!": [{"var": "x"}]}, True),
        ({"and": [1, "a", ["x"], {"var": "o"}]}, {"k": 1}),
        ({"if": [{"var": "o"}, "yes", "no"]}, "yes"),
    ],
)
def test_values_without_coercion(logic: Any, expected: Any) -> None:
    result = evaluate(logic, {"o": {"k": 1}})
    assert result == expected
    assert type(result) is type(expected)


def test_truthiness_is_the_specifications() -> None:
    for value in (False, None, "", 0, 0.0, [], {}):
        assert is_falsy(value) and not is_truthy(value)
    for value in (True, "0", "x", 1, -1, 2.0, [0], {"a": None}):
        assert is_truthy(value) and not is_falsy(value)
    for value in (0.5, utc(2021, 1, 1), object()):
        assert not is_truthy(value) and not is_falsy(value)


def test_and_is_lazy_and_if_evaluates_one_branch() -> None:
    explode = {"plusTime": [{"var": "nothing"}, 0, "day"]}  # raises when evaluated
    assert evaluate({"and": [False, explode]}, {}) is False
    assert evaluate({"if": [True, 1, explode]}, {}) == 1
    assert evaluate({"if": [False, explode, 2]}, {}) == 2


def test_reduce_lambda_context() -> None:
    count_ok = {
        "if": [{"var": "current.ok"}, {"+": [{"var": "accumulator"}, 1]}, {"var": "accumulator"}]
    }
    logic = {"reduce": [{"var": "xs"}, count_ok, 0]}
    assert evaluate(logic, {"xs": [{"ok": True}, {"ok": False}, {"ok": 1}]}) == 2


def test_evaluator_is_reusable_and_does_not_share_results() -> None:
    evaluator = compile_logic(["a", {"var": "x"}])
    first = evaluator({"x": 1})
    first.append("mutated")
    assert evaluator({"x": 2}) == ["a", 2]


def test_naive_datetimes_in_data_are_not_date_times() -> None:
    logic = {"after": [{"var": "a"}, {"plusTime": ["2021-01-01", 0, "day"]}]}
    with pytest.raises(CertLogicError):
        evaluate(logic, {"a": datetime(2021, 6, 1)})


# --- data access --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "data", "expected"),
    [
        ("a.0", {"a": "xyz"}, None),  # strings are not arrays in CertLogic
        ("a.0.0", {"a": "xyz"}, None),
        ("a.0.b", {"a": "xyz"}, None),
        ("a.1", {"a": {"1": "one"}}, "one"),  # a number fragment is a key of an object
        ("a.-1", {"a": [1, 2]}, None),  # never Python's from-the-end indexing
        ("a.01", {"a": [1, 2]}, 2),
        ("a.b", {"a": [1, 2]}, None),
        ("a.b.c.d.e.f", {"a": {"b": {"c": {"d": {"e": {"f": 6}}}}}}, 6),
        ("a.b.c.d.e.f", {"a": {"b": {"c": {"d": {"e": None}}}}}, None),
        ("a", {"a": None}, None),
        ("0.0", [[7]], 7),
        ("0", "abc", None),
        ("x", 5, None),
    ],
)
def test_var_paths(path: str, data: Any, expected: Any) -> None:
    assert evaluate({"var": path}, data) == expected


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text("ab01", max_size=3),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "0", "1"]), children, max_size=3)
    ),
    max_leaves=12,
)
paths = st.lists(st.sampled_from(["a", "b", "0", "1", "2"]), min_size=1, max_size=6).map(".".join)


def _reference_access(path: str, data: Any) -> Any:
    """The specification's data access, step by step, as plainly as possible."""
    value = data
    for fragment in path.split("."):
        if isinstance(value, dict):
            value = value.get(fragment)
        elif isinstance(value, list) and fragment.isdigit() and int(fragment) < len(value):
            value = value[int(fragment)]
        else:
            return None
    return value


@given(data=json_values, path=paths)
def test_fast_data_access_agrees_with_the_reference(data: Any, path: str) -> None:
    assert evaluate({"var": path}, data) == _reference_access(path, data)


# --- property tests of the date-time arithmetic ---------------------------------------------------

dates = st.dates(min_value=datetime(1900, 1, 1).date(), max_value=datetime(2100, 12, 31).date())


@given(day=dates, amount=st.integers(-5000, 5000))
def test_days_and_hours_are_exact(day: Any, amount: int) -> None:
    text = day.isoformat()
    start = utc(day.year, day.month, day.day)
    assert plus_time(text, amount, "day") == start + timedelta(days=amount)
    assert plus_time(text, amount, "hour") == start + timedelta(hours=amount)


@given(day=dates, years=st.integers(-100, 100))
def test_a_year_is_twelve_months(day: Any, years: int) -> None:
    text = day.isoformat()
    assert plus_time(text, years, "year") == plus_time(text, 12 * years, "month")


@given(day=dates, months=st.integers(-1200, 1200))
def test_month_offsets_keep_the_day_or_overflow_into_the_next_month(day: Any, months: int) -> None:
    result = plus_time(day.isoformat(), months, "month")
    target = (day.year * 12 + day.month - 1 + months) % 12 + 1
    if result.month == target:
        assert result.day == day.day
    else:  # the day does not exist in the target month: it spills into the next one
        assert result.month == target % 12 + 1
        assert result.day == day.day - (result - timedelta(days=result.day)).day


@given(a=st.integers(), b=st.integers(), c=st.integers())
def test_integer_comparisons(a: int, b: int, c: int) -> None:
    assert evaluate({"<": [a, b]}, None) is (a < b)
    assert evaluate({"<=": [a, b, c]}, None) is (a <= b <= c)
    assert evaluate({">": [a, b, c]}, None) is (a > b > c)
    assert evaluate({"+": [a, b]}, None) == a + b


# --- validation beyond the suite ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("logic", "message"),
    [
        ({"if": [True, 1]}, 'operator "if" takes exactly 3 operand(s), but has 2'),
        ({"and": [True]}, 'operator "and" takes at least 2 operand(s), but has 1'),
        ({"<": [1]}, 'operator "<" takes 2 or 3 operand(s), but has 1'),
        ({"after": [1, 2, 3, 4]}, 'operator "after" takes 2 or 3 operand(s), but has 4'),
        ({"===": [1, 2, 3]}, 'operator "===" takes exactly 2 operand(s), but has 3'),
        ({"!": []}, 'operator "!" takes exactly 1 operand(s), but has 0'),
        ({"plusTime": ["2021", "1", "day"]}, '"plusTime" amount must be an integer, not "1"'),
        ({"plusTime": ["2021", 1, "week"]}, '"plusTime" unit must be one of year, month, day'),
        ({"plusTime": ["2021", {"var": "n"}, "day"]}, '"plusTime" amount must be an integer'),
        ({"extractFromUVCI": ["x", "1"]}, '"extractFromUVCI" index must be an integer'),
        ({"!==": [1, 2]}, 'unrecognised operator: "!=="'),
        ({"or": [1, 2]}, 'unrecognised operator: "or"'),
        ({"var": ["x", 0]}, 'not of the form { "var": "<path>" }'),
        ({"var": ".x"}, "data access path doesn't have a valid format: .x"),
        ({"in": ["a", [1.5]]}, "1.5 is a non-integer number"),
        ({"if": [{"foo": [1]}, 1, 2]}, 'unrecognised operator: "foo"'),
    ],
)
def test_validation_messages(logic: Any, message: str) -> None:
    problems = validate(logic)
    assert len(problems) == 1
    assert problems[0].startswith(message)


def test_validation_reports_every_problem() -> None:
    logic = {"and": [{"foo": []}, {"if": [1]}, {"var": 3}]}
    assert len(validate(logic)) == 3


def test_nesting_is_bounded() -> None:
    logic: Any = True
    for _ in range(certlogic.MAX_DEPTH + 5):
        logic = {"!": [logic]}
    assert any("nested deeper" in problem for problem in validate(logic))
    with pytest.raises(CertLogicError):
        compile_logic(logic)


def test_integral_floats_are_integers() -> None:
    assert validate({"plusTime": ["2021-01-01", 2.0, "day"]}) == []
    assert evaluate({"plusTime": ["2021-01-01", 2.0, "day"]}, None) == utc(2021, 1, 3)
    assert evaluate(42.0, None) == 42


def test_the_package_offers_evaluate_and_validate() -> None:
    import healthcert.rules

    assert healthcert.rules.evaluate({"+": [1, {"var": "a"}]}, {"a": 2}) == 3
    assert healthcert.rules.validate({"+": [1, 2]}) == []
    assert healthcert.rules.validate({"no-such-operator": [1]}) != []
