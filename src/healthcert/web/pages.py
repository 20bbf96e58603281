"""The pages' router: the home page and the border and airline check. Like the API routes,
they call the service's functions and hold no business logic; the check stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from healthcert.api.auth import Service
from healthcert.limits import MAX_IMAGE_BYTES, MAX_INPUT_BYTES
from healthcert.service.apikeys import authenticate
from healthcert.service.errors import Unauthorised
from healthcert.service.verification import (
    FULL,
    MIN_REASON,
    MINIMAL,
    Ask,
    destinations,
    verify_image,
    verify_text,
)
from healthcert.web import consular_pages, holder_pages, i18n
from healthcert.web.templates import render
from healthcert.web.view import outcome

STATIC = Path(__file__).parent / "static"
CHECK_ROLES = frozenset({"verifier", "officer", "admin"})
# The pages load only what this host serves; a QR image or camera frame stays in the page.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# A check names a person: no cache keeps it, nor the key typed with it. Its page may compile
# the QR reader's WebAssembly (served here) for browsers without BarcodeDetector.
PRIVATE = {
    **HEADERS,
    "Content-Security-Policy": HEADERS["Content-Security-Policy"]
    + "; script-src 'self' 'wasm-unsafe-eval'",
    "Cache-Control": "no-store",
}

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Form()]


def install(app: FastAPI, openapi_url: str, docs_url: str) -> None:
    """Mount the pages, their static files and the API docs page served from this host."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(router)
    holder_pages.install(app)
    consular_pages.install(app)

    @app.get(docs_url, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title="healthcert API",
            swagger_js_url="/static/vendor/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/vendor/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )


def _language(request: Request, asked: str | None = None) -> str:
    return i18n.choose(
        asked or request.query_params.get("lang"), request.headers.get("accept-language")
    )


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    language = _language(request)
    return HTMLResponse(render("index.html", language, "/"), headers=HEADERS)


@router.get("/check", response_class=HTMLResponse)
async def check_form(request: Request) -> HTMLResponse:
    language = _language(request)
    page = render("check.html", language, "/check", countries=destinations(), asked={})
    return HTMLResponse(page, headers=PRIVATE)


@router.post("/check", response_class=HTMLResponse)
def check(
    request: Request,
    ctx: Service,
    key: Annotated[str, Form(max_length=200)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
    at: Annotated[str, Form(max_length=40)] = "",
    payload: Annotated[str, Form(max_length=4 * MAX_INPUT_BYTES)] = "",
    image: Annotated[UploadFile | None, File()] = None,
    lang: Lang = None,
    full: Annotated[str, Form(max_length=1)] = "",
    reason: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Verify the uploaded QR image (or the payload the camera read) for the chosen
    destination and clock, and show the answer; nothing of it is kept. The holder's health
    details are shown only when asked for with a reason, which the audit log keeps."""
    language = _language(request, lang)
    asked = {"key": key, "country": country.upper(), "at": at, "full": full, "reason": reason}
    problem, status, reports = _verify(ctx, asked, payload, image, language)
    page = render(
        "check.html",
        language,
        "/check",
        countries=destinations(),
        asked=asked,
        problem=problem,
        outcomes=[outcome(report, language) for report in reports],
    )
    return HTMLResponse(page, status_code=status, headers=PRIVATE)


def _verify(
    ctx: Service, asked: dict[str, str], payload: str, image: UploadFile | None, language: str
) -> tuple[str | None, int, list[dict[str, object]]]:
    """(what is wrong with the request, HTTP status, the reports)."""
    try:
        actor = authenticate(ctx, asked["key"] or None)
    except Unauthorised:
        return "key", 401, []
    if actor.role not in CHECK_ROLES:
        return "role", 403, []
    if asked["country"] and asked["country"] not in destinations():
        return "country", 400, []
    at = _clock(asked["at"])
    if asked["at"] and at is None:
        return "clock", 400, []
    view, reason = (FULL, asked["reason"].strip()) if asked["full"] else (MINIMAL, None)
    if view == FULL and len(reason or "") < MIN_REASON:
        return "reason", 400, []
    ask = Ask(asked["country"] or None, None, language, at, view, reason, actor)
    if payload.strip():
        return None, 200, [verify_text(ctx, payload.strip(), ask)]
    data = image.file.read(MAX_IMAGE_BYTES + 1) if image is not None else b""
    if not data:
        return "image", 400, []
    if len(data) > MAX_IMAGE_BYTES:
        return "large", 413, []
    return None, 200, list(verify_image(ctx, data, ask))


def _clock(text: str) -> datetime | None:
    """The page's clock: a local date and time read as UTC (the page says so)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
