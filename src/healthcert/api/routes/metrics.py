"""Prometheus metrics, for the operator's scraper: no key needed, nothing personal in them
(route templates, status codes, formats and outcome codes only)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from healthcert.api.auth import Service
from healthcert.service.metrics import CONTENT_TYPE, exposition

router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(ctx: Service) -> Response:
    """Requests by route and status, latency histograms, certificates issued, verification
    outcomes and the outbox backlog, in the Prometheus text format (summed over workers)."""
    # A thread: the outbox count waits on the database, and the loop serves requests meanwhile.
    return Response(await run_in_threadpool(exposition, ctx), media_type=CONTENT_TYPE)
