/**
 * `SignedApiClient`: signed requests (in the clear or through Oblivious HTTP), the server's
 * response signatures checked, and logging in (201, 202 with a TOTP or recovery code, remember
 * tokens, device-bound keys kept in a {@link KeyStore}).
 * @module
 */
import { fromUtf8, own, toBytes, utf8 } from "./bytes.js";
import { decodeResponse, encodeRequest } from "./bhttp.js";
import { DeviceKey } from "./device.js";
import { ApiError, LoginError, OHTTPError, SignatureError, SignedApiError } from "./errors.js";
import { JWKS_PATH, ServerKeys } from "./jwks.js";
import { defaultKeyStore } from "./keystore.js";
import { pathAndQuery, requestMessage, responseMessage } from "./message.js";
import {
  GATEWAY_PATH, KEYS_MEDIA_TYPE, KEY_PROBLEM_TYPE, REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE,
  chooseConfig, decodeKeyConfigs, encapsulateRequest,
} from "./ohttp.js";
import { verifyResponse } from "./responses.js";
import { Signer } from "./signer.js";

/** @typedef {import("./keystore.js").KeyStore} KeyStore */
/** @typedef {import("./message.js").Message} Message */

/** Connection-specific fields, left out of an encapsulated request. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "host", "content-length"]);
/** Where a key store keeps the device key and the remember token bound to it. */
export const DEVICE_KEY_NAME = "device";
export const REMEMBER_TOKEN_NAME = "remember_token";

/**
 * The outcome of a response's signature check.
 * @typedef {object} Verification
 * @property {boolean} verified
 * @property {string | null} code       why not (a SignatureError code), or null
 * @property {string | null} keyId      the key that signed (the request's, or the server's `srv_…`)
 * @property {string | null} algorithm
 * @property {string | null} detail
 * @property {boolean} signed           whether the response carried a signature at all
 */

/** A response, its body already read, with the result of its signature check. */
export class SignedResponse {
  /**
   * @param {{ status: number, statusText?: string, headers: Array<[string, string]>, body: Uint8Array,
   *           url: string, request: Message | null, verification: Verification, viaOhttp: boolean }} init
   */
  constructor(init) {
    /** @type {number} */
    this.status = init.status;
    /** @type {string} */
    this.statusText = init.statusText || "";
    /** @type {Array<[string, string]>} field lines, names lower case */
    this.headerLines = init.headers;
    /** @type {Headers} */
    this.headers = new Headers();
    for (const [n, v] of init.headers) this.headers.append(n, v);
    /** @type {Uint8Array} */
    this.body = init.body;
    /** @type {string} */
    this.url = init.url;
    /** @type {Message | null} the request as signed */
    this.request = init.request;
    /** @type {Verification} */
    this.verification = init.verification;
    /** @type {boolean} */
    this.viaOhttp = init.viaOhttp;
  }

  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  text() {
    return Promise.resolve(fromUtf8(this.body));
  }

  /** @returns {Promise<any>} */
  json() {
    return Promise.resolve(JSON.parse(fromUtf8(this.body)));
  }

  arrayBuffer() {
    return Promise.resolve(this.body.slice().buffer);
  }

  /** The server's error as an {@link ApiError} (`code` from the JSON body), or null when ok. */
  error() {
    if (this.ok) return null;
    let data = null;
    try {
      data = JSON.parse(fromUtf8(this.body));
    } catch {
      data = null;
    }
    const code = data && typeof data.code === "string" ? data.code : null;
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    const retry = this.headers.get("retry-after");
    const error = new ApiError(this.status, code, detail, data, retry && /^\d+$/.test(retry) ? Number(retry) : null);
    /** @type {any} */ (error).verification = this.verification;
    return error;
  }

  /** This response when ok; the server's {@link ApiError} otherwise. */
  ensureOk() {
    const error = this.error();
    if (error) throw error;
    return this;
  }
}

/**
 * A refusal (a non-2xx answer) whose signature is missing or does not verify, when the client
 * requires signed refusals: its claimed `code` cannot be trusted. `code` is
 * `refusal_unverified`; `claimedCode` is what the body said, `verification` why it failed.
 */
export class UnverifiedRefusalError extends ApiError {
  /**
   * @param {SignedResponse} response
   */
  constructor(response) {
    const claimed = response.error();
    super(response.status, "refusal_unverified",
      `an unverified ${response.status} refusal (${response.verification.code})`, claimed ? claimed.body : null);
    this.name = "UnverifiedRefusalError";
    /** @type {string | null} */
    this.claimedCode = claimed ? claimed.code : null;
    /** @type {Verification} */
    this.verification = response.verification;
    /** @type {string | null} the check that failed (as the Python client's `reason`) */
    this.reason = response.verification.code;
    /** @type {SignedResponse} */
    this.response = response;
  }
}

/**
 * @typedef {object} Session
 * @property {string} id
 * @property {Signer} signer          signs requests as this session
 * @property {string} algorithm
 * @property {string | null} expiresAt
 * @property {number | null} idleTimeout
 * @property {string | null} rememberToken
 * @property {boolean} deviceBound
 * @property {string | null} keyThumbprint
 * @property {DeviceKey | null} deviceKey
 */

/**
 * @typedef {object} Challenge
 * @property {string} id            public (it goes in the URL)
 * @property {string[]} methods
 * @property {string | null} expiresAt
 * @property {number | null} attemptsRemaining
 * @property {DeviceKey | null} deviceKey   the key the session will be bound to
 */

/**
 * @typedef {{ status: "session", session: Session } | { status: "challenge", challenge: Challenge }} LoginResult
 */

/**
 * @typedef {object} OhttpOptions
 * @property {string} [gatewayUrl]  default: the origin's /.well-known/ohttp-gateway
 * @property {string} [relayUrl]    post the encapsulated requests there instead
 * @property {number} [padding]     pad each inner request to a multiple of this many bytes
 * @property {import("./ohttp.js").KeyConfig[]} [keyConfigs]  obtained out of band
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} baseUrl                 the server's origin (or any URL on it)
 * @property {string} [authPath]              where signed_api.urls is mounted (default /api/auth/)
 * @property {string} [jwksPath]              default /.well-known/signed-api/keys
 * @property {Signer | null} [auth]           signs every request (set by a login)
 * @property {"require" | "report" | false} [verifyResponses]
 *   `require` (default): a 2xx answer to a signed request that does not verify throws a
 *   SignatureError; `report`: the result is only in `response.verification`; false: no check
 * @property {boolean} [requireSignedRefusals] a refusal (4xx, 5xx) that does not verify throws
 *   {@link UnverifiedRefusalError} instead of being returned, so nothing acts on an injected one
 *   (default true, with `verifyResponses: "require"`; false for servers that do not sign refusals)
 * @property {boolean} [requireSignedAnswers] every answer must verify, those of unsigned requests
 *   (a login) too, by the server key: implies requireSignedRefusals (for servers that sign every answer)
 * @property {OhttpOptions | boolean} [ohttp] send every request through the gateway
 * @property {KeyStore} [keyStore]            device keys (default IndexedDB in a browser, memory elsewhere)
 * @property {typeof fetch} [fetch]
 * @property {RequestCredentials} [credentials]  e.g. "omit": signed requests need no cookie
 * @property {ServerKeys} [serverKeys]        a shared cache of the server's keys
 * @property {number} [clockSkew]             seconds a response's `created` may be off (default 300)
 * @property {string} [deviceAlgorithm]       `ecdsa-p256-sha256` (default) or `ed25519`
 * @property {boolean} [correctClock]         on a 401 `clock_skew` naming `server_time`, set the
 *   signer's clock offset from it and send the request once more, signed anew (default true)
 */

export class SignedApiClient {
  /** @type {{ configs: import("./ohttp.js").KeyConfig[], expires: number, pinned: boolean }} */
  #keys = { configs: [], expires: 0, pinned: false };

  /** @param {ClientOptions} options */
  constructor(options) {
    if (!options || !options.baseUrl) throw new TypeError("SignedApiClient needs a baseUrl");
    const base = new URL(options.baseUrl);
    /** @type {string} */
    this.origin = base.origin;
    /** @type {string} */
    this.baseUrl = base.href;
    /** @type {string} */
    this.authPath = options.authPath || "/api/auth/";
    if (!this.authPath.endsWith("/")) this.authPath += "/";
    /** @type {Signer | null} */
    this.auth = options.auth || null;
    /** @type {"require" | "report" | false} */
    this.verifyResponses = options.verifyResponses === undefined ? "require" : options.verifyResponses;
    /** @type {boolean} */
    this.requireSignedAnswers = !!options.requireSignedAnswers;
    /** @type {boolean} */
    this.requireSignedRefusals = options.requireSignedRefusals !== false || this.requireSignedAnswers;
    /** @type {KeyStore} */
    this.keyStore = options.keyStore || defaultKeyStore();
    const userFetch = options.fetch;
    /** @type {typeof fetch} */
    // Called as a plain function: a browser's fetch throws "Illegal invocation" as a method.
    this.fetch = userFetch ? (input, init) => userFetch(input, init) : (input, init) => globalThis.fetch(input, init);
    /** @type {RequestCredentials | undefined} */
    this.credentials = options.credentials;
    /** @type {number} */
    this.clockSkew = options.clockSkew ?? 300;
    /** @type {string} */
    this.deviceAlgorithm = options.deviceAlgorithm || "ecdsa-p256-sha256";
    /** @type {boolean} */
    this.correctClock = options.correctClock !== false;
    /** @type {ServerKeys} */
    this.serverKeys = options.serverKeys || new ServerKeys({
      url: new URL(options.jwksPath || JWKS_PATH, this.origin).href,
      fetch: this.fetch, credentials: this.credentials,
    });
    /** @type {Required<Pick<OhttpOptions, "gatewayUrl" | "padding">> & OhttpOptions | null} */
    this.ohttp = null;
    if (options.ohttp) {
      const o = options.ohttp === true ? {} : options.ohttp;
      this.ohttp = { ...o, gatewayUrl: o.gatewayUrl || new URL(GATEWAY_PATH, this.origin).href, padding: o.padding || 0 };
      if (o.keyConfigs && o.keyConfigs.length) {
        chooseConfig(o.keyConfigs);
        this.#keys = { configs: [...o.keyConfigs], expires: Infinity, pinned: true };
      }
    }
    /** @type {Session | null} the session of the last login here */
    this.session = null;
  }

  /** @param {Signer | null} signer */
  setAuth(signer) {
    this.auth = signer;
  }

  /** @param {string | URL} path */
  url(path) {
    return new URL(path, this.baseUrl).href;
  }

  /** @param {string} path under the auth mount */
  authUrl(path) {
    return new URL(this.authPath + path, this.origin).href;
  }

  // -- requests ------------------------------------------------------------------------------

  /**
   * Send a request, signed by `auth` (unless `signed: false`), and check the response's
   * signature. Resolves with a {@link SignedResponse} whatever the status; see
   * `verifyResponses` for when a failed check throws.
   * @param {string | URL} path  relative to baseUrl, or absolute
   * @param {{ method?: string, headers?: HeadersInit, body?: string | Uint8Array | ArrayBuffer | null,
   *           json?: unknown, signed?: boolean, signer?: Signer | null, signal?: AbortSignal,
   *           verifyResponses?: "require" | "report" | false }} [options]
   *   `verifyResponses` overrides the client's for this request
   * @returns {Promise<SignedResponse>}
   */
  async request(path, options = {}) {
    const method = (options.method || "GET").toUpperCase();
    const url = this.url(path);
    /** @type {Array<[string, string]>} */
    const lines = [];
    if (options.headers) {
      new Headers(options.headers).forEach((value, name) => lines.push([name, value]));
    }
    let body = toBytes(options.body);
    if (options.json !== undefined) {
      body = utf8(JSON.stringify(options.json));
      if (!lines.some(([n]) => n === "content-type")) lines.push(["content-type", "application/json"]);
    }
    const signer = options.signer !== undefined ? options.signer : options.signed === false ? null : this.auth;
    let response = await this.#exchange(method, url, lines, body, signer, options.signal);
    const skew = signer && this.correctClock ? serverTimeOf(response) : null;
    // A client that requires signed refusals believes the named time only from a refusal that
    // verifies, checked on that very time (its signed `created` must agree with it).
    const trusted = skew !== null && (!this.requireSignedRefusals
      || (await this.#verify(response, /** @type {Message} */ (response.request), signer, skew)).verified);
    if (signer && skew !== null && trusted) {
      // The server named its time: sign on it from now on, and once more now (a new nonce).
      signer.clockOffset = skew - Date.now() / 1000;
      response = await this.#exchange(method, url, lines, body, signer, options.signal);
    }
    const mode = options.verifyResponses === undefined ? this.verifyResponses : options.verifyResponses;
    if (mode !== false) {
      response.verification = await this.#verify(response, /** @type {Message} */ (response.request), signer);
      this.#enforce(response, signer, mode);
    }
    return response;
  }

  /**
   * Sign (when `signer`), send, read: the response, not yet verified.
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {Signer | null} signer
   * @param {AbortSignal} [signal]
   */
  async #exchange(method, url, lines, body, signer, signal) {
    /** @type {Message} */
    let message;
    let sent = lines;
    if (signer) {
      const signed = await signer.sign({ method, url, headers: lines, body });
      sent = signed.headers;
      message = signed.message;
    } else {
      message = requestMessage(method, url, lines, body);
    }
    const raw = this.ohttp
      ? await this.#sendOhttp(method, url, sent, body, signal)
      : await this.#sendClear(method, url, sent, body, signal);
    return new SignedResponse({
      ...raw, url, request: message, viaOhttp: !!this.ohttp,
      verification: { verified: false, code: null, keyId: null, algorithm: null, detail: null, signed: false },
    });
  }

  /**
   * A request whose answer must be a 2xx: its JSON body (null when empty). A refusal is thrown
   * as the server's {@link ApiError} (its `code`).
   * @param {string | URL} path
   * @param {Parameters<SignedApiClient["request"]>[1]} [options]
   */
  async json(path, options = {}) {
    const response = (await this.request(path, options)).ensureOk();
    return response.body.length ? response.json() : null;
  }

  /**
   * @param {SignedResponse} response
   * @param {Message} request
   * @param {Signer | null} signer
   * @param {number} [at] epoch seconds to check `created` against (default: the signer's clock)
   * @returns {Promise<Verification>}
   */
  async #verify(response, request, signer, at) {
    const signed = response.headers.has("signature-input") || response.headers.has("signature");
    const none = { verified: false, keyId: null, algorithm: null, signed };
    if (!signed) {
      return { ...none, code: "signature_missing", detail: "the response carries no signature" };
    }
    const message = responseMessage(response.status, response.headerLines, response.body, request);
    try {
      // On the server's clock, once a clock_skew refusal has told this signer the difference.
      const now = at ?? Date.now() / 1000 + (signer ? signer.clockOffset : 0);
      // A refusal of a signed request covers that request's signature, fresh by its nonce: no
      // time window is needed (and a client whose clock is off must still verify it).
      const clockSkew = signer && response.status >= 400 ? 1e10 : this.clockSkew;
      const verified = await verifyResponse(message, { signer, serverKeys: this.serverKeys, clockSkew, now });
      return { verified: true, code: null, keyId: verified.keyId, algorithm: verified.algorithm, detail: null, signed };
    } catch (e) {
      if (e instanceof SignedApiError) {
        return { ...none, code: e.code, detail: /** @type {any} */ (e).detail ?? e.message };
      }
      throw e;
    }
  }

  /**
   * @param {SignedResponse} response
   * @param {Signer | null} signer
   * @param {"require" | "report" | false} mode
   */
  #enforce(response, signer, mode) {
    const v = response.verification;
    if (v.verified || mode !== "require") return;
    if (response.ok || response.status < 400) {
      // An unsigned request's answer (a login) is signed only by servers that sign every answer.
      if (!signer && !this.requireSignedAnswers) return;
      const error = new SignatureError(v.code || "signature_invalid", `the response does not verify: ${v.detail || v.code}`);
      /** @type {any} */ (error).response = response;
      throw error;
    }
    if (this.requireSignedRefusals) throw new UnverifiedRefusalError(response);
  }

  /**
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {AbortSignal} [signal]
   */
  async #sendClear(method, url, lines, body, signal) {
    /** @type {RequestInit} */
    const init = { method, headers: lines };
    if (body && body.length) init.body = body.slice();
    if (this.credentials) init.credentials = this.credentials;
    if (signal) init.signal = signal;
    const response = await this.fetch(url, init);
    /** @type {Array<[string, string]>} */
    const headers = [];
    response.headers.forEach((value, name) => headers.push([name.toLowerCase(), value]));
    const data = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, statusText: response.statusText, headers, body: data };
  }

  // -- Oblivious HTTP ------------------------------------------------------------------------

  /** @param {boolean} force */
  async #keyConfig(force) {
    const ohttp = /** @type {NonNullable<SignedApiClient["ohttp"]>} */ (this.ohttp);
    const now = Date.now() / 1000;
    if (!force && this.#keys.configs.length && (this.#keys.pinned || now < this.#keys.expires)) {
      return chooseConfig(this.#keys.configs);
    }
    /** @type {RequestInit} */
    const init = { headers: { Accept: KEYS_MEDIA_TYPE } };
    if (this.credentials) init.credentials = this.credentials;
    const response = await this.fetch(ohttp.gatewayUrl, init);
    const data = new Uint8Array(await response.arrayBuffer());
    if (response.status !== 200) {
      throw new OHTTPError("gateway_refused", `the gateway ${ohttp.gatewayUrl} answered HTTP ${response.status} to the key configuration request`, response.status);
    }
    if (mediaType(response.headers.get("content-type")) !== KEYS_MEDIA_TYPE) {
      throw new OHTTPError("key_configs_unusable", `the gateway ${ohttp.gatewayUrl} did not answer with ${KEYS_MEDIA_TYPE}`, response.status);
    }
    let configs;
    try {
      configs = decodeKeyConfigs(data);
    } catch (e) {
      throw new OHTTPError("key_configs_unusable", `the key configurations of ${ohttp.gatewayUrl} do not decode (${/** @type {any} */ (e).code})`, response.status);
    }
    const chosen = chooseConfig(configs);
    const m = /(?:^|[,\s])max-age\s*=\s*"?(\d+)/i.exec(response.headers.get("cache-control") || "");
    this.#keys = { configs, expires: now + (m ? Number(m[1]) : 3600), pinned: false };
    return chosen;
  }

  /**
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {AbortSignal} [signal]
   */
  async #sendOhttp(method, url, lines, body, signal) {
    const ohttp = /** @type {NonNullable<SignedApiClient["ohttp"]>} */ (this.ohttp);
    const u = new URL(url);
    const { path, query } = pathAndQuery(u);
    let inner = encodeRequest({
      method, scheme: u.protocol.replace(/:$/, ""), authority: u.host,
      path: path + (query === null ? "" : "?" + query),
      headers: lines.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase())),
      content: body || new Uint8Array(0),
    });
    if (ohttp.padding > 1 && inner.length % ohttp.padding) {
      const padded = new Uint8Array(inner.length + ohttp.padding - (inner.length % ohttp.padding));
      padded.set(inner);
      inner = padded;
    }
    const postUrl = ohttp.relayUrl || ohttp.gatewayUrl;
    for (const attempt of [0, 1]) {
      const { config, suite } = await this.#keyConfig(attempt > 0);
      const { encapsulated, context } = await encapsulateRequest(config, inner, { suite });
      /** @type {RequestInit} */
      const init = {
        method: "POST", body: own(encapsulated),
        headers: { "Content-Type": REQUEST_MEDIA_TYPE, Accept: RESPONSE_MEDIA_TYPE },
      };
      if (this.credentials) init.credentials = this.credentials;
      if (signal) init.signal = signal;
      const outer = await this.fetch(postUrl, init);
      const data = new Uint8Array(await outer.arrayBuffer());
      const contentType = outer.headers.get("content-type");
      if (outer.status === 200) {
        if (mediaType(contentType) !== RESPONSE_MEDIA_TYPE) {
          throw new OHTTPError("not_ohttp", `the gateway ${postUrl} answered HTTP 200 without ${RESPONSE_MEDIA_TYPE}`, 200);
        }
        let decoded;
        try {
          decoded = decodeResponse(await context.decapsulateResponse(data));
        } catch (e) {
          const code = e instanceof SignedApiError ? e.code : "ohttp_malformed";
          throw new OHTTPError(code, `the answer of the gateway ${postUrl} does not open (${code})`, null);
        }
        return { status: decoded.status, statusText: "", headers: decoded.headers, body: decoded.content };
      }
      const problem = parseJson(data);
      const keyProblem = outer.status === 400 && mediaType(contentType) === "application/problem+json" && problem
        && (problem.type === KEY_PROBLEM_TYPE || problem.code === "ohttp_unknown_key");
      if (keyProblem && attempt === 0 && !this.#keys.pinned) continue;
      if (keyProblem && this.#keys.pinned) {
        throw new OHTTPError("ohttp_key", `the gateway ${postUrl} does not accept the key configuration given out of band (keyConfigs): get its new one out of band too`, outer.status);
      }
      if (keyProblem) {
        throw new OHTTPError("ohttp_key", `the gateway ${postUrl} does not accept its own key configuration`, outer.status);
      }
      const given = problem && typeof problem.code === "string" && /^[a-z0-9_]{1,64}$/.test(problem.code) ? problem.code : "gateway_refused";
      throw new OHTTPError(given, `the gateway ${postUrl} answered HTTP ${outer.status} (${given})`, outer.status);
    }
    throw new OHTTPError("ohttp_key", "unreachable", null);
  }

  // -- logging in ----------------------------------------------------------------------------

  /**
   * The device key of this key store, made (and stored) when there is none yet.
   * @param {{ create?: boolean, algorithm?: string }} [options]
   * @returns {Promise<DeviceKey | null>}
   */
  async deviceKey(options = {}) {
    const stored = await DeviceKey.fromStored(await this.keyStore.get(DEVICE_KEY_NAME));
    if (stored || options.create === false) return stored;
    const key = await DeviceKey.generate(options.algorithm || this.deviceAlgorithm);
    await this.keyStore.set(DEVICE_KEY_NAME, key.toStored());
    return key;
  }

  /** Forget this store's device key (and the remember token bound to it). */
  async forgetDeviceKey() {
    await this.keyStore.delete(DEVICE_KEY_NAME);
    await this.keyStore.delete(REMEMBER_TOKEN_NAME);
  }

  /**
   * `POST sessions/`: 201 (a session, set as this client's `auth`) or 202 (a challenge: answer
   * it with {@link verifyCode}, or give `codePrompt` and it is asked for here, again after a
   * wrong code while attempts remain).
   * @param {{ username: string, password: string, remember?: boolean, deviceName?: string,
   *           deviceKey?: boolean | DeviceKey, deviceAlgorithm?: string,
   *           codePrompt?: (challenge: Challenge) => string | Promise<string> }} options
   * @returns {Promise<LoginResult>}
   */
  async login(options) {
    if (!options || !options.username || typeof options.password !== "string") {
      throw new TypeError("login needs a username and a password");
    }
    const deviceKey = await this.#resolveDeviceKey(options.deviceKey, options.deviceAlgorithm);
    /** @type {Record<string, unknown>} */
    const payload = { username: options.username, password: options.password, remember: !!options.remember };
    if (options.deviceName) payload.device_name = options.deviceName;
    if (deviceKey) Object.assign(payload, deviceKey.registration());
    const response = await this.request(this.authUrl("sessions/"), { method: "POST", json: payload, signed: false });
    if (response.status === 201) return { status: "session", session: await this.#session(response, deviceKey) };
    if (response.status !== 202) throw loginError(response);
    const data = await response.json();
    /** @type {Challenge} */
    const challenge = {
      id: String(data.id), methods: Array.isArray(data.methods) ? data.methods : [],
      expiresAt: data.expires_at ?? null, attemptsRemaining: null, deviceKey,
    };
    // The challenge token is a secret: kept out of the object's enumerable view.
    Object.defineProperty(challenge, "token", { value: data.challenge_token, enumerable: false });
    if (!options.codePrompt) return { status: "challenge", challenge };
    for (;;) {
      const code = await options.codePrompt(challenge);
      try {
        return await this.verifyCode(challenge, code);
      } catch (e) {
        if (e instanceof LoginError && e.code === "otp_invalid") {
          challenge.attemptsRemaining = e.attemptsRemaining;
          continue;
        }
        throw e;
      }
    }
  }

  /**
   * `POST sessions/{id}/verify/` with a TOTP or recovery code. A wrong code is `LoginError`
   * `otp_invalid` (with `attemptsRemaining`); the challenge stays usable while attempts remain.
   * @param {Challenge} challenge
   * @param {string} code
   * @returns {Promise<LoginResult>}
   */
  async verifyCode(challenge, code) {
    const token = /** @type {any} */ (challenge).token;
    const response = await this.request(this.authUrl(`sessions/${encodeURIComponent(challenge.id)}/verify/`), {
      method: "POST", json: { challenge_token: token, code: String(code).trim() }, signed: false,
    });
    if (response.status !== 201) {
      const error = loginError(response);
      if (error.code === "otp_invalid") challenge.attemptsRemaining = error.attemptsRemaining;
      throw error;
    }
    return { status: "session", session: await this.#session(response, challenge.deviceKey) };
  }

  /**
   * Trade a remember token for a new session (and a rotated token). A token bound to a device
   * key is sent in a request signed by that key (`keyid`: its thumbprint). `token` defaults to
   * the one the key store keeps for its device key.
   * @param {{ token?: string, deviceKey?: boolean | DeviceKey, newDeviceKey?: DeviceKey, deviceName?: string }} [options]
   * @returns {Promise<LoginResult>}
   */
  async exchangeRememberToken(options = {}) {
    const deviceKey = await this.#resolveDeviceKey(options.deviceKey ?? false, undefined, false);
    const token = options.token ?? (await this.keyStore.get(REMEMBER_TOKEN_NAME));
    if (typeof token !== "string" || !token) throw new TypeError("no remember token to exchange");
    /** @type {Record<string, unknown>} */
    const payload = { remember_token: token };
    if (options.deviceName) payload.device_name = options.deviceName;
    const bound = options.newDeviceKey || deviceKey;
    if (bound) Object.assign(payload, bound.registration());
    const signer = deviceKey ? deviceKey.signer(deviceKey.thumbprint) : null;
    // The exchange is signed by the device key, but it authenticates no session: its answer is
    // not signed (the new session's secret or binding is in the body, over TLS or OHTTP).
    const response = await this.request(this.authUrl("sessions/"), {
      method: "POST", json: payload, signer, verifyResponses: "report",
    });
    if (response.status !== 201) throw loginError(response);
    return { status: "session", session: await this.#session(response, bound) };
  }

  /**
   * End a session (`DELETE sessions/{id}/`, signed by it): its key stops working at once.
   * @param {Session | null} [session] default: this client's last login
   */
  async logout(session = this.session) {
    if (!session) throw new TypeError("no session to log out");
    const response = await this.request(this.authUrl(`sessions/${encodeURIComponent(session.id)}/`), {
      method: "DELETE", signer: session.signer,
    });
    if (response.status !== 204) throw loginError(response);
    if (this.session === session) this.session = null;
    if (this.auth === session.signer) this.auth = null;
    if (session.deviceBound) await this.keyStore.delete(REMEMBER_TOKEN_NAME);
    return response;
  }

  // -- account security (signed by a session; an API key gets 403 session_required) ----------

  /** The caller's live sessions (`GET sessions/`). */
  async sessions() {
    return this.json(this.authUrl("sessions/"));
  }

  /**
   * End every other session of the caller and every remember family but its own
   * (`DELETE sessions/`); resolves with how many ended.
   * @returns {Promise<number>}
   */
  async logoutOthers() {
    const data = await this.json(this.authUrl("sessions/"), { method: "DELETE" });
    return data && typeof data.ended === "number" ? data.ended : 0;
  }

  /**
   * Start enrolling a TOTP device (`POST totp/`): `{ otpauth_uri, qr_svg }` for an
   * authenticator app. Nothing is required at login until {@link totpConfirm} succeeds.
   * @returns {Promise<{ otpauth_uri: string, qr_svg?: string }>}
   */
  async totpEnable() {
    return this.json(this.authUrl("totp/"), { method: "POST" });
  }

  /**
   * Confirm the new device with a current code (`POST totp/confirm/`): the recovery codes,
   * shown this once. From now on a login needs a second factor.
   * @param {string} code
   * @returns {Promise<string[]>}
   */
  async totpConfirm(code) {
    const data = await this.json(this.authUrl("totp/confirm/"), { method: "POST", json: { code: String(code).trim() } });
    return Array.isArray(data && data.recovery_codes) ? data.recovery_codes.map(String) : [];
  }

  /**
   * Remove the device (`DELETE totp/`) with a current code or a recovery code.
   * @param {string} code
   */
  async totpDisable(code) {
    await this.json(this.authUrl("totp/"), { method: "DELETE", json: { code: String(code).trim() } });
  }

  /**
   * @param {boolean | DeviceKey | undefined} option
   * @param {string | undefined} algorithmName
   * @param {boolean} [create]
   */
  async #resolveDeviceKey(option, algorithmName, create = true) {
    if (!option) return null;
    if (option instanceof DeviceKey) return option;
    return this.deviceKey({ create, algorithm: algorithmName });
  }

  /**
   * @param {SignedResponse} response a 201 of sessions/
   * @param {DeviceKey | null} deviceKey
   * @returns {Promise<Session>}
   */
  async #session(response, deviceKey) {
    const data = await response.json();
    /** @type {Signer} */
    let signer;
    if (deviceKey) {
      if ("secret" in data || data.key_thumbprint !== deviceKey.thumbprint || data.algorithm !== deviceKey.algorithm) {
        throw new LoginError(201, "not_device_bound",
          "the server did not bind the session to the device key; the session it issued is not used");
      }
      signer = deviceKey.signer(data.id);
    } else {
      if (typeof data.secret !== "string") throw new LoginError(201, "secret_missing", "the session has no secret");
      signer = Signer.hmac(data.id, data.secret);
    }
    /** @type {Session} */
    const session = {
      id: data.id, signer, algorithm: data.algorithm || "hmac-sha256",
      expiresAt: data.expires_at ?? null, idleTimeout: data.idle_timeout ?? null,
      rememberToken: null, deviceBound: !!deviceKey, keyThumbprint: data.key_thumbprint ?? null, deviceKey,
    };
    // The remember token is a secret: not enumerable, so a log of the session does not show it.
    Object.defineProperty(session, "rememberToken", { value: data.remember_token ?? null, enumerable: false, writable: true });
    if (deviceKey && data.remember_token) await this.keyStore.set(REMEMBER_TOKEN_NAME, data.remember_token);
    this.session = session;
    this.auth = signer;
    return session;
  }
}

/**
 * The `server_time` of a 401 `clock_skew` refusal, or null.
 * @param {SignedResponse} response
 */
function serverTimeOf(response) {
  if (response.status !== 401) return null;
  const data = parseJson(response.body);
  if (!data || data.code !== "clock_skew" || !Number.isInteger(data.server_time)) return null;
  return /** @type {number} */ (data.server_time);
}

/** @param {string | null} value */
function mediaType(value) {
  return (value || "").split(";", 1)[0].trim().toLowerCase();
}

/** @param {Uint8Array} data */
function parseJson(data) {
  try {
    const v = JSON.parse(fromUtf8(data));
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

/** @param {SignedResponse} response */
function loginError(response) {
  const data = parseJson(response.body);
  const retry = response.headers.get("retry-after");
  return new LoginError(response.status, data && data.code, data && data.detail, data,
    retry && /^\d+$/.test(retry) ? Number(retry) : null);
}
