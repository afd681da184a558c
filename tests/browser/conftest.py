"""Browser tests: Debian's Chromium driven by Playwright against a real ``treffpunkt web`` process.

One web server and one browser per test worker (both session-wide); every test gets fresh
browser contexts and an empty database (the ``db`` fixture), seeded through the API.
The server process shares this worker's database and Redis, so rows written here are
what the browser sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, Playwright, async_playwright

from app.embedded_redis import free_port
from app.supervisor import _die_with_parent
from tests.browser.axe import axe_source
from tests.conftest import TMP
from tests.e2e.processes import get_json, wait_for

CHROMIUM = os.environ.get("TREFFPUNKT_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network and a root user (Chromium's sandbox refuses root).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = "Pixel 7"


class WebServer:
    """``treffpunkt web`` (granian, one process) on a free loopback port."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)  # the worker's database, Redis and secret (tests/conftest.py)
        env["TREFFPUNKT_BASE_URL"] = self.base
        env["TREFFPUNKT_LOGIN_RATE_LIMIT"] = "1000/hour"
        env["TREFFPUNKT_LOG_LEVEL"] = "WARNING"
        self.log_path = log_path
        self.log = open(log_path, "w+")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "web", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # gone with this test worker, even if it is killed
        )

    def output(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def wait_ready(self, timeout: float = 60) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"treffpunkt web exited with {self.process.returncode}:\n{self.output()}")
            return get_json(self.base + "/health")[0] == 200

        assert wait_for(ready, timeout), f"treffpunkt web did not answer /health:\n{self.output()}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="session")
def web_server(migrated: None) -> Iterator[WebServer]:
    server = WebServer(TMP / "web.log")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as running:
        yield running


@pytest.fixture(scope="session")
async def browser(playwright: Playwright) -> AsyncIterator[Browser]:
    if not os.path.isfile(CHROMIUM):  # noqa: ASYNC240 - once per worker
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests need Debian's chromium package "
            "(apt-get install chromium; .ci/test installs it as root) or TREFFPUNKT_CHROMIUM",
            pytrace=False,
        )
    chromium = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    await chromium.close()


@pytest.fixture(scope="session")
def axe_js() -> str:
    try:
        return axe_source()
    except Exception as error:  # a missing axe-core must fail the run, not skip it
        pytest.fail(f"axe-core is not available: {error}", pytrace=False)


def phone_options(playwright: Playwright, *, javascript: bool = False, **extra: Any) -> dict[str, Any]:
    options = dict(playwright.devices[PHONE])
    options.pop("default_browser_type", None)
    return {**options, "java_script_enabled": javascript, **extra}


@pytest.fixture
async def contexts(
    browser: Browser, playwright: Playwright, web_server: WebServer, db: None
) -> AsyncIterator[Any]:
    """A factory of phone-sized browser contexts (JavaScript off unless asked), closed after the test."""
    opened: list[BrowserContext] = []

    async def new(*, javascript: bool = False, **extra: Any) -> BrowserContext:
        context = await browser.new_context(
            **phone_options(playwright, javascript=javascript, base_url=web_server.base, **extra)
        )
        context.set_default_timeout(10_000)
        opened.append(context)
        return context

    yield new
    for context in opened:
        await context.close()


@pytest.fixture
async def phone(contexts: Any) -> Page:
    """A Pixel 7 with JavaScript turned off."""
    context = await contexts()
    return await context.new_page()
