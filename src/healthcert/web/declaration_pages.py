"""The traveller's health declaration pages: the form of the declaration step by step (who
and where, employer, trip, tests and vaccination, health), with evidence picked from the
holder's records, pasted, read from an uploaded QR image, or uploaded as a document; the
declarations with their status and what the consulate asked for; a document in answer.

The form's fields are named by their place in the declaration (``trip.departure``), so a
problem the intake names points at its field. Filing is ``declarations.filing``'s."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from healthcert.api.auth import Service
from healthcert.declarations import filing, intake, status
from healthcert.declarations.intake import MAX_DOCUMENT_BYTES, MAX_DOCUMENTS, MAX_EVIDENCE
from healthcert.inputs import from_image
from healthcert.limits import MAX_IMAGE_BYTES
from healthcert.model.display import FIELD_SETS, display_name
from healthcert.model.valuesets import value_sets
from healthcert.service.errors import Conflict, Invalid, NotFound
from healthcert.service.records import records_of
from healthcert.service.verification import destinations
from healthcert.web.holder_render import go, language, not_found, page
from healthcert.web.holder_session import CSRF_FIELD, Traveller, check_form
from healthcert.web.holder_view import entry_view
from healthcert.web.i18n import collation_key

if TYPE_CHECKING:
    from starlette.datastructures import FormData

    from healthcert.service.signin import Person

router = APIRouter(prefix="/holder/declarations", include_in_schema=False)
# What a declaration form may hold: its fields, its files, and each text field's length.
MAX_FIELDS = 80
MAX_FILES = MAX_EVIDENCE + MAX_DOCUMENTS
MAX_FIELD_BYTES = 64 * 1024


@cache
def countries(lang: str) -> list[tuple[str, str]]:
    """(code, name) of every country, by name in ``lang``: the form's list to choose from."""
    return _by_name(value_sets().codes(FIELD_SETS["country"]), lang)


def _by_name(codes: Iterable[str], lang: str) -> list[tuple[str, str]]:
    named = [(code, display_name("country", code, lang)) for code in codes]
    return sorted(named, key=lambda pair: collation_key(pair[1], lang))


def _form_values(lang: str, **values: Any) -> dict[str, Any]:
    """What the form offers: every country, and the destinations the service has a policy of."""
    offered = _by_name(destinations(), lang)
    return {"countries": countries(lang), "destination_choices": offered, **values}


@router.get("", response_class=HTMLResponse)
def declarations(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    lang = language(request)
    found = intake.declarations_of(ctx, person)
    return page(request, "holder/declarations.html", lang, declarations=found[::-1])


@router.get("/new", response_class=HTMLResponse)
def new_declaration(request: Request, ctx: Service, person: Traveller) -> HTMLResponse:
    lang = language(request)
    # The declaration's document must be the one the traveller signed in with: filled in.
    signed_in = {
        "identity.document_type": person.document_type,
        "identity.issuing_country": person.issuing_country,
    }
    values = _form_values(lang, records=_records(ctx, person, lang), asked=signed_in, problems=[])
    return page(request, "holder/declaration_form.html", lang, **values)


def _records(ctx: Service, person: Person, lang: str) -> list[dict[str, Any]]:
    rows = records_of(ctx, person)
    return [{"id": row.id, "entry": entry_view(row.entry, lang)} for row in rows]


@router.post("", response_class=HTMLResponse)
async def file_declaration(request: Request, ctx: Service, person: Traveller) -> Response:
    """File the declaration the form describes; every problem is shown on the form again,
    and nothing is stored then."""
    form = await request.form(
        max_files=MAX_FILES, max_fields=MAX_FIELDS, max_part_size=MAX_FIELD_BYTES
    )
    check_form(request, _text(form, CSRF_FIELD))
    lang = language(request, _text(form, "lang"))
    asked: dict[str, Any] = {key: _text(form, key) for key in form}
    asked["evidence.record"] = [str(value) for value in form.getlist("evidence.record")]
    problems: list[dict[str, str]] = []
    payloads = await _image_payloads(form, problems)
    documents = await _documents(form, problems)
    document = declaration_body(form, payloads)
    row = None
    if not problems:
        try:
            row = await run_in_threadpool(filing.file_declaration, ctx, person, document)
        except Invalid as error:
            problems = error.problems
    if row is None:
        values = _form_values(
            lang, records=_records(ctx, person, lang), asked=asked, problems=problems
        )
        return page(request, "holder/declaration_form.html", lang, 422, **values)
    for data, name in documents:
        await run_in_threadpool(filing.add_document, ctx, person, row.id, data, name, None)
    return go(f"/holder/declarations/{row.id}", lang)


def _text(form: FormData, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def _files(form: FormData, key: str) -> list[UploadFile]:
    return [item for item in form.getlist(key) if isinstance(item, UploadFile) and item.filename]


async def _image_payloads(form: FormData, problems: list[dict[str, str]]) -> list[str]:
    """The payloads of the QR codes in the uploaded images; a problem for each unreadable one."""
    found: list[str] = []
    for upload in _files(form, "evidence.images")[:MAX_EVIDENCE]:
        data = await upload.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            problems.append(
                {"field": "evidence.images", "message": "too_large", "name": _name(upload)}
            )
            continue
        items = await run_in_threadpool(from_image, "image", data)
        payloads = [item.payload for item in items if item.payload]
        if not payloads:
            problems.append({"field": "evidence.images", "message": "no_qr", "name": _name(upload)})
        found.extend(payloads)
    return found


async def _documents(form: FormData, problems: list[dict[str, str]]) -> list[tuple[bytes, str]]:
    """The uploaded documents, each checked before anything is filed (PDF, PNG, JPEG)."""
    found: list[tuple[bytes, str]] = []
    uploads = _files(form, "documents")
    if len(uploads) > MAX_DOCUMENTS:
        problems.append({"field": "documents", "message": "too_many", "name": ""})
    for upload in uploads[:MAX_DOCUMENTS]:
        data = await upload.read(MAX_DOCUMENT_BYTES + 1)
        problem = _document_problem(data)
        if problem:
            problems.append({"field": "documents", "message": problem, "name": _name(upload)})
        else:
            found.append((data, _name(upload)))
    return found


def _document_problem(data: bytes) -> str | None:
    if len(data) > MAX_DOCUMENT_BYTES:
        return "too_large"
    if intake.media_type_of(data) is None:
        return "not_document"
    return None


def _name(upload: UploadFile) -> str:
    return (upload.filename or "")[:200]


def declaration_body(form: FormData, image_payloads: list[str]) -> dict[str, Any]:
    """The declaration as the intake reads it, from the form's fields (named by their place)."""
    text = {key: _text(form, key) for key in form if isinstance(form[key], str)}
    body: dict[str, Any] = {
        "identity": _group(text, "identity", "document_type", "issuing_country", "nationality"),
        "residence": _group(text, "residence", "country", "city", "address"),
        "trip": _trip(text),
        "evidence": _evidence(form, text, image_payloads),
        "health": {
            "symptoms": text.get("health.symptoms") == "yes",
            "temperature_c": _number(text.get("health.temperature_c", "")),
        },
        "consent": text.get("consent") == "yes",
    }
    employer = _group(text, "employer", "name", "address")
    if any(employer.values()):
        body["employer"] = employer
    return body


_CODES = frozenset({"issuing_country", "nationality", "country", "to_country", "from_country"})


def _group(text: dict[str, str], prefix: str, *names: str) -> dict[str, Any]:
    """The fields ``prefix.name``; codes in capitals, as the intake and the policies write them."""
    group = {name: text.get(f"{prefix}.{name}", "") for name in names}
    return {name: value.upper() if name in _CODES else value for name, value in group.items()}


def _trip(text: dict[str, str]) -> dict[str, Any]:
    trip = _group(text, "trip", "from_country", "from_city", "to_country")
    trip["port_of_entry"] = text.get("trip.port_of_entry", "").upper()
    trip["transport"] = text.get("trip.transport", "").upper().replace(" ", "")
    trip["departure"] = _utc(text.get("trip.departure", ""))
    stop = _group(text, "trip.via.0", "country", "city")
    stop["departure"] = _utc(text.get("trip.via.0.departure", ""))
    if any(stop.values()):
        trip["via"] = [{**stop, "city": stop["city"] or None}]
    return trip


def _utc(local: str) -> str:
    """A date and time the form's field gives (the page says UTC) with its zone."""
    if len(local) == 16 and local[10] == "T":
        return f"{local}:00Z"
    return local


def _number(text: str) -> float | str:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return text  # the intake names it as not a number


def _evidence(
    form: FormData, text: dict[str, str], image_payloads: list[str]
) -> list[dict[str, Any]]:
    evidence: list[dict[str, Any]] = []
    for value in form.getlist("evidence.record"):
        if isinstance(value, str) and value.isdigit():
            evidence.append({"record_id": int(value)})
    pasted = text.get("evidence.payloads", "").split()
    evidence.extend({"payload": payload} for payload in [*pasted, *image_payloads])
    return evidence


@router.get("/{declaration_id}", response_class=HTMLResponse)
def declaration(
    request: Request, declaration_id: int, ctx: Service, person: Traveller
) -> HTMLResponse:
    """One declaration: its status, what the consulate asked for, its evidence and history."""
    lang = language(request)
    try:
        found = intake.read_own(ctx, person, declaration_id)
    except NotFound:
        return not_found(request, lang)
    return page(request, "holder/declaration.html", lang, **_shown(ctx, person, lang, found))


def _shown(
    ctx: Service, person: Person, lang: str, found: dict[str, Any], problem: str | None = None
) -> dict[str, Any]:
    """What the declaration page shows: the records it gives by what they are, and the last
    thing the consulate said (an automatic approval is no word of theirs)."""
    asked = [event for event in found["history"] if event["reason"]]
    return {
        "declaration": found,
        "records": {item["id"]: item["entry"] for item in _records(ctx, person, lang)},
        "open": found["status"] in status.OPEN,
        "asked": asked[-1] if asked and found["status"] != status.AUTO_APPROVED else None,
        "problem": problem,
    }


@router.post("/{declaration_id}/documents", response_class=HTMLResponse)
async def add_document(
    request: Request, declaration_id: int, ctx: Service, person: Traveller
) -> Response:
    """A document for the declaration, in answer to the consulate or of the holder's own."""
    form = await request.form(max_files=1, max_fields=4, max_part_size=1024)
    check_form(request, _text(form, CSRF_FIELD))
    lang = language(request, _text(form, "lang"))
    uploads = _files(form, "document")
    data = await uploads[0].read(MAX_DOCUMENT_BYTES + 1) if uploads else b""
    problem = _document_problem(data) if data else "missing"
    if problem is None:
        try:
            await run_in_threadpool(
                filing.add_document, ctx, person, declaration_id, data, _name(uploads[0]), None
            )
            return go(f"/holder/declarations/{declaration_id}", lang)
        except NotFound:
            return not_found(request, lang)
        except (Conflict, Invalid):
            problem = "closed"
    try:
        found = await run_in_threadpool(intake.read_own, ctx, person, declaration_id)
    except NotFound:
        return not_found(request, lang)
    shown = _shown(ctx, person, lang, found, problem)
    return page(request, "holder/declaration.html", lang, 400, **shown)


@router.post("/{declaration_id}/withdraw", response_class=HTMLResponse)
async def withdraw(
    request: Request, declaration_id: int, ctx: Service, person: Traveller
) -> Response:
    form = await request.form(max_files=0, max_fields=4, max_part_size=1024)
    check_form(request, _text(form, CSRF_FIELD))
    lang = language(request, _text(form, "lang"))
    try:
        await run_in_threadpool(intake.withdraw, ctx, person, declaration_id)
    except NotFound:
        return not_found(request, lang)
    except Conflict:
        found = await run_in_threadpool(intake.read_own, ctx, person, declaration_id)
        shown = _shown(ctx, person, lang, found, "decided")
        return page(request, "holder/declaration.html", lang, 409, **shown)
    return go(f"/holder/declarations/{declaration_id}", lang)
