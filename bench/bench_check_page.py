"""Benchmark of the check page, from the upload of a QR image to the verdict page received.

    .venv/bin/python bench/bench_check_page.py [--count 100] [--browser-count 20]

1. ``healthcert serve`` runs in its own process over SQLite in a temporary directory, with a
   country's keys, a DSC and a verifier key; an EU DCC it issued is rendered as a QR PNG.
2. This process posts the PNG to ``/check`` as the page's form does (multipart: the image,
   the verifier key, the destination, the language) ``--count`` times over one kept-alive
   connection, and prints p50, p95 and max latency against 300 ms (p95), with one raw ECDSA
   P-256 verification measured in the same run as the yardstick.
3. The transferred weight of ``/``, ``/check`` and what their HTML loads (stylesheet,
   script, icon), against 150 KB.
4. If Chromium is at /usr/bin/chromium: the same check in the browser, from choosing the file
   to the verdict shown (``--browser-count`` times).

Not a test: timings depend on the machine, so nothing here asserts.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bench_service import HEALTHCERT, _environment, _raw_ecdsa, running_service

if TYPE_CHECKING:
    import httpx

TARGET_P95 = 0.300
WEIGHT_BUDGET_KB = 150
COUNTRY = "CN"
CHROMIUM = Path("/usr/bin/chromium")
# As the browser tests launch it.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# What a page's HTML loads from this host: stylesheets, scripts, icons.
REFERENCE = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="(/[^"]*)"')


def _request(vaccinated: datetime) -> dict[str, object]:
    return {
        "holder": {
            "family_name": "Musterfrau-Gößinger",
            "given_name": "Gabriele",
            "date_of_birth": "1998-02-26",
        },
        "entry": {
            "kind": "vaccination",
            "vaccine": "1119349007",
            "product": "EU/1/20/1528",
            "manufacturer": "ORG-100030215",
            "dose_number": 2,
            "total_doses": 2,
            "date": vaccinated.date().isoformat(),
            "country": "DE",
            "issuer": "Bench Health Authority",
            "certificate_id": "URN:UVCI:01:DE:BENCH0000000001#Q",
        },
    }


def _qr_png(work: Path, env: dict[str, str]) -> Path:
    """A QR PNG of an EU DCC signed by the service's own DSC, its last dose a month ago."""
    from healthcert.codec.qr import render

    request = work / "request.json"
    vaccinated = datetime.now(UTC) - timedelta(days=30)
    request.write_text(json.dumps(_request(vaccinated), ensure_ascii=False), encoding="utf-8")
    payload = subprocess.run(
        [*HEALTHCERT, "issue", "--json", str(request)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    png = work / "dcc.png"
    render(payload, png)
    return png


def _verifier_key(env: dict[str, str], url: str) -> str:
    return subprocess.run(
        [*HEALTHCERT, "apikey", "create", "--role", "verifier", "--label", "bench", "--url", url],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def _check_once(client: httpx.Client, base: str, png: bytes, key: str) -> tuple[float, str]:
    """Seconds from the upload sent to the verdict page received, and that page."""
    start = time.perf_counter()
    answer = client.post(
        f"{base}/check",
        data={"key": key, "country": COUNTRY, "lang": "en"},
        files={"image": ("dcc.png", png, "image/png")},
    )
    spent = time.perf_counter() - start
    return spent, answer.text


def _verdict(page: str) -> str:
    found = re.search(r'class="outcome (\w+)"', page)
    return found.group(1) if found else "none"


def _uploads(base: str, png: bytes, key: str, count: int) -> tuple[list[float], str]:
    import httpx

    with httpx.Client(timeout=30) as client:
        _check_once(client, base, png, key)  # the first one warms the service's caches
        runs = [_check_once(client, base, png, key) for _ in range(count)]
    verdicts = sorted({_verdict(page) for _, page in runs})
    return sorted(spent for spent, _ in runs), ", ".join(verdicts)


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[max(0, int(len(ordered) * share + 0.999999) - 1)]


def _print_latencies(label: str, ordered: list[float], verifying: float, verdicts: str) -> None:
    p95 = _percentile(ordered, 0.95)
    print(f"{label}: {len(ordered)} checks, verdicts: {verdicts}")
    print(
        f"  p50 {statistics.median(ordered) * 1e3:.1f} ms, p95 {p95 * 1e3:.1f} ms, "
        f"max {ordered[-1] * 1e3:.1f} ms (target p95 under {TARGET_P95 * 1e3:.0f} ms: "
        f"{'met' if p95 < TARGET_P95 else 'NOT met'}); p95 = {p95 / verifying:.0f} x raw verify"
    )


def _transferred(answer: httpx.Response) -> int:
    """Bytes on the wire: the status line, the headers and the body as sent (compressed if
    the server compressed it)."""
    head = len(f"HTTP/1.1 {answer.status_code} {answer.reason_phrase}\r\n") + 2
    head += sum(len(name) + len(value) + 4 for name, value in answer.headers.raw)
    return head + answer.num_bytes_downloaded


def _weights(base: str) -> None:
    import httpx

    print(f"page weights (transferred, against {WEIGHT_BUDGET_KB} KB a page with its assets):")
    with httpx.Client(base_url=base, timeout=30) as client:
        for path in ("/", "/check"):
            page = client.get(path)
            parts = [(path, _transferred(page))]
            for asset in dict.fromkeys(REFERENCE.findall(page.text)):
                parts.append((asset, _transferred(client.get(asset))))
            total = sum(size for _, size in parts) / 1024
            listing = ", ".join(f"{name} {size / 1024:.1f}" for name, size in parts)
            verdict = "within" if total <= WEIGHT_BUDGET_KB else "OVER"
            print(f"  {path}: {total:.1f} KB ({verdict} budget): {listing}")
        # Outside the budget: fetched only by a browser without BarcodeDetector, at the camera.
        reader = [
            (name, _transferred(client.get(f"/static/vendor/zxing-wasm/{name}")))
            for name in ("zxing_reader.js", "zxing_reader.wasm")
        ]
        listing = ", ".join(f"{name} {size / 1024:.1f}" for name, size in reader)
        print(f"  camera QR reader, loaded on demand: {listing} KB")


def _browser(base: str, png: Path, key: str, count: int) -> tuple[list[float], str] | None:
    """Seconds from choosing the file to the verdict shown, in headless Chromium."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    spent: list[float] = []
    verdicts: set[str] = set()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        for run in range(count + 1):
            page.goto(f"{base}/check?lang=en")
            page.locator("#country").select_option(COUNTRY)
            page.locator("#key").fill(key)
            start = time.perf_counter()
            page.locator("#image").set_input_files(str(png))
            page.locator("form#check button[type=submit]").click()
            outcome = page.wait_for_selector(".outcome")
            if run:  # the first one warms the service and the browser
                spent.append(time.perf_counter() - start)
                shown = outcome.get_attribute("class") if outcome else None
                verdicts.add((shown or "outcome none").removeprefix("outcome "))
        browser.close()
    return sorted(spent), ", ".join(sorted(verdicts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--browser-count", type=int, default=20, help="0 skips the browser")
    arguments = parser.parse_args()
    _, verifying = _raw_ecdsa()
    print(f"raw ECDSA P-256 verify (one core): {verifying * 1e6:.0f} us")
    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        env = _environment(work / "home")
        url = f"sqlite:///{work / 'bench.db'}"
        for command in (["keys", "init", "--country", "DE"], ["keys", "dsc"], ["db", "upgrade"]):
            extra = ["--url", url] if command[0] == "db" else []
            subprocess.run(
                [*HEALTHCERT, *command, *extra], env=env, check=True, capture_output=True
            )
        key = _verifier_key(env, url)
        png = _qr_png(work, env)
        with running_service(work, env, url) as base:
            print(f"QR image: {png.stat().st_size / 1024:.1f} KB PNG of an EU DCC")
            ordered, verdicts = _uploads(base, png.read_bytes(), key, arguments.count)
            _print_latencies("POST /check over HTTP", ordered, verifying, verdicts)
            _weights(base)
            if arguments.browser_count:
                timed = _browser(base, png, key, arguments.browser_count)
                if timed is None:
                    print(f"Chromium: not at {CHROMIUM}, skipped")
                else:
                    browser_times, browser_verdicts = timed
                    label = "Chromium, file chosen to verdict shown"
                    _print_latencies(label, browser_times, verifying, browser_verdicts)


if __name__ == "__main__":
    main()
