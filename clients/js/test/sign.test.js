import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Signer, verifyMessage, requestMessage, responseMessage, importVerifyingKey, ed25519Supported,
  SignatureError, DeviceKey, signatureBase,
} from "../src/index.js";
import { base64Decode, utf8 } from "../src/bytes.js";
import { repoVector } from "./helpers.js";

const vectors = repoVector("rfc9421_b2.json");
const keys = repoVector("rfc9421_keys.json").keys;
const SECRET = "c2lnbmVkLWFwaS1kb2NzLWV4YW1wbGUtc2VjcmV0ISE";
const NOW = 1735689600;
const lax = { requiredComponents: ["@method", "@authority", "@path", "@query"], requiredParams: ["keyid", "created", "nonce"], requireDigestForBody: true };

test("the protocol page's worked example, byte for byte: Content-Digest, Signature-Input, Signature", async () => {
  const signer = Signer.hmac("key_4CkXtZ2vQm8rW1nP", SECRET);
  const signed = await signer.sign({ method: "POST", url: "https://api.example.com/api/notes/?page=2",
    body: '{"text": "hello"}', created: NOW, nonce: "kX0mEoF7ZJ3v9QsW2yRt-A" });
  assert.deepEqual(signed.added, [
    ["content-digest", "sha-256=:/mPPk2noR+qscTksvn94oOnKtNwvIelq9M5HjjrHuxs=:"],
    ["signature-input", 'sig1=("@method" "@authority" "@path" "@query" "content-digest");created=1735689600;keyid="key_4CkXtZ2vQm8rW1nP";nonce="kX0mEoF7ZJ3v9QsW2yRt-A";alg="hmac-sha256"'],
    ["signature", "sig1=:sf6+yI/TMY8tlVOHcxlf/R6Di7RBFXUpQHU4IBjG04M=:"],
  ]);
});

test("RFC 9421 B.2.4: the ecdsa-p256-sha256 response signature verifies", async () => {
  const ex = vectors.examples.find((e) => e.label === "sig-b24");
  const r = vectors.test_response;
  const msg = responseMessage(r.status, r.headers, utf8(r.body), null);
  msg.headers.push(["signature-input", ex.signature_input], ["signature", ex.signature]);
  const key = await importVerifyingKey("ecdsa-p256-sha256", keys["test-key-ecc-p256"].public_pem);
  const v = await verifyMessage(msg, async () => ({ algorithm: "ecdsa-p256-sha256", key }), {}, { now: ex.params.created });
  assert.equal(v.keyId, "test-key-ecc-p256");
});

test("RFC 9421 B.2.5 and B.2.6 verify as signatures of the test request", async () => {
  const r = vectors.test_request;
  for (const label of ["sig-b25", "sig-b26"]) {
    const ex = vectors.examples.find((e) => e.label === label);
    const msg = requestMessage(r.method, r.url, [...r.headers, ["signature-input", ex.signature_input], ["signature", ex.signature]], utf8(r.body));
    const key = label === "sig-b25"
      ? await importVerifyingKey("hmac-sha256", base64Decode(keys["test-shared-secret"].secret_base64))
      : await importVerifyingKey("ed25519", keys["test-key-ed25519"].public_pem);
    const v = await verifyMessage(msg, async () => ({ algorithm: ex.alg, key }), {}, { now: ex.params.created });
    assert.equal(v.label, label);
  }
});

/** Sign with `signer`, verify with `key`, under the server's request profile. */
async function roundTrip(signer, key, request) {
  const signed = await signer.sign(request);
  return verifyMessage(signed.message, async () => ({ algorithm: signer.algorithm, key }), lax);
}

test("every algorithm signs what the verifier (the core's order of checks) accepts", async () => {
  const url = "http://127.0.0.1:8000/api/notes/?page=2&q=a%20b";
  const hmac = Signer.hmac("key_h", SECRET);
  assert.equal((await roundTrip(hmac, await hmac.signingKey(), { method: "post", url, body: "{}" })).algorithm, "hmac-sha256");
  const ec = await DeviceKey.generate("ecdsa-p256-sha256");
  const ecSigner = ec.signer("key_ec");
  const signed = await ecSigner.sign({ method: "GET", url });
  const sig = signed.added.find(([n]) => n === "signature")[1];
  assert.equal(base64Decode(sig.slice(6, -1)).length, 64, "ECDSA is r||s, not DER");
  assert.ok(!signed.added.some(([n]) => n === "content-digest"), "no body, no Content-Digest");
  await roundTrip(ecSigner, ec.keyPair.publicKey, { method: "PUT", url, body: utf8("x") });
  if (await ed25519Supported()) {
    const ed = await DeviceKey.generate("ed25519");
    await roundTrip(ed.signer("key_ed"), ed.keyPair.publicKey, { method: "DELETE", url, body: "" });
  }
});

test("a changed body, method, path or query fails as the server would fail it", async () => {
  const signer = Signer.hmac("key_h", SECRET);
  const key = await signer.signingKey();
  const resolve = async () => ({ algorithm: "hmac-sha256", key });
  const signed = await signer.sign({ method: "POST", url: "https://h.example/api/notes/?a=1", body: '{"a":1}' });
  const changed = { ...signed.message, body: utf8('{"a":2}') };
  await assert.rejects(verifyMessage(changed, resolve, lax), (e) => e instanceof SignatureError && e.code === "digest_mismatch");
  for (const patch of [{ method: "PUT" }, { path: "/api/other/" }, { query: "a=2" }, { authority: "evil.example" }]) {
    await assert.rejects(verifyMessage({ ...signed.message, ...patch }, resolve, lax), (e) => e.code === "signature_invalid");
  }
  const old = await signer.sign({ method: "GET", url: "https://h.example/", created: 1000 });
  await assert.rejects(verifyMessage(old.message, resolve, lax), (e) => e.code === "clock_skew");
});

test("parameters in the core's order; tag, expires, label and a given Content-Digest are honoured", async () => {
  const signer = new Signer({ keyId: "key_t", key: SECRET, tag: "app", expiresIn: 60, label: "mine" });
  const signed = await signer.sign({ method: "POST", url: "https://h.example/x", body: "b",
    headers: { "Content-Digest": "sha-512=:" + "A".repeat(86) + "==:" }, created: 100, nonce: "n" });
  const input = signed.added.find(([n]) => n === "signature-input")[1];
  assert.equal(input, 'mine=("@method" "@authority" "@path" "@query" "content-digest");created=100;expires=160;keyid="key_t";nonce="n";alg="hmac-sha256";tag="app"');
  assert.equal(signed.headers.filter(([n]) => n === "content-digest").length, 1, "a given digest is not doubled");
  const a = await signer.sign({ method: "GET", url: "https://h.example/" });
  const b = await signer.sign({ method: "GET", url: "https://h.example/" });
  const nonce = (s) => /nonce="([^"]+)"/.exec(s.added.find(([n]) => n === "signature-input")[1])[1];
  assert.notEqual(nonce(a), nonce(b));
  assert.match(nonce(a), /^[A-Za-z0-9_-]{22}$/);
});

test("a signer never shows its secret", () => {
  const signer = Signer.hmac("key_s", SECRET);
  assert.ok(!JSON.stringify(signer).includes(SECRET));
  assert.ok(!String(signer).includes(SECRET));
  assert.ok(!Object.values(signer).some((v) => v === SECRET));
});

test("verification refuses duplicate labels, Tokens for strings, and wrong signature lengths", async () => {
  const signer = Signer.hmac("key_h", SECRET);
  const key = await signer.signingKey();
  const resolve = async () => ({ algorithm: "hmac-sha256", key });
  const signed = await signer.sign({ method: "GET", url: "https://h.example/" });
  const input = signed.added.find(([n]) => n === "signature-input")[1];
  const sig = signed.added.find(([n]) => n === "signature")[1];
  const withHeaders = (i, s) => ({ ...signed.message, headers: [["signature-input", i], ["signature", s]] });
  await assert.rejects(verifyMessage(withHeaders(`${input}, ${input}`, sig), resolve, lax), (e) => e.code === "signature_malformed");
  await assert.rejects(verifyMessage(withHeaders(input.replace('keyid="key_h"', "keyid=key_h"), sig), resolve, lax), (e) => e.code === "signature_malformed");
  await assert.rejects(verifyMessage(withHeaders(input, "sig1=:AAAA:"), resolve, lax), (e) => e.code === "signature_invalid");
  await assert.rejects(verifyMessage({ ...signed.message, headers: [] }, resolve, lax), (e) => e.code === "signature_missing");
});

test("RFC 9421 B.4: the ed25519 signature survives the allowed transformations and fails the others", async () => {
  const b4 = repoVector("rfc9421_b3_b4.json").b4_transformations;
  const key = await importVerifyingKey("ed25519", keys["test-key-ed25519"].public_pem);
  let valid = 0;
  for (const m of b4.messages) {
    const msg = requestMessage(m.method, m.url, m.headers, utf8(m.body));
    const outcome = await verifyMessage(msg, async () => ({ algorithm: "ed25519", key }), {}, { now: b4.params.created })
      .then(() => true, (e) => { assert.ok(e instanceof SignatureError); return false; });
    assert.equal(outcome, m.signature_still_valid, m.url);
    if (outcome) valid++;
  }
  assert.ok(valid >= 1 && valid < b4.messages.length);
});

test("RFC 9421 B.3: the proxy's ecdsa signature over the proxied request verifies", async () => {
  const b3 = repoVector("rfc9421_b3_b4.json").b3_tls_terminating_proxy;
  const r = b3.proxied_request;
  const msg = requestMessage(r.method, r.url, [...r.headers, ["signature-input", b3.signature_input], ["signature", b3.signature]], utf8(r.body));
  assert.equal(signatureBase(msg, b3.covered_components, Object.entries(b3.params)), b3.signature_base);
  const key = await importVerifyingKey("ecdsa-p256-sha256", keys["test-key-ecc-p256"].public_pem);
  const v = await verifyMessage(msg, async () => ({ algorithm: "ecdsa-p256-sha256", key }), {}, { now: b3.params.created });
  assert.equal(v.label, b3.label);
});
