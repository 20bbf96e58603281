"""The compiled schema decides exactly as the reference validator, jsonschema's Draft 2020-12.

The reference runs with format checking on (date, and date-time through rfc3339-validator). It
uses Python's regular expressions where JSON Schema asks for ECMA-262 ones, so it also accepts a
pattern-matched string with a final newline, non-ASCII digits for \\d, or a carriage return or
U+2028/2029 for "."; and a date-time with a final newline. We follow ECMA-262 there. So each
document is checked twice: against a reference whose four patterns and date-time check are
rewritten by hand in ECMA terms (always the same answer), and against the plain reference (the
same answer whenever the document has none of those characters).
"""

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcert.formats.eu_dcc.schema import load_schema, schema_errors

rfc3339 = pytest.importorskip("rfc3339_validator", reason="jsonschema checks date-time with it")
jsonschema = pytest.importorskip("jsonschema")

DATA = Path(__file__).parent.parent / "data"
SCHEMA = load_schema()

# The schema's patterns, written by hand as Python regexes with ECMA-262 meaning.
ECMA_PATTERNS = {
    "^\\d+.\\d+.\\d+$": r"^[0-9]+[^\n\r\u2028\u2029][0-9]+[^\n\r\u2028\u2029][0-9]+\Z",
    "^((19|20)\\d\\d(-\\d\\d){0,2}){0,1}$": r"^((19|20)[0-9][0-9](-[0-9][0-9]){0,2}){0,1}\Z",
    "^[A-Z<]*$": r"^[A-Z<]*\Z",
    "[A-Z]{1,10}": r"[A-Z]{1,10}",
}
DIVERGENT_CHARACTERS = re.compile(r"[\n\r\u2028\u2029]|(?![0-9])\d")


def _lenient_date(checker: Any) -> Any:
    """healthcert reads a `date` written as a date-time, as schema 1.0 issuers wrote it: the
    references are told the same, so that everything else is compared as it was."""
    date_time = checker.checkers["date-time"][0]
    date = checker.checkers["date"][0]

    def either(value: object) -> bool:
        for check in (date, date_time):
            try:
                if check(value):
                    return True
            except ValueError:
                continue
        return False

    checker.checks("date")(either)
    return checker


def _plain_reference() -> Any:
    validator = jsonschema.Draft202012Validator
    assert "date-time" in validator.FORMAT_CHECKER.checkers
    checker = _lenient_date(copy.deepcopy(validator.FORMAT_CHECKER))
    return validator(SCHEMA, format_checker=checker)


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not re.search(ECMA_PATTERNS[pattern], instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _ecma_date_time(instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    return not instance.endswith("\n") and bool(rfc3339.validate_rfc3339(instance.upper()))


def _ecma_reference() -> Any:
    checker = jsonschema.FormatChecker()
    checker.checks("date-time")(_ecma_date_time)
    _lenient_date(checker)
    ecma = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, validators={"pattern": _ecma_pattern}
    )
    return ecma(SCHEMA, format_checker=checker)


PLAIN = _plain_reference()
ECMA = _ecma_reference()


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def assert_same_decision(document: Any) -> None:
    ours = schema_errors(document) == []
    assert ours == ECMA.is_valid(document), (ours, document)
    if not any(DIVERGENT_CHARACTERS.search(text) for text in _strings(document)):
        assert ours == PLAIN.is_valid(document), (ours, document)


def base_documents() -> list[Any]:
    documents = [
        json.loads(path.read_text())
        for path in sorted((DATA / "eu-dcc-schema-examples").glob("*/*.json"))
    ]
    for path in sorted((DATA / "eu-dcc").glob("**/*.json")):
        vector = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(vector, dict) and "JSON" in vector:
            documents.append(vector["JSON"])
    return documents


BASES = base_documents()


def test_every_example_and_vector_is_decided_as_by_the_reference() -> None:
    assert len(BASES) == 27 + 179
    for document in BASES:
        assert_same_decision(document)
        assert (schema_errors(document) == []) == PLAIN.is_valid(document)


@pytest.mark.parametrize(
    ("where", "text", "plain_says"),
    [
        ("ver", "1.3.0\n", True),
        ("ver", "١.٣.٠", True),
        ("ver", "1\r3\r0", True),
        ("ver", "1\u20283\u20290", True),
        ("dob", "1964-01-01\n", True),
        ("fnt", "SMITH\n", True),
        ("sc", "2021-06-11T17:30:00Z\n", True),
    ],
)
def test_where_we_follow_ecma_and_the_plain_reference_does_not(
    where: str, text: str, plain_says: bool
) -> None:
    dcc = json.loads((DATA / "eu-dcc-schema-examples/test/simple-naat.json").read_text())
    target = dcc["t"][0] if where == "sc" else dcc["nam"] if where == "fnt" else dcc
    target[where] = text
    assert PLAIN.is_valid(dcc) is plain_says
    assert ECMA.is_valid(dcc) is False
    assert schema_errors(dcc) != []


# --- mutations ----------------------------------------------------------------------------

INTERESTING_TEXT = [
    "",
    "1.3.0",
    "1.3",
    "1x3y0",
    "１.3.0",
    "1964",
    "1964-01",
    "1964-13-45",
    "64",
    "2021-02-29",
    "2020-02-29",
    "2021-06-11",
    "2021-06-11T17:30:00Z",
    "2021-06-11t17:30:00z",
    "2021-06-11T17:30:00+0200",
    "2021-06-11T17:30:00+02:00",
    "2021-06-11T17:30:00.5-01:00",
    "2021-06-11T17:30:00",
    "2021-06-11T24:00:00Z",
    "0000-01-01",
    "NL",
    "nl",
    "N",
    "NLD",
    "xNLx",
    "SMITH<JONES",
    "Smith",
    "A" * 80,
    "A" * 81,
    "840539006",
    "LP6464-4",
    "ORG-100030215",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 12),
    st.sampled_from([0.0, 1.0, 2.0, 1.5, -1.0, 1e300]),
    st.sampled_from(INTERESTING_TEXT),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=2), st.dictionaries(st.sampled_from(["a", "fnt", "tg"]), inner)
    ),
    max_leaves=4,
)
KEYS = st.sampled_from(["v", "t", "r", "ver", "nam", "dob", "fnt", "gnt", "dr", "extra", "dn"])
CHARACTERS = st.sampled_from([*"0123456789-:TZtz+.<A aé\n\r١", "\u2028"])


def _containers(document: Any) -> list[Any]:
    """Every object and array inside the document, the document included."""
    found = []
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict | list):
            found.append(node)
            stack.extend(node.values() if isinstance(node, dict) else node)
    return found


def _slots(container: Any) -> list[Any]:
    return list(container) if isinstance(container, dict) else list(range(len(container)))


DATES = st.builds(
    "{:04d}-{:02d}-{:02d}".format, st.integers(0, 2100), st.integers(0, 13), st.integers(0, 32)
)
OFFSETS = st.sampled_from(["Z", "z", "+02:00", "-05:30", "+0200", "+24:00", "+02:60", "", "ZZ"])
ODD_DATE_TIMES = st.builds(
    "{}{}{:02d}:{:02d}:{:02d}{}{}".format,
    DATES,
    st.sampled_from(["T", "t", " "]),
    st.integers(0, 24),
    st.integers(0, 60),
    st.integers(0, 60),
    st.sampled_from(["", ".5", ".123456789", "."]),
    OFFSETS,
)
# Mostly a good time of day, so that the date part decides.
DATE_TIMES = st.one_of(ODD_DATE_TIMES, DATES.map(lambda date: date + "T17:30:00Z"))
# Replacements for a string that sit near the schema's limits: dates for dates, lengths around
# 80 for the rest.
DATE_VARIANTS = st.one_of(DATES, DATE_TIMES, st.sampled_from(INTERESTING_TEXT))
DATE_TIME_VARIANTS = st.one_of(DATE_TIMES, DATES, st.sampled_from(INTERESTING_TEXT))
TEXT_VARIANTS = st.one_of(
    st.integers(78, 82).map(lambda n: "X" * n),
    st.integers(78, 82).map(lambda n: "<" * n),
    st.sampled_from(INTERESTING_TEXT),
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        containers = _containers(document)
        if not containers:
            return draw(VALUES)
        strings = [(c, slot) for c in containers for slot in _slots(c) if isinstance(c[slot], str)]
        if strings and draw(st.sampled_from([True, False])):
            container, slot = draw(st.sampled_from(strings))
            dated = re.match(r"\d{4}-", container[slot])
            container[slot] = draw(DATE_VARIANTS if dated else TEXT_VARIANTS)
        else:
            _mutate(draw, draw(st.sampled_from(containers)))
    return document


def _mutate(draw: st.DrawFn, container: Any) -> None:
    slots = _slots(container)
    operation = draw(st.sampled_from(["delete", "replace", "edit", "add", "copy"]))
    if operation == "add" or not slots:
        if isinstance(container, dict):
            container[draw(KEYS)] = draw(VALUES)
        else:
            container.append(draw(VALUES))
        return
    slot = draw(st.sampled_from(slots))
    if operation == "delete":
        del container[slot]
    elif operation == "replace":
        container[slot] = draw(VALUES)
    elif operation == "copy":  # e.g. a t next to a v, or a second entry
        source = draw(st.sampled_from(BASES))
        key = draw(st.sampled_from(["v", "t", "r"]))
        if isinstance(container, dict) and key in source:
            container[key] = copy.deepcopy(source[key])
        elif isinstance(container, list):
            container.append(copy.deepcopy(container[slot]))
    elif isinstance(container[slot], str):
        container[slot] = _edit(draw, container[slot])


def _edit(draw: st.DrawFn, text: str) -> str:
    position = draw(st.integers(0, len(text)))
    replace = draw(st.booleans()) and position < len(text)
    character: str = draw(CHARACTERS)
    return text[:position] + character + text[position + int(replace) :]


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=mutated())
def test_mutated_documents_are_decided_as_by_the_reference(document: Any) -> None:
    assert_same_decision(document)


# The values with a pattern, a format or a length limit, where (entry group or None, key).
CONSTRAINED = [
    (None, "ver"), (None, "dob"), ("nam", "fn"), ("nam", "fnt"), ("nam", "gn"), ("nam", "gnt"),
    ("v", "dt"), ("v", "co"), ("v", "is"), ("v", "ci"), ("t", "sc"), ("t", "nm"), ("t", "tc"),
    ("r", "fr"), ("r", "df"), ("r", "du"),
]  # fmt: skip
DATED = {"dob", "dt", "fr", "df", "du"}
VALID_BASES = [document for document in BASES if PLAIN.is_valid(document)]


@st.composite
def one_constrained_value_changed(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(VALID_BASES)))
    group, key = draw(st.sampled_from(CONSTRAINED))
    target = document if group is None else document["nam"] if group == "nam" else None
    if group in ("v", "t", "r"):
        if group not in document:
            return document
        target = document[group][0]
    assert target is not None
    current = target.get(key, "")
    variants = (
        DATE_TIME_VARIANTS if key == "sc" else DATE_VARIANTS if key in DATED else TEXT_VARIANTS
    )
    target[key] = draw(st.one_of(variants, st.just(current).map(lambda t: _edit(draw, t))))
    return document


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=one_constrained_value_changed())
def test_patterns_formats_and_lengths_are_decided_as_by_the_reference(document: Any) -> None:
    assert_same_decision(document)
