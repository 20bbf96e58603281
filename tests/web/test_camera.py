"""The check page's camera in a real browser: Chromium's fake camera plays a video made here
from a genuine certificate's QR image, the page reads it and shows the verdict.

Two readers: the browser's BarcodeDetector, and the zxing-wasm reader the service ships for
browsers without one. Debian's Chromium has no BarcodeDetector on Linux, so the native path
runs with a BarcodeDetector of the standard's shape installed by an init script (it decodes
with the same shipped reader, and counts its calls); the fallback path runs with
BarcodeDetector deleted, so it holds on a Chromium that has one too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from healthcert.web.pages import STATIC
from tests.web.conftest import CLOCK_FIELD, Samples
from tests.web.test_browser import ARGS, CHROMIUM, SIZES, _shot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

READER = STATIC / "vendor" / "zxing-wasm"
pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="no Chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
    pytest.mark.skipif(
        not (READER / "zxing_reader.wasm").exists(),
        reason="the zxing-wasm reader is not fetched (make src/healthcert/web/static/vendor/"
        "zxing-wasm/zxing_reader.js)",
    ),
]

# The standard's interface around the shipped reader; every detect() call is counted in the
# tab's sessionStorage, which outlives the form's submission.
NATIVE = """
window.BarcodeDetector = class {
  constructor(options) { this.formats = options.formats; }
  async detect(video) {
    sessionStorage.setItem("detects", String(Number(sessionStorage.getItem("detects") || 0) + 1));
    if (!window.ZXingWASM) {
      await new Promise((done) => {
        const script = document.createElement("script");
        script.src = "/static/vendor/zxing-wasm/zxing_reader.js";
        script.onload = done;
        document.head.appendChild(script);
      });
      ZXingWASM.prepareZXingModule({
        overrides: { locateFile: (path) => "/static/vendor/zxing-wasm/" + path },
      });
    }
    if (!video.videoWidth) return [];
    const canvas = new OffscreenCanvas(video.videoWidth, video.videoHeight);
    const context = canvas.getContext("2d");
    context.drawImage(video, 0, 0);
    const frame = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = await ZXingWASM.readBarcodes(frame, { formats: ["QRCode"] });
    return found.filter((code) => code.isValid).map((code) => ({ rawValue: code.text }));
  }
};
"""
WITHOUT = "delete window.BarcodeDetector;"


def write_y4m(png: Path, target: Path, *, width: int = 640, height: int = 480) -> Path:
    """A few grey frames (YUV 4:2:0) of the QR image centred on white, as a camera sees a
    phone screen held up to it."""
    from PIL import Image

    with Image.open(png) as image:
        code = image.convert("L")
    side = min(width, height) - 40
    code = code.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(code, ((width - side) // 2, (height - side) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii")
    target.write_bytes(header + b"".join(b"FRAME\n" + luma + chroma + chroma for _ in range(10)))
    return target


@pytest.fixture(scope="module")
def camera_browser(samples: Samples, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    video = write_y4m(samples.genuine_png, tmp_path_factory.mktemp("camera") / "genuine.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS + camera)
        yield launched
        launched.close()


@pytest.fixture(params=["native", "fallback"])
def camera_page(camera_browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = camera_browser.new_context(viewport=SIZES["phone"], locale="en-GB")
    context.add_init_script(NATIVE if request.param == "native" else WITHOUT)
    opened = context.new_page()
    opened.size_name = "phone"  # type: ignore[attr-defined]
    opened.reader = request.param  # type: ignore[attr-defined]
    yield opened
    context.close()


def test_the_camera_reads_a_genuine_certificate(
    camera_page: Page, live_url: str, samples: Samples
) -> None:
    requested: list[str] = []
    camera_page.on("request", lambda sent: requested.append(sent.url))
    camera_page.goto(f"{live_url}/check?lang=en")
    assert not requested or all("/vendor/zxing-wasm/" not in url for url in requested)
    camera_page.locator("#country").select_option("CN")
    camera_page.locator("#at").fill(CLOCK_FIELD)
    camera_page.locator("#key").fill(samples.verifier_key)
    camera_page.locator("#full").check()
    camera_page.locator("#reason").fill("secondary inspection")
    camera_page.get_by_role("button", name="Scan with the camera").click()
    camera_page.wait_for_selector(".outcome", timeout=30_000)
    outcome = camera_page.locator(".outcome")
    assert outcome.get_attribute("class") == "outcome green"
    assert camera_page.locator(".verdict").inner_text().endswith("GREEN: accepted")
    assert "WANG XIAOMING" in outcome.inner_text()
    assert camera_page.locator(".rules li").count() == 5
    detects = camera_page.evaluate("sessionStorage.getItem('detects')")
    wasm = [url for url in requested if url.endswith("/static/vendor/zxing-wasm/zxing_reader.wasm")]
    if camera_page.reader == "native":  # type: ignore[attr-defined]
        assert int(detects) >= 1  # the page asked the browser's detector
    else:
        assert detects is None
        assert len(wasm) == 1  # the shipped reader, fetched from this host once
    assert all(url.startswith(live_url) for url in requested)
    _shot(camera_page, f"check-camera-{camera_page.reader}")  # type: ignore[attr-defined]


def test_the_reader_is_not_part_of_the_check_page(web_client: object) -> None:
    """The page weighs what it weighs without the reader: only the camera fetches it."""
    from fastapi.testclient import TestClient

    assert isinstance(web_client, TestClient)
    page = web_client.get("/check").text
    assert "zxing" not in page
    script = web_client.get("/static/vendor/zxing-wasm/zxing_reader.js")
    assert script.status_code == 200
    assert "ZXingWASM" in script.text
    wasm = web_client.get("/static/vendor/zxing-wasm/zxing_reader.wasm")
    assert wasm.headers["content-type"] == "application/wasm"
    assert wasm.content[:4] == b"\0asm"
    licence = web_client.get("/static/vendor/zxing-wasm/LICENSE")
    assert "MIT License" in licence.text


def test_only_the_check_page_may_compile_webassembly(web_client: object) -> None:
    from fastapi.testclient import TestClient

    assert isinstance(web_client, TestClient)
    check = web_client.get("/check").headers["content-security-policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in check
    assert "default-src 'self'" in check
    assert "wasm" not in web_client.get("/").headers["content-security-policy"]
