/**
 * Signing requests with the server's profile (docs/protocol.md), as the Python client's
 * `SignatureAuth` does: covered `@method @authority @path @query`, and `content-digest` (added
 * when absent) whenever there is a body; parameters `created`, `expires`, `keyid`, `nonce`,
 * `alg`, `tag`, in that order.
 * @module
 */
import { base64Encode, base64UrlEncode, randomBytes, toBytes, utf8 } from "./bytes.js";
import { algorithm, importSigningKey, importVerifyingKey, signBytes } from "./algorithms.js";
import { signatureBase } from "./components.js";
import { contentDigest } from "./digest.js";
import { headerLines, requestMessage } from "./message.js";
import { parseComponent, serializeLabel, serializeSignatureParams } from "./sf.js";

/** The components of the profile; `content-digest` is added when the request has a body. */
export const DEFAULT_COMPONENTS = Object.freeze(["@method", "@authority", "@path", "@query"]);

/** A fresh nonce: 16 random bytes in base64url (128 bits, as the server recommends). */
export function newNonce() {
  return base64UrlEncode(randomBytes(16));
}

/**
 * @typedef {object} SignerOptions
 * @property {string} keyId                 the key id (`key_…`) or session id (`ses_…`)
 * @property {string} [algorithm]           default `hmac-sha256`
 * @property {CryptoKey | Uint8Array | string | JsonWebKey} key  see {@link importSigningKey}
 * @property {CryptoKey} [verifyKey]        for a client-held key: its public half (optional)
 * @property {string} [label]               default `sig1`
 * @property {string[] | null} [components] null: the profile; a list is used as given
 * @property {boolean} [includeAlg]         default true
 * @property {string | null} [tag]          when the server sets `SIGNATURE_TAG`
 * @property {number | null} [expiresIn]    seconds after `created`, or null for no `expires`
 * @property {() => number} [clock]         epoch seconds (default: the system clock)
 * @property {number} [clockOffset]         seconds added to the clock for `created` (a client
 *   sets it from the `server_time` of a `clock_skew` refusal)
 */

/**
 * @typedef {object} SignedRequest
 * @property {Array<[string, string]>} headers  every field line, the added ones last
 * @property {Array<[string, string]>} added    `Content-Digest` (when added), `Signature-Input`, `Signature`
 * @property {import("./message.js").Message} message  the request as signed
 * @property {Uint8Array | null} body
 */

/**
 * One key that signs requests. The key material stays inside (a non-extractable `CryptoKey`
 * once used); `toJSON` and the string form never show it.
 */
export class Signer {
  /** @type {Promise<CryptoKey> | null} */
  #signing = null;
  /** @type {CryptoKey | Uint8Array | string | JsonWebKey | null} */
  #material;

  /** @param {SignerOptions} options */
  constructor(options) {
    if (!options || typeof options.keyId !== "string" || !options.keyId) {
      throw new TypeError("a Signer needs a keyId");
    }
    /** @type {string} */
    this.keyId = options.keyId;
    /** @type {string} */
    this.algorithm = algorithm(options.algorithm || "hmac-sha256").name;
    /** @type {string} */
    this.label = options.label || "sig1";
    serializeLabel(this.label);
    /** @type {string[] | null} */
    this.components = options.components ? [...options.components] : null;
    /** @type {boolean} */
    this.includeAlg = options.includeAlg !== false;
    /** @type {string | null} */
    this.tag = options.tag ?? null;
    /** @type {number | null} */
    this.expiresIn = options.expiresIn ?? null;
    /** @type {() => number} */
    this.clock = options.clock || (() => Date.now() / 1000);
    /** @type {number} */
    this.clockOffset = options.clockOffset ?? 0;
    /** @type {CryptoKey | null} */
    this.verifyKey = options.verifyKey || null;
    if (options.key === undefined || options.key === null) throw new TypeError("a Signer needs a key");
    this.#material = options.key;
  }

  /** Whether the server answers with the same key (hmac: API keys and hmac sessions). */
  get sharedSecret() {
    return algorithm(this.algorithm).sharedSecret;
  }

  /** @returns {Promise<CryptoKey>} */
  signingKey() {
    if (!this.#signing) {
      const material = /** @type {any} */ (this.#material);
      this.#signing = importSigningKey(this.algorithm, material);
      this.#signing.then(() => { this.#material = null; }, () => {});
    }
    return this.#signing;
  }

  /**
   * The key that verifies the server's responses signed with this key (hmac only: the same
   * secret). `null` for a client-held key, whose responses the server signs with its own key.
   * @returns {Promise<CryptoKey | null>}
   */
  async responseKey() {
    if (!this.sharedSecret) return null;
    return importVerifyingKey(this.algorithm, await this.signingKey());
  }

  /**
   * Sign one request. `url` is absolute; `body` is what will be sent, byte for byte.
   * @param {{ method: string, url: string | URL, headers?: HeadersInit | Array<[string, string]> | null,
   *           body?: string | Uint8Array | ArrayBuffer | null, created?: number, nonce?: string | null }} request
   * @returns {Promise<SignedRequest>}
   */
  async sign(request) {
    const method = request.method.toUpperCase();
    const body = toBytes(request.body);
    const lines = headerLines(/** @type {any} */ (request.headers));
    /** @type {Array<[string, string]>} */
    const added = [];
    /** @type {string[]} */
    let components;
    if (this.components === null) {
      components = [...DEFAULT_COMPONENTS];
      if (body && body.length) {
        if (!lines.some(([n]) => n === "content-digest")) {
          added.push(["content-digest", await contentDigest(body)]);
        }
        components.push("content-digest");
      }
    } else {
      components = [...this.components];
    }
    const created = request.created ?? Math.floor(this.clock() + this.clockOffset);
    const nonce = request.nonce === undefined ? newNonce() : request.nonce;
    /** @type {Array<[string, string | number]>} */
    const params = [["created", created]];
    if (this.expiresIn !== null) params.push(["expires", created + this.expiresIn]);
    params.push(["keyid", this.keyId]);
    if (nonce !== null) params.push(["nonce", nonce]);
    if (this.includeAlg) params.push(["alg", this.algorithm]);
    if (this.tag !== null) params.push(["tag", this.tag]);
    const message = requestMessage(method, request.url, [...lines, ...added], body);
    const comps = components.map(parseComponent);
    const base = signatureBase(message, comps, params);
    const signature = await signBytes(this.algorithm, await this.signingKey(), utf8(base));
    const label = serializeLabel(this.label);
    const inner = serializeSignatureParams(comps, params);
    added.push(["signature-input", `${label}=${inner}`]);
    added.push(["signature", `${label}=:${base64Encode(signature)}:`]);
    message.headers.push(["signature-input", `${label}=${inner}`], ["signature", `${label}=:${base64Encode(signature)}:`]);
    return { headers: [...lines, ...added], added, message, body };
  }

  toString() {
    return `Signer(${this.keyId}, ${this.algorithm})`;
  }

  toJSON() {
    return { keyId: this.keyId, algorithm: this.algorithm, label: this.label };
  }

  /**
   * An hmac signer from the secret the server issued (base64url without padding).
   * @param {string} keyId
   * @param {string | Uint8Array} secret
   * @param {Omit<SignerOptions, "keyId" | "key" | "algorithm">} [options]
   */
  static hmac(keyId, secret, options = {}) {
    return new Signer({ ...options, keyId, key: secret, algorithm: "hmac-sha256" });
  }
}
