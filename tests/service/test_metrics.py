"""GET /metrics: the Prometheus text format, counting requests by route template and status,
their latency, certificates issued, verification outcomes, and the outbox backlog."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from healthcert.database.tables import OutboxMessage
from tests.service.helpers import Keys, issued_certificate

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext


def _value(text: str, sample: str) -> float:
    """The value of ``sample`` (name and labels as exposed), 0 when absent."""
    found = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def test_metrics_count_what_the_service_did(
    client: TestClient, keys: Keys, ctx: ServiceContext
) -> None:
    before = client.get("/metrics").text
    issued_certificate(client, keys)
    payload = issued_certificate(client, keys)["payload"]
    verifier = keys["verifier"]
    client.post("/api/v1/verify", json={"payload": payload}, headers=verifier)
    client.post("/api/v1/verify/batch", json={"payloads": [payload, "HC1:x"]}, headers=verifier)
    client.get("/api/v1/certificates/1", headers={"X-API-Key": "hck_wrong"})
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    after = answer.text

    def grew(sample: str) -> float:
        return _value(after, sample) - _value(before, sample)

    assert grew('healthcert_certificates_issued_total{format="eu-dcc"}') == 2
    assert grew('healthcert_verifications_total{outcome="valid"}') == 2
    assert grew('healthcert_verifications_total{outcome="BASE45_INVALID"}') == 1
    route = 'method="POST",route="/api/v1/records/{record_id}/certificates",status="201"'
    assert grew(f"healthcert_http_requests_total{{{route}}}") == 2
    wrong_key = 'method="GET",route="/api/v1/certificates/{certificate_id}",status="401"'
    assert grew(f"healthcert_http_requests_total{{{wrong_key}}}") == 1
    latency = 'healthcert_http_request_duration_seconds_count{route="/api/v1/verify/batch"}'
    assert grew(latency) == 1
    # No path with an id, no payload, no person in a label.
    assert "/certificates/1" not in after and payload[:20] not in after
    with ctx.sessions() as session:
        waiting = session.scalar(select(func.count()).select_from(OutboxMessage))
    assert _value(after, "healthcert_outbox_messages") == waiting
    assert _value(after, "healthcert_database_up") == 1
