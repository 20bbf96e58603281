"""Minimal disclosure: a report cut down to what a border officer needs to match the person to
their passport and decide, and nothing of their health.

Kept: the format, whether it is valid and why not, the issuer, the holder's names and date of
birth (and, for a health code, the document and the trip, which the airline matches), when it
was issued and expires, the verdict with its reason codes and the destination. Dropped: the
entry (vaccine, test, result, dates), the rules' outcomes (their ids and descriptions say
which kind of certificate it is), the reasons' messages, the payload itself.

The cut is made on the ``Report`` in place, after any verdict, so every renderer of reports
(the command line's panel and JSON, the service, the check page) shows the same subset.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from healthcert.report import Report

if TYPE_CHECKING:
    from healthcert.verification import Judge

# What stays of ``Report.extra``: the claims' times, the verdict and a health code's trip.
_KEPT_EXTRA = ("iat", "exp", "verdict", "trip")


def reduce_to_minimal(report: Report, _clock: datetime | None = None) -> None:
    """Cut ``report`` down to the minimal view and mark it ``"view": "minimal"``. Takes the
    clock as a verdict's judge does, so the two compose (``minimal_after``)."""
    if report.input == report.payload:
        report.input = "-"
    report.payload = None
    if report.certificate is not None:
        report.certificate = _minimal_certificate(report.certificate)
    extra = report.extra
    kept: dict[str, Any] = {key: extra[key] for key in _KEPT_EXTRA if key in extra}
    if "verdict_reasons" in extra:
        kept["verdict_reasons"] = [{"code": item["code"]} for item in extra["verdict_reasons"]]
    if isinstance(extra.get("destination"), dict):
        kept["destination"] = {"country": extra["destination"].get("country")}
    kept["view"] = "minimal"
    report.extra = kept
    report.checks.pop("rules", None)


def _minimal_certificate(certificate: dict[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {"holder": dict(certificate.get("holder") or {})}
    if "kind" in certificate:  # a health code or a light certificate names what it is
        kept["kind"] = certificate["kind"]
    return kept


def minimal_after(judge: Judge | None) -> Judge:
    """A judge that judges with ``judge`` and then cuts the report down. Without one, its
    answer is what a batch without a judge accepts: green for a valid report (a health code:
    valid and green), red otherwise."""

    def judged_then_cut(report: Report, clock: datetime) -> str:
        if judge is not None:
            outcome = judge(report, clock)
        else:
            accepted = report.valid and report.extra.get("verdict", "green") == "green"
            outcome = "green" if accepted else "red"
        reduce_to_minimal(report)
        return outcome

    return judged_then_cut
