"""The error codes are one enum: every code a report carries is a member, written nowhere else as
a literal, listed in the README, and shown in JSON exactly as the plain string it always was."""

from __future__ import annotations

import ast
import json
import re
import tomllib
from pathlib import Path

import orjson
import pytest

from healthcert import report
from healthcert.codec import cose
from healthcert.errors import PayloadError
from healthcert.report import ErrorCode, Report, ReportError

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "healthcert"
MEMBERS = list(ErrorCode)


def test_each_member_is_its_name_and_a_plain_string() -> None:
    assert len(MEMBERS) == 34
    for member in MEMBERS:
        assert member.value == member.name
        assert isinstance(member, str)
        assert member == member.name and str(member) == member.name and f"{member}" == member.name
        assert hash(member) == hash(member.name)  # dict lookups by the plain string still find it


def test_the_module_names_are_the_members() -> None:
    for member in MEMBERS:
        assert getattr(report, member.name) is member
    # Every upper-case text constant of the module is a code, so none lives outside the enum.
    texts = {
        name
        for name, value in vars(report).items()
        if name.isupper() and isinstance(value, str) and not isinstance(value, ErrorCode)
    }
    assert texts == set()


def test_internal_error_is_a_member() -> None:
    assert ErrorCode("INTERNAL_ERROR") is report.INTERNAL_ERROR
    with pytest.raises(ValueError):
        ErrorCode("NOT_A_CODE")


def _failed(code: ErrorCode, text: str = "HC1:x") -> Report:
    found = Report(input=text, payload=text)
    found.fail(code, "what went wrong", check="decode")
    return found


@pytest.mark.parametrize("code", MEMBERS)
def test_json_shows_a_member_as_its_plain_string(code: ErrorCode) -> None:
    plain = {"code": code.value, "message": "m"}
    assert orjson.dumps({"code": code, "message": "m"}) == orjson.dumps(plain)
    assert json.dumps({"code": code, "message": "m"}) == json.dumps(plain)
    line = _failed(code).json_bytes()
    assert f'"errors":[{{"code":"{code.value}","message":"what went wrong"}}]'.encode() in line
    assert json.loads(line)["errors"] == [{"code": code.value, "message": "what went wrong"}]


def test_json_through_the_fallback_writer_is_the_same_string() -> None:
    # A lone surrogate sends the report through the json module instead of orjson.
    line = _failed(ErrorCode.PREFIX_INVALID, "HC1:\ud800").json_line()
    assert '"errors":[{"code":"PREFIX_INVALID","message":"what went wrong"}]' in line
    assert '"input":"HC1:\ufffd\ufffd\ufffd"' in line


def test_errors_carry_members_whoever_raised_them() -> None:
    with pytest.raises(cose.CoseError) as raised:
        cose.decode_sign1(b"\x01")
    assert raised.value.code is ErrorCode.COSE_INVALID
    error = ReportError(ErrorCode.KID_UNKNOWN, "m")
    assert error.to_dict() == {"code": "KID_UNKNOWN", "message": "m"}
    assert PayloadError(ErrorCode.BASE45_INVALID, "m").code is ErrorCode.BASE45_INVALID


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes of a module, its classes and functions."""
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            value = body[0].value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                found.add(id(value))
    return found


def test_no_code_is_written_as_a_literal_outside_the_report_module() -> None:
    values = {member.value for member in MEMBERS}
    written = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path == SOURCE / "report.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = _docstrings(tree)
        written += [
            f"{path.relative_to(SOURCE)}:{node.lineno} {node.value}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and node.value in values
            and id(node) not in docstrings
        ]
    assert written == []


def test_the_scan_finds_a_literal_code() -> None:
    tree = ast.parse('"""KID_UNKNOWN"""\nreport.fail("KID_UNKNOWN", "m")\n')
    docstrings = _docstrings(tree)
    literals = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and id(node) not in docstrings
    ]
    assert "KID_UNKNOWN" in literals and literals.count("KID_UNKNOWN") == 1


def _readme_codes() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Error codes\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z0-9_]+)` \| [^|]+ \| [^|]*\S[^|]* \|$", section, re.MULTILINE)


def test_the_readme_lists_every_code_once_with_its_check_and_meaning() -> None:
    listed = _readme_codes()
    assert sorted(listed) == sorted(member.value for member in MEMBERS)
    assert len(listed) == len(set(listed))


def test_the_package_says_it_is_typed() -> None:
    assert (SOURCE / "py.typed").is_file()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["healthcert"]
