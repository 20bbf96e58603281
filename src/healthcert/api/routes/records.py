"""The recorders' API: laboratories and vaccination sites report records."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Response

from healthcert.api.auth import Service, require_role
from healthcert.api.contract import answers, json_body, same_as_created
from healthcert.api.fhir_schema import BUNDLE_EXAMPLE, BUNDLE_SCHEMA
from healthcert.api.params import RowId
from healthcert.service.audit import Actor
from healthcert.service.fhir_records import records_from_bundle
from healthcert.service.person import IdentityIn
from healthcert.service.records import (
    RecordIn,
    parse_record,
    record_json,
    records_of,
    store_record,
)
from healthcert.service.records import get_record as find_record

router = APIRouter(prefix="/records", tags=["records"])
Recorder = Annotated[Actor, Depends(require_role("recorder"))]
Reader = Annotated[Actor, Depends(require_role("issuer", "officer"))]
CONFLICT = answers(409)
RECORD_EXAMPLE = {
    "record_id": "site-0001",
    "holder": {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": "E12345678",
        "family_name": "王",
        "given_name": "小明",
        "family_name_latin": "WANG",
        "given_name_latin": "XIAOMING",
        "date_of_birth": "1985-07-21",
    },
    "entry": {
        "kind": "vaccination",
        "vaccine": "J07BX03",
        "product": "EU/1/20/1528",
        "manufacturer": "ORG-100030215",
        "dose_number": 2,
        "total_doses": 2,
        "date": "2026-09-14",
    },
}


@router.post(
    "",
    status_code=201,
    responses={**same_as_created("A retry: the record stored under this record_id."), **CONFLICT},
    openapi_extra=json_body(
        RecordIn.model_json_schema(), "A record in the native form.", RECORD_EXAMPLE
    ),
)
def post_record(
    ctx: Service, actor: Recorder, response: Response, document: Annotated[Any, Body()]
) -> dict[str, Any]:
    """Store a record (native JSON). A retry with the same record_id stores nothing new and
    answers 200 with the stored record; 422 lists each invalid field."""
    stored = store_record(ctx, parse_record(document), actor)
    if not stored.created:
        response.status_code = 200
    return record_json(stored.record)


@router.post(
    "/fhir",
    status_code=201,
    responses={**same_as_created("A retry: every record was stored before."), **CONFLICT},
    openapi_extra=json_body(BUNDLE_SCHEMA, "A FHIR R4 Bundle.", BUNDLE_EXAMPLE),
)
def post_fhir_bundle(
    ctx: Service, actor: Recorder, response: Response, bundle: Annotated[Any, Body()]
) -> dict[str, Any]:
    """Store the records of a FHIR R4 Bundle (Patient + Immunization / Observation)."""
    parsed = [parse_record(document) for document in records_from_bundle(bundle)]
    stored = [store_record(ctx, record, actor) for record in parsed]
    if not any(item.created for item in stored):
        response.status_code = 200
    return {"records": [record_json(item.record) for item in stored]}


@router.get("/{record_id}")
def get_record(record_id: RowId, ctx: Service, _actor: Reader) -> dict[str, Any]:
    return record_json(find_record(ctx, record_id))


@router.get("")
def find_records(
    ctx: Service, _actor: Reader, person: Annotated[IdentityIn, Query()]
) -> list[dict[str, Any]]:
    """The records of one person: document type, issuing country, number and date of birth."""
    return [record_json(r) for r in records_of(ctx, person.person())]
