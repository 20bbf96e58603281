"""CertLogic: the rule language of EU DCC validation rules (specification 1.3.x).

One module because it is one interpreter: the validator and the compiler read the same
operator table and must accept exactly the same expressions.

CertLogic is a strict subset of JsonLogic plus date-time operations. This is our own
implementation, written from the specification:

* :func:`validate` / :func:`validation_issues` check an expression without data.
* :func:`compile_logic` validates once and turns the expression into a tree of Python closures;
  evaluating that is several times faster than walking the JSON on every call. Rules keep the
  compiled form, so a verifier pays the compilation once per rule, not once per certificate.
* :func:`evaluate` is the one-shot convenience: compile, then run.

Evaluation either returns the value the specification defines or raises :class:`CertLogicError`;
it never guesses. Values that the specification leaves undefined (comparing a string with ``<``,
``plusTime`` of ``null``, a guard that is neither truthy nor falsy, ``===`` on arrays) are errors.

Date-time values are aware ``datetime`` objects in UTC (see :mod:`healthcert.rules.datetimes`).
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from healthcert.errors import HealthcertError
from healthcert.rules import datetimes

__all__ = [
    "SPECIFICATION_VERSION",
    "CertLogicError",
    "Evaluator",
    "ValidationIssue",
    "compile_logic",
    "evaluate",
    "is_falsy",
    "is_truthy",
    "validate",
    "validation_issues",
]

SPECIFICATION_VERSION: Final = "1.3.2"

Evaluator = Callable[[Any], Any]
"""A compiled expression: takes the data context, returns the expression's value."""

# Rule logic is a few levels deep in practice (the EU rules stay below 15); the limit keeps a
# hostile rule from exhausting the Python stack while validating, compiling or evaluating.
MAX_DEPTH: Final = 64


class CertLogicError(HealthcertError):
    """A CertLogic expression is invalid, or cannot be evaluated on the given data.

    This is the only exception :func:`evaluate` and compiled evaluators raise. A rule whose
    evaluation raises it has no result (the EU apps show such a rule as "open").
    """


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem of an expression: the offending (sub-)expression and what is wrong."""

    expr: Any
    message: str


# --- truthiness ---------------------------------------------------------------------------------


def _truthiness(value: Any) -> bool | None:
    """True if truthy, False if falsy, None if neither (the specification has both notions)."""
    kind = type(value)
    if kind is bool:
        return bool(value)
    if value is None:
        return False
    if kind is str or kind is list or kind is dict:
        return len(value) > 0
    if kind is int:
        return bool(value != 0)
    if kind is float:
        return bool(value != 0) if value.is_integer() else None
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return None  # date-times, non-integer numbers, foreign objects


def is_truthy(value: Any) -> bool:
    """Whether CertLogic considers ``value`` truthy."""
    return _truthiness(value) is True


def is_falsy(value: Any) -> bool:
    """Whether CertLogic considers ``value`` falsy."""
    return _truthiness(value) is False


def _show(value: Any) -> str:
    """A short rendering of a value for error messages (never the whole payload)."""
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds")
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError, RecursionError):  # deeply nested or circular data
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."


# --- validation ---------------------------------------------------------------------------------

_VAR_PATH: Final = re.compile(r"[^.]+(?:\.[^.]+)*\Z")
_COMPARISONS: Final = ("<", ">", "<=", ">=")
_DATE_COMPARISONS: Final = ("after", "before", "not-after", "not-before")
# operator -> (fewest, most) operands; None = no upper bound.
_ARITY: Final[dict[str, tuple[int, int | None]]] = {
    "if": (3, 3),
    "===": (2, 2),
    "in": (2, 2),
    "+": (2, 2),
    "and": (2, None),
    "!": (1, 1),
    "plusTime": (3, 3),
    "dccDateOfBirth": (1, 1),
    "reduce": (3, 3),
    "extractFromUVCI": (2, 2),
    **{op: (2, 3) for op in _COMPARISONS + _DATE_COMPARISONS},
}
OPERATORS: Final = frozenset(("var", *_ARITY))
_NOT_AN_OPERATION: Final = 'operation not of the form { "<operator>": [ <values...> ] }'


def _is_int(value: Any) -> bool:
    """JSON has one number type: 2.0 is the integer 2, as in the JavaScript reference."""
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _arity_problem(op: str, count: int) -> str | None:
    low, high = _ARITY[op]
    if low <= count and (high is None or count <= high):
        return None
    if high is None:
        wanted = f"at least {low}"
    elif low == high:
        wanted = f"exactly {low}"
    else:
        wanted = f"{low} or {high}"
    return f'operator "{op}" takes {wanted} operand(s), but has {count}'


def _literal_operand_issues(expr: Any, op: str, operands: list[Any]) -> list[ValidationIssue]:
    """plusTime's amount and unit and extractFromUVCI's index are literals, not expressions."""
    if op == "plusTime" and len(operands) == 3:
        amount, unit = operands[1], operands[2]
        issues = []
        if not _is_int(amount):
            issues.append(
                ValidationIssue(expr, f'"plusTime" amount must be an integer, not {_show(amount)}')
            )
        if unit not in datetimes.TIME_UNITS:
            units = ", ".join(datetimes.TIME_UNITS)
            issues.append(
                ValidationIssue(expr, f'"plusTime" unit must be one of {units}, not {_show(unit)}')
            )
        return issues
    if op == "extractFromUVCI" and len(operands) == 2 and not _is_int(operands[1]):
        return [
            ValidationIssue(
                expr, f'"extractFromUVCI" index must be an integer, not {_show(operands[1])}'
            )
        ]
    return []


def _expression_operands(op: str, operands: list[Any]) -> list[Any]:
    """The operands that are themselves expressions (and are validated as such)."""
    if op in ("plusTime", "extractFromUVCI"):
        return operands[:1]
    high = _ARITY[op][1]
    return operands if high is None else operands[:high]


def _operation_issues(expr: dict[Any, Any], depth: int) -> list[ValidationIssue]:
    if len(expr) != 1:
        message = f"expression object must have exactly one key, but it has {len(expr)}"
        return [ValidationIssue(expr, message)]
    ((op, operands),) = expr.items()
    if op == "var":
        if not isinstance(operands, str):
            return [ValidationIssue(expr, 'not of the form { "var": "<path>" }')]
        if operands and not _VAR_PATH.match(operands):
            message = f"data access path doesn't have a valid format: {operands}"
            return [ValidationIssue(expr, message)]
        return []
    if not isinstance(operands, list):
        return [ValidationIssue(expr, _NOT_AN_OPERATION)]
    if op not in _ARITY:
        return [ValidationIssue(expr, f'unrecognised operator: "{op}"')]
    issues = []
    arity_problem = _arity_problem(op, len(operands))
    if arity_problem is not None:
        issues.append(ValidationIssue(expr, arity_problem))
    issues.extend(_literal_operand_issues(expr, op, operands))
    for operand in _expression_operands(op, operands):
        issues.extend(_issues(operand, depth + 1))
    return issues


def _issues(expr: Any, depth: int) -> list[ValidationIssue]:
    if depth > MAX_DEPTH:
        return [ValidationIssue(expr, f"expression is nested deeper than {MAX_DEPTH} levels")]
    kind = type(expr)
    if kind is str or kind is bool or kind is int:
        return []
    if kind is float:
        if expr.is_integer():
            return []
        return [ValidationIssue(expr, f"{expr} is a non-integer number")]
    if kind is list:
        return [issue for item in expr for issue in _issues(item, depth + 1)]
    if kind is dict:
        return _operation_issues(expr, depth)
    return [ValidationIssue(expr, "invalid CertLogic expression")]


def validation_issues(logic: Any) -> list[ValidationIssue]:
    """Every problem of ``logic`` as a CertLogic expression, with the sub-expression at fault.

    An empty list means the expression is well-formed: evaluating it can then fail only on
    type mismatches with the data, never on its shape.
    """
    return _issues(logic, 0)


def validate(logic: Any) -> list[str]:
    """The problems of ``logic`` as messages (empty if it is a valid CertLogic expression)."""
    return [issue.message for issue in validation_issues(logic)]


# --- compilation: data access -----------------------------------------------------------------


def _drill(value: Any, key: str, index: int) -> Any:
    """One step of a data access path; anything that cannot be drilled into gives null."""
    if isinstance(value, Mapping):
        return value.get(key)
    if isinstance(value, list | tuple):
        return value[index] if 0 <= index < len(value) else None
    return None  # null, and scalars: "abc".0 is null in CertLogic, not "a"


def _careful_access(steps: tuple[tuple[str, int], ...]) -> Evaluator:
    """Data access that checks the type at every step: the reference for the fast path."""

    def access(data: Any) -> Any:
        value = data
        for key, index in steps:
            if value is None:
                return None
            value = _drill(value, key, index)
        return value

    return access


# Subscripting raises one of these wherever the careful walk would give null: a missing key or
# index, or a step into null, a scalar, or an array by name.
_MISS: Final = (KeyError, IndexError, TypeError)


def _subscripting(keys: tuple[str | int, ...]) -> Callable[[Any], Any]:
    """``data[k0][k1]...`` unrolled for the usual short paths; raises on any miss."""
    if len(keys) == 1:
        (k0,) = keys
        return lambda data: data[k0]
    if len(keys) == 2:
        k0, k1 = keys
        return lambda data: data[k0][k1]
    if len(keys) == 3:
        k0, k1, k2 = keys
        return lambda data: data[k0][k1][k2]
    if len(keys) == 4:
        k0, k1, k2, k3 = keys
        return lambda data: data[k0][k1][k2][k3]

    def walk(data: Any) -> Any:
        for key in keys:
            data = data[key]
        return data

    return walk


def _compile_var(path: str) -> Evaluator:
    if path == "":
        return lambda data: data
    # A fragment indexes arrays only when it is a plain non-negative decimal number.
    steps = tuple(
        (fragment, int(fragment) if fragment.isascii() and fragment.isdigit() else -1)
        for fragment in path.split(".")
    )
    careful = _careful_access(steps)
    # Fast path: plain subscripting, exact on JSON data. An integer index applied to a string
    # would pick a character where CertLogic gives null; a later name step then raises and we
    # fall back, and a final index step is only taken on a real array (checked below).
    *prefix, (_, last_index) = steps
    if last_index < 0:
        subscript = _subscripting(tuple(i if i >= 0 else k for k, i in steps))

        def access_by_name(data: Any) -> Any:
            try:
                return subscript(data)
            except _MISS:
                return careful(data)

        return access_by_name

    parent_of = _subscripting(tuple(i if i >= 0 else k for k, i in prefix)) if prefix else None

    def access_by_index(data: Any) -> Any:
        try:
            parent = data if parent_of is None else parent_of(data)
        except _MISS:
            return careful(data)
        if type(parent) is list:
            return parent[last_index] if last_index < len(parent) else None
        return careful(data)

    return access_by_index


# --- compilation: logic and comparisons --------------------------------------------------------


def _guard_error(what: str, value: Any) -> CertLogicError:
    return CertLogicError(f"{what} is neither truthy nor falsy: {_show(value)}")


def _compile_if(guard: Evaluator, then: Evaluator, else_: Evaluator) -> Evaluator:
    def run_if(data: Any) -> Any:
        value = guard(data)
        if value is True:
            return then(data)
        if value is False or value is None:
            return else_(data)
        truth = _truthiness(value)
        if truth is None:
            raise _guard_error("the guard of an if", value)
        return then(data) if truth else else_(data)

    return run_if


def _compile_and(operands: tuple[Evaluator, ...]) -> Evaluator:
    # Lazy and in order: the first falsy operand is the result, else the last operand.
    def run_and(data: Any) -> Any:
        value: Any = None
        for operand in operands:
            value = operand(data)
            if value is True:
                continue
            truth = _truthiness(value)
            if truth is None:
                raise _guard_error('an operand of "and"', value)
            if not truth:
                return value
        return value

    return run_and


def _compile_not(operand: Evaluator) -> Evaluator:
    def run_not(data: Any) -> bool:
        value = operand(data)
        truth = _truthiness(value)
        if truth is None:
            raise _guard_error('the operand of "!"', value)
        return not truth

    return run_not


_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
    "before": operator.lt,
    "after": operator.gt,
    "not-after": operator.le,
    "not-before": operator.ge,
}


def _is_date_time(value: Any) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _comparison_error(op: str, values: Sequence[Any]) -> CertLogicError:
    wanted = "date-times" if op in _DATE_COMPARISONS else "integers"
    shown = ", ".join(_show(value) for value in values)
    return CertLogicError(f'operands of "{op}" must be {wanted}, got {shown}')


def _well_typed(op: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
    accepts = _is_date_time if op in _DATE_COMPARISONS else _is_int
    if not all(accepts(value) for value in values):
        raise _comparison_error(op, values)
    return values


def _compile_comparison(op: str, operands: tuple[Evaluator, ...]) -> Evaluator:
    order = _ORDER[op]
    if len(operands) == 3:
        low_e, mid_e, high_e = operands

        def compare3(data: Any) -> bool:
            low, mid, high = _well_typed(op, (low_e(data), mid_e(data), high_e(data)))
            return order(low, mid) and order(mid, high)

        return compare3
    first, second = operands
    if op in _DATE_COMPARISONS:

        def compare_date_times(data: Any) -> bool:
            left, right = first(data), second(data)
            # The inline test accepts what plusTime and dccDateOfBirth produce.
            if not (
                type(left) is datetime
                and type(right) is datetime
                and left.tzinfo is not None
                and right.tzinfo is not None
            ):
                _well_typed(op, (left, right))
            return order(left, right)

        return compare_date_times

    def compare_integers(data: Any) -> bool:
        left, right = first(data), second(data)
        if not (type(left) is int and type(right) is int):
            _well_typed(op, (left, right))
        return order(left, right)

    return compare_integers


# --- compilation: equality, membership, arithmetic ---------------------------------------------

_SCALARS: Final = (type(None), bool, int, float, str)
_NUMBERS: Final = (int, float)


def _strict_equal(left: Any, right: Any) -> bool:
    """``===`` without type coercion; only defined on null, booleans, numbers and strings."""
    left_kind, right_kind = type(left), type(right)
    if left_kind not in _SCALARS or right_kind not in _SCALARS:
        raise CertLogicError(
            "=== compares only strings, integers, booleans and null, "
            f"not {_show(left)} and {_show(right)}"
        )
    if left_kind in _NUMBERS and right_kind in _NUMBERS:
        return bool(left == right)
    return left_kind is right_kind and bool(left == right)


def _compile_equal(first: Evaluator, second: Evaluator) -> Evaluator:
    def run_equal(data: Any) -> bool:
        left, right = first(data), second(data)
        if type(left) is str and type(right) is str:
            return left == right
        return _strict_equal(left, right)

    return run_equal


def _compile_in(needle_e: Evaluator, haystack_e: Evaluator) -> Evaluator:
    def run_in(data: Any) -> bool:
        needle, haystack = needle_e(data), haystack_e(data)
        if not isinstance(haystack, list | tuple):
            raise CertLogicError(f'the right operand of "in" must be an array: {_show(haystack)}')
        if type(needle) is str:  # a str only ever equals a str, so list membership is exact
            return needle in haystack
        return any(_strict_equal(needle, item) for item in haystack)

    return run_in


def _compile_plus(first: Evaluator, second: Evaluator) -> Evaluator:
    def run_plus(data: Any) -> int:
        left, right = first(data), second(data)
        if not (_is_int(left) and _is_int(right)):
            raise CertLogicError(f'operands of "+" must be integers: {_show(left)}, {_show(right)}')
        return int(left) + int(right)

    return run_plus


# --- compilation: date-times, reduce, UVCI ------------------------------------------------------


# Each plusTime keeps its own small memo: a dict lookup on the (interned-hash) string beats the
# shared lru_cache with its three-part key, and a verifier sees the same few strings repeatedly.
_MEMO_SIZE: Final = 256


def _compile_plus_time(operand: Evaluator, amount: int, unit: str) -> Evaluator:
    memo: dict[str, datetime] = {}

    def run_plus_time(data: Any) -> datetime:
        text = operand(data)
        if type(text) is not str:
            raise CertLogicError(f'"plusTime" needs a date(-time) string, got {_show(text)}')
        result = memo.get(text)
        if result is None:
            try:
                result = datetimes.plus_time(text, amount, unit)
            except ValueError as exc:
                raise CertLogicError(str(exc)) from None
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[text] = result
        return result

    return run_plus_time


def _compile_dcc_date_of_birth(operand: Evaluator) -> Evaluator:
    def run_dcc_date_of_birth(data: Any) -> datetime:
        text = operand(data)
        if type(text) is not str:
            raise CertLogicError(f'"dccDateOfBirth" needs a string, got {_show(text)}')
        try:
            return datetimes.dcc_date_of_birth(text)
        except ValueError as exc:
            raise CertLogicError(str(exc)) from None

    return run_dcc_date_of_birth


def _compile_reduce(operand: Evaluator, lambda_: Evaluator, initial: Evaluator) -> Evaluator:
    def run_reduce(data: Any) -> Any:
        items = operand(data)
        if items is None:  # reducing null gives the initial value
            return initial(data)
        if not isinstance(items, list | tuple):
            raise CertLogicError(f'the operand of "reduce" must be an array: {_show(items)}')
        accumulator = initial(data)
        for current in items:
            # The lambda sees only these two keys: the specification does not (yet) add "data".
            accumulator = lambda_({"accumulator": accumulator, "current": current})
        return accumulator

    return run_reduce


_UVCI_PREFIX: Final = "URN:UVCI:"
_UVCI_SEPARATORS: Final = re.compile(r"[/#:]")


def _compile_extract_from_uvci(operand: Evaluator, index: int) -> Evaluator:
    def run_extract(data: Any) -> str | None:
        uvci = operand(data)
        if uvci is None:
            return None
        if type(uvci) is not str:
            raise CertLogicError(f'"extractFromUVCI" needs a string or null, got {_show(uvci)}')
        if uvci.startswith(_UVCI_PREFIX):
            uvci = uvci[len(_UVCI_PREFIX) :]
        fragments = _UVCI_SEPARATORS.split(uvci)
        return fragments[index] if 0 <= index < len(fragments) else None

    return run_extract


# --- compilation: dispatch ----------------------------------------------------------------------


def _constant(value: Any) -> Evaluator:
    return lambda data: value


def _compile_operation(op: str, operands: list[Any]) -> Evaluator:
    if op == "plusTime":
        return _compile_plus_time(_compile(operands[0]), int(operands[1]), operands[2])
    if op == "extractFromUVCI":
        return _compile_extract_from_uvci(_compile(operands[0]), int(operands[1]))
    compiled = tuple(_compile(operand) for operand in operands)
    if op == "if":
        return _compile_if(*compiled)
    if op == "and":
        return _compile_and(compiled)
    if op == "!":
        return _compile_not(compiled[0])
    if op == "===":
        return _compile_equal(*compiled)
    if op == "in":
        return _compile_in(*compiled)
    if op == "+":
        return _compile_plus(*compiled)
    if op == "reduce":
        return _compile_reduce(*compiled)
    if op == "dccDateOfBirth":
        return _compile_dcc_date_of_birth(compiled[0])
    return _compile_comparison(op, compiled)


def _compile(expr: Any) -> Evaluator:
    """Compile an expression that :func:`validation_issues` found valid."""
    kind = type(expr)
    if kind is float:  # an integral float (validation refused the others)
        return _constant(int(expr))
    if kind is list:
        items = tuple(_compile(item) for item in expr)
        return lambda data: [item(data) for item in items]
    if kind is dict:
        ((op, operands),) = expr.items()
        return _compile_var(operands) if op == "var" else _compile_operation(op, operands)
    return _constant(expr)


# Python errors that bad data can still provoke deep inside an operation (a naive datetime in
# the data compared with an aware one, say); they must surface as CertLogicError.
_DATA_ERRORS: Final = (TypeError, ValueError, OverflowError, RecursionError, LookupError)


def compile_logic(logic: Any) -> Evaluator:
    """Validate ``logic`` and compile it into a reusable evaluator.

    Raises :class:`CertLogicError` listing every problem if ``logic`` is not valid CertLogic.
    The evaluator raises only :class:`CertLogicError`.
    """
    issues = validation_issues(logic)
    if issues:
        problems = "; ".join(issue.message for issue in issues)
        raise CertLogicError(f"not a valid CertLogic expression: {problems}")
    body = _compile(logic)

    def evaluator(data: Any) -> Any:
        try:
            return body(data)
        except CertLogicError:
            raise
        except _DATA_ERRORS as exc:
            raise CertLogicError(f"cannot evaluate on this data: {exc}") from exc

    return evaluator


def evaluate(logic: Any, data: Any) -> Any:
    """Evaluate the CertLogic expression ``logic`` on the data context ``data``.

    Raises :class:`CertLogicError` if ``logic`` is invalid or cannot be evaluated on ``data``.
    For repeated evaluation of the same logic, call :func:`compile_logic` once instead.
    """
    return compile_logic(logic)(data)
