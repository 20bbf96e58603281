"""POST /verify/batch: many payloads in one request, one report each, in their order, the same
reports the single verify endpoint gives; bounded in count and size."""

from __future__ import annotations

from typing import TYPE_CHECKING

from healthcert.api.routes.verify import MAX_BATCH
from healthcert.limits import MAX_INPUT_BYTES
from tests.service.helpers import Keys, issued_certificate

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


def test_reports_come_back_in_the_order_of_the_payloads(client: TestClient, keys: Keys) -> None:
    first = issued_certificate(client, keys)["payload"]
    second = issued_certificate(client, keys)["payload"]
    # More than one slice of the endpoint, so that the order across slices is checked too.
    payloads = [first, "HC1:garbage", second, "not a certificate"] * 10
    # The full view, which carries the payloads, asked for with a reason.
    full = {"view": "full", "reason": "batch order check"}
    answer = client.post(
        "/api/v1/verify/batch", json={"payloads": payloads, **full}, headers=keys["verifier"]
    )
    assert answer.status_code == 200, answer.text
    reports = answer.json()["reports"]
    assert [report["input"] for report in reports] == [f"payloads[{n}]" for n in range(40)]
    assert [report["valid"] for report in reports] == [True, False, True, False] * 10
    assert reports[0]["payload"] == first and reports[2]["payload"] == second
    single = client.post(
        "/api/v1/verify", json={"payload": first, **full}, headers=keys["verifier"]
    )
    assert {**reports[0], "input": "payload"} == single.json()
    # By default, the minimal view: in order, without the payloads.
    minimal = client.post(
        "/api/v1/verify/batch", json={"payloads": payloads}, headers=keys["verifier"]
    ).json()["reports"]
    assert [report["view"] for report in minimal] == ["minimal"] * 40
    assert [report["valid"] for report in minimal] == [True, False, True, False] * 10
    assert all(report["payload"] is None for report in minimal)


def test_a_destination_adds_each_payload_s_verdict(client: TestClient, keys: Keys) -> None:
    payload = issued_certificate(client, keys)["payload"]
    answer = client.post(
        "/api/v1/verify/batch",
        json={"payloads": [payload, payload], "country": "DE"},
        headers=keys["verifier"],
    )
    single = client.post(
        "/api/v1/verify", json={"payload": payload, "country": "DE"}, headers=keys["verifier"]
    )
    verdict = single.json()["verdict"]
    assert verdict in ("green", "yellow", "red")
    assert [report["verdict"] for report in answer.json()["reports"]] == [verdict] * 2


def test_batches_are_bounded_and_need_a_verifier(client: TestClient, keys: Keys) -> None:
    url = "/api/v1/verify/batch"
    verifier = keys["verifier"]
    assert client.post(url, json={"payloads": []}, headers=verifier).status_code == 422
    too_many = {"payloads": ["x"] * (MAX_BATCH + 1)}
    assert client.post(url, json=too_many, headers=verifier).status_code == 422
    too_long = {"payloads": ["x" * (4 * MAX_INPUT_BYTES + 1)]}
    assert client.post(url, json=too_long, headers=verifier).status_code == 422
    assert client.post(url, json={"payloads": ["x"]}).status_code == 401
    assert client.post(url, json={"payloads": ["x"]}, headers=keys["recorder"]).status_code == 403
    assert client.post(url, json={"payloads": ["x"] * MAX_BATCH}, headers=verifier).is_success


def test_the_batch_endpoint_is_in_the_openapi_document(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/verify/batch"]["post"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    schema = document["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    assert schema["properties"]["payloads"]["maxItems"] == MAX_BATCH
    assert schema["required"] == ["payloads"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["$ref"].endswith("/BatchAnswer")
