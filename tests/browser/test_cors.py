"""CORS: a page on another origin signs a request to the example project and verifies the answer.

The example project is served live by gunicorn with ``CORS_ALLOWED_ORIGINS`` naming one loopback
origin (example_project/settings.py, docs/django.md "CORS"). A tiny ``http.server`` on that
origin serves an HTML page and a bundle of clients/js built for this test with the pinned
esbuild (not the committed one, which test_js_bundle.py checks); in Chromium the page makes a
signed POST with it to the API's origin. Its custom headers (Signature, Signature-Input,
Content-Digest) make the browser send a preflight, which the server must allow; the answer's
Signature, Signature-Input and Content-Digest must be readable by the page (exposed), and the
client verifies them. The same page served from a second origin, not allowed, is blocked: the
preflight gets no Access-Control-Allow-Origin, so the browser never sends the POST and ``fetch``
rejects. Needs Chromium, node and ``npm ci`` in clients/js; skipped without them, failed under
``CI=true``.
"""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from tests.integration.test_gunicorn_example import ExampleDeployment, deployment_env

from .support import TIMEOUT_MS, _unavailable

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "clients" / "js"
PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>loading</title>
<script src="/signed-api-test.js"></script>
<script>if (globalThis.SignedApi) document.title = "ready";</script>
</head><body><p>A page on another origin.</p></body></html>
"""

CROSS_ORIGIN_REQUEST = """async ({ api, keyId, secret }) => {
  const { SignedApiClient, Signer } = globalThis.SignedApi;
  const client = new SignedApiClient({
    baseUrl: api, auth: Signer.hmac(keyId, secret), credentials: "omit",
    verifyResponses: "require",
  });
  try {
    const json = { text: "from another origin" };
    const response = await client.request("/api/notes/", { method: "POST", json });
    return {
      status: response.status,
      verification: response.verification,
      signature: response.headers.get("signature"),
      signatureInput: response.headers.get("signature-input"),
      contentDigest: response.headers.get("content-digest"),
      body: await response.json(),
    };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}"""


CROSS_ORIGIN_THROTTLED_LOGIN = """async ({ api }) => {
  const { SignedApiClient } = globalThis.SignedApi;
  const client = new SignedApiClient({ baseUrl: api, credentials: "omit",
                                       verifyResponses: "require" });
  const seen = [];
  for (let i = 0; i < 6; i++) {
    try {
      await client.login({ username: "nobody-cors", password: "wrong" });
      seen.push({ name: "no error" });
    } catch (error) {
      seen.push({ name: error.name, status: error.status ?? null, code: error.code ?? null,
                  retryAfter: error.retryAfter ?? null });
    }
  }
  return seen;
}"""


class _Files(http.server.BaseHTTPRequestHandler):
    bundle = b""

    def do_GET(self):  # noqa: N802 (http.server's name)
        files = {"/": (PAGE, "text/html"), "/signed-api-test.js": (self.bundle, "text/javascript")}
        body, kind = files.get(self.path, (b"not found", "text/plain"))
        self.send_response(200 if self.path in files else 404)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> bytes:
    """clients/js as one IIFE (``globalThis.SignedApi``), built by the pinned esbuild."""
    esbuild = PACKAGE / "node_modules" / ".bin" / "esbuild"
    if shutil.which("node") is None or not esbuild.exists():
        _unavailable("node or the JS client's dependencies are missing (cd clients/js && npm ci)")
    out = tmp_path_factory.mktemp("cors-bundle") / "signed-api-test.js"
    subprocess.run(
        [str(esbuild), "src/index.js", "--bundle", "--format=iife", "--global-name=SignedApi",
         "--platform=browser", f"--outfile={out}", "--log-level=warning"],
        cwd=PACKAGE, check=True, timeout=120,
    )  # fmt: skip
    return out.read_bytes()


@pytest.fixture(scope="module")
def origins(bundle):
    """Two page origins on loopback: the first is allowed, the second is not."""
    handler = type("_Page", (_Files,), {"bundle": bundle})
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    threads = [threading.Thread(target=partial(s.serve_forever, 0.1), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        yield [f"http://127.0.0.1:{s.server_address[1]}" for s in servers]
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def example(tmp_path_factory, origins):
    workdir = tmp_path_factory.mktemp("cors")
    env = deployment_env(
        f"sqlite:///{workdir / 'example.sqlite3'}", CORS_ALLOWED_ORIGINS=origins[0]
    )
    deployment = ExampleDeployment(workdir, env)
    try:
        deployment.manage("migrate", "--noinput")
        deployment.manage(
            "shell", "-c",
            "from django.contrib.auth import get_user_model; "
            "get_user_model().objects.create_user('carol')",
        )  # fmt: skip
        deployment.key = deployment.create_key("carol")
        deployment.start()
        yield deployment
    finally:
        deployment.stop()


def _notes_lines(example, method: str) -> list:
    return [m for m in example.access_lines("/api/notes/") if m["method"] == method]


def _wait_for(example, method: str, count: int) -> list:
    deadline = time.monotonic() + 10
    while len(_notes_lines(example, method)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return _notes_lines(example, method)


def _from(browser, origin: str, example, script: str = CROSS_ORIGIN_REQUEST):
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(origin + "/")
        page.wait_for_function("document.title === 'ready'")
        key_id, secret = example.key
        return page.evaluate(
            script, {"api": example.base_url, "keyId": key_id, "secret": secret}
        )
    finally:
        context.close()


def test_cross_origin_signed_request_through_a_preflight(example, origins, browser, step):
    with step("allowed origin"):
        result = _from(browser, origins[0], example)
    assert "error" not in result, result
    assert result["status"] == 201 and result["body"]["text"] == "from another origin"
    # The exposed headers are readable by the page, and the client verified them.
    assert result["signature"] and result["signatureInput"] and result["contentDigest"]
    assert result["verification"]["verified"] is True, result["verification"]
    assert result["verification"]["keyId"] == example.key[0]
    # The browser asked first: an OPTIONS preflight, answered 200.
    preflights = _wait_for(example, "OPTIONS", 1)
    assert [m["status"] for m in preflights] == ["200"], preflights


def test_disallowed_origin_is_blocked(example, origins, browser, step):
    before = len(_notes_lines(example, "OPTIONS"))
    posts = len(_notes_lines(example, "POST"))
    with step("disallowed origin"):
        result = _from(browser, origins[1], example)
    # The preflight got no Access-Control-Allow-Origin: the browser never sent the POST, and the
    # page saw only a network error.
    assert "error" in result, result
    assert len(_wait_for(example, "OPTIONS", before + 1)) == before + 1
    time.sleep(0.5)
    assert len(_notes_lines(example, "POST")) == posts  # no POST went out


def test_a_cross_origin_429_verifies_with_its_retry_after(example, origins, browser, step):
    """The server covers a 429's Retry-After; a page of another origin sees it only when it is
    exposed, and without it the signature cannot be checked (the client would refuse the
    refusal). Six wrong logins from the allowed origin: five ``invalid_credentials``, then a
    ``throttled`` that verifies, with its wait."""
    with step("throttled login from the allowed origin"):
        seen = _from(browser, origins[0], example, CROSS_ORIGIN_THROTTLED_LOGIN)
    assert [e["name"] for e in seen] == ["LoginError"] * 6, seen
    assert [e["code"] for e in seen] == ["invalid_credentials"] * 5 + ["throttled"], seen
    assert seen[-1]["status"] == 429 and seen[-1]["retryAfter"] > 0, seen
