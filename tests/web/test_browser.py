"""The pages in a real browser (Debian's Chromium driven by Playwright) against the service
running in uvicorn: languages, the language switch, the check of a genuine and of a forged
QR image, and screenshots at phone and desktop sizes under var/screenshots/."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.web.conftest import CLOCK_FIELD, Samples

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
# axe-core, fetched from the npm registry once into var/ (not committed).
AXE_VERSION = "4.10.3"
AXE = Path(__file__).resolve().parents[2] / "var" / "axe-core" / AXE_VERSION / "axe.min.js"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="no Chromium at /usr/bin/chromium (apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=list(SIZES))
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport=SIZES[request.param], locale="en-GB")
    opened = context.new_page()
    opened.size_name = request.param  # type: ignore[attr-defined]
    yield opened
    context.close()


@pytest.fixture(params=list(SIZES))
def audited(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page into which axe-core may be injected: the pages' CSP forbids inline scripts."""
    context = browser.new_context(viewport=SIZES[request.param], bypass_csp=True)
    yield context.new_page()
    context.close()


@pytest.fixture(scope="session")
def axe_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """axe-core's script; skips with the reason when npm cannot fetch it."""
    if not AXE.exists():
        if shutil.which("npm") is None:
            pytest.skip("no npm to fetch axe-core")
        folder = tmp_path_factory.mktemp("axe")
        fetched = subprocess.run(
            ["npm", "pack", "--silent", f"axe-core@{AXE_VERSION}"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if fetched.returncode != 0:
            pytest.skip(f"npm could not fetch axe-core: {fetched.stderr.strip()[:200]}")
        with tarfile.open(folder / f"axe-core-{AXE_VERSION}.tgz") as archive:
            member = archive.extractfile("package/axe.min.js")
            assert member is not None
            AXE.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another test worker may be fetching it too.
            partial = AXE.with_suffix(f".{os.getpid()}.part")
            partial.write_bytes(member.read())
            partial.replace(AXE)
    return AXE


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{page.size_name}.png"), full_page=True)  # type: ignore[attr-defined]


def _no_other_host(page: Page) -> list[str]:
    requested: list[str] = []
    page.on("request", lambda sent: requested.append(sent.url))
    return requested


def test_the_home_page_and_its_language_switch(page: Page, live_url: str) -> None:
    requested = _no_other_host(page)
    page.goto(f"{live_url}/")
    assert page.get_attribute("html", "lang") == "en"
    assert (
        page.locator("h1").inner_text() == "Travel health certificates, issued and checked offline"
    )
    _shot(page, "home-en")
    page.get_by_role("link", name="中文").click()
    assert page.get_attribute("html", "lang") == "zh-Hans"
    assert page.locator("h1").inner_text() == "旅行健康证书：签发与离线核验"
    assert (
        page.get_by_role("link", name="边检与航空公司核验").get_attribute("href")
        == "/check?lang=zh"
    )
    _shot(page, "home-zh")
    assert [url for url in requested if not url.startswith(live_url)] == []


def _check(page: Page, live_url: str, lang: str, png: Path, key: str, country: str) -> None:
    page.goto(f"{live_url}/check?lang={lang}")
    page.locator("#image").set_input_files(str(png))
    page.locator("#country").select_option(country)
    page.locator("#at").fill(CLOCK_FIELD)
    page.locator("#key").fill(key)
    # The health details and rules, asked for with a reason as an officer would.
    page.locator("#full").check()
    page.locator("#reason").fill("secondary inspection")
    page.locator("form#check button[type=submit]").click()
    page.wait_for_selector(".outcome")


CASES: list[tuple[str, str, str, str, str]] = [
    ("en", "genuine", "green", "GREEN: accepted", "passed"),
    ("zh", "genuine", "green", "绿色：准予通过", "通过"),
    ("en", "forged", "red", "RED: not accepted", ""),
    ("zh", "forged", "red", "红色：不予通过", ""),
]


@pytest.mark.parametrize(("lang", "sample", "colour", "verdict", "rule"), CASES)
def test_the_check_page_shows_the_verdict(
    page: Page,
    live_url: str,
    samples: Samples,
    lang: str,
    sample: str,
    colour: str,
    verdict: str,
    rule: str,
) -> None:
    png = samples.genuine_png if sample == "genuine" else samples.forged_png
    _check(page, live_url, lang, png, samples.verifier_key, "CN")
    outcome = page.locator(".outcome")
    assert outcome.get_attribute("class") == f"outcome {colour}"
    assert page.locator(".verdict").inner_text().endswith(verdict)
    assert "王小明 (WANG XIAOMING)" in outcome.inner_text()
    assert "1985-07-21" in outcome.inner_text()
    assert page.locator(".claimed").count() == (0 if rule else 1)
    if rule:
        assert page.locator(".rules li").count() == 5
        assert page.locator(".rules li .result").first.inner_text().endswith(rule)
    box: Any = page.locator(".verdict").bounding_box()
    assert box["height"] >= 60  # the verdict is large, not a line of text
    _shot(page, f"check-{sample}-{lang}")


def test_the_key_and_destination_are_chosen_once_per_tab(
    page: Page, live_url: str, samples: Samples
) -> None:
    _check(page, live_url, "en", samples.genuine_png, samples.verifier_key, "SG")
    page.goto(f"{live_url}/check")
    assert page.locator("#key").input_value() == samples.verifier_key
    assert page.locator("#country").input_value() == "SG"
    _shot(page, "check-form-en")


def _violations(page: Page, axe_script: Path) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    found: list[dict[str, Any]] = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))"
    )
    return [f"{v['id']} ({v['impact']}, {v['nodes']} nodes)" for v in found]


@pytest.mark.parametrize("path", ["/?lang=en", "/?lang=zh", "/check?lang=zh"])
def test_axe_finds_nothing_on_the_pages(
    audited: Page, live_url: str, axe_script: Path, path: str
) -> None:
    audited.goto(f"{live_url}{path}")
    assert _violations(audited, axe_script) == []


def test_axe_finds_nothing_on_a_verdict(
    audited: Page, live_url: str, samples: Samples, axe_script: Path
) -> None:
    _check(audited, live_url, "en", samples.forged_png, samples.verifier_key, "CN")
    assert _violations(audited, axe_script) == []


def test_axe_sees_what_a_page_lacks(audited: Page, axe_script: Path) -> None:
    audited.set_content("<html><body><main><input type=text></main></body></html>")
    found = _violations(audited, axe_script)
    assert any(violation.startswith("label ") for violation in found), found
    assert any(violation.startswith("html-has-lang ") for violation in found), found
