"""The consular officer's pages: sign in with the officer's API key, the post's queue, one
declaration with its evidence verified, and the decision. They call the same use cases as the
consular API (``declarations.review``), so the history and the audit log read the same.

The browser holds a random session token in an HttpOnly, SameSite=Strict cookie, never the
key; every form echoes the session's anti-forgery token (the sign-in form a token of its own
cookie). The pages run no script."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from healthcert.api.auth import Service
from healthcert.declarations import review, status
from healthcert.service.context import ServiceContext
from healthcert.service.errors import Conflict, Invalid, NotFound, Unauthorised
from healthcert.service.page_sessions import Forbidden, PageSession, PageSessions, same_token
from healthcert.web import i18n
from healthcert.web.consular_view import country_name, evidence_of, moment, requirements_of
from healthcert.web.templates import render

ROLES = frozenset({"officer", "admin"})
SESSION_COOKIE = "healthcert_consular"
SIGNIN_COOKIE = "healthcert_consular_signin"
COOKIE_PATH = "/consular"
PAGE_SIZE = 50
# No script at all, forms post only here, nothing frames the pages; a declaration names a
# person, so no cache keeps it.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
# What a holder uploaded is shown as the image or PDF it is and can never run: no script,
# a sandbox, and no guessing of another type.
DOCUMENT_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
    "sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
Lang = Annotated[str | None, Form(max_length=8)]
Token = Annotated[str, Form(max_length=100)]

router = APIRouter(prefix="/consular", include_in_schema=False)


def install(app: FastAPI) -> None:
    """Mount the pages, with the officers' sessions of this app."""
    app.state.consular_sessions = PageSessions(ROLES)
    app.include_router(router)


def _sessions(request: Request) -> PageSessions:
    found: PageSessions = request.app.state.consular_sessions
    return found


def _session(request: Request, ctx: ServiceContext) -> PageSession | None:
    return _sessions(request).resolve(ctx, request.cookies.get(SESSION_COOKIE))


def _url(path: str, language: str, **query: Any) -> str:
    return f"{path}?{urlencode({'lang': language, **query})}"


def _page(name: str, language: str, path: str, code: int = 200, **values: Any) -> HTMLResponse:
    page = render(name, language, path, country=country_name, moment=moment, **values)
    return HTMLResponse(page, status_code=code, headers=HEADERS)


def _see(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)


def _sign_in_page(request: Request, language: str, problem: str | None, code: int) -> Response:
    """The sign-in form with a fresh anti-forgery token, also set in its own cookie."""
    token = secrets.token_urlsafe(32)
    answer = _page("consular_signin.html", language, "/consular", code, csrf=token, problem=problem)
    _set_cookie(request, answer, SIGNIN_COOKIE, token)
    return answer


def _set_cookie(request: Request, answer: Response, name: str, value: str) -> None:
    answer.set_cookie(
        name,
        value,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _forget(answer: Response, name: str) -> None:
    answer.delete_cookie(name, path=COOKIE_PATH, httponly=True, samesite="strict")


@router.get("", response_class=HTMLResponse)
def sign_in_form(request: Request, ctx: Service) -> Response:
    """The sign-in form; an officer already signed in goes to the queue."""
    language = i18n.of_request(request)
    if _session(request, ctx) is not None:
        return _see(_url("/consular/queue", language))
    return _sign_in_page(request, language, None, 200)


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request,
    ctx: Service,
    key: Annotated[str, Form(max_length=200)] = "",
    csrf: Token = "",
    lang: Lang = None,
) -> Response:
    """Open a session for an officer's key: 401 for a wrong key, 403 for a key of another
    role, 403 when the form's token does not match its cookie."""
    language = i18n.of_request(request, lang)
    expected = request.cookies.get(SIGNIN_COOKIE)
    if not expected or not same_token(csrf, expected):
        return _sign_in_page(request, language, "csrf", 403)
    try:
        token, _ = _sessions(request).open(ctx, key)
    except Unauthorised:
        return _sign_in_page(request, language, "key", 401)
    except Forbidden:
        return _sign_in_page(request, language, "role", 403)
    answer = _see(_url("/consular/queue", language))
    _set_cookie(request, answer, SESSION_COOKIE, token)
    _forget(answer, SIGNIN_COOKIE)
    return answer


@router.post("/sign-out", response_class=HTMLResponse)
def sign_out(request: Request, ctx: Service, csrf: Token = "", lang: Lang = None) -> Response:
    language = i18n.of_request(request, lang)
    found = _session(request, ctx)
    if found is not None and not same_token(csrf, found.csrf):
        return _problem(language, "/consular", "csrf", 403, found)
    _sessions(request).close(ctx, request.cookies.get(SESSION_COOKIE))
    answer = _see(_url("/consular", language))
    _forget(answer, SESSION_COOKIE)
    return answer


@router.get("/queue", response_class=HTMLResponse)
def queue(
    request: Request, ctx: Service, state: str = status.SUBMITTED, offset: int = 0
) -> Response:
    """The post's declarations in ``state``, oldest first, with each status's count."""
    language = i18n.of_request(request)
    found = _session(request, ctx)
    if found is None:
        return _see(_url("/consular", language))
    post = review.post_of(ctx, found.actor)
    if state not in status.STATUSES or not 0 <= offset <= 100_000:
        return _problem(language, "/consular/queue", "filter", 400, found)
    rows = review.queue(ctx, post, state, PAGE_SIZE, offset)
    return _page(
        "consular_queue.html",
        language,
        "/consular/queue",
        session=found,
        rows=rows,
        state=state,
        counts=review.counts(ctx, post),
        offset=offset,
        page_size=PAGE_SIZE,
    )


@router.get("/declarations/{declaration_id}", response_class=HTMLResponse)
def declaration(request: Request, ctx: Service, declaration_id: int, done: str = "") -> Response:
    """One declaration: answers, evidence verified, pre-check, history and the decision."""
    language = i18n.of_request(request)
    found = _session(request, ctx)
    if found is None:
        return _see(_url("/consular", language))
    return _declaration_page(request, ctx, found, declaration_id, language, done=done)


def _declaration_page(
    request: Request,
    ctx: ServiceContext,
    session: PageSession,
    declaration_id: int,
    language: str,
    code: int = 200,
    **values: Any,
) -> Response:
    path = f"/consular/declarations/{declaration_id}"
    try:
        found = review.examine(ctx, review.post_of(ctx, session.actor), declaration_id, language)
    except NotFound:
        return _problem(language, path, "missing", 404, session)
    return _page(
        "consular_declaration.html",
        language,
        path,
        code,
        session=session,
        item=found,
        evidence=evidence_of(found, language),
        requirements=requirements_of(found["precheck"], language),
        decidable=found["status"] in status.DECIDABLE,
        **values,
    )


@router.get("/declarations/{declaration_id}/documents/{evidence_id}")
def document(request: Request, ctx: Service, declaration_id: int, evidence_id: int) -> Response:
    """An uploaded document, of the type its bytes show, inline and unable to run script."""
    found = _session(request, ctx)
    if found is None:
        return Response("sign in first", 401, media_type="text/plain", headers=DOCUMENT_HEADERS)
    post = review.post_of(ctx, found.actor)
    try:
        media_type, data = review.document(ctx, post, declaration_id, evidence_id)
    except NotFound:
        return Response("no such document", 404, media_type="text/plain", headers=DOCUMENT_HEADERS)
    headers = {
        **DOCUMENT_HEADERS,
        "Content-Disposition": f"inline; filename=document-{evidence_id}",
    }
    return Response(data, media_type=media_type, headers=headers)


@router.post("/declarations/{declaration_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    ctx: Service,
    declaration_id: int,
    decision: Annotated[str, Form(max_length=40)] = "",
    reason: Annotated[str, Form(max_length=review.MAX_REASON)] = "",
    version: Annotated[int | None, Form(ge=1)] = None,
    csrf: Token = "",
    lang: Lang = None,
) -> Response:
    """Record the officer's decision through the consular use case. Every decision on this
    page carries its reason: 422 without one, 409 when the declaration changed since it was
    read, 403 without the session's token."""
    language = i18n.of_request(request, lang)
    found = _session(request, ctx)
    if found is None:
        return _sign_in_page(request, language, "session", 401)
    if not same_token(csrf, found.csrf):
        return _problem(language, f"/consular/declarations/{declaration_id}", "csrf", 403, found)
    if decision not in review.DECISIONS or not reason.strip():
        problem = "decision" if decision not in review.DECISIONS else "reason"
        return _declaration_page(
            request, ctx, found, declaration_id, language, 422, problem=problem, chosen=decision
        )
    post = review.post_of(ctx, found.actor)
    try:
        decided = review.decide(ctx, post, declaration_id, decision, reason.strip(), version)
    except NotFound:
        return _problem(language, f"/consular/declarations/{declaration_id}", "missing", 404, found)
    except Conflict:
        return _declaration_page(
            request, ctx, found, declaration_id, language, 409, problem="conflict"
        )
    except Invalid:
        return _declaration_page(
            request, ctx, found, declaration_id, language, 422, problem="reason"
        )
    url = _url(f"/consular/declarations/{declaration_id}", language, done=decided["status"])
    return _see(url)


def _problem(
    language: str, path: str, problem: str, code: int, session: PageSession | None
) -> HTMLResponse:
    return _page("consular_problem.html", language, path, code, session=session, problem=problem)
