"""Validation of a DCC against the EU DCC JSON schema 1.3.3, in a few microseconds.

A general validator walks the schema for every document (jsonschema takes about 600 µs per DCC,
fastjsonschema 20 µs and stops at the first error), which is more than the whole verification
budget beside the signature. So on first use the shipped schema is compiled into one
straight-line Python function: ``$ref`` inlined, each keyword turned into a test on the
document, error paths written out only when a test fails.

The compiler handles the keywords this schema uses and refuses any other, so a new schema
version with new keywords fails loudly instead of being half checked. The semantics are JSON
Schema 2020-12 with ECMA-262 regular expressions, as the specification asks: ``\\d`` is 0-9,
``$`` ends the string and ``.`` matches no line terminator. The Python ``jsonschema`` package
uses Python's ``re`` instead, so it also accepts, for instance, ``"1.3.0\\n"`` as a version;
these are the only places where the two differ (tests/formats/test_eu_dcc_schema_reference.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from importlib import resources
from typing import Any

SCHEMA_DIRECTORY = "eu-dcc-schema"
SCHEMA_FILE = "DCC.combined-schema.json"

Validator = Callable[[object], list[str]]


def schema_errors(dcc: object) -> list[str]:
    """Why ``dcc`` is not a valid EU DCC (schema 1.3.3), one message per failed test; [] if valid.

    Each message starts with the path of the failing value, such as ``v[0].dt: ...``.
    """
    return _validator()(dcc)


@cache
def _validator() -> Validator:
    return compile_schema(load_schema())


def load_schema() -> dict[str, Any]:
    """The shipped EU DCC combined schema."""
    path = resources.files("healthcert.formats.eu_dcc") / "data" / SCHEMA_DIRECTORY / SCHEMA_FILE
    with path.open("r", encoding="utf-8") as stream:
        schema: dict[str, Any] = json.load(stream)
    return schema


class UnsupportedSchemaError(ValueError):
    """The schema uses a keyword or form that the compiler does not implement."""


def compile_schema(schema: Mapping[str, Any]) -> Validator:
    """A function that returns the error messages of a document against ``schema``."""
    generator = _Generator(schema)
    source = generator.function()
    namespace: dict[str, Any] = dict(_HELPERS) | generator.constants
    exec(compile(source, "<healthcert.formats.eu_dcc.schema>", "exec"), namespace)
    validator: Validator = namespace["validate"]
    validator.__doc__ = source  # what was compiled, for whoever debugs it
    return validator


# --- what the generated code calls ------------------------------------------------------------

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
# RFC 3339 date-time; T and Z may be lower case (RFC 3339 section 5.6, note). Leap seconds
# (second 60) are refused, as the reference validator does.
_DATE_TIME = re.compile(
    r"\d{4}-(?:0[1-9]|1[0-2])-\d{2}[Tt](?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)",
    re.ASCII,
)


def _is_full_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_date(value: str) -> bool:
    """A full date; or, as issuers of schema 1.0 wrote and the EU test suite accepts, an RFC 3339
    date-time standing for its date (JSON Schema 2020-12 only annotates formats by default)."""
    return _is_full_date(value) or _is_date_time(value)


def _is_date_time(value: str) -> bool:
    if _DATE_TIME.fullmatch(value) is None:
        return False
    return _is_full_date(value[:10])  # the day exists in its month, and the year is not 0


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_integer(value: object) -> bool:
    # JSON Schema counts 2.0 as an integer: the data model has numbers, not int and float.
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)


def _json_type(value: object) -> str:
    for python_type, name in _JSON_TYPE_NAMES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


_JSON_TYPE_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "boolean"),
    ((int, float), "number"),
    (str, "string"),
    (dict, "object"),
    (list, "array"),
    (type(None), "null"),
)


def _at(path: str, message: str) -> str:
    return f"{path}: {message}" if path else message


_HELPERS: dict[str, object] = {
    "_is_date": _is_date,
    "_is_date_time": _is_date_time,
    "_is_number": _is_number,
    "_is_integer": _is_integer,
    "_json_type": _json_type,
    "_at": _at,
}

# --- the compiler -----------------------------------------------------------------------------

# Annotations, and "valueset-uri", which is no JSON Schema keyword: value sets are checked by the
# business rules, not by the schema.
_IGNORED = frozenset(
    {"$schema", "$id", "$comment", "$defs", "title", "description", "examples", "valueset-uri"}
)
_OBJECT_KEYWORDS = ("required", "properties", "oneOf", "anyOf")
_ARRAY_KEYWORDS = ("minItems", "maxItems", "items")
_STRING_KEYWORDS = ("maxLength", "pattern", "format")
_NUMBER_KEYWORDS = ("minimum",)
_KNOWN = frozenset(
    {"$ref", "type", *_OBJECT_KEYWORDS, *_ARRAY_KEYWORDS, *_STRING_KEYWORDS, *_NUMBER_KEYWORDS}
)
_TYPE_TESTS = {
    "object": ("isinstance({v}, dict)", "an object"),
    "array": ("isinstance({v}, list)", "an array"),
    "string": ("isinstance({v}, str)", "a string"),
    "integer": ("({v}.__class__ is int or _is_integer({v}))", "an integer"),  # fast path first
    "number": ("_is_number({v})", "a number"),
}
_GROUPS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    # keywords, the instance test under which they apply, the type whose test implies it
    (_OBJECT_KEYWORDS, "isinstance({v}, dict)", "object"),
    (_ARRAY_KEYWORDS, "isinstance({v}, list)", "array"),
    (_STRING_KEYWORDS, "isinstance({v}, str)", "string"),
    (_NUMBER_KEYWORDS, "_is_number({v})", "number"),
)
_FORMAT_TESTS = {"date": "_is_date", "date-time": "_is_date_time"}


@dataclass(frozen=True, slots=True)
class _Index:
    """A path segment that is a loop variable: the position in an array."""

    variable: str


Path = tuple[str | _Index, ...]


class _Generator:
    """Writes the source of ``validate(document) -> list[str]`` for one schema."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.root = schema
        self.lines: list[str] = []
        self.constants: dict[str, object] = {}
        self.count = 0
        self.resolving: list[str] = []

    def function(self) -> str:
        self.lines = ["def validate(x0):", "    errors = []", "    add = errors.append"]
        self.node(self.root, "x0", (), 1)
        self.lines.append("    return errors")
        return "\n".join(self.lines) + "\n"

    def node(self, schema: Mapping[str, Any], var: str, path: Path, depth: int) -> None:
        unknown = set(schema) - _KNOWN - _IGNORED
        if unknown:
            raise UnsupportedSchemaError(f"{_show(path)}: keywords {sorted(unknown)}")
        if "$ref" in schema:
            self.ref(schema["$ref"], var, path, depth)
        type_name = schema.get("type")
        if type_name is not None:
            self.typed(schema, type_name, var, path, depth)
        for keywords, test, _ in _GROUPS:
            if _group_applies(schema, keywords, type_name, test):
                self.guarded(schema, keywords, test.format(v=var), var, path, depth)

    def typed(
        self, schema: Mapping[str, Any], type_name: Any, var: str, path: Path, depth: int
    ) -> None:
        if not isinstance(type_name, str) or type_name not in _TYPE_TESTS:
            raise UnsupportedSchemaError(f"{_show(path)}: type {type_name!r}")
        test, noun = _TYPE_TESTS[type_name]
        self.emit(depth, f"if not {test.format(v=var)}:")
        self.emit(
            depth + 1,
            f"add(_at({_path_source(path)}, 'must be {noun}, not ' + _json_type({var})))",
        )
        keywords = next(group for group, _, owner in _GROUPS if owner == _owner(type_name))
        body = self.nested(partial(self.keywords, schema, keywords, var, path, depth + 1))
        if body:
            self.emit(depth, "else:")
            self.lines.extend(body)

    def guarded(
        self,
        schema: Mapping[str, Any],
        keywords: Sequence[str],
        test: str,
        var: str,
        path: Path,
        depth: int,
    ) -> None:
        body = self.nested(partial(self.keywords, schema, keywords, var, path, depth + 1))
        if body:
            self.emit(depth, f"if {test}:")
            self.lines.extend(body)

    def keywords(
        self, schema: Mapping[str, Any], keywords: Sequence[str], var: str, path: Path, depth: int
    ) -> None:
        for keyword in keywords:
            if keyword in schema:
                getattr(self, "k_" + keyword.lower())(schema[keyword], var, path, depth)

    # object keywords

    def k_required(self, names: Sequence[str], var: str, path: Path, depth: int) -> None:
        if not names:
            return
        # One test for the usual case of nothing missing, then one per name to say which.
        self.emit(depth, "if not (" + " and ".join(f"{name!r} in {var}" for name in names) + "):")
        for name in names:
            self.emit(depth + 1, f"if {name!r} not in {var}:")
            self.emit(depth + 2, f"add(_at({_path_source((*path, name))}, 'is required'))")

    def k_properties(self, properties: Mapping[str, Any], var: str, path: Path, depth: int) -> None:
        for name, subschema in properties.items():
            child = self.variable("x")
            body = self.nested(partial(self.node, subschema, child, (*path, name), depth + 1))
            if body:
                self.emit(depth, f"if {name!r} in {var}:")
                self.emit(depth + 1, f"{child} = {var}[{name!r}]")
                self.lines.extend(body)

    def k_oneof(self, branches: Sequence[Any], var: str, path: Path, depth: int) -> None:
        tests = [_required_test(branch, var, path) for branch in branches]
        message = _alternatives_message(branches, "exactly one of")
        matched = self.variable("matched")
        self.emit(depth, f"{matched} = " + " + ".join(f"({test})" for test in tests))
        self.emit(depth, f"if {matched} != 1:")
        self.emit(depth + 1, f"add(_at({_path_source(path)}, {message!r}))")

    def k_anyof(self, branches: Sequence[Any], var: str, path: Path, depth: int) -> None:
        tests = [_required_test(branch, var, path) for branch in branches]
        message = _alternatives_message(branches, "at least one of")
        self.emit(depth, "if not (" + " or ".join(f"({test})" for test in tests) + "):")
        self.emit(depth + 1, f"add(_at({_path_source(path)}, {message!r}))")

    # array keywords

    def k_minitems(self, limit: int, var: str, path: Path, depth: int) -> None:
        self.emit(depth, f"if len({var}) < {int(limit)}:")
        self.emit(depth + 1, f"add(_at({_path_source(path)}, 'needs at least {limit} item(s)'))")

    def k_maxitems(self, limit: int, var: str, path: Path, depth: int) -> None:
        self.emit(depth, f"if len({var}) > {int(limit)}:")
        self.emit(depth + 1, f"add(_at({_path_source(path)}, 'allows at most {limit} item(s)'))")

    def k_items(self, subschema: Mapping[str, Any], var: str, path: Path, depth: int) -> None:
        index, item = self.variable("i"), self.variable("x")
        body = self.nested(partial(self.node, subschema, item, (*path, _Index(index)), depth + 1))
        if body:
            self.emit(depth, f"for {index}, {item} in enumerate({var}):")
            self.lines.extend(body)

    # string keywords

    def k_maxlength(self, limit: int, var: str, path: Path, depth: int) -> None:
        self.emit(depth, f"if len({var}) > {int(limit)}:")
        message = f"is longer than {limit} characters"
        self.emit(depth + 1, f"add(_at({_path_source(path)}, {message!r}))")

    def k_pattern(self, pattern: str, var: str, path: Path, depth: int) -> None:
        name = self.variable("_pattern")
        self.constants[name] = re.compile(ecma_to_python(pattern), re.ASCII)
        self.emit(depth, f"if not {name}.search({var}):")
        message = f"does not match {pattern}"
        self.emit(depth + 1, f"add(_at({_path_source(path)}, repr({var}) + {' ' + message!r}))")

    def k_format(self, name: str, var: str, path: Path, depth: int) -> None:
        if name not in _FORMAT_TESTS:
            raise UnsupportedSchemaError(f"{_show(path)}: format {name!r}")
        self.emit(depth, f"if not {_FORMAT_TESTS[name]}({var}):")
        message = f" is not a valid {name}"
        self.emit(depth + 1, f"add(_at({_path_source(path)}, repr({var}) + {message!r}))")

    # number keywords

    def k_minimum(self, limit: float, var: str, path: Path, depth: int) -> None:
        self.emit(depth, f"if {var} < {limit!r}:")
        self.emit(depth + 1, f"add(_at({_path_source(path)}, 'must be at least {limit}'))")

    # references and plumbing

    def ref(self, reference: Any, var: str, path: Path, depth: int) -> None:
        if not isinstance(reference, str) or not reference.startswith("#/"):
            raise UnsupportedSchemaError(f"{_show(path)}: $ref {reference!r} is not local")
        if reference in self.resolving:
            raise UnsupportedSchemaError(f"{_show(path)}: $ref {reference!r} is recursive")
        self.resolving.append(reference)
        self.node(_resolve(self.root, reference), var, path, depth)
        self.resolving.pop()

    def nested(self, write: Callable[[], None]) -> list[str]:
        """The lines ``write`` emits, taken out so that the caller can wrap them or drop them."""
        start = len(self.lines)
        write()
        body = self.lines[start:]
        del self.lines[start:]
        return body

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def variable(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"


def _owner(type_name: str) -> str:
    return "number" if type_name == "integer" else type_name


def _group_applies(
    schema: Mapping[str, Any], keywords: Sequence[str], type_name: Any, test: str
) -> bool:
    """Whether a keyword group needs its own guard (the typed branch covers its own group)."""
    owner = next(owner for group, group_test, owner in _GROUPS if group_test == test)
    if type_name is not None and _owner(type_name) == owner:
        return False
    present = [keyword for keyword in keywords if keyword in schema]
    if present and set(present) & {"oneOf", "anyOf"} and type_name != "object":
        # A required-only branch holds for anything but an object: without "type": "object"
        # the generated test would be wrong for other instances.
        raise UnsupportedSchemaError("oneOf/anyOf outside an object-typed schema")
    return bool(present)


def _required_test(branch: Any, var: str, path: Path) -> str:
    if not isinstance(branch, Mapping) or set(branch) - _IGNORED != {"required"}:
        raise UnsupportedSchemaError(f"{_show(path)}: oneOf/anyOf branches other than required")
    return " and ".join(f"{name!r} in {var}" for name in branch["required"]) or "True"


def _alternatives_message(branches: Sequence[Mapping[str, Any]], quantity: str) -> str:
    """E.g. 'must have ver, nam, dob and exactly one of v, t, r'."""
    sets = [list(branch["required"]) for branch in branches]
    common = [name for name in sets[0] if all(name in other for other in sets)]
    rest = [", ".join(name for name in names if name not in common) for names in sets]
    choice = f"{quantity} {', '.join(rest)}"
    return f"must have {', '.join(common)} and {choice}" if common else f"must have {choice}"


def _resolve(root: Mapping[str, Any], reference: str) -> Mapping[str, Any]:
    node: Any = root
    for part in reference[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, Mapping):
        raise UnsupportedSchemaError(f"$ref {reference!r} is not a schema object")
    return node


def _path_source(path: Path) -> str:
    """Python source for the path string, such as 'v[' + str(i3) + '].dt'."""
    pieces: list[str] = []
    text = ""  # the static text not yet in pieces
    for position, segment in enumerate(path):
        if isinstance(segment, _Index):
            pieces += [repr(text + "["), f"str({segment.variable})"]
            text = "]"
        else:
            text += ("." if position else "") + segment
    pieces.append(repr(text))
    return " + ".join(piece for piece in pieces if piece != "''") or "''"


def _show(path: Path) -> str:
    return ".".join("[]" if isinstance(s, _Index) else s for s in path) or "(root)"


def ecma_to_python(pattern: str) -> str:
    """An ECMA-262 regular expression (JSON Schema's dialect) in Python's ``re`` syntax.

    Compile the result with ``re.ASCII`` so that ``\\d`` means 0-9. Outside character classes,
    ``$`` becomes ``(?!.)\\Z``-like end of input and ``.`` stops at every ECMA line terminator.
    """
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif in_class:
            out.append(char)
            in_class = char != "]"
        elif char == "[":
            out.append(char)
            in_class = True
        elif char == "$":
            out.append(r"\Z")
        elif char == ".":
            out.append("[^\\n\\r\\u2028\\u2029]")
        else:
            out.append(char)
    return "".join(out)
