"""What the service counts for Prometheus: requests and their latency, certificates issued,
verification outcomes, and the outbox backlog (read from the database at each scrape).

With several workers, ``serve`` points PROMETHEUS_MULTIPROC_DIR at a folder before this
module is imported: each worker then writes its values there and a scrape of any worker
adds them up (``exposition``). Labels are bounded: route templates, never paths; outcome
codes, never inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from healthcert.database.tables import OutboxMessage

if TYPE_CHECKING:
    from healthcert.report import Report
    from healthcert.service.context import ServiceContext

CONTENT_TYPE = CONTENT_TYPE_LATEST
REQUESTS = Counter(
    "healthcert_http_requests",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "healthcert_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route template.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
ISSUED = Counter(
    "healthcert_certificates_issued", "Certificates signed and stored, by format.", ["format"]
)
VERIFIED = Counter(
    "healthcert_verifications",
    "Verification reports, by outcome: valid, or the report's first error code.",
    ["outcome"],
)


def request_answered(route: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route).observe(seconds)


def certificate_issued(fmt: str) -> None:
    ISSUED.labels(fmt).inc()


def verified(reports: list[Report]) -> None:
    for report in reports:
        errors = report.errors
        VERIFIED.labels("valid" if report.valid else errors[0].code if errors else "invalid").inc()


class OutboxBacklog:
    """The messages waiting in the outbox, counted when scraped: one number for every worker
    and instance, since they share the database. With the database away, the scrape still
    answers (it is when metrics matter most): database_up 0 and no backlog."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        try:
            with self.ctx.sessions() as session:
                waiting = session.scalar(select(func.count()).select_from(OutboxMessage)) or 0
        except SQLAlchemyError:
            yield GaugeMetricFamily("healthcert_database_up", "The database answers.", 0)
            return
        yield GaugeMetricFamily("healthcert_database_up", "The database answers.", 1)
        yield GaugeMetricFamily(
            "healthcert_outbox_messages", "Messages in the outbox, not yet delivered.", waiting
        )


def exposition(ctx: ServiceContext) -> bytes:
    """The text exposition of every metric, this process's or (multiprocess) all workers'."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        counted = generate_latest(registry)
    else:
        counted = generate_latest(REGISTRY)
    backlog = CollectorRegistry()
    backlog.register(OutboxBacklog(ctx))
    return counted + generate_latest(backlog)
