// Interoperability with a live signed_api server (run by tests/integration/test_js_interop.py):
// this package signs with every algorithm, logs in with TOTP, a recovery code, a device-bound
// key and a remember token, in the clear and through Oblivious HTTP, and verifies every
// response's signature. The server must accept the requests; Node must verify the answers.
//
//   node clients/js/interop/interop.mjs CONFIG.json
//
// CONFIG: {"baseUrl", "username", "password", "keys": [{"keyId", "algorithm", "secret" | "privatePem"}]}.
// Prints one JSON line per check; exits 1 at the first failure.
import { readFileSync } from "node:fs";
import {
  DeviceKey, LoginError, MemoryKeyStore, SignedApiClient, Signer, ed25519Supported,
} from "../src/index.js";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const results = [];

function check(name, condition, detail = {}) {
  const line = { check: name, ok: !!condition, ...detail };
  results.push(line);
  console.log(JSON.stringify(line));
  if (!condition) {
    console.error(`FAILED: ${name} ${JSON.stringify(detail)}`);
    process.exit(1);
  }
}

function client(options = {}) {
  return new SignedApiClient({ baseUrl: config.baseUrl, keyStore: new MemoryKeyStore(), ...options });
}

/** A note posted and listed with `c` (via its transport), every response verified. */
async function notesRoundTrip(c, label, expectKeyId) {
  const text = `from node: ${label} ${Math.random().toString(36).slice(2)}`;
  const created = await c.request("/api/notes/", { method: "POST", json: { text } });
  check(`${label}: POST accepted`, created.status === 201, { status: created.status, body: await created.text() });
  const v = created.verification;
  check(`${label}: POST response verified`, v.verified, { verification: v });
  if (expectKeyId) check(`${label}: signed by the expected key`, expectKeyId(v.keyId), { keyId: v.keyId, algorithm: v.algorithm });
  check(`${label}: transport`, created.viaOhttp === !!c.ohttp);
  const listed = await c.request("/api/notes/?page=1&q=a%20b");
  check(`${label}: GET with a query accepted and verified`, listed.status === 200 && listed.verification.verified,
    { status: listed.status, verification: listed.verification });
  const notes = await listed.json();
  const items = Array.isArray(notes) ? notes : notes.results;
  check(`${label}: the note is listed`, items.some((n) => n.text === text));
  return text;
}

// -- TOTP (RFC 6238), for the test only ---------------------------------------------------------
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0, value = 0;
  const out = [];
  for (const ch of text.replace(/=+$/, "").toUpperCase()) {
    value = (value << 5) | alphabet.indexOf(ch);
    bits += 5;
    if (bits >= 8) { bits -= 8; out.push((value >> bits) & 0xff); }
  }
  return Uint8Array.from(out);
}

async function totpAt(uri, step) {
  const params = new URL(uri).searchParams;
  const key = await crypto.subtle.importKey("raw", base32Decode(params.get("secret")), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const counter = new Uint8Array(8);
  new DataView(counter.buffer).setBigUint64(0, BigInt(step));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter));
  const offset = mac[19] & 0xf;
  const number = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(number % 10 ** 6).padStart(6, "0");
}
const stepNow = () => Math.floor(Date.now() / 1000 / 30);

// -- 1. API keys of every algorithm, in the clear and through the gateway -----------------------
const hasEd25519 = await ed25519Supported();
check("runtime", true, { node: process.version, ed25519: hasEd25519 });
for (const key of config.keys) {
  if (key.algorithm === "ed25519" && !hasEd25519) continue;
  const signer = new Signer({ keyId: key.keyId, algorithm: key.algorithm, key: key.secret ?? key.privatePem });
  const byKey = key.algorithm === "hmac-sha256" ? (id) => id === key.keyId : (id) => /^srv_/.test(id);
  await notesRoundTrip(client({ auth: signer }), `${key.algorithm} key in the clear`, byKey);
  await notesRoundTrip(client({ auth: signer, ohttp: true }), `${key.algorithm} key through OHTTP`, byKey);
}

// The server checks what it is given: a body changed after signing is refused with its code.
{
  const key = config.keys.find((k) => k.algorithm === "hmac-sha256");
  const signer = new Signer({ keyId: key.keyId, key: key.secret });
  const changing = async (input, init) => globalThis.fetch(input, init.body ? { ...init, body: new TextEncoder().encode('{"text":"changed"}') } : init);
  const c = client({ auth: signer, fetch: changing, verifyResponses: "report" });
  const refused = await c.request("/api/notes/", { method: "POST", json: { text: "original" } });
  const body = await refused.json();
  check("a body changed after signing is refused", refused.status === 401 && body.code === "digest_mismatch", { status: refused.status, code: body.code });
  // The server signs its refusals with its own key (docs/protocol.md): this one verifies.
  check("a signed refusal verifies by the server key", refused.verification.verified
    && /^srv_/.test(refused.verification.keyId), { verification: refused.verification });
  const strictRefusals = client({ auth: signer, fetch: changing, requireSignedRefusals: true });
  const again = await strictRefusals.request("/api/notes/", { method: "POST", json: { text: "original" } });
  check("under requireSignedRefusals the genuine refusal is returned, not thrown", again.status === 401 && again.verification.verified);
  const error = refused.error();
  check("the refusal is an ApiError with the server's code", error && error.code === "digest_mismatch" && error.status === 401);
  // A response changed on the way does not verify in Node.
  const tampering = async (input, init) => {
    const r = await globalThis.fetch(input, init);
    const bytes = new Uint8Array(await r.arrayBuffer());
    return new Response(new Uint8Array([...bytes, 0x20]), { status: r.status, headers: r.headers });
  };
  const t = client({ auth: signer, fetch: tampering, verifyResponses: "report" });
  const changed = await t.request("/api/notes/");
  check("a response changed on the way does not verify", changed.status === 200 && !changed.verification.verified
    && changed.verification.code === "digest_mismatch", { verification: changed.verification });
  const strict = client({ auth: signer, fetch: tampering });
  let thrown = null;
  try { await strict.request("/api/notes/"); } catch (e) { thrown = e; }
  check("…and under verifyResponses=require it throws", thrown && thrown.code === "digest_mismatch", { error: String(thrown) });
}

// A clock 1000 s behind: the server's clock_skew names its time, the client signs again on it.
{
  const key = config.keys.find((k) => k.algorithm === "hmac-sha256");
  const late = new Signer({ keyId: key.keyId, key: key.secret, clockOffset: -1000 });
  const sent = [];
  const counting = async (input, init) => { sent.push(String(input)); return globalThis.fetch(input, init); };
  const answer = await client({ auth: late, fetch: counting }).request("/api/notes/");
  check("a skewed clock is corrected from server_time and the request succeeds", answer.status === 200
    && answer.verification.verified && Math.abs(late.clockOffset) < 5 && sent.filter((u) => u.endsWith("/api/notes/")).length === 2,
    { status: answer.status, offset: late.clockOffset, sent: sent.length });
}

// -- 2. A password login (hmac session), enrolling TOTP ----------------------------------------
const plain = client();
const first = await plain.login({ username: config.username, password: config.password });
check("password login: 201, an hmac session", first.status === "session" && first.session.algorithm === "hmac-sha256" && !first.session.deviceBound);
await notesRoundTrip(plain, "hmac session", (id) => id === first.session.id);
check("the session is listed", (await plain.sessions()).some((s) => s.id === first.session.id));
const started = await plain.totpEnable();
check("TOTP enrolment started", typeof started.otpauth_uri === "string");
const confirmStep = stepNow();
const recoveryCodes = await plain.totpConfirm(await totpAt(started.otpauth_uri, confirmStep));
check("TOTP confirmed, recovery codes shown", recoveryCodes.length >= 8);
check("logging out the other sessions answers a count", Number.isInteger(await plain.logoutOthers()));
await plain.logout();
const after = await plain.request("/api/notes/", { signer: first.session.signer, verifyResponses: "report" });
check("a logged-out session is refused", after.status === 401, { status: after.status });
check("…and that refusal verifies", after.verification.verified, { verification: after.verification });
{
  // The answer to a login (an unsigned request): signed by the server key where the server signs every answer.
  const probe = await client({ verifyResponses: "report" }).request(plain.authUrl("sessions/"), {
    method: "POST", json: { username: config.username, password: "not the password" }, signed: false });
  check("a refused login's answer verifies by the server key", probe.status === 401 && probe.verification.verified,
    { status: probe.status, verification: probe.verification });
}

// -- 3. A second-factor login, device-bound (ECDSA P-256), with a remember token ------------------
const store = new MemoryKeyStore();
const device = client({ keyStore: store });
const pending = await device.login({ username: config.username, password: config.password, deviceKey: true, remember: true, deviceName: "node interop" });
check("a second factor is due: 202 challenge", pending.status === "challenge" && pending.challenge.methods.includes("totp"), { result: pending.status });
let wrong = null;
try {
  await device.verifyCode(pending.challenge, "000000" === (await totpAt(started.otpauth_uri, stepNow())) ? "111111" : "000000");
} catch (e) { wrong = e; }
check("a wrong code: LoginError otp_invalid with attempts left", wrong instanceof LoginError && wrong.code === "otp_invalid" && wrong.attemptsRemaining > 0, { code: wrong && wrong.code, left: wrong && wrong.attemptsRemaining });
const code = await totpAt(started.otpauth_uri, Math.max(stepNow(), confirmStep + 1));
const bound = await device.verifyCode(pending.challenge, code);
const deviceKey = await device.deviceKey({ create: false });
check("TOTP accepted: a session bound to the device key", bound.session.deviceBound && bound.session.algorithm === "ecdsa-p256-sha256"
  && bound.session.keyThumbprint === deviceKey.thumbprint && deviceKey.keyPair.privateKey.extractable === false);
check("the remember token is kept with the device key", typeof (await store.get("remember_token")) === "string");
await notesRoundTrip(device, "device-bound ECDSA session in the clear", (id) => /^srv_/.test(id));
const deviceOhttp = client({ keyStore: store, ohttp: true, auth: bound.session.signer });
await notesRoundTrip(deviceOhttp, "device-bound ECDSA session through OHTTP", (id) => /^srv_/.test(id));
const woken = await client({ keyStore: store }).exchangeRememberToken({ deviceKey: true });
check("the remember token, signed by the device key, gives a new bound session",
  woken.session.deviceBound && woken.session.id !== bound.session.id && woken.session.keyThumbprint === deviceKey.thumbprint);
const unsignedTry = await client({ keyStore: new MemoryKeyStore() }).exchangeRememberToken({ token: woken.session.rememberToken }).catch((e) => e);
check("the same token without the device's signature is refused", unsignedTry instanceof LoginError && unsignedTry.code === "device_signature_required", { code: unsignedTry.code });
const wokenClient = client({ keyStore: store, auth: woken.session.signer });
await notesRoundTrip(wokenClient, "remembered session", (id) => /^srv_/.test(id));
await wokenClient.logout(woken.session);
// Logging out ends the remember family, and with it every session the family gave.
const ended = await device.request("/api/notes/", { verifyResponses: "report" });
check("logging out ended the remember family's sessions", ended.status === 401, { status: ended.status, code: ended.error()?.code });

// -- 4. Through OHTTP end to end: a recovery code, an Ed25519 device key --------------------------
if (hasEd25519) {
  const edKey = await DeviceKey.generate("ed25519");
  const o = client({ ohttp: true, requireSignedAnswers: true });
  const p = await o.login({ username: config.username, password: config.password, deviceKey: edKey });
  check("OHTTP login: 202 (every answer signed and verified: requireSignedAnswers)", p.status === "challenge");
  const s = await o.verifyCode(p.challenge, recoveryCodes[0]);
  check("a recovery code through OHTTP: an Ed25519-bound session", s.session.deviceBound && s.session.algorithm === "ed25519");
  await notesRoundTrip(o, "device-bound Ed25519 session through OHTTP", (id) => /^srv_/.test(id));
  await o.logout();
}

// -- 5. The JWKS: fetched once per client, by kid -------------------------------------------------
check("the JWKS was fetched and holds the key that signed", device.serverKeys.fetches >= 1 && device.serverKeys.kids().some((k) => /^srv_/.test(k)),
  { fetches: device.serverKeys.fetches, kids: device.serverKeys.kids() });
console.log(JSON.stringify({ done: true, checks: results.length }));
