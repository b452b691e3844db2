"""A real browser for page tests: Debian's headless Chromium driven by Playwright,
axe-core's WCAG 2.1 A and AA checks, and screenshots for people to look at.

Playwright's own browsers are never downloaded: without the system's `chromium`
or `node_modules/axe-core` the browser tests skip, saying why (under CI=true they fail).
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium_path() -> str:
    """The system Chromium; missing, the tests skip locally and fail under CI."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    missing = [str(p) for p in (Path(path), AXE) if not p.exists()]
    if missing:
        reason = f"browser tests need {' and '.join(missing)}: see .ci/run"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


@contextmanager
def launched() -> Iterator[Browser]:
    """Chromium, for a module's tests. Start the live server first: Playwright's sync
    API takes over the thread's event loop."""
    path = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def screenshot(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / name


def assert_accessible(page: Page) -> None:
    page.add_script_tag(path=AXE)
    result: dict[str, Any] = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA
    )
    problems = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]
    assert not problems, "\n".join(problems)
    assert len(result["passes"]) > 10, "axe-core checked next to nothing"
