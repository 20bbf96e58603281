"""Every input answered, never a 500: ids past the databases' integers, bodies past the limit,
NUL and lone surrogates, verify's ``at`` at the calendar's edges, FHIR names of the wrong
shape. Each answer has the one error body, and an unexpected failure is a JSON 500 with the
request id its log line carries. On SQLite and on PostgreSQL (the ``client`` fixture)."""

from __future__ import annotations

import json
import logging
import re
import secrets
from typing import TYPE_CHECKING, Any

import pytest

from tests.service import samples
from tests.service.declaration_steps import traveller

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from httpx import Response

    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
RECORDS = "/api/v1/records"
SIGN_IN = "/api/v1/holder/sign-in"
# What each id route is called with: the role its routes admit.
ROLE_OF_PREFIX = (
    ("/api/v1/admin/", "admin"),
    ("/api/v1/records", "issuer"),
    ("/api/v1/certificates/", "issuer"),
    ("/api/v1/consular/", "officer"),
    ("/api/v1/holder/", "holder"),
)


def error_of(answer: Response, status: int) -> dict[str, Any]:
    """The one error body, its request id also in the header."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    assert set(body) == {"detail", "errors", "request_id"}
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["request_id"] == answer.headers["X-Request-ID"]
    return body


def fields_of(answer: Response, status: int = 422) -> list[str]:
    return [problem["field"] for problem in error_of(answer, status)["errors"]]


@pytest.fixture(scope="module")
def credentials(client: TestClient, ctx: ServiceContext, keys: Keys) -> Keys:
    return {**keys, "holder": traveller(client, ctx, keys["recorder"]).auth}


def id_operations(client: TestClient) -> list[tuple[str, str]]:
    """(method, path) of every operation with an id in its path."""
    document = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if re.search(r"\{\w+_id\}", path)
    ]


BODIES = (
    ("/certificates", {"format": "eu-dcc"}),
    ("/revoke", {"reason": "x"}),
    ("/decision", {"decision": "approve"}),
    ("/withdraw", None),
    ("/light", None),
    ("/sealed", {"country": "CN"}),
)


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Response:
    body: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    if path.endswith("/documents") and method == "POST":
        files = {"file": ("a.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}
    elif method == "POST":
        body = next(body for end, body in BODIES if path.endswith(end))
    return client.request(method, path, json=body, files=files, headers=headers)


def _role(path: str) -> str:
    return next(role for prefix, role in ROLE_OF_PREFIX if path.startswith(prefix))


@pytest.mark.parametrize("number", [0, -1, 2**31, 2**63, 2**64, 10**30])
def test_an_id_outside_the_row_range_is_422_on_every_route(
    client: TestClient, credentials: Keys, number: int
) -> None:
    operations = id_operations(client)
    assert len(operations) >= 15
    for method, template in operations:
        path = re.sub(r"\{(\w+_id)\}", str(number), template).replace("{kind}", "png")
        answer = _call(client, method, path, credentials[_role(template)])
        assert answer.status_code == 422, (method, template, answer.text)
        assert fields_of(answer)[0].startswith("path."), (method, template)


def test_the_largest_id_is_only_not_found(client: TestClient, credentials: Keys) -> None:
    for method, template in id_operations(client):
        path = re.sub(r"\{(\w+_id)\}", str(2**31 - 1), template).replace("{kind}", "png")
        answer = _call(client, method, path, credentials[_role(template)])
        assert answer.status_code == 404, (method, template, answer.text)
        error_of(answer, 404)


def test_a_body_past_the_limit_is_413_before_it_is_read(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    limit = ctx.max_body_bytes
    assert limit == 1024 * 1024
    payload = json.dumps({"payload": "HC1:" + "A" * limit}).encode()
    answer = client.post("/api/v1/verify", content=payload, headers=keys["verifier"])
    body = error_of(answer, 413)
    assert body["detail"] == f"the request body is larger than {limit} bytes"
    assert len(answer.content) < 400  # nothing of the body comes back

    # Streamed without a length: counted as it comes.
    def chunks() -> Any:
        for _ in range(20):
            yield b"x" * 65536

    streamed = client.post(RECORDS, content=chunks(), headers=keys["recorder"])
    error_of(streamed, 413)


def test_the_limit_is_configurable(
    client: TestClient, keys: Keys, ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ctx, "max_body_bytes", 200)
    record = samples.record()
    assert len(json.dumps(record)) > 200
    assert error_of(client.post(RECORDS, json=record, headers=keys["recorder"]), 413)
    identity = {
        "document_type": "passport",
        "issuing_country": "CN",
        "document_number": "X",
        "date_of_birth": "2000-01-01",
    }
    small = client.post(SIGN_IN, json=identity)
    assert small.status_code == 202


def test_an_upload_route_documents_and_takes_its_larger_limit(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    upload = document["paths"]["/api/v1/holder/declarations/{declaration_id}/documents"]["post"]
    image = document["paths"]["/api/v1/verify/image"]["post"]
    assert upload["x-max-body-bytes"] == 5 * 1024 * 1024 + 64 * 1024
    assert image["x-max-body-bytes"] == 16 * 1024 * 1024 + 64 * 1024


@pytest.mark.parametrize(
    "raw",
    [
        rb'{"document_number": "\ud800", "date_of_birth": "2000-01-01"}',
        rb'{"document_number": "AB\u0000", "date_of_birth": "2000-01-01"}',
        rb'{"document_number": "\udfff\ud800", "date_of_birth": "2000-01-01"}',
    ],
)
def test_unstorable_text_on_the_unauthenticated_sign_in_is_422(
    client: TestClient, raw: bytes
) -> None:
    answer = client.post(SIGN_IN, content=raw, headers={"Content-Type": "application/json"})
    assert fields_of(answer) == ["document_number"]
    assert "NUL" in answer.json()["errors"][0]["message"]


def test_unstorable_text_in_a_record_is_named_by_its_path(client: TestClient, keys: Keys) -> None:
    record = samples.record()
    record["holder"]["given_name"] = "Ja\x00ne"
    record["entry"]["vaccine"] = "\ud800"
    raw = json.dumps(record).encode()  # ensure_ascii writes both as \u escapes
    answer = client.post(
        RECORDS, content=raw, headers={**keys["recorder"], "Content-Type": "application/json"}
    )
    assert fields_of(answer) == ["holder.given_name", "entry.vaccine"]


def test_an_escaped_backslash_is_ordinary_text(client: TestClient, keys: Keys) -> None:
    """``\\\\u0000`` in JSON is a backslash and "u0000": storable, not refused at the edge
    (the verifier reads it as a payload it cannot decode)."""
    raw = rb'{"payload": "HC1:A\\u0000"}'
    headers = {"Content-Type": "application/json", **keys["verifier"]}
    answer = client.post("/api/v1/verify", content=raw, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["errors"][0]["code"] == "BASE45_INVALID"


@pytest.mark.parametrize("where", ["date_of_birth", "document_number"])
def test_nul_in_a_query_parameter_is_422(client: TestClient, keys: Keys, where: str) -> None:
    params = {"document_number": "A1", "date_of_birth": "2000-01-01", where: "19\x0090"}
    answer = client.get(RECORDS, params=params, headers=keys["issuer"])
    assert fields_of(answer) == [f"query.{where}"]


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "9999-12-31T23:59:59Z",
        "1899-12-31T23:59:59Z",
    ],
)
def test_verify_at_the_calendars_edges_is_422(client: TestClient, keys: Keys, at: str) -> None:
    answer = client.post(
        "/api/v1/verify", json={"payload": "HC1:6BF", "at": at}, headers=keys["verifier"]
    )
    assert fields_of(answer) == ["at"]


def test_verify_at_an_ordinary_moment_answers(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        "/api/v1/verify",
        json={"payload": "HC1:6BF", "at": "2026-01-01T00:00:00+14:00"},
        headers=keys["verifier"],
    )
    assert answer.status_code == 200
    assert answer.json()["valid"] is False


def _bundle_with_name(name: Any) -> dict[str, Any]:
    bundle = samples.fhir_bundle(f"F{secrets.token_hex(4).upper()}")
    bundle["entry"][0]["resource"]["name"] = name
    return bundle


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ({"family": "Doe", "given": ["Jane"]}, ["entry.0.resource.name"]),
        (42, ["entry.0.resource.name"]),
        (["Doe"], ["entry.0.resource.name.0"]),
        (
            [{"family": "Doe", "given": [1, "Ann", 2.5]}],
            [
                "entry.0.resource.name.0.given.0",
                "entry.0.resource.name.0.given.2",
            ],
        ),
        (
            [{"family": 7, "given": "Jane"}],
            [
                "entry.0.resource.name.0.family",
                "entry.0.resource.name.0.given",
            ],
        ),
    ],
)
def test_a_fhir_name_of_the_wrong_shape_is_refused_with_its_path(
    client: TestClient, keys: Keys, name: Any, fields: list[str]
) -> None:
    answer = client.post(f"{RECORDS}/fhir", json=_bundle_with_name(name), headers=keys["recorder"])
    assert fields_of(answer) == fields


def test_a_given_name_string_is_never_spelled_out(client: TestClient, keys: Keys) -> None:
    answer = client.post(
        f"{RECORDS}/fhir",
        json=_bundle_with_name([{"family": "Doe", "given": "Jane"}]),
        headers=keys["recorder"],
    )
    assert fields_of(answer) == ["entry.0.resource.name.0.given"]
    assert "J A N E" not in answer.text


def test_given_names_are_kept_as_written(client: TestClient, keys: Keys) -> None:
    bundle = _bundle_with_name([{"family": "Doe", "given": ["Jane", "Ann"]}])
    answer = client.post(f"{RECORDS}/fhir", json=bundle, headers=keys["recorder"])
    assert answer.status_code == 201, answer.text
    holder = answer.json()["records"][0]["holder"]
    assert (holder["family_name"], holder["given_name"]) == ("Doe", "Jane Ann")


def test_every_wrong_field_of_a_record_is_named_at_once(client: TestClient, keys: Keys) -> None:
    record = samples.record(samples.vaccination(date="2026-13-01", dose_number=0))
    record["record_id"] = ""
    record["holder"]["document_number"] = "no spaces allowed"
    answer = client.post(RECORDS, json=record, headers=keys["recorder"])
    assert set(fields_of(answer)) == {
        "record_id",
        "holder.document_number",
        "entry.vaccination.date",
        "entry.vaccination.dose_number",
    }


def test_a_large_input_is_never_echoed(client: TestClient, keys: Keys) -> None:
    large = "A" * 200_000
    fields = ("document_type", "issuing_country", "document_number", "date_of_birth")
    answer = client.post(SIGN_IN, json=dict.fromkeys(fields, large))
    body = error_of(answer, 422)
    assert {p["field"] for p in body["errors"]} == set(fields)
    assert len(answer.content) < 1000
    assert "AAAAAAAAAA" not in answer.text


def test_not_json_is_422_without_the_text(client: TestClient) -> None:
    answer = client.post(
        SIGN_IN, content=b"{" + b"x" * 100_000, headers={"Content-Type": "application/json"}
    )
    assert fields_of(answer)
    assert len(answer.content) < 1000


@pytest.mark.parametrize(
    ("method", "path", "role", "status"),
    [
        ("GET", RECORDS + "/1", None, 401),
        ("GET", RECORDS + "/1", "verifier", 403),
        ("GET", RECORDS + "/2147483647", "issuer", 404),
        ("GET", "/api/v1/no-such-route", None, 404),
        ("PUT", RECORDS + "/1", "issuer", 405),
        ("GET", "/api/v1/holder/records", None, 401),
    ],
)
def test_every_refusal_has_the_one_body(
    client: TestClient, keys: Keys, method: str, path: str, role: str | None, status: int
) -> None:
    answer = client.request(method, path, headers=keys[role] if role else {})
    assert error_of(answer, status)["errors"] == []


def test_a_conflict_has_the_one_body(client: TestClient, keys: Keys) -> None:
    record = samples.record()
    assert client.post(RECORDS, json=record, headers=keys["recorder"]).status_code == 201
    record["entry"]["dose_number"] = 1
    error_of(client.post(RECORDS, json=record, headers=keys["recorder"]), 409)


def test_a_sane_request_id_is_kept_and_others_replaced(client: TestClient) -> None:
    kept = client.get("/api/v1/health", headers={"X-Request-ID": "lb-7f3a.42"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a.42"
    for insane in ("a b", "x" * 300, "<script>"):
        answer = client.get("/api/v1/health", headers={"X-Request-ID": insane})
        assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-ID"])


def test_an_unexpected_failure_is_a_json_500_with_a_logged_request_id(
    ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app
    from healthcert.api.logs import JsonFormatter

    app = create_app(ctx)

    @app.get("/api/v1/fails/{number}")
    def fails(number: int, name: str) -> None:
        raise RuntimeError(f"row for {name} P1234567")

    with TestClient(app) as test_client, caplog.at_level(logging.INFO, "healthcert.api"):
        answer = test_client.get(
            "/api/v1/fails/7", params={"name": "Jane"}, headers={"X-Request-ID": "req-1"}
        )
    body = error_of(answer, 500)
    assert body["request_id"] == "req-1"
    assert "Jane" not in answer.text and "P1234567" not in answer.text
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    [failure] = [line for line in lines if line["message"] == "unhandled error"]
    assert failure["request_id"] == "req-1"
    assert failure["route"] == "/api/v1/fails/{number}"
    assert failure["exception"] == "builtins.RuntimeError"
    assert failure["where"].startswith("test_api_edge.py:")
    [access] = [line for line in lines if line["message"] == "request"]
    assert (access["status"], access["request_id"]) == (500, "req-1")
    logged = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "Jane" not in logged and "P1234567" not in logged


def test_the_document_describes_every_answer(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key's secret.",
    }
    assert schemes["Bearer"]["scheme"] == "bearer"
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("422", "500"):
                assert responses[status]["content"]["application/json"]["schema"] == error
            if "requestBody" in operation:
                assert "413" in responses, (method, path)
                for content in operation["requestBody"]["content"].values():
                    schema = content["schema"]
                    if "$ref" in schema:
                        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
                    assert schema.get("properties"), (method, path)
            if operation.get("security"):
                assert "401" in responses, (method, path)
    paths = document["paths"]
    record = paths["/api/v1/records"]["post"]["requestBody"]["content"]["application/json"]
    assert set(record["schema"]["properties"]) == {"record_id", "holder", "entry"}
    bundle = paths["/api/v1/records/fhir"]["post"]["requestBody"]["content"]["application/json"]
    assert bundle["schema"]["title"] == "FhirBundle"
    for reissue in ("/api/v1/records/{record_id}/certificates", "/api/v1/records"):
        assert {"200", "201", "409" if reissue == "/api/v1/records" else "201"} <= set(
            paths[reissue]["post"]["responses"]
        )
    assert "429" in paths["/api/v1/holder/sign-in"]["post"]["responses"]
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_an_uploaded_files_name_is_stored_without_nul(
    client: TestClient, ctx: ServiceContext, keys: Keys
) -> None:
    from tests.service.declaration_steps import PDF, body

    person = traveller(client, ctx, keys["recorder"])
    filed = client.post("/api/v1/holder/declarations", json=body(), headers=person.auth)
    assert filed.status_code == 201, filed.text
    boundary = "edge-boundary"
    raw = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="sc\x00an.pdf"'
            f"\r\nContent-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    answer = client.post(
        f"/api/v1/holder/declarations/{filed.json()['id']}/documents",
        content=raw,
        headers={**person.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert answer.status_code == 201, answer.text
    [document] = [e for e in answer.json()["evidence"] if e.get("filename")]
    assert document["filename"] == "scan.pdf"


@pytest.mark.parametrize("since", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_the_audit_logs_since_at_the_calendars_edges_is_422(
    client: TestClient, keys: Keys, since: str
) -> None:
    answer = client.get("/api/v1/admin/audit", params={"since": since}, headers=keys["admin"])
    assert fields_of(answer) == ["query.since"]
