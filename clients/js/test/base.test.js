import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { signatureBase } from "../src/components.js";
import { requestMessage } from "../src/message.js";
import { base64Decode, base64Encode, utf8 } from "../src/bytes.js";

const vectors = JSON.parse(
  readFileSync(new URL("../../../tests/unit/vectors/rfc9421_b2.json", import.meta.url), "utf8"),
);
const keys = JSON.parse(
  readFileSync(new URL("../../../tests/unit/vectors/rfc9421_keys.json", import.meta.url), "utf8"),
);

test("RFC 9421 B.2.5: the base and the hmac-sha256 signature, byte for byte", async () => {
  const ex = vectors.examples.find((e) => e.label === "sig-b25");
  const r = vectors.test_request;
  const msg = requestMessage(r.method, r.url, r.headers, utf8(r.body));
  const base = signatureBase(msg, ex.covered_components, Object.entries(ex.params));
  assert.equal(base, ex.signature_base);
  const secret = base64Decode(keys.keys["test-shared-secret"].secret_base64);
  const key = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(base)));
  assert.equal(`${ex.label}=:${base64Encode(mac)}:`, ex.signature);
});

test("RFC 9421 B.2.6: the ed25519 base and signature", async () => {
  const ex = vectors.examples.find((e) => e.label === "sig-b26");
  const r = vectors.test_request;
  const msg = requestMessage(r.method, r.url, r.headers, utf8(r.body));
  const base = signatureBase(msg, ex.covered_components, Object.entries(ex.params));
  assert.equal(base, ex.signature_base);
  const key = await crypto.subtle.importKey("jwk", keys.keys["test-key-ed25519"].jwk, { name: "Ed25519" }, false, ["sign"]);
  const sig = new Uint8Array(await crypto.subtle.sign("Ed25519", key, utf8(base)));
  assert.equal(`${ex.label}=:${base64Encode(sig)}:`, ex.signature);
});

test("docs/protocol.md worked example: the signature base", () => {
  const msg = requestMessage("POST", "https://api.example.com/api/notes/?page=2",
    [["content-digest", "sha-256=:/mPPk2noR+qscTksvn94oOnKtNwvIelq9M5HjjrHuxs=:"]], utf8('{"text": "hello"}'));
  const base = signatureBase(msg, ["@method", "@authority", "@path", "@query", "content-digest"],
    [["created", 1735689600], ["keyid", "key_4CkXtZ2vQm8rW1nP"], ["nonce", "kX0mEoF7ZJ3v9QsW2yRt-A"], ["alg", "hmac-sha256"]]);
  assert.ok(base.endsWith('"@signature-params": ("@method" "@authority" "@path" "@query" "content-digest");created=1735689600;keyid="key_4CkXtZ2vQm8rW1nP";nonce="kX0mEoF7ZJ3v9QsW2yRt-A";alg="hmac-sha256"'));
});
