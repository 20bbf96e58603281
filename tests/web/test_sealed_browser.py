"""Sealed certificates in a real browser (Chromium driven by Playwright), against a CN border
post's service that holds CN's border key: the check page opens a QR image sealed for it and
says so in words and colour, and refuses, in red, one sealed for another border, telling
nothing of the person; a traveller with a declared trip to CN gets their certificate sealed for
it from their certificate page, a QR code the border opens. English and Chinese; screenshots
under var/screenshots/."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from healthcert.codec.qr import read_image, render
from healthcert.verification import verify
from tests.service.sealed_world import SECRETS, World, make_world, world_context
from tests.web import test_browser as shared
from tests.web.conftest import Holder, make_holder, served
from tests.web.test_browser import CHROMIUM, _shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from healthcert.service.context import ServiceContext

browser = shared.browser
page = shared.page

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium)",
)

WORDS = {
    "en": {
        "opened": "Sealed for this border: opened with its key.",
        "refused": "Sealed for another border's key: this post cannot read it.",
        "green": "GREEN: accepted",
        "red": "RED: not accepted",
        "button": "Sealed for my trip to China",
        "only": "Only the border officers of China can read this QR code",
    },
    "zh": {
        "opened": "已为本口岸加密：已用本口岸密钥解开。",
        "refused": "已为其他口岸的密钥加密：本口岸无法读取。",
        "green": "绿色：准予通过",
        "red": "红色：不予通过",
        "button": "为我前往中国的行程加密",
        "only": "只有中国的边境官员能读取此二维码",
    },
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return make_world(tmp_path_factory.mktemp("border-home"))


@pytest.fixture(scope="module")
def border_ctx(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceContext]:
    """The service of a CN border post (SQLite of its own): it holds CN's border key."""
    context = world_context(f"sqlite:///{tmp_path_factory.mktemp('sealdb') / 'post.db'}", world)
    yield context
    context.engine.dispose()


@pytest.fixture(scope="module")
def border_url(border_ctx: ServiceContext) -> Iterator[str]:
    from healthcert.api.app import create_app

    with served(create_app(border_ctx)) as url:
        yield url


@pytest.fixture(scope="module")
def verifier_key(border_ctx: ServiceContext) -> str:
    from healthcert.service.apikeys import create_key
    from healthcert.service.audit import Actor

    return create_key(border_ctx, "verifier", "border post", Actor("admin", "web tests")).secret


@pytest.fixture(scope="module")
def traveller(border_ctx: ServiceContext) -> tuple[Holder, str]:
    """A traveller, their certificate's payload, and their declared trip to CN."""
    from healthcert.declarations.filing import file_declaration
    from healthcert.service.demo import demo_declaration
    from healthcert.service.issuance import get_certificate

    holder = make_holder(border_ctx)
    trip = demo_declaration(datetime.now(UTC), holder.records[0])
    file_declaration(border_ctx, holder.person, trip)
    return holder, get_certificate(border_ctx, holder.certificate).payload


def _submit(page: Page, url: str, lang: str, key: str, image: Path | None, text: str) -> None:
    page.goto(f"{url}/check?lang={lang}")
    if image is not None:
        page.locator("#image").set_input_files(str(image))
    else:  # what the camera or a scanner puts in the form
        page.locator("#payload").evaluate("(field, text) => { field.value = text; }", text)
    page.locator("#key").fill(key)
    page.locator("form#check button[type=submit]").click()
    page.wait_for_selector(".outcome")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_check_page_opens_a_qr_sealed_for_this_border(
    page: Page,
    border_url: str,
    verifier_key: str,
    traveller: tuple[Holder, str],
    world: World,
    lang: str,
    tmp_path: Path,
) -> None:
    image = tmp_path / "sealed.png"
    render(world.seal_to(traveller[1], world.border), image)
    _submit(page, border_url, lang, verifier_key, image, "")
    outcome = page.locator(".outcome")
    assert outcome.get_attribute("class") == "outcome green"
    assert page.locator(".verdict").inner_text().endswith(WORDS[lang]["green"])
    assert page.locator(".sealed.opened").inner_text().endswith(WORDS[lang]["opened"])
    assert "WANG XIAOMING" in outcome.inner_text()
    # Minimal by default: the vaccine stays hidden even once opened.
    assert "Comirnaty" not in outcome.inner_text()
    colour = page.locator(".sealed.opened").evaluate("node => getComputedStyle(node).color")
    assert colour == "rgb(10, 93, 34)"
    _shot(page, f"check-sealed-opened-{lang}")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_check_page_refuses_one_sealed_for_another_border(
    page: Page,
    border_url: str,
    verifier_key: str,
    traveller: tuple[Holder, str],
    world: World,
    lang: str,
) -> None:
    sealed = world.seal_to(traveller[1], world.foreign)
    _submit(page, border_url, lang, verifier_key, None, sealed)
    outcome = page.locator(".outcome")
    assert outcome.get_attribute("class") == "outcome red"
    assert page.locator(".verdict").inner_text().endswith(WORDS[lang]["red"])
    refused = page.locator(".sealed.refused")
    assert refused.inner_text().endswith(WORDS[lang]["refused"])
    assert refused.evaluate("node => getComputedStyle(node).color") == "rgb(176, 0, 32)"
    assert "SEALED" in outcome.inner_text()
    assert page.locator(".claimed").count() == 0
    text = page.content()
    for secret in SECRETS:
        assert secret not in text
    _shot(page, f"check-sealed-refused-{lang}")


def _signed_in(page: Page, ctx: ServiceContext, holder: Holder) -> None:
    from tests.web.conftest import open_session

    cookie = {
        "name": "healthcert_holder",
        "value": open_session(ctx, holder),
        "domain": "127.0.0.1",
        "path": "/holder",
        "httpOnly": True,
        "sameSite": "Strict",
    }
    page.context.add_cookies([cookie])  # type: ignore[list-item]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_traveller_gets_their_certificate_sealed_for_their_trip(
    page: Page,
    border_url: str,
    border_ctx: ServiceContext,
    traveller: tuple[Holder, str],
    world: World,
    lang: str,
) -> None:
    holder = traveller[0]
    _signed_in(page, border_ctx, holder)
    page.goto(f"{border_url}/holder/certificates/{holder.certificate}?lang={lang}")
    button = page.get_by_role("button", name=WORDS[lang]["button"])
    assert button.count() == 1
    _shot(page, f"holder-sealed-button-{lang}")
    button.click()
    page.wait_for_selector(".sealed-note")
    assert WORDS[lang]["only"] in page.locator(".sealed-note").inner_text()
    source = page.locator("figure.qr-frame img.qr").get_attribute("src") or ""
    assert source.startswith("data:image/png;base64,")
    [payload] = read_image(base64.b64decode(source.split(",", 1)[1]))
    assert payload.startswith("HCS1:")
    report = verify(payload, trust=world.trust, unseal_keys=[world.border.private_key])
    assert report.valid and report.checks["sealed"] is True
    _shot(page, f"holder-sealed-{lang}")
    # The revoked certificate offers nothing to seal.
    page.goto(f"{border_url}/holder/certificates/{holder.revoked}?lang={lang}")
    assert page.get_by_role("button", name=WORDS[lang]["button"]).count() == 0
