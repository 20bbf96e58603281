"""The verify endpoint's use case: a payload or an image in, the report out. Nothing about
the person verified is stored or logged: the report goes back to the caller and is gone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from healthcert.batch import verify_many
from healthcert.disclosure import reduce_to_minimal
from healthcert.inputs import Item, from_image
from healthcert.report import Report
from healthcert.rules.policy import Policies, load_policies
from healthcert.service import audit, metrics
from healthcert.service.audit import Actor
from healthcert.service.context import utc_now
from healthcert.service.errors import Invalid
from healthcert.service.revocation import current_revocations
from healthcert.trust.synced import RULES_FILE, sync_dir

if TYPE_CHECKING:
    from healthcert.service.context import ServiceContext


MINIMAL = "minimal"
FULL = "full"
# The shortest reason for the full view: a word, not a keystroke.
MIN_REASON = 3


@dataclass(frozen=True, slots=True)
class Ask:
    """What the verifier asks beyond the report: the entry verdict for a destination, and how
    much of the report to see. ``minimal`` (``disclosure.reduce_to_minimal``) is the default;
    ``full`` shows the holder's health data; asked for by a verifier (``who``), it needs a
    ``reason``, which the audit log keeps with who asked (``full_view``). The service's own
    use cases (a post reviewing a declaration's evidence) ask without a ``who``."""

    country: str | None = None
    origin: str | None = None
    language: str = "en"
    at: datetime | None = None
    view: str = MINIMAL
    reason: str | None = None
    who: Actor | None = None


def service_policies() -> Policies:
    """The destination policies the service judges by (shipped, the home's, then the rules of
    the last gateway sync), loaded again when a sync rewrites those rules."""
    return _policies_as_of(_synced_rules_stamp())


@lru_cache(maxsize=1)
def _policies_as_of(_stamp: tuple[int, int] | None) -> Policies:
    return load_policies()


def _synced_rules_stamp() -> tuple[int, int] | None:
    try:
        stat = (sync_dir() / RULES_FILE).stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size


def verify_text(ctx: ServiceContext, payload: str, ask: Ask) -> dict[str, Any]:
    return _answer(ctx, [Item("payload", payload=payload)], ask)[0]


def verify_texts(ctx: ServiceContext, payloads: list[str], ask: Ask, start: int = 0) -> list[bytes]:
    """The reports of ``payloads``, in their order, each as its JSON document (UTF-8, as
    ``healthcert verify --json`` writes it: encoded once, not built as a dict and encoded
    again); each names its place in the batch (``payloads[N]``, counted from ``start``)."""
    items = [Item(f"payloads[{start + n}]", payload=text) for n, text in enumerate(payloads)]
    return [report.json_bytes().rstrip(b"\n") for report in _viewed(ctx, items, ask)]


def verify_image(ctx: ServiceContext, data: bytes, ask: Ask) -> list[dict[str, Any]]:
    """One report per QR code found in the image (an unreadable image gets one report)."""
    return _answer(ctx, from_image("image", data), ask)


def _answer(ctx: ServiceContext, items: list[Any], ask: Ask) -> list[dict[str, Any]]:
    return [report.to_dict() for report in _viewed(ctx, items, ask)]


def _viewed(ctx: ServiceContext, items: list[Any], ask: Ask) -> list[Report]:
    """The reports of ``items``, counted in the metrics, as ``ask.view`` shows them (cut down
    in place unless the full view, whose asking is audited first)."""
    if ask.view == FULL and ask.who is not None:
        _record_full_view(ctx, ask, len(items))
    reports = reports_of(ctx, items, ask)
    metrics.verified(reports)
    if ask.view != FULL:
        for report in reports:
            reduce_to_minimal(report)
    return reports


def _record_full_view(ctx: ServiceContext, ask: Ask, count: int) -> None:
    """Who asked to see health data, when and why; never whose, nor what it said."""
    if ask.who is None or not ask.reason or len(ask.reason.strip()) < MIN_REASON:
        raise Invalid([{"field": "reason", "message": "the full view needs a reason"}])
    with ctx.transaction() as session:
        audit.append(
            session,
            ask.who,
            "verification.full_view",
            "verification",
            None,
            utc_now(),
            reason=ask.reason,
            reports=count,
        )


def reports_of(ctx: ServiceContext, items: list[Any], ask: Ask) -> list[Report]:
    """The reports of ``items`` (``inputs.Item``s), not counted in the metrics; the sealed
    ones opened with the deployment's border keys."""
    revoked = current_revocations(ctx)
    reports = list(
        verify_many(
            items,
            trust=ctx.trust(),
            at=ask.at,
            dcc_revocations=revoked.dcc,
            shc_issuers=revoked.shc_issuers,
            health_code_revocations=revoked.health_codes,
            vdsnc_revocations=revoked.vdsnc,
            unseal_keys=ctx.unseal_keys(),
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
