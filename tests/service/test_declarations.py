"""Health declarations through the API on SQLite and PostgreSQL: a traveller abroad declares
with records, a foreign EU DCC and a document; the post covering their residence reviews it;
other posts and other holders see nothing; bad input is refused whole; of two concurrent
decisions exactly one lands."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.service import samples
from tests.service.declaration_steps import (
    PDF,
    PNG,
    Traveller,
    body,
    declaration_count,
    pcr_test,
    traveller,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from fastapi.testclient import TestClient

    from healthcert.keys.signer import Signer
    from healthcert.service.context import ServiceContext

Keys = dict[str, dict[str, str]]
HOLDER_API = "/api/v1/holder/declarations"
CONSULAR_API = "/api/v1/consular/declarations"


def _signer_in(country: str, folder: Path) -> Signer:
    from cryptography.hazmat.primitives.serialization import Encoding

    from healthcert.keys.csca import create_csca
    from healthcert.keys.dsc import create_dsc
    from healthcert.keys.signer import signer_from

    csca = create_csca(country)
    dsc = create_dsc(csca)
    (folder / f"{country}-csca.pem").write_bytes(csca.certificate.public_bytes(Encoding.PEM))
    (folder / f"{country}-dsc.pem").write_bytes(dsc.certificate.public_bytes(Encoding.PEM))
    return signer_from(dsc)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> tuple[Signer, Signer, Path]:
    """A trusted second country (DE) and an untrusted one (FR), with DE's PEM files."""
    folder = tmp_path_factory.mktemp("foreign")
    trusted = _signer_in("DE", folder)
    untrusted = _signer_in("FR", tmp_path_factory.mktemp("untrusted"))
    return trusted, untrusted, folder


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Signer, Signer]:
    """The service's key home (CN): its CSCA, a DSC for certificates and one for health codes;
    and the two signers."""
    from healthcert.keys.csca import create_csca
    from healthcert.keys.directory import KeyDirectory
    from healthcert.keys.dsc import create_dsc
    from healthcert.keys.signer import signer_from
    from healthcert.model.kinds import EntryKind

    home = tmp_path_factory.mktemp("authority")
    directory = KeyDirectory(home)
    csca = create_csca("CN")
    directory.save_csca(csca, b"test-only")
    certificates, codes = create_dsc(csca), create_dsc(csca, [EntryKind.HEALTH_CODE])
    for dsc in (certificates, codes):
        directory.save_dsc(dsc, b"test-only")
    return home, signer_from(certificates), signer_from(codes)


@pytest.fixture(scope="module")
def dctx(
    database_url: str,
    authority: tuple[Path, Signer, Signer],
    foreign: tuple[Signer, Signer, Path],
    ctx: ServiceContext,
) -> Iterator[ServiceContext]:
    """The service of ``authority``, trusting CN (itself) and DE, on the session's database."""
    from healthcert.service.context import open_context
    from healthcert.trust.store import load_trust

    own = [p for p in (authority[0] / "keys").glob("*.pem") if not p.name.endswith(".key.pem")]
    trust = load_trust(sorted(own) + sorted(foreign[2].glob("*.pem")))
    context = open_context(database_url)
    context.key_home = authority[0]
    context.signer_loader = lambda: authority[1]
    context.health_code_signer_loader = lambda: authority[2]
    context.trust_loader = lambda: trust
    yield context
    context.engine.dispose()


@pytest.fixture(scope="module")
def dclient(dctx: ServiceContext) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from healthcert.api.app import create_app

    with TestClient(create_app(dctx)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def posts(dctx: ServiceContext) -> dict[str, dict[str, Any]]:
    """Officers of the US/CA post and of the GB post: their headers and key ids."""
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "tests")
    found = {}
    for name, countries in (("us", ["US", "ca"]), ("gb", ["GB"])):
        created = create_key(dctx, "officer", f"{name} post", operator, countries)
        found[name] = {"headers": {"X-API-Key": created.secret}, "key_id": created.id}
    return found


def _dcc(signer: Signer, number: str, entry: dict[str, Any] | None = None, **person: str) -> str:
    """A DCC of ``signer``'s country for the holder: a vaccination unless ``entry`` is given."""
    from healthcert.issuance import IssueRequest, issue_payload

    holder = samples.holder(number, **person)
    found = entry or samples.vaccination()
    request = IssueRequest.model_validate(
        {
            "holder": {k: holder[k] for k in ("family_name_latin", "given_name_latin")}
            | {"date_of_birth": holder["date_of_birth"]},
            "entry": found
            | {
                "country": signer.country,
                "issuer": "Robert Koch-Institut",
                "certificate_id": f"URN:UVCI:01:DE:{number}{found.get('test_type', '')}",
            },
        }
    )
    return issue_payload(request, signer)


def _berlin_test(test_type: str, sampled: datetime) -> dict[str, Any]:
    """A negative test taken at the laboratory the CN policy lists in Berlin."""
    return {
        "kind": "test",
        "test_type": test_type,
        "sample_time": sampled.isoformat(timespec="seconds"),
        "result": "260415000",
        "centre": "Example Laboratory Berlin",
    }


def _file(client: TestClient, person: Traveller, document: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(HOLDER_API, json=document, headers=person.auth)
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _upload(client: TestClient, person: Traveller, declaration: int, data: bytes, kind: str) -> Any:
    files = {"file": ("scan", data, kind)}
    return client.post(f"{HOLDER_API}/{declaration}/documents", files=files, headers=person.auth)


def _decide(
    client: TestClient, post: dict[str, Any], declaration: int, decision: str, reason: str = ""
) -> Any:
    document = {"decision": decision, **({"reason": reason} if reason else {})}
    url = f"{CONSULAR_API}/{declaration}/decision"
    return client.post(url, json=document, headers=post["headers"])


def _queue_ids(client: TestClient, post: dict[str, Any], status: str = "submitted") -> list[int]:
    answer = client.get(CONSULAR_API, params={"status": status}, headers=post["headers"])
    assert answer.status_code == 200, answer.text
    return [row["id"] for row in answer.json()]


def test_a_traveller_declares_and_the_post_reviews(
    dclient: TestClient,
    dctx: ServiceContext,
    keys: Keys,
    posts: dict[str, dict[str, Any]],
    foreign: tuple[Signer, Signer, Path],
) -> None:
    person = traveller(dclient, dctx, keys["recorder"], pcr_test(), samples.antibody_test())
    payload = _dcc(foreign[0], person.document_number)
    evidence = [{"record_id": r} for r in person.records] + [{"payload": payload}]
    filed = _file(dclient, person, body(evidence=evidence))
    declaration = filed["id"]
    assert filed["status"] == "submitted"
    assert [e["kind"] for e in filed["evidence"]] == ["record", "record", "payload"]
    uploaded = _upload(dclient, person, declaration, PDF, "application/pdf")
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["evidence"][-1] | {"id": 0} == {
        "id": 0,
        "kind": "document",
        "media_type": "application/pdf",
        "filename": "scan",
        "size": len(PDF),
    }

    us = posts["us"]
    assert declaration in _queue_ids(dclient, us)
    pdf = f"{CONSULAR_API}/{declaration}/documents/{uploaded.json()['evidence'][-1]['id']}"
    sent = dclient.get(pdf, headers=us["headers"])
    assert (sent.content, sent.headers["content-type"]) == (PDF, "application/pdf")
    assert dclient.get(pdf, headers=posts["gb"]["headers"]).status_code == 404
    record = f"{CONSULAR_API}/{declaration}/documents/{filed['evidence'][0]['id']}"
    assert dclient.get(record, headers=us["headers"]).status_code == 404
    examined = dclient.get(f"{CONSULAR_API}/{declaration}", headers=us["headers"]).json()
    report = examined["evidence"][2]["report"]
    assert report["valid"] is True and report["issuer"]["country"] == "DE"
    assert "verdict" in report
    assert examined["evidence"][0]["record"]["entry"]["test_type"] == "LP6464-4"
    assert examined["evidence"][1]["record"]["entry"]["test_type"] == "94563-4"

    asked = _decide(dclient, us, declaration, "request_documents", "a PCR test in English")
    assert asked.status_code == 200, asked.text
    assert asked.json()["status"] == "documents_requested"
    assert declaration not in _queue_ids(dclient, us)
    assert declaration in _queue_ids(dclient, us, "documents_requested")
    assert _upload(dclient, person, declaration, PNG, "image/png").status_code == 201
    assert declaration in _queue_ids(dclient, us)

    approved = _decide(dclient, us, declaration, "approve")
    assert approved.status_code == 200, approved.text
    mine = dclient.get(f"{HOLDER_API}/{declaration}", headers=person.auth).json()
    assert mine["status"] == "approved"
    assert [(h["status"], h["reason"]) for h in mine["history"]] == [
        ("submitted", None),
        ("documents_requested", "a PCR test in English"),
        ("submitted", "documents added"),
        ("approved", None),
    ]
    assert mine["history"][-1]["actor"] == "officer:us post"
    # Decided: read-only.
    assert _decide(dclient, us, declaration, "reject", "late").status_code == 409
    assert (
        dclient.post(f"{HOLDER_API}/{declaration}/withdraw", headers=person.auth).status_code == 409
    )
    assert _upload(dclient, person, declaration, PDF, "application/pdf").status_code == 409
    _assert_audited_and_notified(dctx, declaration, us["key_id"])


def _assert_audited_and_notified(ctx: ServiceContext, declaration: int, key_id: int) -> None:
    from sqlalchemy import select

    from healthcert.database.tables import AuditEvent, OutboxMessage

    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.object_type == "declaration", AuditEvent.object_id == str(declaration)
            )
            .order_by(AuditEvent.id)
        ).all()
        messages = session.scalars(select(OutboxMessage.body).order_by(OutboxMessage.id)).all()
    decisions = [(e.action, e.detail["key_id"]) for e in events if "key_id" in e.detail]
    assert decisions == [
        ("declaration.request_documents", key_id),
        ("declaration.approve", key_id),
    ]
    assert f"Your health declaration {declaration} was approved: sign in to see why." in messages
    assert f"Your health declaration {declaration} needs more documents: sign in to see why." in (
        messages
    )


def test_a_rejection_needs_a_reason_and_is_final(
    dclient: TestClient, dctx: ServiceContext, keys: Keys, posts: dict[str, dict[str, Any]]
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    declaration = _file(dclient, person, body(residence="CA"))["id"]
    refused = _decide(dclient, posts["us"], declaration, "reject")
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "reason", "message": "a reason is required to reject"}
    ]
    rejected = _decide(dclient, posts["us"], declaration, "reject", "the test is too old")
    assert rejected.json()["status"] == "rejected"
    assert _decide(dclient, posts["us"], declaration, "approve").status_code == 409


def test_another_post_sees_nothing(
    dclient: TestClient, dctx: ServiceContext, keys: Keys, posts: dict[str, dict[str, Any]]
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    declaration = _file(dclient, person, body())["id"]
    gb = posts["gb"]
    assert declaration not in _queue_ids(dclient, gb)
    assert dclient.get(f"{CONSULAR_API}/{declaration}", headers=gb["headers"]).status_code == 404
    assert _decide(dclient, gb, declaration, "approve").status_code == 404
    missing = dclient.get(f"{CONSULAR_API}/999999999", headers=gb["headers"])
    assert missing.status_code == 404
    assert missing.json()["detail"] == "no declaration 999999999"
    assert dclient.get(CONSULAR_API, headers=keys["issuer"]).status_code == 403
    assert dclient.get(CONSULAR_API).status_code == 401


def test_a_holder_sees_only_their_own(
    dclient: TestClient, dctx: ServiceContext, keys: Keys
) -> None:
    mine = traveller(dclient, dctx, keys["recorder"])
    theirs = traveller(dclient, dctx, keys["recorder"])
    their_declaration = _file(dclient, theirs, body())["id"]
    own = _file(dclient, mine, body())["id"]
    listed = dclient.get(HOLDER_API, headers=mine.auth).json()
    assert [d["id"] for d in listed] == [own]
    assert dclient.get(f"{HOLDER_API}/{their_declaration}", headers=mine.auth).status_code == 404
    withdraw = f"{HOLDER_API}/{their_declaration}/withdraw"
    assert dclient.post(withdraw, headers=mine.auth).status_code == 404
    assert _upload(dclient, mine, their_declaration, PDF, "application/pdf").status_code == 404
    # Another's record as evidence reads like no record at all.
    before = declaration_count(dctx)
    for record in (theirs.records[0], 999999999):
        refused = dclient.post(
            HOLDER_API, json=body(evidence=[{"record_id": record}]), headers=mine.auth
        )
        assert refused.status_code == 422
        assert refused.json()["errors"] == [
            {"field": "evidence.0", "message": f"no record {record} of yours"}
        ]
    assert declaration_count(dctx) == before
    assert dclient.get(HOLDER_API).status_code == 401


def test_a_holder_withdraws_an_open_declaration(
    dclient: TestClient, dctx: ServiceContext, keys: Keys, posts: dict[str, dict[str, Any]]
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    declaration = _file(dclient, person, body())["id"]
    withdrawn = dclient.post(f"{HOLDER_API}/{declaration}/withdraw", headers=person.auth)
    assert withdrawn.json()["status"] == "withdrawn"
    assert declaration not in _queue_ids(dclient, posts["us"])
    assert _decide(dclient, posts["us"], declaration, "approve").status_code == 409


def test_every_wrong_field_is_named_and_nothing_is_stored(
    dclient: TestClient, dctx: ServiceContext, keys: Keys
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    document = body(health={"symptoms": False, "temperature_c": 45.0}, consent=False)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    stop = {"country": "DE", "departure": past}
    document["trip"] = {**document["trip"], "departure": past, "via": [stop] * 6}
    del document["trip"]["to_country"]
    document["residence"]["country"] = "usa"
    before = declaration_count(dctx)
    answer = dclient.post(HOLDER_API, json=document, headers=person.auth)
    assert answer.status_code == 422
    fields = {problem["field"]: problem["message"] for problem in answer.json()["errors"]}
    assert set(fields) == {
        "residence.country",
        "trip.via",
        "trip.to_country",
        "trip.departure",
        "health.temperature_c",
        "consent",
    }
    assert fields["trip.departure"] == "Value error, the departure is in the past"
    assert fields["trip.to_country"] == "Field required"
    assert fields["consent"] == "Value error, the declaration needs the holder's consent"
    far = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    late = dclient.post(
        HOLDER_API, json=body(trip={**body()["trip"], "departure": far}), headers=person.auth
    )
    assert late.json()["errors"] == [
        {
            "field": "trip.departure",
            "message": "Value error, the departure is more than 30 days ahead",
        }
    ]
    assert declaration_count(dctx) == before


def test_a_forged_certificate_is_refused_with_its_codes(
    dclient: TestClient,
    dctx: ServiceContext,
    keys: Keys,
    foreign: tuple[Signer, Signer, Path],
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    evidence = [
        {"record_id": person.records[0]},
        {"payload": _tampered(_dcc(foreign[0], person.document_number))},
        {"payload": _dcc(foreign[1], person.document_number)},
        {"payload": "HC1:NOPE"},
    ]
    before = declaration_count(dctx)
    answer = dclient.post(HOLDER_API, json=body(evidence=evidence), headers=person.auth)
    assert answer.status_code == 422
    problems = answer.json()["errors"]
    assert [p["field"] for p in problems] == ["evidence.1", "evidence.2", "evidence.3"]
    assert problems[0] == {
        "field": "evidence.1",
        "message": "the certificate does not verify: SIGNATURE_INVALID",
        "codes": "SIGNATURE_INVALID",
    }
    assert problems[1]["codes"] == "KID_UNKNOWN"
    assert problems[2]["codes"] == "BASE45_INVALID"
    assert declaration_count(dctx) == before
    someone_else = _dcc(foreign[0], person.document_number, date_of_birth="1990-01-01")
    refused = dclient.post(
        HOLDER_API, json=body(evidence=[{"payload": someone_else}]), headers=person.auth
    )
    assert refused.json()["errors"] == [
        {"field": "evidence.0", "message": "the certificate's date of birth is not the holder's"}
    ]


def _tampered(payload: str) -> str:
    """The payload with one bit of its signature (the COSE structure's last bytes) flipped."""
    import zlib

    from healthcert.codec import base45

    signed = zlib.decompress(base45.decode(payload.removeprefix("HC1:")))
    return "HC1:" + base45.encode(zlib.compress(signed[:-1] + bytes([signed[-1] ^ 1])))


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b"MZ\x90\x00 not a document", "application/pdf", "only PDF, PNG and JPEG documents"),
        (
            PNG,
            "application/pdf",
            "the content is image/png, not the application/pdf it is said to be",
        ),
        (b"%PDF-" + bytes(5 * 1024 * 1024), "application/pdf", "larger than 5 MiB"),
        (b"", "application/pdf", "the file is empty"),
    ],
)
def test_a_bad_document_is_refused_and_not_kept(
    dclient: TestClient,
    dctx: ServiceContext,
    keys: Keys,
    data: bytes,
    kind: str,
    message: str,
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    declaration = _file(dclient, person, body())["id"]
    before = declaration_count(dctx)
    answer = _upload(dclient, person, declaration, data, kind)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [{"field": "file", "message": message}]
    assert declaration_count(dctx) == before
    # What the content is counts, not the name or the header: a JPEG sent as octets is kept.
    jpeg = _upload(
        dclient, person, declaration, b"\xff\xd8\xff\xe0JFIF", "application/octet-stream"
    )
    assert jpeg.json()["evidence"][-1]["media_type"] == "image/jpeg"


def test_of_two_concurrent_decisions_exactly_one_lands(
    dclient: TestClient, dctx: ServiceContext, keys: Keys
) -> None:
    from healthcert.declarations.filing import file_declaration
    from healthcert.service.signin import Person

    person = traveller(dclient, dctx, keys["recorder"])
    holder = Person.of("passport", "CN", person.document_number, "1985-07-21")
    for _ in range(3):
        declaration = file_declaration(dctx, holder, body()).id
        outcomes = _race(dctx, declaration)
        assert outcomes.count("conflict") == 1, outcomes
        (winner,) = [outcome for outcome in outcomes if outcome != "conflict"]
        read = dclient.get(f"{HOLDER_API}/{declaration}", headers=person.auth).json()
        assert read["status"] == winner
        assert [h["status"] for h in read["history"]] == ["submitted", winner]


def _race(ctx: ServiceContext, declaration: int) -> list[str]:
    """Two officers of the post decide ``declaration`` at the same moment, in two threads."""
    from healthcert.declarations.review import Post, decide
    from healthcert.service.audit import Actor
    from healthcert.service.errors import Conflict

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def officer(decision: str, reason: str) -> None:
        post = Post(Actor("officer", decision), frozenset({"US"}))
        barrier.wait()
        try:
            outcomes.append(decide(ctx, post, declaration, decision, reason)["status"])
        except Conflict:
            outcomes.append("conflict")

    threads = [
        threading.Thread(target=officer, args=("approve", "")),
        threading.Thread(target=officer, args=("reject", "the clinic is not known")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_the_admin_api_binds_an_officer_to_countries(dclient: TestClient, keys: Keys) -> None:
    url = "/api/v1/admin/api-keys"
    document = {"role": "officer", "label": "Toronto", "countries": ["ca", "US"]}
    created = dclient.post(url, json=document, headers=keys["admin"])
    assert created.status_code == 201, created.text
    assert created.json()["countries"] == ["CA", "US"]
    listed = {key["id"]: key for key in dclient.get(url, headers=keys["admin"]).json()}
    assert listed[created.json()["id"]]["countries"] == ["CA", "US"]
    refused = dclient.post(url, json={**document, "role": "verifier"}, headers=keys["admin"])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "countries", "message": "only an officer's key covers countries"}
    ]


def test_each_transit_stop_names_its_wrong_fields(
    dclient: TestClient, dctx: ServiceContext, keys: Keys, posts: dict[str, dict[str, Any]]
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    trip = body()["trip"]
    departure = datetime.fromisoformat(trip["departure"])

    def at(hours: int) -> str:
        return (departure + timedelta(hours=hours)).isoformat()

    before = declaration_count(dctx)
    unzoned = {"country": "de", "departure": "2026-12-09T10:00:00"}
    answer = dclient.post(
        HOLDER_API, json=body(trip={**trip, "via": [unzoned]}), headers=person.auth
    )
    assert {p["field"]: p["message"] for p in answer.json()["errors"]} == {
        "trip.via.0.country": "String should match pattern '^[A-Z]{2}$'",
        "trip.via.0.departure": "Value error, give a time zone (e.g. 2026-12-09T10:00:00Z)",
    }
    early = {"country": "DE", "city": "Frankfurt", "departure": at(-1)}
    stops = [early, {"country": "FR", "departure": at(5)}, {"country": "SG", "departure": at(4)}]
    answer = dclient.post(HOLDER_API, json=body(trip={**trip, "via": stops}), headers=person.auth)
    assert answer.status_code == 422
    assert answer.json()["errors"] == [
        {"field": "trip.via.0.departure", "message": "Value error, not after the trip's departure"},
        {"field": "trip.via.2.departure", "message": "Value error, not after via.1's departure"},
    ]
    assert declaration_count(dctx) == before

    onward = {"country": "DE", "city": "Frankfurt", "departure": at(6)}
    filed = _file(dclient, person, body(trip={**trip, "via": [onward]}))
    assert filed["trip"]["via"] == [
        {"country": "DE", "city": "Frankfurt", "departure": at(6).replace("+00:00", "Z")}
    ]
    examined = dclient.get(f"{CONSULAR_API}/{filed['id']}", headers=posts["us"]["headers"])
    outcomes = {r["requirement"]: r["status"] for r in examined.json()["precheck"]["requirements"]}
    assert outcomes == {
        "departure": "met",
        "test.naat": "not_met",
        "test.antibody_igg": "not_met",
        "transit.DE.naat": "not_met",
        "transit.DE.antibody_igg": "not_met",
    }


def _berlin_trip(departure: datetime) -> dict[str, Any]:
    return {
        **body()["trip"],
        "from_country": "DE",
        "from_city": "Berlin",
        "departure": departure.isoformat(timespec="seconds"),
    }


def test_a_declaration_the_precheck_meets_is_approved_by_the_system(
    dclient: TestClient,
    dctx: ServiceContext,
    database_url: str,
    keys: Keys,
    foreign: tuple[Signer, Signer, Path],
) -> None:
    from sqlalchemy import select

    from healthcert.database.tables import OutboxMessage
    from healthcert.declarations.filing import file_declaration
    from healthcert.declarations.intake import read_own
    from healthcert.declarations.review import Post, examine
    from healthcert.service.audit import Actor
    from healthcert.service.context import open_context
    from healthcert.service.signin import Person

    now = datetime.now(UTC)
    sampled = now - timedelta(hours=10)
    pcr, antibody = _berlin_test("LP6464-4", sampled), _berlin_test("94563-4", sampled)
    person = traveller(dclient, dctx, keys["recorder"], samples.vaccination(), pcr, antibody)
    # The destination's rules refuse an antibody DCC, so its evidence is a record; a service
    # whose DSC is German says its records were taken in Germany.
    german = open_context(database_url)
    german.signer_loader = lambda: foreign[0]
    german.trust_loader = dctx.trust
    holder = Person.of("passport", "CN", person.document_number, "1985-07-21")
    trip = _berlin_trip(now + timedelta(hours=20))
    residence = {"country": "DE", "city": "Berlin", "address": "1 Unter den Linden"}
    evidence = [{"record_id": r} for r in person.records[1:]]
    try:
        declaration = file_declaration(german, holder, body(evidence=evidence, trip=trip)).id
        filed = read_own(german, holder, declaration)
        # Without the antibody test a requirement is unmet: the declaration waits for a person.
        document = body(evidence=evidence[:1], trip=trip) | {"residence": residence}
        waiting = read_own(german, holder, file_declaration(german, holder, document).id)
        precheck = examine(german, Post(Actor("admin", "tests"), None), waiting["id"])["precheck"]
    finally:
        german.engine.dispose()
    assert filed["status"] == "auto_approved"
    assert filed["history"][-1] == {
        "at": filed["history"][-1]["at"],
        "actor": "system:precheck",
        "status": "auto_approved",
        "reason": "low origin risk, every requirement met by machine-verified evidence",
    }
    with dctx.sessions() as session:
        messages = session.scalars(select(OutboxMessage.body)).all()
    assert f"Your health declaration {declaration} was approved: sign in to see why." in messages
    # Decided: the holder changes nothing more.
    again = dclient.post(f"{HOLDER_API}/{declaration}/withdraw", headers=person.auth)
    assert again.status_code == 409

    assert waiting["status"] == "submitted"
    assert [h["status"] for h in waiting["history"]] == ["submitted"]
    assert precheck["auto_approve"] is False
    assert precheck["auto_approve_reason"]["en"] == (
        "not every requirement is met: test.antibody_igg"
    )
    assert precheck["requirements"][2] == {
        "requirement": "test.antibody_igg",
        "status": "not_met",
        "evidence": [],
        "evidence_ids": [],
        "reason": {"en": "no IgG antibody test taken in DE", "zh": "没有在DE进行的IgG抗体检测"},
    }


def _verify_offline(pem: bytes, folder: Path, payload: str, *args: str) -> tuple[int, Any]:
    """``healthcert verify --trust certificates.pem --json PAYLOAD``: exit status and report."""
    import json

    from typer.testing import CliRunner

    from healthcert.cli import app

    trust = folder / "certificates.pem"
    trust.write_bytes(pem)
    command = ["verify", "--trust", str(trust), "--json", *args, payload]
    result = CliRunner().invoke(app, command)
    return result.exit_code, json.loads(result.stdout)


def _antibody_outcome(client: TestClient, post: dict[str, Any], declaration: int) -> dict[str, Any]:
    examined = client.get(f"{CONSULAR_API}/{declaration}", headers=post["headers"]).json()
    assert examined["precheck"]["auto_approve"] is False
    found: dict[str, Any] = next(
        r for r in examined["precheck"]["requirements"] if r["requirement"] == "test.antibody_igg"
    )
    return found


def _assert_superseded(
    client: TestClient, ctx: ServiceContext, old: str, new: str, officer: dict[str, str]
) -> None:
    """The red code signed before the decisions is listed (publicly) and refused; the green
    one signed after them is neither."""
    import base64

    from healthcert.formats.health_code.code import payload_revocation_hash
    from healthcert.verification import context, verify_payload

    listed = client.get("/api/v1/revocations/health-codes").json()
    hashes = {base64.b64decode(text) for text in listed["hashes"]}
    assert payload_revocation_hash(old) in hashes
    assert payload_revocation_hash(new) not in hashes
    checked = context(ctx.trust(), health_code_revocations=frozenset(hashes))
    refused = verify_payload(old, checked)
    assert (refused.valid, [e.code for e in refused.errors]) == (False, ["REVOKED"])
    assert verify_payload(new, checked).valid is True
    # The service's own verify endpoint consults the same list.
    ctx.revocations_changed()
    answers = [
        client.post("/api/v1/verify", json={"payload": payload}, headers=officer).json()
        for payload in (old, new)
    ]
    assert [(a["valid"], [e["code"] for e in a["errors"]]) for a in answers] == [
        (False, ["REVOKED"]),
        (True, []),
    ]


def _code(client: TestClient, person: Traveller) -> dict[str, Any]:
    answer = client.get("/api/v1/holder/health-code", headers=person.auth)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def test_the_story_a_holder_abroad_gets_a_green_code_that_verifies_offline(
    dclient: TestClient,
    dctx: ServiceContext,
    keys: Keys,
    posts: dict[str, dict[str, Any]],
    foreign: tuple[Signer, Signer, Path],
    authority: tuple[Path, Signer, Signer],
    tmp_path: Path,
) -> None:
    from healthcert.formats.cwt import kid_text

    person = traveller(dclient, dctx, keys["recorder"], pcr_test(), samples.antibody_test())
    assert dclient.get("/api/v1/holder/health-code", headers=person.auth).status_code == 404
    evidence = [{"record_id": r} for r in person.records]
    evidence.append({"payload": _dcc(foreign[0], person.document_number)})
    declaration = _file(dclient, person, body(evidence=evidence))["id"]
    us = posts["us"]
    antibody = _antibody_outcome(dclient, us, declaration)
    assert (antibody["status"], antibody["evidence"]) == ("not_met", [1])
    assert antibody["reason"]["en"].endswith("h before departure, more than 48 h")
    # Waiting, with evidence the pre-check finds failing: red until a person decides.
    red = _code(dclient, person)
    assert red["colour"] == "red"
    assert _upload(dclient, person, declaration, PDF, "application/pdf").status_code == 201
    # A document may show a newer test: only a person can tell.
    assert _antibody_outcome(dclient, us, declaration)["status"] == "needs_review"

    asked = _decide(dclient, us, declaration, "request_documents", "a recent antibody test")
    assert asked.json()["status"] == "documents_requested"
    assert _upload(dclient, person, declaration, PDF, "application/pdf").status_code == 201
    assert _decide(dclient, us, declaration, "approve").json()["status"] == "approved"

    code = _code(dclient, person)
    assert (code["colour"], code["declaration_id"]) == ("green", declaration)
    assert code["trip"]["transport"] == "CA982" and code["payload"].startswith("HCD1:")
    departure = datetime.fromisoformat(code["trip"]["departure"])
    assert datetime.fromisoformat(code["valid_until"]) == departure + timedelta(hours=24)
    pem = dclient.get("/api/v1/trust/certificates.pem")  # public: no key
    assert pem.status_code == 200 and pem.content.count(b"-----BEGIN CERTIFICATE-----") == 3
    trip = f"CA982@{departure.date().isoformat()}"
    status, report = _verify_offline(pem.content, tmp_path, code["payload"], "--trip", trip)
    assert (status, report["valid"], report["verdict"], report["errors"]) == (0, True, "green", [])
    assert report["certificate"]["holder"]["document_number"] == person.document_number
    # Signed by the health-code DSC, which the PEM carries with the certificates' one.
    assert report["issuer"] == {"kid": kid_text(authority[2].kid), "country": "CN"}
    assert report["checks"]["trip"] is True

    _assert_superseded(dclient, dctx, red["payload"], code["payload"], us["headers"])

    png = dclient.get("/api/v1/holder/health-code/qr.png", headers=person.auth)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    svg = dclient.get("/api/v1/holder/health-code/qr.svg", headers=person.auth)
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content

    # The service's own EU DCC verifies with the same file.
    issued = dclient.post(
        f"/api/v1/holder/records/{person.records[0]}/certificates",
        json={"format": "eu-dcc"},
        headers=person.auth,
    )
    assert issued.status_code in (200, 201), issued.text
    status, report = _verify_offline(pem.content, tmp_path, issued.json()["payload"])
    assert (status, report["valid"], report["errors"]) == (0, True, [])


def test_a_rejected_declaration_gives_a_red_code_that_is_not_accepted(
    dclient: TestClient,
    dctx: ServiceContext,
    keys: Keys,
    posts: dict[str, dict[str, Any]],
    tmp_path: Path,
) -> None:
    person = traveller(dclient, dctx, keys["recorder"])
    declaration = _file(dclient, person, body())["id"]
    waiting = _code(dclient, person)
    # Nothing given yet fails: the holder may still add it, so the code waits in yellow.
    assert (waiting["colour"], waiting["declaration_id"]) == ("yellow", declaration)
    assert _decide(dclient, posts["us"], declaration, "reject", "no test").status_code == 200
    code = _code(dclient, person)
    assert code["colour"] == "red"
    assert code["valid_from"] >= waiting["valid_from"]
    pem = dclient.get("/api/v1/trust/certificates.pem").content
    status, report = _verify_offline(pem, tmp_path, code["payload"])
    assert (status, report["valid"], report["verdict"]) == (1, True, "red")
