"""The JavaScript client (clients/js) in Debian's Chromium: the package's own vectors run in the
browser, from a bundle built with the pinned esbuild for this test (the committed bundle and the
demo page are tested by test_js_bundle.py and test_demo_page.py).

In the page: the protocol page's worked example signed byte for byte, RFC 9421 B.2.6 (ed25519),
RFC 9458 Appendix A encapsulated and opened, responses signed by signed_api.core verified (hmac
and the JWKS's Ed25519 key), and a device key made non-extractable, kept in IndexedDB and found
again after a reload, still signing. Needs node and ``npm ci`` in clients/js besides Chromium;
skipped without them, failed under ``CI=true``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from .support import TIMEOUT_MS, _unavailable

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "clients" / "js"
VECTORS = REPO / "tests" / "unit" / "vectors"
ORIGIN = "http://localhost:8765"  # a secure context; every request is answered by a route


@pytest.fixture
def bundle(tmp_path) -> bytes:
    node = shutil.which("node")
    esbuild = PACKAGE / "node_modules" / ".bin" / "esbuild"
    if node is None or not esbuild.exists():
        _unavailable("node or the JS client's dependencies are missing (cd clients/js && npm ci)")
    out = tmp_path / "signed-api-test.js"
    subprocess.run(
        [str(esbuild), "src/index.js", "--bundle", "--format=iife", "--global-name=SignedApi",
         "--platform=browser", f"--outfile={out}", "--log-level=warning"],
        cwd=PACKAGE, check=True, timeout=120,
    )  # fmt: skip
    return out.read_bytes()


def _vectors() -> dict:
    return {
        "ohttp": json.loads((VECTORS / "ohttp_rfc9458_appendix_a.json").read_text()),
        "b2": json.loads((VECTORS / "rfc9421_b2.json").read_text()),
        "keys": json.loads((VECTORS / "rfc9421_keys.json").read_text())["keys"],
        "server": json.loads((PACKAGE / "test" / "vectors" / "server_responses.json").read_text()),
    }


IN_PAGE = """async (v) => {
  const S = globalThis.SignedApi, hex = S.bytes.hexDecode, enc = S.bytes.hexEncode, utf8 = S.bytes.utf8;
  const r = {};
  const h = S.Signer.hmac("key_4CkXtZ2vQm8rW1nP", "c2lnbmVkLWFwaS1kb2NzLWV4YW1wbGUtc2VjcmV0ISE");
  const w = await h.sign({ method: "POST", url: "https://api.example.com/api/notes/?page=2",
    body: '{"text": "hello"}', created: 1735689600, nonce: "kX0mEoF7ZJ3v9QsW2yRt-A" });
  r.worked = w.added;
  r.ed25519 = await S.ed25519Supported();
  if (r.ed25519) {
    const ex = v.b2.examples.find((e) => e.label === "sig-b26");
    const t = v.b2.test_request;
    const key = await S.importSigningKey("ed25519", v.keys["test-key-ed25519"].jwk);
    const base = S.signatureBase(S.requestMessage(t.method, t.url, t.headers, utf8(t.body)),
      ex.covered_components, Object.entries(ex.params));
    r.b26 = `${ex.label}=:${S.bytes.base64Encode(await S.signBytes("ed25519", key, utf8(base)))}:` === ex.signature;
  }
  const o = v.ohttp;
  const e = await S.encapsulateRequest(S.decodeKeyConfig(hex(o.key_config)), hex(o.request),
    { ephemeralPrivateKey: hex(o.ephemeral_private_key) });
  r.ohttpRequest = enc(e.encapsulated) === o.encapsulated_request;
  r.ohttpResponse = enc(await e.context.decapsulateResponse(hex(o.encapsulated_response))) === o.response;
  const fx = v.server, now = fx.created + 2;
  const pair = (p) => S.responseMessage(p.response.status, p.response.headers, utf8(p.response.body),
    S.requestMessage(p.request.method, p.request.url, p.request.headers, utf8(p.request.body)));
  r.hmacResponse = (await S.verifyResponse(pair(fx.hmac), { signer: S.Signer.hmac("key_4CkXtZ2vQm8rW1nP", fx.secret), now })).keyId;
  const ecSigner = new S.Signer({ keyId: "key_ecdsa", algorithm: "ecdsa-p256-sha256", key: fx.client_ecdsa_private_pem });
  r.jwksResponse = (await S.verifyResponse(pair(fx.ecdsa), { signer: ecSigner, serverKeys: new S.ServerKeys({ jwks: fx.jwks }), now })).keyId;
  return r;
}"""  # noqa: E501 (JavaScript)

DEVICE_KEY = """async (step) => {
  const S = globalThis.SignedApi;
  const store = new S.IndexedDBKeyStore({ database: "signed-api-test" });
  let key = await S.DeviceKey.fromStored(await store.get("device"));
  if (step === "make") {
    key = await S.DeviceKey.generate();
    await store.set("device", key.toStored());
  }
  if (!key) return null;
  const signed = await key.signer("ses_x").sign({ method: "POST", url: "https://h.example/api/notes/", body: "{}" });
  const verified = await S.verifyMessage(signed.message,
    async () => ({ algorithm: key.algorithm, key: key.keyPair.publicKey }), {});
  let exported = true;
  try { await crypto.subtle.exportKey("jwk", key.keyPair.privateKey); } catch { exported = false; }
  const out = { thumbprint: key.thumbprint, extractable: key.keyPair.privateKey.extractable, exported,
                verified: verified.keyId };
  if (step === "forget") await store.delete("device");
  return out;
}"""  # noqa: E501 (JavaScript)


def test_js_package_runs_in_chromium(browser, bundle, step):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page_html = b'<!doctype html><meta charset="utf-8"><script src="/signed-api-test.js"></script>'

    def serve(route, request):
        if request.url.endswith("/signed-api-test.js"):
            route.fulfill(status=200, body=bundle, content_type="text/javascript")
        else:
            route.fulfill(status=200, body=page_html, content_type="text/html")

    context.route(f"{ORIGIN}/**", serve)
    try:
        page = context.new_page()
        with step("vectors in the page"):
            page.goto(f"{ORIGIN}/")
            result = page.evaluate(IN_PAGE, _vectors())
        assert result["worked"] == [
            ["content-digest", "sha-256=:/mPPk2noR+qscTksvn94oOnKtNwvIelq9M5HjjrHuxs=:"],
            ["signature-input", 'sig1=("@method" "@authority" "@path" "@query" "content-digest")'
             ';created=1735689600;keyid="key_4CkXtZ2vQm8rW1nP";nonce="kX0mEoF7ZJ3v9QsW2yRt-A"'
             ';alg="hmac-sha256"'],
            ["signature", "sig1=:sf6+yI/TMY8tlVOHcxlf/R6Di7RBFXUpQHU4IBjG04M=:"],
        ]  # fmt: skip
        assert result["ed25519"] and result["b26"]
        assert result["ohttpRequest"] and result["ohttpResponse"]
        assert result["hmacResponse"] == "key_4CkXtZ2vQm8rW1nP"
        assert result["jwksResponse"] == "srv_test0000000000"
        with step("a device key in IndexedDB, across a reload"):
            made = page.evaluate(DEVICE_KEY, "make")
            page.reload()
            again = page.evaluate(DEVICE_KEY, "forget")
            page.reload()
            gone = page.evaluate(DEVICE_KEY, "check")
        assert made["extractable"] is False and made["exported"] is False
        assert made["verified"] == "ses_x"
        assert again == made, "the same non-extractable key, found again after the reload"
        assert gone is None
    finally:
        context.close()
