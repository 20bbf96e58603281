"""What the check page shows of a report, in the page's language: times as people read them,
and each error's meaning rather than the report's English message on a page in Chinese."""

from __future__ import annotations

from typing import Any

from healthcert.report import ErrorCode
from healthcert.web.view import outcome

SEALED_ELSEWHERE = {
    "code": ErrorCode.SEALED.value,
    "message": "sealed for another border key (kid 657fa553cbb07929) than those given",
}


def _report(**changes: Any) -> dict[str, Any]:
    return {"valid": False, "format": "sealed", "errors": [SEALED_ELSEWHERE], **changes}


def test_an_error_on_a_chinese_page_says_what_its_code_means_in_chinese() -> None:
    [error] = outcome(_report(), "zh").errors
    assert error == {
        "code": "SEALED",
        "message": "已加密封存，仅目的地的边境密钥可以打开，而未提供该密钥",
    }


def test_an_error_on_an_english_page_keeps_the_reports_own_message() -> None:
    [error] = outcome(_report(), "en").errors
    assert error == SEALED_ELSEWHERE


def test_a_code_with_no_listed_meaning_keeps_the_message() -> None:
    unlisted = {"code": "SOMETHING_NEW", "message": "a message"}
    assert outcome(_report(errors=[unlisted]), "zh").errors == [unlisted]


def test_validity_times_read_as_people_read_them() -> None:
    shown = outcome(_report(iat="2026-12-07T09:46:51Z", exp="2027-12-07T09:46:00Z"))
    assert (shown.valid_from, shown.valid_until) == (
        "2026-12-07 09:46:51 UTC",
        "2027-12-07 09:46 UTC",
    )
    assert outcome(_report(iat="not a time")).valid_from == "not a time"
