"""Records intake: native JSON and FHIR, idempotent retries, per-field errors, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.service import samples

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

URL = "/api/v1/records"


def test_a_record_is_stored_once_however_often_it_is_sent(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    record = samples.record()
    first = client.post(URL, json=record, headers=keys["recorder"])
    assert first.status_code == 201, first.text
    again = client.post(URL, json=record, headers=keys["recorder"])
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    stored = client.get(f"{URL}/{first.json()['id']}", headers=keys["issuer"]).json()
    assert stored["entry"] == record["entry"]
    assert stored["holder"]["family_name"] == "王"


def test_the_same_record_id_with_other_data_is_a_conflict(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    record = samples.record()
    assert client.post(URL, json=record, headers=keys["recorder"]).status_code == 201
    record["entry"] = samples.vaccination(dose_number=1)
    assert client.post(URL, json=record, headers=keys["recorder"]).status_code == 409


def test_each_invalid_field_gets_its_message(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    record = samples.record(samples.vaccination(date="2026-02-30"), date_of_birth="21.07.1985")
    answer = client.post(URL, json=record, headers=keys["recorder"])
    assert answer.status_code == 422
    # The record's shape and the certificate's rules both speak, in one answer.
    assert [e["field"] for e in answer.json()["errors"]] == [
        "holder.date_of_birth",
        "entry.vaccination.date",
    ]
    record = samples.record(samples.vaccination(date="2026-02-30", dose_number="two"))
    fields = {
        e["field"] for e in client.post(URL, json=record, headers=keys["recorder"]).json()["errors"]
    }
    assert fields == {"entry.vaccination.date", "entry.vaccination.dose_number"}


@pytest.mark.parametrize("test_type", ["LP6464-4", "LP217198-3", "94563-4", "94564-2"])
def test_pcr_antigen_and_antibody_tests_are_accepted(
    client: TestClient, keys: dict[str, dict[str, str]], test_type: str
) -> None:
    record = samples.record(samples.antibody_test(test_type))
    assert client.post(URL, json=record, headers=keys["recorder"]).status_code == 201


def test_a_fhir_bundle_becomes_records(client: TestClient, keys: dict[str, dict[str, str]]) -> None:
    bundle = samples.fhir_bundle("C01X00T47")
    answer = client.post(f"{URL}/fhir", json=bundle, headers=keys["recorder"])
    assert answer.status_code == 201, answer.text
    records = answer.json()["records"]
    assert [r["kind"] for r in records] == ["vaccination", "test"]
    assert records[0]["entry"]["product"] == "EU/1/20/1528"
    assert records[1]["entry"]["test_type"] == "94564-2"
    retry = client.post(f"{URL}/fhir", json=bundle, headers=keys["recorder"])
    assert retry.status_code == 200
    found = client.get(
        URL,
        params={
            "document_type": "passport",
            "issuing_country": "de",
            "document_number": "c01x00t47",
            "date_of_birth": "1990-02-03",
        },
        headers=keys["officer"],
    ).json()
    assert len(found) == 2


def test_a_bundle_without_patient_is_refused(
    client: TestClient, keys: dict[str, dict[str, str]]
) -> None:
    answer = client.post(f"{URL}/fhir", json={"resourceType": "Bundle"}, headers=keys["recorder"])
    assert answer.status_code == 422


@pytest.mark.parametrize("role", ["issuer", "verifier", "officer"])
def test_only_recorders_post_records(
    client: TestClient, keys: dict[str, dict[str, str]], role: str
) -> None:
    assert client.post(URL, json=samples.record(), headers=keys[role]).status_code == 403
    assert client.post(URL, json=samples.record()).status_code == 401


@pytest.mark.parametrize("role", ["recorder", "verifier"])
def test_recorders_and_verifiers_do_not_read_records(
    client: TestClient, keys: dict[str, dict[str, str]], role: str
) -> None:
    assert client.get(f"{URL}/1", headers=keys[role]).status_code == 403
