"""The consular pages over HTTP: sign-in with an officer's key into a server-side session,
the queue, one declaration with its evidence verified, documents served so that they cannot
run script, decisions with a reason and the anti-forgery token, and every bad input."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING

import pytest

from tests.service.declaration_steps import PDF
from tests.web.conftest import Samples
from tests.web.consular_steps import (
    HOLDER_API,
    Filed,
    Officers,
    answer_with_document,
    file_declaration,
)
from tests.web.test_pages import ELSEWHERE, PAGE_BUDGET, REFERENCE

if TYPE_CHECKING:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from healthcert.service.context import ServiceContext
    from tests.rules.certs import Issuer

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def browser_like(web_app: FastAPI) -> TestClient:
    """A client of its own: its cookies are one officer's browser."""
    from fastapi.testclient import TestClient

    return TestClient(web_app)


@pytest.fixture
def filed(
    web_client: TestClient, web_ctx: ServiceContext, officers: Officers, issuer: Issuer
) -> Filed:
    return file_declaration(web_client, web_ctx, officers, issuer)


def _csrf(page: str) -> str:
    found = CSRF.search(page)
    assert found, page
    return found.group(1)


def _sign_in(client: TestClient, key: str, lang: str = "en") -> tuple[int, str]:
    form = client.get(f"/consular?lang={lang}")
    answer = client.post(
        "/consular/sign-in",
        data={"key": key, "csrf": _csrf(form.text), "lang": lang},
        follow_redirects=False,
    )
    return answer.status_code, answer.text


def _signed_in(client: TestClient, key: str) -> str:
    status, _ = _sign_in(client, key)
    assert status == 303
    return _csrf(client.get("/consular/queue").text)


def _decide(
    client: TestClient, declaration: int, csrf: str | None, decision: str, reason: str = ""
) -> tuple[int, str]:
    data = {"decision": decision, "reason": reason, "lang": "en"}
    if csrf is not None:
        data["csrf"] = csrf
    url = f"/consular/declarations/{declaration}/decision"
    answer = client.post(url, data=data, follow_redirects=False)
    return answer.status_code, answer.text


def _status(client: TestClient, filed: Filed) -> str:
    mine = client.get(f"{HOLDER_API}/{filed.id}", headers=filed.person.auth)
    return str(mine.json()["status"])


def test_the_sign_in_page_speaks_the_browsers_language(browser_like: TestClient) -> None:
    page = browser_like.get("/consular", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert page.status_code == 200
    assert '<html lang="zh-Hans">' in page.text
    assert "<h1>领事审核</h1>" in page.text
    assert '<label for="key">领事官员的API密钥</label>' in page.text
    english = browser_like.get("/consular?lang=en")
    assert "<h1>Consular review</h1>" in english.text
    assert 'href="/consular?lang=zh"' in english.text
    cookie = english.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/consular" in cookie
    assert "script-src 'none'" in english.headers["content-security-policy"]


def test_an_officer_signs_in_and_the_cookie_is_not_the_key(
    browser_like: TestClient, officers: Officers
) -> None:
    form = browser_like.get("/consular")
    answer = browser_like.post(
        "/consular/sign-in",
        data={"key": officers.us_key, "csrf": _csrf(form.text)},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/consular/queue?lang=en"
    cookies = answer.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("healthcert_consular="))
    assert "HttpOnly" in session and "SameSite=strict" in session
    assert officers.us_key not in " ".join(cookies)
    assert officers.us_key[4:20] not in " ".join(cookies)
    queue = browser_like.get("/consular/queue")
    assert queue.status_code == 200
    assert "Signed in as <strong>Officer Li</strong>" in queue.text
    # Signed in, the sign-in page sends the officer to the queue.
    again = browser_like.get("/consular", follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, "/consular/queue?lang=en")


@pytest.mark.parametrize(
    ("who", "status", "message"),
    [
        ("nobody", 401, "The key is missing or not valid."),
        ("empty", 401, "The key is missing or not valid."),
        ("verifier", 403, "This key is not an officer&#39;s key."),
    ],
)
def test_a_wrong_key_or_another_role_is_refused(
    browser_like: TestClient, samples: Samples, who: str, status: int, message: str
) -> None:
    key = {"nobody": "hck_not-a-key", "empty": "", "verifier": samples.verifier_key}[who]
    answer, page = _sign_in(browser_like, key)
    assert answer == status
    assert message in page
    assert "healthcert_consular" not in browser_like.cookies
    assert browser_like.get("/consular/queue", follow_redirects=False).status_code == 303


def test_the_sign_in_needs_its_form_token(browser_like: TestClient, officers: Officers) -> None:
    browser_like.get("/consular")
    for token in ("", "forged"):
        answer = browser_like.post(
            "/consular/sign-in", data={"key": officers.us_key, "csrf": token}
        )
        assert answer.status_code == 403
        assert "The form has expired: please sign in again." in answer.text
    assert "healthcert_consular" not in browser_like.cookies


def test_without_a_session_nothing_is_shown(browser_like: TestClient, filed: Filed) -> None:
    for path in ("/consular/queue", f"/consular/declarations/{filed.id}"):
        answer = browser_like.get(f"{path}?lang=zh", follow_redirects=False)
        assert (answer.status_code, answer.headers["location"]) == (303, "/consular?lang=zh")
    document = browser_like.get(f"/consular/declarations/{filed.id}/documents/1")
    assert document.status_code == 401
    browser_like.cookies.set("healthcert_consular", "made-up", path="/consular")
    status, page = _decide(browser_like, filed.id, "x", "approve", "fine")
    assert status == 401
    assert "Your session has ended: sign in again." in page


def test_the_queue_counts_and_lists_oldest_first(
    browser_like: TestClient,
    web_client: TestClient,
    web_ctx: ServiceContext,
    officers: Officers,
    issuer: Issuer,
) -> None:
    first = file_declaration(web_client, web_ctx, officers, issuer)
    second = file_declaration(web_client, web_ctx, officers, issuer)
    _signed_in(browser_like, officers.us_key)
    page = browser_like.get("/consular/queue?lang=en").text
    ids = [int(found) for found in re.findall(r'href="/consular/declarations/(\d+)\?', page)]
    assert ids.index(first.id) < ids.index(second.id)
    waiting = re.search(
        r'state=submitted" aria-current="page">Waiting for review '
        r'<span class="count">(\d+)</span>',
        page,
    )
    assert waiting and int(waiting.group(1)) == len(ids)
    assert "<td>United States of America (US)</td><td>China (CN)</td>" in page
    other = browser_like.get("/consular/queue?state=withdrawn").text
    assert f"/consular/declarations/{first.id}?" not in other
    bad = browser_like.get("/consular/queue?state=everything")
    assert bad.status_code == 400
    assert "Choose a status from the list." in bad.text


def test_another_post_and_an_unknown_declaration_are_404(
    browser_like: TestClient, officers: Officers, filed: Filed
) -> None:
    _signed_in(browser_like, officers.gb_key)
    assert f"/consular/declarations/{filed.id}?" not in browser_like.get("/consular/queue").text
    for declaration in (filed.id, 999_999):
        answer = browser_like.get(f"/consular/declarations/{declaration}")
        assert answer.status_code == 404
        assert "There is no such declaration in your post&#39;s jurisdiction." in answer.text
    assert browser_like.get(f"/consular/declarations/{filed.id}/documents/1").status_code == 404


def test_a_declaration_shows_its_evidence_verified(
    browser_like: TestClient, officers: Officers, filed: Filed
) -> None:
    _signed_in(browser_like, officers.us_key)
    page = browser_like.get(f"/consular/declarations/{filed.id}?lang=zh").text
    assert '<article class="piece green"' in page
    assert "✓ 已验证：真实、有效，且符合目的地规则" in page
    assert "<dt>姓名</dt><dd>王小明 (WANG XIAOMING)</dd>" in page
    assert '<dt>疫苗产品</dt><dd>Comirnaty <small class="code">EU/1/20/1528</small></dd>' in page
    assert '<dt>国家或地区</dt><dd>德国 <small class="code">DE</small></dd>' in page
    assert '<li class="passed"><span class="result">✓ 通过</span> 末剂接种后须满14天。' in page
    assert "<dt>居住地</dt><dd>1 Main St, Apt 2, New York, 美国 (US)</dd>" in page
    assert '<li class="not_met"><span class="result">✗ 未满足</span>' in page
    assert "没有在US进行的核酸（PCR）检测" in page
    english = browser_like.get(f"/consular/declarations/{filed.id}?lang=en").text
    assert "✓ Verified: genuine, in force and accepted by the destination&#39;s rules" in english
    assert (
        '<li class="passed"><span class="result">✓ passed</span> At least 14 days have passed '
        "since the last dose. <code>VR-CN-0003</code></li>"
    ) in english
    assert "<dt>Travel document</dt><dd>" + filed.person.document_number in english


def test_a_decision_needs_its_reason_and_its_token(
    browser_like: TestClient, officers: Officers, filed: Filed, web_client: TestClient
) -> None:
    csrf = _signed_in(browser_like, officers.us_key)
    status, page = _decide(browser_like, filed.id, csrf, "approve")
    assert status == 422
    assert "Write the reason for your decision." in page
    status, page = _decide(browser_like, filed.id, csrf, "approve", "   ")
    assert status == 422
    status, page = _decide(browser_like, filed.id, None, "approve", "all in order")
    assert status == 403
    assert "The form has expired" in page
    status, page = _decide(browser_like, filed.id, "forged", "approve", "all in order")
    assert status == 403
    status, page = _decide(browser_like, filed.id, csrf, "publish", "all in order")
    assert status == 422
    assert "Choose approve, reject or request documents." in page
    assert _decide(browser_like, 999_999, csrf, "approve", "all in order")[0] == 404
    assert _status(web_client, filed) == "submitted"


def test_an_officer_asks_for_documents_then_approves(
    browser_like: TestClient,
    officers: Officers,
    filed: Filed,
    web_client: TestClient,
    web_ctx: ServiceContext,
) -> None:
    csrf = _signed_in(browser_like, officers.us_key)
    status, _ = _decide(
        browser_like, filed.id, csrf, "request_documents", "a PCR test taken in the US"
    )
    assert status == 303
    assert _status(web_client, filed) == "documents_requested"
    waiting = browser_like.get(f"/consular/declarations/{filed.id}?lang=en").text
    assert "Waiting for the traveller&#39;s documents" in waiting
    assert 'name="decision"' not in waiting
    answer_with_document(web_client, filed)
    page = browser_like.get(f"/consular/declarations/{filed.id}?lang=en").text
    document = re.search(
        rf'<img class="document" src="(/consular/declarations/{filed.id}'
        r'/documents/\d+)"',
        page,
    )
    assert document, page
    assert "? Not machine-verified: read the document yourself" in page
    served = browser_like.get(document.group(1))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.content.startswith(b"\x89PNG")
    policy = served.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert served.headers["x-content-type-options"] == "nosniff"
    answer = browser_like.post(
        f"/consular/declarations/{filed.id}/decision",
        data={"decision": "approve", "reason": "the scan shows a negative PCR test", "csrf": csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    decided = browser_like.get(answer.headers["location"]).text
    assert "Decision recorded: Approved" in decided
    assert "This declaration is decided: nothing more to do." in decided
    assert "<td>officer:Officer Li</td><td>a PCR test taken in the US</td>" in decided
    assert _status(web_client, filed) == "approved"
    assert _audited(web_ctx, filed.id) == [
        ("declaration.request_documents", "officer:Officer Li", officers.us_key_id),
        ("declaration.approve", "officer:Officer Li", officers.us_key_id),
    ]
    assert _decide(browser_like, filed.id, csrf, "reject", "too late")[0] == 409


def _audited(ctx: ServiceContext, declaration: int) -> list[tuple[str, str, int]]:
    from sqlalchemy import select

    from healthcert.database.tables import AuditEvent

    with ctx.sessions() as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "declaration")
            .where(AuditEvent.object_id == str(declaration))
            .where(AuditEvent.action.like("declaration.%"))
            .order_by(AuditEvent.id)
        ).all()
        return [(e.action, e.actor, e.detail["key_id"]) for e in events if "key_id" in e.detail]


def test_a_pdf_is_linked_and_served_as_a_pdf_that_runs_nothing(
    browser_like: TestClient, officers: Officers, filed: Filed, web_client: TestClient
) -> None:
    files = {"file": ("letter.pdf", PDF, "application/pdf")}
    url = f"{HOLDER_API}/{filed.id}/documents"
    assert web_client.post(url, files=files, headers=filed.person.auth).status_code == 201
    _signed_in(browser_like, officers.us_key)
    page = browser_like.get(f"/consular/declarations/{filed.id}").text
    link = re.search(r'<a class="open-pdf" href="([^"]+)">Open the PDF</a>', page)
    assert link, page
    served = browser_like.get(link.group(1))
    assert (served.content, served.headers["content-type"]) == (PDF, "application/pdf")
    assert "sandbox" in served.headers["content-security-policy"]


def test_signing_out_ends_the_session(browser_like: TestClient, officers: Officers) -> None:
    csrf = _signed_in(browser_like, officers.us_key)
    token = browser_like.cookies.get("healthcert_consular")
    assert browser_like.post("/consular/sign-out", data={"csrf": "forged"}).status_code == 403
    answer = browser_like.post(
        "/consular/sign-out", data={"csrf": csrf, "lang": "zh"}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/consular?lang=zh")
    # The old token, replayed, opens nothing: the session is gone on the server.
    browser_like.cookies.set("healthcert_consular", str(token), path="/consular")
    assert browser_like.get("/consular/queue", follow_redirects=False).status_code == 303


def test_a_revoked_key_ends_its_sessions(browser_like: TestClient, web_ctx: ServiceContext) -> None:
    from healthcert.service.apikeys import create_key, revoke_key
    from healthcert.service.audit import Actor

    operator = Actor("admin", "web tests")
    created = create_key(
        web_ctx, "officer", f"Officer Leaving {secrets.token_hex(4)}", operator, ["US"]
    )
    _signed_in(browser_like, created.secret)
    assert browser_like.get("/consular/queue").status_code == 200
    revoke_key(web_ctx, created.id, operator)
    assert browser_like.get("/consular/queue", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("path", ["/consular", "/consular/queue", "declaration"])
def test_each_consular_page_is_light_and_fetches_nothing_elsewhere(
    browser_like: TestClient, officers: Officers, filed: Filed, path: str
) -> None:
    _signed_in(browser_like, officers.us_key)
    if path == "declaration":
        path = f"/consular/declarations/{filed.id}"
    for lang in ("en", "zh"):
        page = browser_like.get(f"{path}?lang={lang}", follow_redirects=False)
        if path == "/consular":
            page = browser_like.get(f"{path}?lang={lang}")  # the queue, signed in
        assert page.status_code == 200
        references = REFERENCE.findall(page.text)
        assert [ref for ref in references if ELSEWHERE.match(ref)] == []
        total = len(page.content)
        for asset in (ref for ref in references if ref.startswith("/static/")):
            total += len(browser_like.get(asset).content)
        assert total < PAGE_BUDGET
