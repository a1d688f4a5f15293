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

/** Runs `body` with Date.now() on a clock the test moves (`clock.now`, in seconds). */
async function withClock(body) {
  const realNow = Date.now;
  const clock = { now: 1_700_000_000 };
  Date.now = () => clock.now * 1000;
  try {
    return await body(clock);
  } finally {
    Date.now = realNow;
  }
}

for (const [failure, answer] of [
  ["unreachable", async () => { throw new TypeError("fetch failed"); }],
  ["not-json", async () => new Response("<html>a proxy's page</html>", { status: 200, headers: { "content-type": "text/html" } })],
  ["503", async () => new Response("no", { status: 503 })],
]) {
  test(`forged kids cannot make ServerKeys fetch the JWKS on every response (${failure})`, () => withClock(async (clock) => {
    // On the path: the JWKS fetch fails, then refusals each name a fresh, unknown kid. The
    // JWKS is fetched at most every minRefresh seconds, counted from the last attempt.
    let fetches = 0;
    const fetch = async () => { fetches++; return answer(); };
    const keys = new ServerKeys({ url: "https://h.example/.well-known/signed-api/keys", fetch, minRefresh: 60 });
    for (let i = 0; i < 5; i++) {
      await assert.rejects(keys.get(`srv_forged_${i}`), (e) => e.code === "server_keys_unavailable");
      clock.now += 1;
    }
    assert.equal(fetches, 1, `${fetches} JWKS fetches for 5 forged kids within minRefresh`);
    assert.equal(keys.fetches, 1);
    clock.now += 60; // minRefresh after the last attempt: one more is allowed
    await assert.rejects(keys.get("srv_forged_5"), (e) => e.code === "server_keys_unavailable");
    assert.equal(fetches, 2);
  }));
}

test("ServerKeys: concurrent first uses share one fetch, and a JWKS that comes back is used", () => withClock(async (clock) => {
  let fetches = 0;
  let up = false;
  const fetch = async () => {
    fetches++;
    if (!up) throw new TypeError("fetch failed");
    return new Response(JSON.stringify(fx.jwks), { status: 200, headers: { "content-type": "application/json" } });
  };
  const keys = new ServerKeys({ url: "https://h.example/k", fetch, minRefresh: 10 });
  const all = await Promise.allSettled([keys.get("srv_test0000000000"), keys.get("srv_test0000000000")]);
  assert.deepEqual(all.map((r) => r.status), ["rejected", "rejected"]);
  assert.equal(fetches, 1, "one fetch for both");
  up = true;
  await assert.rejects(keys.get("srv_test0000000000"), (e) => e.code === "server_keys_unavailable");
  assert.equal(fetches, 1, "not due yet");
  clock.now += 10;
  const both = await Promise.all([keys.get("srv_test0000000000"), keys.get("srv_test0000000000")]);
  assert.ok(both[0] && both[1]);
  assert.equal(fetches, 2);
}));

test("ServerKeys: a legitimate rotation (a new kid after minRefresh) is fetched and verifies", () => withClock(async (clock) => {
  // The server's JWKS: first its current key, then (a new master key) a new kid first.
  const [oldKid] = fx.jwks.keys.map((k) => k.kid);
  const pair = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]));
  const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
  const rotated = { keys: [{ kty: "OKP", crv: "Ed25519", x: jwk.x, kid: "srv_rotated000000", alg: "EdDSA", use: "sig" }, ...fx.jwks.keys] };
  let served = fx.jwks;
  let fetches = 0;
  const fetch = async () => { fetches++; return new Response(JSON.stringify(served), { status: 200, headers: { "content-type": "application/json" } }); };
  const keys = new ServerKeys({ url: "https://h.example/k", fetch, minRefresh: 10 });
  assert.ok(await keys.get(oldKid));
  served = rotated;
  clock.now += 3;
  assert.equal(await keys.get("srv_rotated000000"), null, "within minRefresh: not fetched again");
  assert.equal(fetches, 1);
  clock.now += 10;
  const key = await keys.get("srv_rotated000000");
  assert.ok(key, "the new kid, fetched once minRefresh has passed");
  assert.equal(fetches, 2);
  const data = utf8("a refusal's signature base");
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, data);
  assert.ok(await crypto.subtle.verify({ name: "Ed25519" }, key, signature, data));
  assert.ok(await keys.get(oldKid), "the old key is still held");
  assert.equal(fetches, 2);
}));

test("ServerKeys: a JWKS given without a URL is pinned and never gets too old to use", () => withClock(async (clock) => {
  const pinned = new ServerKeys({ jwks: fx.jwks, maxAge: 60 });
  assert.ok(await pinned.get("srv_test0000000000"));
  clock.now += 7 * 24 * 3600; // a week later: a fetched JWKS would be fetched again by now
  assert.ok(await pinned.get("srv_test0000000000"));
  assert.equal(pinned.fetches, 0);
  await assert.rejects(pinned.get("srv_unknown"), (e) => e.code === "unknown_key");
}));
