"""The traveller's pages (``/holder``): sign in with a one-time code, records, certificates with
their QR code and paper form, the health code shown live, and what makes them installable (the
web app manifest and the service worker that keeps the last certificates and health code
readable offline). They call the service's use cases, like the holder API, and hold no
business logic; the declaration pages are ``declaration_pages``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from healthcert.api.auth import Service
from healthcert.api.routes.certificates import pdf_response
from healthcert.declarations.health_code import current_code
from healthcert.formats import registry
from healthcert.limits import MAX_ROW_ID
from healthcert.service.errors import Conflict, NotFound, TooManyAttempts, Unauthorised
from healthcert.service.holder import certificates_of, issue_own, own_certificate
from healthcert.service.person import DOCUMENT_TYPES, Person, issuing_country
from healthcert.service.records import get_record, records_of
from healthcert.service.sealing import destination_of, sealable_trips, sealed_for
from healthcert.service.signin import request_code, sign_in, sign_out
from healthcert.web import declaration_pages, i18n
from healthcert.web.holder_render import HEADERS, go, language, not_found, page
from healthcert.web.holder_session import (
    CSRF_FIELD,
    FormRefused,
    SignInNeeded,
    Traveller,
    check_form,
    forget_session,
    keep_session,
    session_token,
)
from healthcert.web.holder_view import (
    certificate_view,
    entry_view,
    holder_name,
    moment_text,
    qr_data,
)

STATIC = Path(__file__).parent / "static"
QR_SIZES = ("screen", "print")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

router = APIRouter(prefix="/holder", include_in_schema=False)
Lang = Annotated[str | None, Form(max_length=8)]
Token = Annotated[str | None, Form(alias=CSRF_FIELD, max_length=64)]


class Identity(BaseModel):
    """The fields that name a traveller at sign-in, in one place: the sign-in form, the code
    step's copy of them (``holder/_identity.html``) and the Person they make all follow it."""

    document_type: Annotated[str, Field(max_length=16)] = "passport"
    issuing_country: Annotated[str, Field(max_length=2)] = ""
    document_number: Annotated[str, Field(max_length=64)] = ""
    date_of_birth: Annotated[str, Field(max_length=10)] = ""

    def problem(self) -> str | None:
        if self.document_type not in DOCUMENT_TYPES:
            return "type"
        try:
            issuing_country(self.issuing_country)
        except ValueError:
            return "country"
        if not self.document_number.strip():
            return "document"
        if not DATE.match(self.date_of_birth.strip()):
            return "birth"
        return None

    def person(self) -> Person:
        return Person.of(
            self.document_type, self.issuing_country, self.document_number, self.date_of_birth
        )


class CodeForm(Identity):
    code: Annotated[str, Field(max_length=12)] = ""


def install(app: FastAPI) -> None:
    """Mount the traveller's pages and what sends a visitor without a session to sign in."""
    app.include_router(router)
    app.include_router(declaration_pages.router)
    app.add_exception_handler(SignInNeeded, _to_sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(FormRefused, _form_refused)


def _to_sign_in(request: Request, error: SignInNeeded) -> Response:
    lang = language(request)
    target = f"/holder/sign-in?lang={lang}" + ("&expired=1" if error.expired else "")
    response = RedirectResponse(target, status_code=303, headers=HEADERS)
    if error.expired:
        forget_session(response)
    return response


def _form_refused(request: Request, _error: Exception) -> Response:
    return page(request, "holder/refused.html", language(request), 403)


@router.get("", response_class=HTMLResponse)
def overview(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    lang = language(request)
    name = holder_name(records_of(ctx, person))
    return page(request, "holder/overview.html", lang, who=name, person=person)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request) -> HTMLResponse:
    lang = language(request)
    expired = request.query_params.get("expired") == "1"
    return _sign_in_page(request, lang, identity=Identity(), expired=expired)


def _sign_in_page(request: Request, lang: str, status: int = 200, **values: Any) -> HTMLResponse:
    """The sign-in form, with the countries a document may come from."""
    choices = declaration_pages.countries(lang)
    return page(request, "holder/sign_in.html", lang, status, countries=choices, **values)


@router.post("/sign-in", response_class=HTMLResponse)
def send_code(
    request: Request,
    ctx: Service,
    identity: Annotated[Identity, Form()],
    token: Token = None,
    lang: Lang = None,
) -> HTMLResponse:
    """Send the one-time code, then ask for it; the same answer whether or not the person has
    records (the API's rule)."""
    check_form(request, token)
    chosen = language(request, lang)
    problem = identity.problem()
    if problem is not None:
        return _sign_in_page(request, chosen, 400, identity=identity, problem=problem)
    try:
        request_code(ctx, identity.person(), _address(request))
    except TooManyAttempts:
        return _sign_in_page(request, chosen, 429, identity=identity, problem="many")
    return page(request, "holder/code.html", chosen, identity=identity)


@router.post("/session", response_class=HTMLResponse)
def open_session(
    request: Request,
    ctx: Service,
    form: Annotated[CodeForm, Form()],
    token: Token = None,
    lang: Lang = None,
) -> Response:
    """Exchange the code for a session in its cookie, and go to the holder's overview."""
    check_form(request, token)
    chosen = language(request, lang)
    code = form.code.strip()
    if form.problem() is not None or not re.fullmatch(r"\d{6}", code):
        return page(request, "holder/code.html", chosen, 400, identity=form, problem="format")
    try:
        opened = sign_in(ctx, form.person(), code, _address(request))
    except Unauthorised:
        return page(request, "holder/code.html", chosen, 401, identity=form, problem="wrong")
    except TooManyAttempts:
        return page(request, "holder/code.html", chosen, 429, identity=form, problem="many")
    response = go("/holder", chosen)
    keep_session(request, response, opened)
    return response


@router.post("/sign-out", response_class=HTMLResponse)
def close_session(
    request: Request, ctx: Service, token: Token = None, lang: Lang = None
) -> HTMLResponse:
    """End the session; the page tells the service worker to drop its offline copies."""
    check_form(request, token)
    session = session_token(request)
    if session:
        sign_out(ctx, session)
    chosen = language(request, lang)
    response = _sign_in_page(request, chosen, identity=Identity(), signed_out=True)
    forget_session(response)
    return response


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/records", response_class=HTMLResponse)
def records(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    lang = language(request)
    issued = {row.record_id: row.id for row in certificates_of(ctx, person)}
    rows = [
        {"id": row.id, "entry": entry_view(row.entry, lang), "certificate": issued.get(row.id)}
        for row in records_of(ctx, person)
    ]
    return page(
        request, "holder/records.html", lang, records=rows, formats=registry.CERTIFICATE_FORMATS
    )


@router.post("/records/{record_id}/certificates", response_class=HTMLResponse)
def issue(
    request: Request,
    record_id: int,
    ctx: Service,
    person: Traveller,
    fmt: Annotated[str, Form(alias="format", max_length=20)] = registry.EU_DCC,
    token: Token = None,
    lang: Lang = None,
) -> Response:
    """Obtain the certificate of one's own record (the stored one when it exists)."""
    check_form(request, token)
    chosen = language(request, lang)
    if fmt not in registry.CERTIFICATE_FORMATS:
        return not_found(request, chosen)
    try:
        issued = issue_own(ctx, person, record_id, fmt)
    except NotFound:
        return not_found(request, chosen)
    return go(f"/holder/certificates/{issued.certificate.id}", chosen)


@router.get("/certificates", response_class=HTMLResponse)
def certificates(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    lang = language(request)
    shown = [_certificate(ctx, row, lang) for row in certificates_of(ctx, person)]
    return page(request, "holder/certificates.html", lang, certificates=shown)


def _certificate(ctx: Service, row: Any, lang: str) -> Any:
    return certificate_view(row, get_record(ctx, row.record_id), lang, ctx.issuer_name, ctx.clock())


@router.get("/certificates/{certificate_id}", response_class=HTMLResponse)
def certificate(
    request: Request, certificate_id: int, ctx: Service, person: Traveller
) -> HTMLResponse:
    """One certificate: its QR code at the size asked (phone screen or print), its details
    with codes by name, and its paper form."""
    lang = language(request)
    try:
        row = own_certificate(ctx, person, certificate_id)
    except NotFound:
        return not_found(request, lang)
    size = request.query_params.get("size")
    shown = _certificate(ctx, row, lang)
    return page(
        request,
        "holder/certificate.html",
        lang,
        item=shown,
        size=size if size in QR_SIZES else "screen",
        trips=[] if shown.revoked or shown.expired else sealable_trips(ctx, person, row.format),
    )


@router.post("/certificates/{certificate_id}/sealed", response_class=HTMLResponse)
def sealed(
    request: Request,
    certificate_id: int,
    ctx: Service,
    person: Traveller,
    declaration_id: Annotated[int, Form(ge=1, le=MAX_ROW_ID)],
    token: Token = None,
    lang: Lang = None,
) -> HTMLResponse:
    """The certificate sealed for the destination of the holder's declaration, its QR code
    shown at once (nothing is stored: each visit seals anew)."""
    check_form(request, token)
    chosen = language(request, lang)
    try:
        destination = destination_of(ctx, person, declaration_id, None)
        made = sealed_for(ctx, person, certificate_id, destination)
    except NotFound:
        return not_found(request, chosen)
    except Conflict as refusal:
        values = {"certificate_id": certificate_id, "problem": str(refusal)}
        return page(request, "holder/sealed.html", chosen, 409, sealed=None, **values)
    return page(request, "holder/sealed.html", chosen, sealed=made, certificate_id=certificate_id)


@router.get("/certificates/{certificate_id}/pdf", response_class=Response)
def certificate_pdf(
    request: Request, certificate_id: int, ctx: Service, person: Traveller
) -> Response:
    try:
        row = own_certificate(ctx, person, certificate_id)
    except NotFound:
        return not_found(request, language(request))
    if row.revoked_at is not None:
        return not_found(request, language(request), gone=True)
    answer = pdf_response(ctx, row.id, "medium")
    answer.headers["Cache-Control"] = "no-store"
    return answer


def _health_code(ctx: Service, person: Person, lang: str) -> dict[str, Any] | None:
    """The current code with its QR image and the moment it was signed; None without one."""
    try:
        code = current_code(ctx, person)
    except NotFound:
        return None
    return {
        "colour": code["colour"],
        "qr": qr_data(code["payload"]),
        "valid_until": moment_text(code["valid_until"]),
        "declaration_id": code["declaration_id"],
        "trip": code["trip"],
        "signed_at": ctx.clock().strftime("%H:%M:%S"),
        "label": _colour_label(code["colour"], lang),
    }


def _colour_label(colour: str, lang: str) -> str:
    """The colour in words (the page never shows it by colour alone)."""
    catalog = i18n.translations(lang)
    words = {
        "green": catalog.gettext("GREEN: you may travel"),
        "yellow": catalog.gettext("YELLOW: waiting for the consulate"),
        "red": catalog.gettext("RED: you may not travel"),
    }
    return words.get(colour, colour)


@router.get("/health-code", response_class=HTMLResponse)
def health_code(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    """The health code in its colour, written too, with the clock and a moving mark beside it:
    a screenshot stands still, this page does not. Without a declaration, the way to file one."""
    lang = language(request)
    code = _health_code(ctx, person, lang)
    name = holder_name(records_of(ctx, person))
    now = ctx.clock()
    return page(
        request,
        "holder/health_code.html",
        lang,
        code=code,
        who=name,
        person=person,
        now=now.strftime("%Y-%m-%d %H:%M:%S"),
    )


@router.get("/health-code.json")
def health_code_json(request: Request, ctx: Service, person: Traveller) -> JSONResponse:
    """What the health code page refreshes itself with while online."""
    code = _health_code(ctx, person, language(request))
    headers = {"Cache-Control": "no-store"}
    if code is None:
        return JSONResponse({"detail": "no health code"}, status_code=404, headers=headers)
    return JSONResponse(code, headers=headers)


@router.get("/manifest.webmanifest")
def manifest(request: Request) -> JSONResponse:
    """What installs the traveller's pages as an app, in the visitor's language."""
    lang = language(request)
    catalog = i18n.translations(lang)
    document = {
        "name": catalog.gettext("healthcert: my certificates"),
        "short_name": catalog.gettext("healthcert"),
        "lang": "zh-Hans" if lang == "zh" else lang,
        "start_url": f"/holder?lang={lang}",
        "scope": "/holder",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#112233",
        "icons": [
            {"src": "/static/holder-icon.svg", "sizes": "any", "type": "image/svg+xml"},
            {"src": "/static/holder-icon.png", "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JSONResponse(document, media_type="application/manifest+json")


@router.get("/sw.js")
def service_worker() -> FileResponse:
    """The service worker, shipped in static/ and served here so that its scope is /holder."""
    # Its scope is /holder and all under it: the overview page itself is /holder, not /holder/.
    headers = {
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Service-Worker-Allowed": "/holder",
    }
    return FileResponse(STATIC / "holder-sw.js", media_type="text/javascript", headers=headers)
