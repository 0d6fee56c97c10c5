"""Real Chromium (Debian's /usr/bin/chromium) driven by Playwright against a live uvicorn server.

No browser is downloaded: Playwright launches the system Chromium. With CI=true a missing browser
fails the run instead of skipping it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.liveserver import serve

CHROMIUM = os.environ.get("HOITHI_CHROMIUM", "/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    with serve(app, lifespan="off") as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"browser tests need Chromium at {CHROMIUM} (Debian package 'chromium')"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server, engine):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN", base_url=live_server)
    pg = context.new_page()
    blocked: list[str] = []  # what the pages' Content-Security-Policy refused: a page that needs it is broken
    pg.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
    assert not blocked, blocked


@pytest.fixture
def shot(artifacts_dir: Path, request: pytest.FixtureRequest):
    """shot(page, "step"): a full-page screenshot under test-artifacts/, named after the test."""
    name = request.node.name.replace("[", "-").replace("]", "")

    def take(pg, step: str) -> Path:
        path = artifacts_dir / f"{name}-{step}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take


def no_horizontal_scroll(pg, width: int = 360) -> bool:
    pg.set_viewport_size({"width": width, "height": 800})
    return pg.evaluate("document.documentElement.scrollWidth") <= width
