// A small signed_api stand-in for the client tests (no network): it verifies requests with the
// package's verifier under the server's profile, signs its answers as the server's middleware
// does (test/vectors/server_responses.json checks that shape against the real core), and plays
// the login, second-factor, remember-token and Oblivious HTTP gateway parts the client drives.
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import {
  ClientContext, contentDigest, decodeBinaryRequest, decodeKeyConfig, encodeBinaryResponse, importVerifyingKey,
  jwkThumbprint, requestMessage, responseMessage, signatureBase, signBytes, verifyMessage, SignatureError,
} from "../src/index.js";
import { base64Encode, base64UrlEncode, concat, fromUtf8, hexDecode, randomBytes, utf8 } from "../src/bytes.js";
import { parseComponent, serializeSignatureParams } from "../src/sf.js";
import { repoVector } from "./helpers.js";

const A = repoVector("ohttp_rfc9458_appendix_a.json");
const PROFILE = { requiredComponents: ["@method", "@authority", "@path", "@query"], requiredParams: ["keyid", "created", "nonce"], requireDigestForBody: true };
const RESPONSE_COMPONENTS = ['"@status"', '"content-type"', '"content-digest"', '"@method";req', '"@path";req', '"signature";req;key="sig1"'];

export class FakeServer {
  constructor() {
    this.origin = "https://api.example.test";
    /** keyId -> { algorithm, key } */
    this.keys = new Map();
    this.nonces = new Set();
    this.notes = [];
    this.log = [];
    this.password = "pw";
    this.totp = false;
    this.code = "123456";
    this.attempts = 3;
    this.challenges = new Map();
    this.families = new Map(); // remember token -> { thumbprint, jwk, algorithm }
    this.misbehave = null; // "unbound" | "unsigned-ok" | "bad-signature"
    this.clockOffset = 0;
    this.rejectKeyOnce = false;
    this.signRefusals = true; // sign 4xx answers with the server key, as the server does (issue 14)
    this.signAnswers = false; // and every other answer not signed by the request's key
    this.fetch = this.fetch.bind(this);
  }

  async init() {
    await this.rotate();
    return this;
  }

  /** A new server key, first in the JWKS (a new master key). */
  async rotate() {
    this.serverKey = /** @type {CryptoKeyPair} */ (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]));
    const jwk = await crypto.subtle.exportKey("jwk", this.serverKey.publicKey);
    this.kid = "srv_fake" + Math.random().toString(16).slice(2, 14);
    this.jwks = { keys: [{ kty: "OKP", crv: "Ed25519", x: jwk.x, kid: this.kid, alg: "EdDSA", use: "sig" }, ...(this.jwks ? this.jwks.keys : [])] };
  }

  /** A refusal signed by the server key as issue 14's server signs it: @status, content-type,
   * content-digest, the request's @method and @path, and each member of its signature. */
  async signRefusal(answer, request) {
    if (answer.headers.some(([n]) => n === "signature")) return answer;
    if (!(this.signAnswers || (this.signRefusals && answer.status >= 400))) return answer;
    const headers = [["content-type", "application/json"], ["content-digest", await contentDigest(answer.body)]];
    const message = responseMessage(answer.status, headers, answer.body, request);
    const comps = ['"@status"', '"content-type"', '"content-digest"', '"@method";req', '"@path";req'];
    if (request.headers.some(([n]) => n === "signature-input")) comps.push('"signature";req;key="sig1"');
    const parsed = comps.map(parseComponent);
    const params = [["created", Math.floor(this.now())], ["keyid", this.kid], ["alg", "ed25519"]];
    const sig = await signBytes("ed25519", this.serverKey.privateKey, utf8(signatureBase(message, parsed, params)));
    return { ...answer, headers: [...headers, ["signature-input", "sig1=" + serializeSignatureParams(parsed, params)], ["signature", `sig1=:${base64Encode(sig)}:`]] };
  }

  async addHmacKey(keyId, secret) {
    this.keys.set(keyId, { algorithm: "hmac-sha256", key: await importVerifyingKey("hmac-sha256", secret) });
  }

  now() {
    return Date.now() / 1000 + this.clockOffset;
  }

  json(status, data, extra = []) {
    return { status, headers: [["content-type", "application/json"], ...extra], body: utf8(JSON.stringify(data)) };
  }

  /** The fetch function the client is given. */
  async fetch(input, init = {}) {
    const url = new URL(typeof input === "string" ? input : input.url);
    const method = (init.method || "GET").toUpperCase();
    const headers = [];
    new Headers(init.headers || {}).forEach((v, n) => headers.push([n, v]));
    const body = init.body ? new Uint8Array(init.body instanceof ArrayBuffer ? init.body : init.body.buffer ? init.body : utf8(String(init.body))) : new Uint8Array(0);
    this.log.push(`${method} ${url.pathname}`);
    if (url.pathname === "/.well-known/ohttp-gateway") return this.gateway(method, headers, body);
    const message = requestMessage(method, url.href, headers, body);
    const answer = await this.signRefusal(await this.handle(method, url.href, headers, body), message);
    return new Response(answer.status === 204 ? null : answer.body, { status: answer.status, headers: answer.headers });
  }

  async gateway(method, headers, body) {
    const config = hexDecode(A.key_config);
    if (method === "GET") {
      return new Response(concat(Uint8Array.of(0, config.length), config), { status: 200, headers: { "content-type": "application/ohttp-keys", "cache-control": "max-age=60" } });
    }
    if (this.rejectKeyOnce) {
      this.rejectKeyOnce = false;
    this.signRefusals = true; // sign 4xx answers with the server key, as the server does (issue 14)
    this.signAnswers = false; // and every other answer not signed by the request's key
      return new Response(JSON.stringify({ type: "https://iana.org/assignments/http-problem-types#ohttp-key", title: "unknown key" }),
        { status: 400, headers: { "content-type": "application/problem+json" } });
    }
    const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
    const recipientKey = await suite.kem.deserializePrivateKey(hexDecode(A.gateway_private_key).buffer);
    const header = body.slice(0, 7);
    const enc = body.slice(7, 39);
    const info = concat(utf8("message/bhttp request"), Uint8Array.of(0), header);
    const recipient = await suite.createRecipientContext({ recipientKey, enc: enc.buffer, info: info.buffer });
    const inner = decodeBinaryRequest(new Uint8Array(await recipient.open(body.slice(39).buffer)));
    const secret = new Uint8Array(await recipient.export(utf8("message/bhttp response").buffer, 16));
    this.log.push(`  inner ${inner.method} ${inner.path}`);
    const innerUrl = `${inner.scheme}://${inner.authority}${inner.path}`;
    const answer = await this.signRefusal(await this.handle(inner.method, innerUrl, inner.headers, inner.content),
      requestMessage(inner.method, innerUrl, inner.headers, inner.content));
    const plain = encodeBinaryResponse({ status: answer.status, headers: answer.headers, content: answer.body });
    const sealed = await new ClientContext(decodeKeyConfig(config).keyId, 1, enc, secret).encapsulateResponse(plain);
    return new Response(sealed, { status: 200, headers: { "content-type": "message/ohttp-res" } });
  }

  async handle(method, url, headers, body) {
    const message = requestMessage(method, url, headers, body);
    const path = new URL(url).pathname;
    if (path === "/.well-known/signed-api/keys") return this.json(200, this.jwks);
    if (path === "/api/auth/sessions/" && method === "POST") return this.login(message, JSON.parse(fromUtf8(body)));
    const verify = /^\/api\/auth\/sessions\/(chl_\w+)\/verify\/$/.exec(path);
    if (verify && method === "POST") return this.verifyCode(verify[1], JSON.parse(fromUtf8(body)));
    // Everything else is signed.
    let verified;
    try {
      verified = await this.verifyRequest(message);
    } catch (e) {
      if (!(e instanceof SignatureError)) throw e;
      const data = { detail: e.message, code: e.code };
      if (e.code === "clock_skew") data.server_time = Math.floor(this.now());
      return this.json(401, data, [["www-authenticate", "Signature"]]);
    }
    let answer;
    const del = /^\/api\/auth\/sessions\/(ses_\w+)\/$/.exec(path);
    if (del && method === "DELETE") {
      this.keys.delete(del[1]);
      answer = { status: 204, headers: [], body: new Uint8Array(0) };
    } else if (path === "/api/notes/" && method === "POST") {
      const note = { id: this.notes.length + 1, text: JSON.parse(fromUtf8(body)).text };
      this.notes.push(note);
      answer = this.json(201, note);
    } else if (path === "/api/notes/") {
      answer = this.json(200, this.notes);
    } else {
      answer = this.json(404, { detail: "Not found.", code: "not_found" });
    }
    return this.signResponse(answer, message, verified);
  }

  async verifyRequest(message) {
    const resolve = async (keyId) => {
      const entry = this.keys.get(keyId);
      if (!entry) throw new SignatureError("unknown_key", keyId);
      return entry;
    };
    const v = await verifyMessage(message, resolve, PROFILE, { now: this.now() });
    const nonce = `${v.keyId} ${v.params.get("nonce")}`;
    if (this.nonces.has(nonce)) throw new SignatureError("nonce_replayed", "seen");
    this.nonces.add(nonce);
    return v;
  }

  async signResponse(answer, request, verified) {
    if (this.misbehave === "unsigned-ok") return answer;
    const entry = this.keys.get(verified.keyId) || { algorithm: "ed25519" };
    const hmac = entry.algorithm === "hmac-sha256";
    const headers = [...answer.headers.filter(([n]) => n === "content-type"), ["content-digest", await contentDigest(answer.body)]];
    const message = responseMessage(answer.status, headers, answer.body, request);
    const comps = RESPONSE_COMPONENTS.filter((c) => c !== '"content-type"' || headers.some(([n]) => n === "content-type")).map(parseComponent);
    const params = [["created", Math.floor(this.now())], ["keyid", hmac ? verified.keyId : this.kid]];
    if (!hmac) params.push(["alg", "ed25519"]);
    const base = signatureBase(message, comps, params);
    const sig = hmac ? await signBytes("hmac-sha256", entry.key, utf8(base)) : await signBytes("ed25519", this.serverKey.privateKey, utf8(base));
    if (this.misbehave === "bad-signature") sig[0] ^= 1;
    return { ...answer, headers: [...headers, ["signature-input", "sig1=" + serializeSignatureParams(comps, params)], ["signature", `sig1=:${base64Encode(sig)}:`]] };
  }

  async newSession(binding) {
    const id = "ses_" + base64UrlEncode(randomBytes(9)).replace(/[-_]/g, "x");
    const data = { id, expires_at: "2030-01-01T00:00:00Z", idle_timeout: 3600 };
    if (binding && this.misbehave !== "unbound") {
      this.keys.set(id, { algorithm: binding.algorithm, key: await importVerifyingKey(binding.algorithm, binding.jwk) });
      Object.assign(data, { algorithm: binding.algorithm, key_thumbprint: binding.thumbprint });
    } else {
      const secret = base64UrlEncode(randomBytes(32));
      await this.addHmacKey(id, secret);
      Object.assign(data, { algorithm: "hmac-sha256", secret, key_thumbprint: null });
    }
    return data;
  }

  async binding(payload) {
    if (!payload.public_key) return null;
    return { jwk: payload.public_key, algorithm: payload.algorithm, thumbprint: await jwkThumbprint(payload.public_key) };
  }

  async issue(binding, remember) {
    const data = await this.newSession(binding);
    if (remember) {
      data.remember_token = "rmb_" + base64UrlEncode(randomBytes(12));
      this.families.set(data.remember_token, binding);
    }
    return this.json(201, data);
  }

  async login(message, payload) {
    if (payload.remember_token) {
      if (!this.families.has(payload.remember_token)) return this.json(401, { detail: "no", code: "remember_token_invalid" });
      const family = this.families.get(payload.remember_token);
      this.families.delete(payload.remember_token);
      if (family) {
        if (!message.headers.some(([n]) => n === "signature-input")) {
          this.families.set(payload.remember_token, family);
          return this.json(401, { detail: "sign it", code: "device_signature_required" });
        }
        const key = await importVerifyingKey(family.algorithm, family.jwk);
        try {
          await verifyMessage(message, async (keyId) => {
            if (keyId !== family.thumbprint) throw new SignatureError("unknown_key", keyId);
            return { algorithm: family.algorithm, key };
          }, PROFILE, { now: this.now() });
        } catch (e) {
          this.families.set(payload.remember_token, family);
          return this.json(401, { detail: "bad", code: "device_signature_invalid", signature_error: e.code });
        }
      }
      return this.issue((await this.binding(payload)) || family, true);
    }
    if (payload.password !== this.password) return this.json(401, { detail: "no", code: "invalid_credentials" });
    const binding = await this.binding(payload);
    if (this.totp) {
      const id = "chl_" + Math.random().toString(36).slice(2, 12);
      const token = base64UrlEncode(randomBytes(16));
      this.challenges.set(id, { token, binding, remember: payload.remember, attempts: this.attempts });
      return this.json(202, { id, status: "pending", methods: ["totp", "recovery_code"], expires_at: "soon", challenge_token: token });
    }
    return this.issue(binding, payload.remember);
  }

  async verifyCode(id, payload) {
    const challenge = this.challenges.get(id);
    if (!challenge || challenge.token !== payload.challenge_token) return this.json(401, { detail: "gone", code: "challenge_expired" });
    if (payload.code !== this.code) {
      challenge.attempts--;
      if (challenge.attempts <= 0) {
        this.challenges.delete(id);
        return this.json(401, { detail: "done", code: "otp_attempts_exhausted" });
      }
      return this.json(401, { detail: "wrong", code: "otp_invalid", attempts_remaining: challenge.attempts });
    }
    this.challenges.delete(id);
    return this.issue(challenge.binding, challenge.remember);
  }
}
