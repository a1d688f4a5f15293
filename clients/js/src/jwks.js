/**
 * The server's response-signing keys: the JWKS at `/.well-known/signed-api/keys` (Ed25519, RFC
 * 8037 OKP keys, `"alg": "EdDSA"`), cached, and fetched again when a response names a `kid`
 * the cache does not have (the server has a newer master key), at most every `minRefresh`
 * seconds counted from the last attempt, failed or not: a stream of forged `kid` values cannot
 * make the client fetch on every response, not even while the JWKS cannot be had.
 * @module
 */
import { ApiError, SignatureError, SignedApiError } from "./errors.js";

/** Where the keys are, on the server's origin. */
export const JWKS_PATH = "/.well-known/signed-api/keys";

/**
 * The verifying keys of a JWKS document: `kid` to `CryptoKey` (only `OKP`/`Ed25519` keys for
 * signing; others are skipped).
 * @param {any} jwks
 * @returns {Promise<Map<string, CryptoKey>>}
 */
export async function importJwks(jwks) {
  /** @type {Map<string, CryptoKey>} */
  const out = new Map();
  if (!jwks || typeof jwks !== "object" || !Array.isArray(jwks.keys)) {
    throw new SignatureError("unknown_key", "the server's JWKS has no keys list");
  }
  for (const jwk of jwks.keys) {
    if (!jwk || typeof jwk !== "object" || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") continue;
    if ((jwk.use ?? "sig") !== "sig" || typeof jwk.kid !== "string" || typeof jwk.x !== "string") continue;
    try {
      const key = await globalThis.crypto.subtle.importKey(
        "jwk", { kty: "OKP", crv: "Ed25519", x: jwk.x }, { name: "Ed25519" }, true, ["verify"]);
      out.set(jwk.kid, key);
    } catch {
      continue; // a key this runtime cannot import verifies nothing
    }
  }
  return out;
}

/**
 * @typedef {object} ServerKeysOptions
 * @property {string} [url]         the JWKS URL (absolute)
 * @property {any} [jwks]           a JWKS document obtained out of band (then nothing is fetched until an unknown kid)
 * @property {typeof fetch} [fetch]
 * @property {RequestCredentials} [credentials]
 * @property {number} [maxAge]      seconds a fetched JWKS is used (default 3600)
 * @property {number} [minRefresh]  seconds from one fetch attempt (failed or not) to the next (default 10)
 */

/** A cache of the server's keys. `get(kid)` fetches when needed. */
export class ServerKeys {
  /** @type {Map<string, CryptoKey>} */
  #keys = new Map();
  #loadedAt = -Infinity;
  /** When the JWKS was last asked for, successfully or not: the next fetch is due `minRefresh` after. */
  #attemptedAt = -Infinity;
  /** @type {Promise<void> | null} */
  #loading = null;
  /** @type {any} */
  #initial;
  #pinned = false;

  /** @param {ServerKeysOptions} options */
  constructor(options = {}) {
    this.url = options.url || null;
    const given = options.fetch;
    /** @type {typeof fetch} */
    this.fetch = given ? (i, o) => given(i, o) : (i, o) => globalThis.fetch(i, o);
    this.credentials = options.credentials;
    this.maxAge = options.maxAge ?? 3600;
    this.minRefresh = options.minRefresh ?? 10;
    this.#initial = options.jwks || null;
    /** A JWKS given without a URL is pinned: it never gets too old, and nothing replaces it. */
    this.#pinned = !!options.jwks && !this.url;
    /** How many times the JWKS was fetched (tests and logs). */
    this.fetches = 0;
  }

  #now() {
    return Date.now() / 1000;
  }

  /** Fetch the JWKS now (once at a time). */
  async refresh() {
    if (this.#loading) return this.#loading;
    // The attempt counts before it is made: one that fails or hangs counts as well (and a JWKS
    // given at construction counts as loaded now).
    this.#attemptedAt = this.#now();
    this.#loading = (async () => {
      try {
        if (this.#initial) {
          this.#keys = await importJwks(this.#initial);
          this.#initial = null;
        } else {
          if (!this.url) throw new SignatureError("unknown_key", "no JWKS URL to fetch the server's keys from");
          this.fetches++;
          /** @type {RequestInit} */
          const init = { headers: { Accept: "application/json" } };
          if (this.credentials) init.credentials = this.credentials;
          let response;
          let data;
          try {
            response = await this.fetch(this.url, init);
            data = response.status === 200 ? await response.json() : null;
          } catch (e) {
            throw new SignedApiError("server_keys_unavailable", `the server's keys could not be fetched from ${this.url}`);
          }
          if (response.status !== 200) {
            throw new ApiError(response.status, "server_keys_unavailable", `the JWKS answered HTTP ${response.status}`);
          }
          this.#keys = await importJwks(data);
        }
        this.#loadedAt = this.#now();
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }

  /**
   * The key named `kid`, or null when the server does not have it (even after a fetch).
   * @param {string} kid
   * @returns {Promise<CryptoKey | null>}
   */
  async get(kid) {
    // A fetch in flight (another response's): its outcome first, rather than a second fetch.
    if (this.#loading) await this.#loading.catch(() => {});
    if (this.#initial || (!this.#pinned && this.#now() - this.#loadedAt > this.maxAge)) {
      // Nothing loaded yet (or too old to use): fetch, unless the last attempt failed less
      // than minRefresh ago.
      if (!this.#initial && !this.#due()) {
        throw new SignedApiError("server_keys_unavailable", `the server's keys could not be fetched from ${this.url} (again in at most ${this.minRefresh} s)`);
      }
      await this.refresh();
    }
    let key = this.#keys.get(kid);
    if (!key && this.#due()) {
      await this.refresh();
      key = this.#keys.get(kid);
    }
    return key || null;
  }

  /** Whether the JWKS may be fetched now: `minRefresh` seconds since the last attempt. */
  #due() {
    return this.#now() - this.#attemptedAt >= this.minRefresh;
  }

  /** The kids held now. */
  kids() {
    return [...this.#keys.keys()];
  }
}
