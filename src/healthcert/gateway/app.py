"""The gateway's HTTP face: thin routes over ``uploads`` and ``downloads``.

Uploads need an onboarded AUTHENTICATION certificate (``auth``) and a CMS signed by the same
country's UPLOAD key. Downloads are public (a trust list is public data, and verifiers must
be able to fetch it); every one is signed by the anchor (``wire.sign_download``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from healthcert.database.db import session_factory
from healthcert.errors import KeyStoreError
from healthcert.gateway import downloads, repository, uploads
from healthcert.gateway.anchor import GatewayAnchor
from healthcert.gateway.auth import NotAuthenticated, authenticated_country, client_certificate
from healthcert.gateway.cms import MAX_CMS_BYTES
from healthcert.gateway.wire import DEFAULT_TTL, SIGNATURE_HEADER, sign_download
from healthcert.keys.csca import check_country

# Base64 makes the CMS a third larger.
MAX_BODY_BYTES = MAX_CMS_BYTES * 4 // 3 + 1024

BODY_CACHE = 64

# Writes the WHO GDHCN DID form of the trust list: (the list's entries in the EU array form,
# domain, participant, usage; "-" a wildcard) -> the DID document, or None when the
# participant or usage is unknown. ``healthcert.trust.did`` provides it.
DidWriter = Callable[[list[dict[str, Any]], str, str, str], dict[str, Any] | None]

Handler = Callable[[Session, str, bytes, datetime], uploads.Accepted]


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """What one running gateway needs."""

    anchor: GatewayAnchor
    engine: Engine
    trusted_proxies: frozenset[str] = frozenset()
    ttl: timedelta = DEFAULT_TTL
    clock: Callable[[], datetime] = field(default=_utcnow)
    did_writer: DidWriter | None = None


def create_gateway_app(settings: GatewaySettings) -> FastAPI:
    """The gateway's API over ``settings``."""
    app = FastAPI(title="healthcert gateway", version="1", docs_url=None, redoc_url=None)
    app.state.gateway = settings
    reads = session_factory(settings.engine)
    writes = session_factory(settings.engine, writes=True)

    def signed(request: Request, document: Any, seq: int, *, more: bool = False) -> Response:
        body = b"" if document is None else orjson.dumps(document)
        return signed_body(request, body if document is not None else None, seq, more=more)

    def signed_body(request: Request, body: bytes | None, seq: int, *, more: bool) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        header = sign_download(
            settings.anchor.key,
            body or b"",
            target=target,
            seq=seq,
            more=more,
            now=settings.clock(),
            ttl=settings.ttl,
        )
        headers = {SIGNATURE_HEADER: header}
        if body is None:
            return Response(status_code=204, headers=headers)
        return Response(body, 200, headers=headers, media_type="application/json")

    async def upload(request: Request, handler: Handler) -> Response:
        body = await _bounded_body(request)
        cms = uploads.decode_body(body)
        certificate = client_certificate(request.scope, request.headers, settings.trusted_proxies)

        def work() -> uploads.Accepted:
            with writes() as session:
                country = authenticated_country(session, certificate)
                accepted = handler(session, country, cms, settings.clock())
                uploads.commit_upload(session)
                return accepted

        accepted = await run_in_threadpool(work)
        return JSONResponse(
            {"accepted": accepted.kind, "id": accepted.key, "seq": accepted.change},
            status_code=201,
        )

    _install_errors(app)
    _upload_routes(app, upload)
    _download_routes(app, reads, signed, signed_body)
    return app


def _upload_routes(app: FastAPI, upload: Callable[[Request, Handler], Any]) -> None:
    routes: list[tuple[str, Handler, Handler]] = [
        ("/signerCertificate", uploads.upload_dsc, uploads.delete_dsc),
        ("/borderCertificate", uploads.upload_border, uploads.delete_border),
        ("/rules", uploads.upload_rule, uploads.delete_rule),
        ("/revocation-list", uploads.upload_batch, uploads.delete_batch),
    ]
    for path, create, delete in routes:
        app.add_api_route(path, _bind(upload, create), methods=["POST"], status_code=201)
        app.add_api_route(path, _bind(upload, delete), methods=["DELETE"], status_code=201)
        # POST .../delete as the EU gateway offers it, for clients that cannot send a body
        # with DELETE.
        app.add_api_route(f"{path}/delete", _bind(upload, delete), methods=["POST"])


def _bind(upload: Callable[[Request, Handler], Any], handler: Handler) -> Callable[..., Any]:
    async def route(request: Request) -> Response:
        result: Response = await upload(request, handler)
        return result

    return route


def _download_routes(
    app: FastAPI, reads: Any, signed: Callable[..., Response], signed_body: Callable[..., Response]
) -> None:
    # Every country fetches the same list between two changes: its body is kept per request
    # and change sequence (a new upload makes a new sequence, so nothing stale is served).
    bodies: dict[tuple[str, str, int], tuple[bytes, bool]] = {}

    async def trust_list(request: Request, kind: str | None, country: str | None) -> Response:
        query = _trust_query(request, kind, country)
        key = (str(request.url), request.headers.get("if-modified-since", ""))

        def work() -> tuple[bytes, int, bool]:
            with reads() as session:
                seq = repository.current_change(session)
                held = bodies.get((*key, seq))
                if held is not None:
                    return held[0], seq, held[1]
                page = downloads.trust_list(session, query)
            if len(bodies) >= BODY_CACHE:
                bodies.clear()
            body = orjson.dumps(page.items)
            bodies[(*key, page.seq)] = (body, page.more)
            return body, page.seq, page.more

        body, seq, more = await run_in_threadpool(work)
        return signed_body(request, body, seq, more=more)

    @app.get("/trustList")
    async def whole_list(request: Request) -> Response:
        return await trust_list(request, None, None)

    @app.get("/trustList/{kind}")
    async def list_of_type(request: Request, kind: str) -> Response:
        return await trust_list(request, kind, None)

    @app.get("/trustList/{kind}/{country}")
    async def list_of_country(request: Request, kind: str, country: str) -> Response:
        return await trust_list(request, kind, country)

    async def rules(request: Request, code: str | None) -> Response:
        def work() -> tuple[dict[str, Any], int]:
            with reads() as session:
                return downloads.rules_of(session, code)

        found, seq = await run_in_threadpool(work)
        return signed(request, found, seq)

    @app.get("/rules")
    async def all_rules(request: Request) -> Response:
        return await rules(request, None)

    @app.get("/rules/{country}")
    async def rules_of_country(request: Request, country: str) -> Response:
        return await rules(request, _country(country))

    @app.get("/valuesets")
    async def value_set_ids(request: Request) -> Response:
        return signed(request, downloads.value_set_ids(), 0)

    @app.get("/valuesets/{set_id}")
    async def value_set(request: Request, set_id: str) -> Response:
        found = downloads.value_set(set_id)
        if found is None:
            return JSONResponse({"detail": f"no value set {set_id}"}, status_code=404)
        return signed(request, found, 0)

    @app.get("/revocation-list")
    async def revocation_list(request: Request) -> Response:
        since = _int_parameter(request, "since", 0)
        page_number = _int_parameter(request, "page", 0)

        def work() -> downloads.Page:
            with reads() as session:
                return downloads.revocation_list(session, since, page_number)

        page = await run_in_threadpool(work)
        if not page.items:
            return signed(request, None, page.seq)
        return signed(request, {"more": page.more, "batches": page.items}, page.seq, more=page.more)

    @app.get("/revocation-list/{batch_id}")
    async def revocation_batch(request: Request, batch_id: str) -> Response:
        def work() -> tuple[dict[str, Any] | None, int]:
            with reads() as session:
                return downloads.revocation_batch(session, batch_id)

        found, seq = await run_in_threadpool(work)
        if found is None:
            return JSONResponse({"detail": f"no revocation batch {batch_id}"}, status_code=404)
        return signed(request, found, seq)

    @app.get("/v2/trustlist/{domain}/{participant}/{usage}/did.json")
    async def did_trust_list(
        request: Request, domain: str, participant: str, usage: str
    ) -> Response:
        writer = request.app.state.gateway.did_writer
        if writer is None:
            return JSONResponse(
                {"detail": "the DID trust list is not available from this gateway"},
                status_code=501,
            )
        query = downloads.TrustListQuery(page_size=downloads.MAX_PAGE_SIZE * 50)

        def work() -> downloads.Page:
            with reads() as session:
                return downloads.trust_list(session, query)

        page = await run_in_threadpool(work)
        document = writer(page.items, domain, participant, usage)
        if document is None:
            return JSONResponse({"detail": "no such participant or usage"}, status_code=404)
        return signed(request, document, page.seq)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}


class BadRequest(Exception):
    """A query parameter or path value the gateway cannot use."""


def _trust_query(
    request: Request, kind: str | None, country: str | None
) -> downloads.TrustListQuery:
    certificate_type = kind.upper() if kind is not None else None
    if certificate_type is not None and certificate_type not in downloads.TRUST_LIST_TYPES:
        raise BadRequest(
            f"unknown certificate type {kind}: use {', '.join(downloads.TRUST_LIST_TYPES)}"
        )
    page_size = _int_parameter(request, "pagesize", downloads.DEFAULT_PAGE_SIZE)
    if not 1 <= page_size <= downloads.MAX_PAGE_SIZE:
        raise BadRequest(f"pagesize must be 1 to {downloads.MAX_PAGE_SIZE}")
    since = request.query_params.get("since")
    return downloads.TrustListQuery(
        certificate_type=certificate_type,
        country=_country(country) if country is not None else None,
        since=_int_parameter(request, "since", 0) if since is not None else None,
        modified_since=_modified_since(request),
        page=_int_parameter(request, "page", 0),
        page_size=page_size,
    )


def _int_parameter(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or len(text) > 12:
        raise BadRequest(f"{name} must be a whole number of at most 12 digits")
    return int(text)


def _modified_since(request: Request) -> datetime | None:
    text = request.headers.get("if-modified-since")
    if text is None:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        raise BadRequest("If-Modified-Since is not an HTTP date") from None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _country(text: str) -> str:
    try:
        return check_country(text)
    except KeyStoreError as error:
        raise BadRequest(str(error)) from None


async def _bounded_body(request: Request) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise uploads.UploadRefused(413, f"an upload is at most {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _install_errors(app: FastAPI) -> None:
    def refused(_request: Request, error: Exception) -> JSONResponse:
        status = getattr(error, "status", 400)
        return JSONResponse({"detail": str(error)}, status_code=status)

    app.add_exception_handler(uploads.UploadRefused, refused)
    app.add_exception_handler(NotAuthenticated, refused)
    app.add_exception_handler(BadRequest, refused)
