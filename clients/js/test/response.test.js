import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Signer, ServerKeys, verifyResponse, requestMessage, responseMessage, importSigningKey, SignatureError,
} from "../src/index.js";
import { utf8 } from "../src/bytes.js";
import { localVector } from "./helpers.js";

// Responses signed by signed_api.core as the server's middleware signs them
// (test/vectors/make_server_responses.py).
const fx = localVector("server_responses.json");
const NOW = fx.created + 2;

function messages(pair, patch = {}) {
  const r = pair.request;
  const request = requestMessage(r.method, r.url, r.headers, utf8(r.body));
  const s = { ...pair.response, ...patch };
  return responseMessage(s.status, s.headers, utf8(s.body), request);
}

const code = (c) => (e) => e instanceof SignatureError && e.code === c;

test("an hmac key's response verifies with the same secret, and names the request's key", async () => {
  const signer = Signer.hmac("key_4CkXtZ2vQm8rW1nP", fx.secret);
  const v = await verifyResponse(messages(fx.hmac), { signer, now: NOW });
  assert.equal(v.keyId, "key_4CkXtZ2vQm8rW1nP");
  assert.deepEqual(v.components, ['"@status"', '"content-type"', '"content-digest"', '"@method";req', '"@path";req', '"signature";req;key="sig1"']);
});

test("a client-held key's response verifies with the server's Ed25519 key from the JWKS", async () => {
  const signer = new Signer({ keyId: "key_ecdsa", algorithm: "ecdsa-p256-sha256", key: fx.client_ecdsa_private_pem });
  const v = await verifyResponse(messages(fx.ecdsa), { signer, serverKeys: new ServerKeys({ jwks: fx.jwks }), now: NOW });
  assert.equal(v.keyId, "srv_test0000000000");
  assert.equal(v.algorithm, "ed25519");
  // Without the server's keys nothing verifies it: the client's own key never answers.
  await assert.rejects(verifyResponse(messages(fx.ecdsa), { signer, now: NOW }), code("unknown_key"));
});

test("a changed body, status or request, or an old response, does not verify", async () => {
  const signer = Signer.hmac("key_4CkXtZ2vQm8rW1nP", fx.secret);
  await assert.rejects(verifyResponse(messages(fx.hmac, { body: fx.hmac.response.body + " " }), { signer, now: NOW }), code("digest_mismatch"));
  await assert.rejects(verifyResponse(messages(fx.hmac, { status: 200 }), { signer, now: NOW }), code("signature_invalid"));
  const other = messages(fx.hmac);
  other.request = { ...other.request, path: "/api/notes/1/" };
  await assert.rejects(verifyResponse(other, { signer, now: NOW }), code("signature_invalid"));
  // Another request's signature (the ecdsa one) in the req component: not an answer to it.
  const swapped = messages(fx.hmac);
  swapped.request = { ...swapped.request, headers: swapped.request.headers.map(([n, v]) => n === "signature" ? [n, fx.ecdsa.request.headers.find(([m]) => m === "signature")[1]] : [n, v]) };
  await assert.rejects(verifyResponse(swapped, { signer, now: NOW }), code("signature_invalid"));
  await assert.rejects(verifyResponse(messages(fx.hmac), { signer, now: NOW + 301 }), code("clock_skew"));
  const wrong = Signer.hmac("key_4CkXtZ2vQm8rW1nP", "b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlciE");
  await assert.rejects(verifyResponse(messages(fx.hmac), { signer: wrong, now: NOW }), code("signature_invalid"));
});

test("a response that covers less than the profile is refused (component_missing)", async () => {
  const signer = Signer.hmac("key_x", fx.secret);
  const request = await signer.sign({ method: "GET", url: "https://h.example/api/notes/" });
  const body = utf8("[]");
  const key = await importSigningKey("hmac-sha256", fx.secret);
  const { signatureBase, signBytes, contentDigest } = await import("../src/index.js");
  const headers = [["content-digest", await contentDigest(body)]];
  const msg = responseMessage(200, headers, body, request.message);
  const comps = ["@status", "content-digest", '"@method";req'];
  const params = [["created", Math.floor(Date.now() / 1000)], ["keyid", "key_x"]];
  const base = signatureBase(msg, comps, params);
  const sig = await signBytes("hmac-sha256", key, utf8(base));
  const { serializeSignatureParams, parseComponent } = await import("../src/sf.js");
  msg.headers.push(["signature-input", "sig1=" + serializeSignatureParams(comps.map(parseComponent), params)],
    ["signature", `sig1=:${Buffer.from(sig).toString("base64")}:`]);
  await assert.rejects(verifyResponse(msg, { signer }), code("component_missing"));
});

test("a Retry-After must be covered: one added on the way is refused, a covered one verifies", async () => {
  const signer = Signer.hmac("key_4CkXtZ2vQm8rW1nP", fx.secret);
  // A real answer, with a wait an attacker added (an app would stop for a day).
  const added = messages(fx.hmac);
  added.headers.push(["retry-after", "86400"]);
  await assert.rejects(verifyResponse(added, { signer, now: NOW }), code("component_missing"));
  // The server covers a Retry-After it sends: that verifies, and a changed value does not.
  const { signatureBase, signBytes, contentDigest } = await import("../src/index.js");
  const { serializeSignatureParams, parseComponent } = await import("../src/sf.js");
  const request = await signer.sign({ method: "GET", url: "https://h.example/api/notes/" });
  const body = utf8('{"code":"throttled"}');
  const key = await importSigningKey("hmac-sha256", fx.secret);
  const msg = responseMessage(429, [["content-digest", await contentDigest(body)], ["retry-after", "30"]], body, request.message);
  const comps = ["@status", "content-digest", "retry-after", '"@method";req', '"@path";req', '"signature";req;key="sig1"'];
  const params = [["created", Math.floor(Date.now() / 1000)], ["keyid", "key_4CkXtZ2vQm8rW1nP"]];
  const sig = await signBytes("hmac-sha256", key, utf8(signatureBase(msg, comps, params)));
  msg.headers.push(["signature-input", "sig1=" + serializeSignatureParams(comps.map(parseComponent), params)],
    ["signature", `sig1=:${Buffer.from(sig).toString("base64")}:`]);
  const v = await verifyResponse(msg, { signer });
  assert.ok(v.components.includes('"retry-after"'));
  msg.headers = msg.headers.map(([n, val]) => (n === "retry-after" ? [n, "86400"] : [n, val]));
  await assert.rejects(verifyResponse(msg, { signer }), code("signature_invalid"));
});

test("ServerKeys fetches the JWKS once, again for an unknown kid, and not in a loop", async () => {
  let fetches = 0;
  const fetch = async () => { fetches++; return new Response(JSON.stringify(fx.jwks), { status: 200, headers: { "content-type": "application/json" } }); };
  const keys = new ServerKeys({ url: "https://h.example/.well-known/signed-api/keys", fetch, minRefresh: 10 });
  assert.ok(await keys.get("srv_test0000000000"));
  assert.equal(fetches, 1);
  assert.ok(await keys.get("srv_test0000000000"));
  assert.equal(fetches, 1, "cached");
  assert.equal(await keys.get("srv_unknown"), null);
  assert.equal(fetches, 1, "no refetch within minRefresh of the last fetch");
  const eager = new ServerKeys({ url: "https://h.example/k", fetch, minRefresh: 0 });
  assert.equal(await eager.get("srv_unknown"), null);
  assert.equal(fetches, 3, "the first load, then once more for the unknown kid");
  const failing = new ServerKeys({ url: "https://h.example/k", fetch: async () => new Response("no", { status: 503 }) });
  await assert.rejects(failing.get("srv_x"), (e) => e.code === "server_keys_unavailable" && e.status === 503);
  const down = new ServerKeys({ url: "https://h.example/k", fetch: async () => { throw new TypeError("network down"); } });
  await assert.rejects(down.get("srv_x"), (e) => e.code === "server_keys_unavailable");
  const garbage = new ServerKeys({ url: "https://h.example/k", fetch: async () => new Response("<html>", { status: 200 }) });
  await assert.rejects(garbage.get("srv_x"), (e) => e.code === "server_keys_unavailable");
});
