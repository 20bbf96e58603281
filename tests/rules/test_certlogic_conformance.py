"""Every assertion of the CertLogic conformance suites, each checked for an exact value.

Upstream marks a few assertions "skip"; we run them anyway. The ones our engine answers
differently are listed in ``KNOWN_DEVIATIONS`` with the reason, and expected to fail (strictly:
if one starts passing, the test fails and the list must be revisited).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from healthcert.rules.certlogic import CertLogicError, evaluate, validate, validation_issues

SUITES = Path(__file__).parent.parent / "data" / "certlogic"

_IN_NEEDS_ARRAY = (
    "upstream marks this assertion 'skip': it expects `in` with a null right-hand side to be "
    "false, but CertLogic 1.3.2 says the right operand of `in` must be an array and that "
    "operating on a non-array is an error, so our evaluator raises CertLogicError"
)
_PATCHED_REDUCE = (
    "upstream marks this suite 'skip': it tests a `data` key in the context of reduce's lambda, "
    "which CertLogic 1.3.2 only says the language *may* add one day; under 1.3.2 "
    '`{"var": "data.z"}` inside the lambda is null, which gives a different count'
)
# (file, case index, assertion index) -> why our (spec-conformant) answer differs.
KNOWN_DEVIATIONS: dict[tuple[str, int, int], str] = {
    ("ins-with-nulls.json", 0, 0): _IN_NEEDS_ARRAY,
    ("ins-with-nulls.json", 0, 1): _IN_NEEDS_ARRAY,
    ("ins-with-nulls.json", 0, 2): _IN_NEEDS_ARRAY,
    ("ins-with-nulls.json", 0, 3): _IN_NEEDS_ARRAY,
    ("patched-reduce.json", 0, 6): _PATCHED_REDUCE,
    ("patched-reduce.json", 0, 7): _PATCHED_REDUCE,
    ("patched-reduce.json", 0, 8): _PATCHED_REDUCE,
    ("patched-reduce.json", 0, 9): _PATCHED_REDUCE,
}


def _load(directory: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, json.loads(path.read_text("utf-8")))
        for path in sorted((SUITES / directory).glob("*.json"))
    ]


def _evaluation_params() -> list[Any]:
    params = []
    for name, suite in _load("testSuite"):
        for case_index, case in enumerate(suite["cases"]):
            for index, assertion in enumerate(case["assertions"]):
                expression = assertion.get("certLogicExpression", case.get("certLogicExpression"))
                marks = []
                reason = KNOWN_DEVIATIONS.get((name, case_index, index))
                if reason is not None:
                    marks.append(pytest.mark.xfail(reason=reason, strict=True))
                params.append(
                    pytest.param(
                        expression,
                        assertion["data"],
                        assertion["expected"],
                        id=f"{name}:{case_index}:{index}:{case['name']}",
                        marks=marks,
                    )
                )
    return params


def _validation_params() -> list[Any]:
    return [
        pytest.param(case["certLogicExpression"], case["issues"], id=f"{name}:{index}")
        for name, suite in _load("validation-testSuite")
        for index, case in enumerate(suite["cases"])
    ]


def _exactly(actual: Any, expected: Any) -> bool:
    """Equal values of equal JSON types: 1 is not true, 0 is not false, "" is not null."""
    if isinstance(expected, bool) or expected is None or isinstance(actual, bool):
        return actual is expected
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_exactly(a, e) for a, e in zip(actual, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and actual.keys() == expected.keys()
            and all(_exactly(actual[key], value) for key, value in expected.items())
        )
    return type(actual) is type(expected) and actual == expected


@pytest.mark.parametrize(("expression", "data", "expected"), _evaluation_params())
def test_evaluation_suite(expression: Any, data: Any, expected: Any) -> None:
    try:
        actual = evaluate(expression, data)
    except CertLogicError as exc:
        pytest.fail(f"raised CertLogicError: {exc}")
    assert _exactly(actual, expected), f"{actual!r} != {expected!r}"


def _expression_params() -> list[Any]:
    return [
        pytest.param(param.values[0], id=param.id)
        for param in _evaluation_params()
        if param.values[0] is not None  # assertions without an own expression use the case's
    ]


@pytest.mark.parametrize("expression", _expression_params())
def test_suite_expressions_are_valid(expression: Any) -> None:
    assert validate(expression) == []


def _assertion(name: str, case_index: int, index: int) -> tuple[Any, Any]:
    suite = json.loads((SUITES / "testSuite" / name).read_text("utf-8"))
    case = suite["cases"][case_index]
    return case["certLogicExpression"], case["assertions"][index]["data"]


@pytest.mark.parametrize("index", [0, 1, 2, 3])
def test_deviation_in_on_null_raises(index: int) -> None:
    """What we do instead of the skipped ins-with-nulls assertions: the spec's error."""
    expression, data = _assertion("ins-with-nulls.json", 0, index)
    with pytest.raises(CertLogicError, match="must be an array"):
        evaluate(expression, data)


@pytest.mark.parametrize(("index", "count"), [(5, 1), (6, 1), (7, 0), (8, 0), (9, 0)])
def test_deviation_reduce_lambda_sees_only_accumulator_and_current(index: int, count: int) -> None:
    """What we do instead of the skipped patched-reduce assertions: "data.z" is null."""
    expression, data = _assertion("patched-reduce.json", 0, index)
    assert _exactly(evaluate(expression, data), count)


@pytest.mark.parametrize(("expression", "issues"), _validation_params())
def test_validation_suite(expression: Any, issues: list[dict[str, Any]]) -> None:
    actual = [(issue.expr, issue.message) for issue in validation_issues(expression)]
    assert actual == [(issue["expr"], issue["message"]) for issue in issues]


def test_suite_counts() -> None:
    """Guard against a suite silently losing cases (a bad glob, an emptied file)."""
    assert len(_evaluation_params()) == 232
    assert len(_validation_params()) == 23


def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SUITES / "schemas" / name).read_text("utf-8"))
    return schema


def test_suite_files_match_their_schemas() -> None:
    expression = _schema("CertLogic-expression.json")
    registry: Registry[Any] = Registry().with_resource(
        expression["$id"], Resource.from_contents(expression)
    )
    for directory, schema_name in (
        ("testSuite", "CertLogic-testSuite.json"),
        ("validation-testSuite", "CertLogic-validation-testSuite.json"),
    ):
        validator = jsonschema.Draft7Validator(_schema(schema_name), registry=registry)
        for name, suite in _load(directory):
            errors = [error.message for error in validator.iter_errors(suite)]
            assert errors == [], name
