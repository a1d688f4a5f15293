"""Browser tests: Playwright for Python (sync API) driving Debian's Chromium through the admin.

Only the system browser is used (``/usr/bin/chromium``, installed by ``.ci/run`` with apt-get),
never one downloaded by Playwright. Without it (or without the ``playwright`` package) the tests
skip on a developer machine and fail under ``CI=true``.

Each test gets its own Playwright instance, started and stopped inside the test: while it runs,
Playwright's event loop is the running loop of the test thread, which Django's async-safety
check would take for async code, so ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for that time only.
For the same reason Django keeps the test's database connections of that time apart (asgiref's
``Local`` acts as a context variable while a loop runs): they are closed before the loop stops,
or PostgreSQL could not drop the test database at the end.

The test settings do not install ``staticfiles``, so the live server serves no static files;
the admin's CSS and JavaScript are answered from Django's own package by a Playwright route,
so the pages (and the screenshots) look and behave as in production.

Screenshots go to ``$SIGNED_API_SCREENSHOTS`` or ``<pytest basetemp>/screenshots``; the folder
and the time of each step are printed at the end of the run.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import time
from pathlib import Path

import django.contrib.admin
import pytest

from .support import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, _unavailable

ADMIN_STATIC = Path(django.contrib.admin.__file__).resolve().parent / "static"

_screenshot_dirs = pytest.StashKey[Path]()
_step_times = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def screenshot_dir(request, tmp_path_factory) -> Path:
    folder = os.environ.get("SIGNED_API_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.getbasetemp() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    request.config.stash[_screenshot_dirs] = path
    return path


@pytest.fixture
def step(request):
    """``with step("name"):`` times a step of a browser test (printed in the summary)."""
    times = request.config.stash.setdefault(_step_times, [])

    @contextlib.contextmanager
    def timed(name: str):
        start = time.perf_counter()
        yield
        times.append((request.node.name, name, time.perf_counter() - start))

    return timed


def _serve_admin_static(route, request) -> None:
    relative = request.url.split("/static/", 1)[1].split("?", 1)[0]
    path = (ADMIN_STATIC / relative).resolve()
    if ADMIN_STATIC in path.parents and path.is_file():
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=path.read_bytes(), content_type=content_type)
    else:
        route.fulfill(status=404, body=b"")


@pytest.fixture
def browser(monkeypatch, step):
    """Debian's Chromium under Playwright, for one test."""
    if not os.path.exists(CHROMIUM):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[test]')")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with step("launch chromium"):
        playwright = sync_playwright().start()
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception:
            playwright.stop()
            raise
    try:
        yield chromium
    finally:
        from django.db import connections

        try:
            connections.close_all()  # those opened while Playwright's loop ran (see above)
        finally:
            chromium.close()
            playwright.stop()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1440, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.route("**/static/**", _serve_admin_static)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def pytest_terminal_summary(terminalreporter, config):
    folder = config.stash.get(_screenshot_dirs, None)
    times = config.stash.get(_step_times, [])
    if folder is None and not times:
        return
    terminalreporter.section("browser tests")
    if folder is not None:
        shots = sorted(p.name for p in folder.glob("*.png"))
        terminalreporter.write_line(f"screenshots ({len(shots)}): {folder}")
    for test, name, seconds in times:
        terminalreporter.write_line(f"{seconds:7.2f} s  {test}: {name}")
