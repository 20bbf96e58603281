"""The verify endpoint's use case: a payload or an image in, the report out. Nothing about
the person verified is stored or logged: the report goes back to the caller and is gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from healthcert.batch import verify_many
from healthcert.inputs import Item, from_image
from healthcert.report import Report
from healthcert.rules.policy import Policies, load_policies
from healthcert.service import metrics
from healthcert.service.revocation import current_revocations

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext


@dataclass(frozen=True, slots=True)
class Ask:
    """What the verifier asks beyond the report: the entry verdict for a destination."""

    country: str | None = None
    origin: str | None = None
    language: str = "en"
    at: datetime | None = None


@cache
def service_policies() -> Policies:
    """The destination policies the service judges by (shipped, then the home's)."""
    return load_policies()


def verify_text(ctx: ServiceContext, payload: str, ask: Ask) -> dict[str, Any]:
    return _answer(ctx, [Item("payload", payload=payload)], ask)[0]


def verify_texts(ctx: ServiceContext, payloads: list[str], ask: Ask, start: int = 0) -> list[bytes]:
    """The reports of ``payloads``, in their order, each as its JSON document (UTF-8, as
    ``healthcert verify --json`` writes it: encoded once, not built as a dict and encoded
    again); each names its place in the batch (``payloads[N]``, counted from ``start``)."""
    items = [Item(f"payloads[{start + n}]", payload=text) for n, text in enumerate(payloads)]
    reports = reports_of(ctx, items, ask)
    metrics.verified(reports)
    return [report.json_bytes().rstrip(b"\n") for report in reports]


def verify_image(ctx: ServiceContext, data: bytes, ask: Ask) -> list[dict[str, Any]]:
    """One report per QR code found in the image (an unreadable image gets one report)."""
    return _answer(ctx, from_image("image", data), ask)


def _answer(ctx: ServiceContext, items: list[Any], ask: Ask) -> list[dict[str, Any]]:
    reports = reports_of(ctx, items, ask)
    metrics.verified(reports)
    return [report.to_dict() for report in reports]


def reports_of(ctx: ServiceContext, items: list[Any], ask: Ask) -> list[Report]:
    """The reports of ``items`` (``inputs.Item``s), not counted in the metrics."""
    revoked = current_revocations(ctx)
    reports = list(
        verify_many(
            items,
            trust=ctx.trust(),
            at=ask.at,
            dcc_revocations=revoked.dcc,
            shc_issuers=revoked.shc_issuers,
            health_code_revocations=revoked.health_codes,
            country=ask.country or None,
            origin=ask.origin,
            language=ask.language,
            policies=service_policies(),
        )
    )
    return reports


def destinations() -> list[str]:
    """The countries whose entry rules this service knows, for a verifier to choose from."""
    return service_policies().countries()
