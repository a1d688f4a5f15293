import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ApiError, DeviceKey, LoginError, MemoryKeyStore, OHTTPError, SignatureError, SignedApiClient, Signer,
  UnverifiedRefusalError,
} from "../src/index.js";
import { FakeServer } from "./fake_server.js";

const SECRET = "c2lnbmVkLWFwaS1kb2NzLWV4YW1wbGUtc2VjcmV0ISE";

async function setup(options = {}) {
  const server = await new FakeServer().init();
  await server.addHmacKey("key_h", SECRET);
  const client = new SignedApiClient({ baseUrl: server.origin, fetch: server.fetch, keyStore: new MemoryKeyStore(), ...options });
  return { server, client };
}

for (const ohttp of [false, true]) {
  const via = ohttp ? "through OHTTP" : "in the clear";

  test(`an API key's requests are accepted and their answers verified (${via})`, async () => {
    const { server, client } = await setup({ auth: Signer.hmac("key_h", SECRET), ohttp });
    const created = await client.request("/api/notes/", { method: "POST", json: { text: "hi" } });
    assert.equal(created.status, 201);
    assert.deepEqual(created.verification, { verified: true, code: null, keyId: "key_h", algorithm: "hmac-sha256", detail: null, signed: true });
    assert.equal(created.viaOhttp, ohttp);
    assert.deepEqual(await client.json("/api/notes/?a=b%20c"), [{ id: 1, text: "hi" }]);
    if (ohttp) assert.ok(server.log.includes("  inner GET /api/notes/?a=b%20c"), server.log.join("\n"));
    else assert.ok(!server.log.some((l) => l.includes("ohttp")));
  });

  test(`login, a wrong and a right code, a device-bound session, its remember token, logout (${via})`, async () => {
    const store = new MemoryKeyStore();
    const { server, client } = await setup({ ohttp, keyStore: store });
    server.totp = true;
    const result = await client.login({ username: "alice", password: "pw", deviceKey: true, remember: true });
    assert.equal(result.status, "challenge");
    assert.ok(!JSON.stringify(result.challenge).includes(server.challenges.get(result.challenge.id).token), "the challenge token is not shown");
    await assert.rejects(client.verifyCode(result.challenge, "000000"),
      (e) => e instanceof LoginError && e.code === "otp_invalid" && e.attemptsRemaining === 2 && e.status === 401);
    assert.equal(result.challenge.attemptsRemaining, 2);
    const { session } = await client.verifyCode(result.challenge, "123456");
    const key = await client.deviceKey({ create: false });
    assert.ok(session.deviceBound);
    assert.equal(session.algorithm, "ecdsa-p256-sha256");
    assert.equal(session.keyThumbprint, key.thumbprint);
    assert.equal(client.auth, session.signer);
    assert.ok(!JSON.stringify(session).includes(session.rememberToken), "the remember token is not shown");
    assert.equal(await store.get("remember_token"), session.rememberToken);
    const answer = await client.request("/api/notes/");
    assert.equal(answer.verification.keyId, server.kid, "a bound session is answered by the server's key");
    // The remember token alone buys nothing; signed by the device key it gives a new session.
    await assert.rejects(new SignedApiClient({ baseUrl: server.origin, fetch: server.fetch, keyStore: new MemoryKeyStore() })
      .exchangeRememberToken({ token: session.rememberToken }), (e) => e.code === "device_signature_required");
    const other = await DeviceKey.generate();
    await assert.rejects(client.exchangeRememberToken({ deviceKey: other }), (e) => e.code === "device_signature_invalid");
    const woken = await client.exchangeRememberToken({ deviceKey: true });
    assert.ok(woken.session.deviceBound);
    assert.notEqual(woken.session.id, session.id);
    assert.equal(await store.get("remember_token"), woken.session.rememberToken);
    await client.logout();
    assert.equal(client.auth, null);
    assert.equal(await store.get("remember_token"), undefined);
    const refused = await client.request("/api/notes/", { signer: woken.session.signer, verifyResponses: "report" });
    assert.equal(refused.status, 401);
    assert.equal(refused.error().code, "unknown_key");
  });
}

test("a password login without a second factor is an hmac session; a bad password a LoginError", async () => {
  const { client } = await setup();
  await assert.rejects(client.login({ username: "alice", password: "nope" }), (e) => e instanceof LoginError && e.code === "invalid_credentials");
  const { session } = /** @type {any} */ (await client.login({ username: "alice", password: "pw" }));
  assert.equal(session.algorithm, "hmac-sha256");
  assert.ok(!session.deviceBound);
  assert.equal((await client.request("/api/notes/")).verification.keyId, session.id);
});

test("codePrompt answers the challenge in login, and asks again after a wrong code", async () => {
  const { server, client } = await setup();
  server.totp = true;
  const asked = [];
  const result = await client.login({ username: "alice", password: "pw", codePrompt: (c) => {
    asked.push(c.attemptsRemaining);
    return asked.length === 1 ? "999999" : "123456";
  } });
  assert.equal(result.status, "session");
  assert.deepEqual(asked, [null, 2]);
});

test("a server that does not bind the session to the device key is refused: not_device_bound", async () => {
  const { server, client } = await setup();
  server.misbehave = "unbound";
  await assert.rejects(client.login({ username: "alice", password: "pw", deviceKey: true }), (e) => e instanceof LoginError && e.code === "not_device_bound");
  assert.equal(client.auth, null);
});

test("verifyResponses: require throws for an unsigned or badly signed 2xx; report only reports", async () => {
  for (const misbehave of ["unsigned-ok", "bad-signature"]) {
    const { server, client } = await setup({ auth: Signer.hmac("key_h", SECRET) });
    server.misbehave = misbehave;
    await assert.rejects(client.request("/api/notes/"), (e) => e instanceof SignatureError
      && e.code === (misbehave === "unsigned-ok" ? "signature_missing" : "signature_invalid") && e.response.status === 200);
    const reported = await client.request("/api/notes/", { verifyResponses: "report" });
    assert.equal(reported.status, 200);
    assert.equal(reported.verification.verified, false);
  }
});

test("unsigned refusals: returned with their code under requireSignedRefusals false, thrown by default", async () => {
  const { server, client } = await setup({ auth: Signer.hmac("key_unknown", SECRET), requireSignedRefusals: false });
  server.signRefusals = false;
  const refused = await client.request("/api/notes/");
  assert.equal(refused.status, 401);
  assert.equal(refused.verification.code, "signature_missing");
  const error = refused.error();
  assert.ok(error instanceof ApiError);
  assert.equal(error.code, "unknown_key");
  await assert.rejects(client.json("/api/notes/"), (e) => e instanceof ApiError && e.code === "unknown_key" && e.status === 401);
  const strict = await setup({ auth: Signer.hmac("key_unknown", SECRET) });
  strict.server.signRefusals = false;
  await assert.rejects(strict.client.request("/api/notes/"), (e) => e instanceof UnverifiedRefusalError
    && e.code === "refusal_unverified" && e.claimedCode === "unknown_key" && e.status === 401);
});

test("a clock_skew refusal naming server_time: signed again on the server's clock, once", async () => {
  const { server, client } = await setup({ auth: Signer.hmac("key_h", SECRET) });
  server.clockOffset = 3600;
  const answer = await client.request("/api/notes/");
  assert.equal(answer.status, 200);
  assert.ok(answer.verification.verified);
  assert.ok(Math.abs(client.auth.clockOffset - 3600) < 5);
  assert.equal(server.log.filter((l) => l === "GET /api/notes/").length, 2);
  const stubborn = (await setup({ auth: Signer.hmac("key_h", SECRET), correctClock: false }));
  stubborn.server.clockOffset = 3600;
  assert.equal((await stubborn.client.request("/api/notes/", { verifyResponses: "report" })).status, 401);
});

test("OHTTP: a gateway that no longer knows the key makes the client fetch the configurations again, once", async () => {
  const { server, client } = await setup({ auth: Signer.hmac("key_h", SECRET), ohttp: true });
  server.rejectKeyOnce = true;
  assert.equal((await client.request("/api/notes/")).status, 200);
  assert.equal(server.log.filter((l) => l === "GET /.well-known/ohttp-gateway").length, 2);
  // Cached for its max-age afterwards.
  await client.request("/api/notes/");
  assert.equal(server.log.filter((l) => l === "GET /.well-known/ohttp-gateway").length, 2);
  const broken = (await setup({ auth: Signer.hmac("key_h", SECRET), ohttp: true, fetch: async () => new Response("no", { status: 503 }) })).client;
  await assert.rejects(broken.request("/api/notes/"), (e) => e instanceof OHTTPError && e.code === "gateway_refused" && e.status === 503);
});

test("OHTTP: configurations given out of band are never replaced: a key problem (a forged one from a TLS-ending proxy as much as a real one) is an ohttp_key error, nothing is fetched", async () => {
  const { decodeKeyConfigs } = await import("../src/index.js");
  const probe = await setup();
  const answer = await probe.server.fetch(`${probe.server.origin}/.well-known/ohttp-gateway`, { headers: { Accept: "application/ohttp-keys" } });
  const keyConfigs = decodeKeyConfigs(new Uint8Array(await answer.arrayBuffer()));
  const server = probe.server;
  server.log.length = 0;
  const client = new SignedApiClient({ baseUrl: server.origin, fetch: server.fetch, keyStore: new MemoryKeyStore(),
    auth: Signer.hmac("key_h", SECRET), ohttp: { keyConfigs } });
  assert.equal((await client.request("/api/notes/")).status, 200);
  server.rejectKeyOnce = true;
  await assert.rejects(client.request("/api/notes/", { method: "POST", json: { text: "secret" } }),
    (e) => e instanceof OHTTPError && e.code === "ohttp_key" && e.status === 400 && /out of band/.test(e.message));
  assert.equal(server.log.filter((l) => l === "GET /.well-known/ohttp-gateway").length, 0);
  assert.equal((await client.request("/api/notes/")).status, 200);
});

test("signed refusals (issue 14): a genuine one verifies by the JWKS; a forged, changed or replayed one is UnverifiedRefusalError", async () => {
  const { ServerKeys } = await import("../src/index.js");
  const { server, client } = await setup({ auth: Signer.hmac("key_unknown", SECRET), requireSignedRefusals: true });
  server.signRefusals = true;
  const genuine = await client.request("/api/notes/");
  assert.equal(genuine.status, 401);
  assert.equal(genuine.verification.verified, true);
  assert.equal(genuine.verification.keyId, server.kid);
  assert.equal(genuine.error().code, "unknown_key");
  // A login refused with a signed answer is the server's LoginError.
  await assert.rejects(client.login({ username: "alice", password: "wrong" }), (e) => e instanceof LoginError && e.code === "invalid_credentials");
  // Forged: unsigned, or changed on the way, or another request's signed refusal.
  // (The JWKS passes unchanged: a client that cannot trust it pins it, ServerKeys({ jwks }).)
  const forge = (change) => async (input, init) => (String(input).includes("signed-api/keys")
    ? server.fetch(input, init) : change(await server.fetch(input, init)));
  const strip = forge(async (r) => { const h = new Headers(r.headers); h.delete("signature"); h.delete("signature-input"); return new Response(await r.arrayBuffer(), { status: r.status, headers: h }); });
  const rewrite = forge(async (r) => new Response(JSON.stringify({ detail: "x", code: "key_revoked" }), { status: r.status, headers: r.headers }));
  for (const [fetch, why] of [[strip, "signature_missing"], [rewrite, "digest_mismatch"]]) {
    const c = new SignedApiClient({ baseUrl: server.origin, fetch, auth: Signer.hmac("key_unknown", SECRET), requireSignedRefusals: true, keyStore: new MemoryKeyStore() });
    const error = await c.request("/api/notes/").then(() => null, (e) => e);
    assert.ok(error instanceof UnverifiedRefusalError && error.code === "refusal_unverified", why);
    assert.equal(error.verification.code, why);
    assert.equal(error.reason, why);
    await assert.rejects(c.login({ username: "alice", password: "wrong" }), (e) => e instanceof UnverifiedRefusalError, `login ${why}`);
  }
  let captured = null;
  const capture = async (input, init) => { const r = await server.fetch(input, init); if (!String(input).includes("/api/notes/")) return r; captured = { body: await r.clone().arrayBuffer(), headers: r.headers, status: r.status }; return r; };
  await new SignedApiClient({ baseUrl: server.origin, fetch: capture, auth: Signer.hmac("key_unknown", SECRET), keyStore: new MemoryKeyStore() }).request("/api/notes/");
  const replay = async () => new Response(captured.body, { status: captured.status, headers: captured.headers });
  const victim = new SignedApiClient({ baseUrl: server.origin, fetch: async (i, o) => (String(i).includes("signed-api/keys") ? server.fetch(i, o) : replay()),
    auth: Signer.hmac("key_h", SECRET), requireSignedRefusals: true, keyStore: new MemoryKeyStore() });
  await assert.rejects(victim.request("/api/notes/"), (e) => e instanceof UnverifiedRefusalError && e.verification.code === "signature_invalid");
  // A new server key (an unknown kid): the JWKS is fetched again and the refusal verifies.
  const keys = new ServerKeys({ url: `${server.origin}/.well-known/signed-api/keys`, fetch: server.fetch, minRefresh: 0 });
  const fresh = new SignedApiClient({ baseUrl: server.origin, fetch: server.fetch, auth: Signer.hmac("key_unknown", SECRET), requireSignedRefusals: true, serverKeys: keys, keyStore: new MemoryKeyStore() });
  await fresh.request("/api/notes/");
  await server.rotate();
  const after = await fresh.request("/api/notes/");
  assert.equal(after.verification.keyId, server.kid);
  assert.equal(keys.fetches, 2);
});

test("a given fetch is called as a plain function (a browser's fetch refuses another this)", async () => {
  const server = await new FakeServer().init();
  await server.addHmacKey("key_h", SECRET);
  const strictFetch = function (input, init) {
    if (this !== undefined && this !== globalThis) throw new TypeError("Illegal invocation");
    return server.fetch(input, init);
  };
  const client = new SignedApiClient({ baseUrl: server.origin, fetch: strictFetch, auth: Signer.hmac("key_h", SECRET), keyStore: new MemoryKeyStore() });
  assert.equal((await client.request("/api/notes/")).status, 200);
});

test("OHTTP padding: every inner request a multiple of the padding; a relay gets the posts", async () => {
  const server = await new FakeServer().init();
  await server.addHmacKey("key_h", SECRET);
  const sizes = [];
  const fetch = async (input, init = {}) => {
    if (String(input).startsWith("https://relay.example/")) {
      sizes.push(init.body.length);
      return server.fetch(`${server.origin}/.well-known/ohttp-gateway`, init);
    }
    return server.fetch(input, init);
  };
  const client = new SignedApiClient({ baseUrl: server.origin, fetch, auth: Signer.hmac("key_h", SECRET), keyStore: new MemoryKeyStore(),
    ohttp: { padding: 256, relayUrl: "https://relay.example/ohttp" } });
  for (const text of ["a", "a much longer note ".repeat(5)]) {
    assert.equal((await client.request("/api/notes/", { method: "POST", json: { text } })).status, 201);
  }
  // header (7) + enc (32) + AEAD tag (16) around inner requests padded to 512 bytes: a short
  // note and a longer one look the same on the wire.
  assert.deepEqual(sizes, [512 + 55, 512 + 55]);
  assert.equal(server.notes.length, 2);
});

test("requireSignedAnswers: a login's answer signed by the server key passes; stripped, it throws", async () => {
  const { server, client } = await setup({ requireSignedAnswers: true });
  server.signAnswers = true;
  const result = await client.login({ username: "alice", password: "pw" });
  assert.equal(result.status, "session");
  await assert.rejects(client.login({ username: "alice", password: "wrong" }), (e) => e instanceof LoginError && e.code === "invalid_credentials");
  const strip = async (input, init) => {
    const r = await server.fetch(input, init);
    if (String(input).includes("signed-api/keys")) return r;
    const h = new Headers(r.headers);
    h.delete("signature");
    return new Response(await r.arrayBuffer(), { status: r.status, headers: h });
  };
  const c = new SignedApiClient({ baseUrl: server.origin, fetch: strip, requireSignedAnswers: true, keyStore: new MemoryKeyStore() });
  await assert.rejects(c.login({ username: "alice", password: "pw" }), (e) => e instanceof SignatureError && e.code === "signature_missing");
  await assert.rejects(c.login({ username: "alice", password: "wrong" }), (e) => e instanceof UnverifiedRefusalError);
  // Without the option the same stripped login goes through (today's servers sign no login answer).
  const lax = new SignedApiClient({ baseUrl: server.origin, fetch: strip, keyStore: new MemoryKeyStore() });
  assert.equal((await lax.login({ username: "alice", password: "pw" })).status, "session");
});

test("requireSignedRefusals: server_time is believed only from a clock_skew refusal that verifies", async () => {
  const { server, client } = await setup({ auth: Signer.hmac("key_h", SECRET), requireSignedRefusals: true });
  server.signRefusals = true;
  server.clockOffset = 3600;
  assert.equal((await client.request("/api/notes/")).status, 200);
  assert.ok(Math.abs(client.auth.clockOffset - 3600) < 5);
  const forged = async (input, init) => {
    const r = await server.fetch(input, init);
    if (r.status !== 401) return r;
    const h = new Headers(r.headers);
    h.delete("signature");
    return new Response(await r.arrayBuffer(), { status: 401, headers: h });
  };
  const signer = Signer.hmac("key_h", SECRET);
  const c = new SignedApiClient({ baseUrl: server.origin, fetch: forged, auth: signer, requireSignedRefusals: true, keyStore: new MemoryKeyStore() });
  await assert.rejects(c.request("/api/notes/"), (e) => e instanceof UnverifiedRefusalError && e.claimedCode === "clock_skew");
  assert.equal(signer.clockOffset, 0, "a forged server_time moves nothing");
});
