/**
 * Oblivious HTTP (RFC 9458) for the client, on `@hpke/core`: key configurations
 * (`application/ohttp-keys`), the encapsulation of a request and the opening of its response.
 * KEM X25519 (the portable `@hpke/dhkem-x25519`), HKDF-SHA256, AES-128-GCM (WebCrypto) or
 * ChaCha20-Poly1305 (`@hpke/chacha20poly1305`): what the server's gateway offers.
 * @module
 */
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { concat, own, randomBytes, utf8 } from "./bytes.js";
import { OHTTPError } from "./errors.js";

export const KEYS_MEDIA_TYPE = "application/ohttp-keys";
export const REQUEST_MEDIA_TYPE = "message/ohttp-req";
export const RESPONSE_MEDIA_TYPE = "message/ohttp-res";
export const GATEWAY_PATH = "/.well-known/ohttp-gateway";
export const KEY_PROBLEM_TYPE = "https://iana.org/assignments/http-problem-types#ohttp-key";

export const KEM_X25519_HKDF_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_CHACHA20_POLY1305 = 0x0003;

const REQUEST_LABEL = utf8("message/bhttp request");
const RESPONSE_LABEL = utf8("message/bhttp response");
/** @type {Record<number, { nk: number, nn: number, nt: number }>} */
const AEADS = { [AEAD_AES_128_GCM]: { nk: 16, nn: 12, nt: 16 }, [AEAD_CHACHA20_POLY1305]: { nk: 32, nn: 12, nt: 16 } };
const N_PK = 32;
const N_ENC = 32;

/**
 * @typedef {object} KeyConfig
 * @property {number} keyId
 * @property {number} kemId
 * @property {Uint8Array} publicKey
 * @property {Array<[number, number]>} suites  (kdfId, aeadId), in the gateway's order
 */

/** @param {string} detail */
const malformed = (detail) => new OHTTPError("ohttp_malformed", detail);

/**
 * Parse `application/ohttp-keys` (§3.2): length-prefixed key configurations. Bad framing
 * rejects the whole; a configuration with another KEM is skipped; none left: `key_configs_unusable`.
 * @param {Uint8Array} data
 * @returns {KeyConfig[]}
 */
export function decodeKeyConfigs(data) {
  if (!data.length) throw malformed("empty application/ohttp-keys");
  /** @type {KeyConfig[]} */
  const configs = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 2) throw malformed("truncated key configuration length");
    const length = (data[at] << 8) | data[at + 1];
    at += 2;
    if (length > data.length - at) throw malformed("key configuration longer than the remaining content");
    const config = decodeKeyConfig(data.subarray(at, at + length));
    at += length;
    if (config) configs.push(config);
  }
  if (!configs.length) throw new OHTTPError("key_configs_unusable", "no key configuration with a supported KEM");
  return configs;
}

/**
 * One key configuration (§3.1), or null for a KEM this client does not have.
 * @param {Uint8Array} data
 * @returns {KeyConfig | null}
 */
export function decodeKeyConfig(data) {
  if (data.length < 3) throw malformed("key configuration shorter than its header");
  const keyId = data[0];
  const kemId = (data[1] << 8) | data[2];
  if (kemId !== KEM_X25519_HKDF_SHA256) return null;
  let at = 3 + N_PK;
  if (data.length < at + 2) throw malformed("key configuration truncated in its public key");
  const publicKey = data.slice(3, at);
  const length = (data[at] << 8) | data[at + 1];
  at += 2;
  if (length < 4 || length % 4) throw malformed("symmetric algorithms length is not a positive multiple of 4");
  if (data.length !== at + length) throw malformed("key configuration length does not match its content");
  /** @type {Array<[number, number]>} */
  const suites = [];
  for (let i = at; i < at + length; i += 4) {
    suites.push([(data[i] << 8) | data[i + 1], (data[i + 2] << 8) | data[i + 3]]);
  }
  return { keyId, kemId, publicKey, suites };
}

/**
 * The first configuration, in the gateway's order, with a (KDF, AEAD) pair this client has,
 * and that pair; `key_configs_unusable` when there is none.
 * @param {KeyConfig[]} configs
 * @returns {{ config: KeyConfig, suite: [number, number] }}
 */
export function chooseConfig(configs) {
  for (const config of configs) {
    if (config.kemId !== KEM_X25519_HKDF_SHA256) continue;
    const suite = config.suites.find(([kdf, aead]) => kdf === KDF_HKDF_SHA256 && aead in AEADS);
    if (suite) return { config, suite };
  }
  throw new OHTTPError("key_configs_unusable", "the gateway offers no key configuration this client supports");
}

/** @param {number} aeadId */
function hpkeSuite(aeadId) {
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha256(),
    kdf: new HkdfSha256(),
    aead: aeadId === AEAD_CHACHA20_POLY1305 ? new Chacha20Poly1305() : new Aes128Gcm(),
  });
}

/**
 * HKDF-Extract and -Expand with SHA-256 (RFC 5869), on WebCrypto's HMAC.
 * @param {Uint8Array} salt
 * @param {Uint8Array} ikm
 */
async function hkdfExtract(salt, ikm) {
  const key = await globalThis.crypto.subtle.importKey("raw", own(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, own(ikm)));
}

/**
 * @param {Uint8Array} prk
 * @param {Uint8Array} info
 * @param {number} length at most 32
 */
async function hkdfExpand(prk, info, length) {
  const key = await globalThis.crypto.subtle.importKey("raw", own(prk), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const t = new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, own(concat(info, Uint8Array.of(1)))));
  return t.slice(0, length);
}

/**
 * @param {number} aeadId
 * @param {Uint8Array} key
 * @param {Uint8Array} nonce
 * @param {Uint8Array} data
 * @param {boolean} seal
 */
async function aead(aeadId, key, nonce, data, seal) {
  if (aeadId === AEAD_CHACHA20_POLY1305) {
    const ctx = new Chacha20Poly1305().createEncryptionContext(own(key).buffer);
    const out = seal ? await ctx.seal(own(nonce).buffer, own(data).buffer, new ArrayBuffer(0))
      : await ctx.open(own(nonce).buffer, own(data).buffer, new ArrayBuffer(0));
    return new Uint8Array(out);
  }
  const k = await globalThis.crypto.subtle.importKey("raw", own(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const params = { name: "AES-GCM", iv: own(nonce) };
  const out = seal ? await globalThis.crypto.subtle.encrypt(params, k, own(data))
    : await globalThis.crypto.subtle.decrypt(params, k, own(data));
  return new Uint8Array(out);
}

/**
 * What the client keeps of one encapsulated request to open its response (§4.4). The exported
 * secret is held privately and never shown.
 */
export class ClientContext {
  #secret;
  #enc;

  /**
   * @param {number} keyId
   * @param {number} aeadId
   * @param {Uint8Array} enc
   * @param {Uint8Array} secret
   */
  constructor(keyId, aeadId, enc, secret) {
    this.keyId = keyId;
    this.aeadId = aeadId;
    this.#enc = enc;
    this.#secret = secret;
  }

  #nonceLength() {
    const { nk, nn } = AEADS[this.aeadId];
    return Math.max(nk, nn);
  }

  /** @param {Uint8Array} responseNonce */
  async #keys(responseNonce) {
    const { nk, nn } = AEADS[this.aeadId];
    const prk = await hkdfExtract(concat(this.#enc, responseNonce), this.#secret);
    return { key: await hkdfExpand(prk, utf8("key"), nk), nonce: await hkdfExpand(prk, utf8("nonce"), nn) };
  }

  /**
   * The plaintext of an encapsulated response: `ohttp_malformed` when shorter than its nonce
   * and tag, `ohttp_decryption_failed` when it does not authenticate.
   * @param {Uint8Array} data
   */
  async decapsulateResponse(data) {
    const n = this.#nonceLength();
    if (data.length < n + AEADS[this.aeadId].nt) throw malformed("encapsulated response shorter than its nonce and tag");
    const { key, nonce } = await this.#keys(data.subarray(0, n));
    try {
      return await aead(this.aeadId, key, nonce, data.subarray(n), false);
    } catch {
      throw new OHTTPError("ohttp_decryption_failed", "encapsulated response does not authenticate");
    }
  }

  /**
   * The gateway's side of §4.4, for tests: `response_nonce || Seal(...)`.
   * @param {Uint8Array} response
   * @param {Uint8Array} [responseNonce] for published test vectors only
   */
  async encapsulateResponse(response, responseNonce) {
    const nonce = responseNonce || randomBytes(this.#nonceLength());
    const keys = await this.#keys(nonce);
    return concat(nonce, await aead(this.aeadId, keys.key, keys.nonce, response, true));
  }

  toString() {
    return `ClientContext(keyId=${this.keyId}, aeadId=${this.aeadId})`;
  }

  toJSON() {
    return { keyId: this.keyId, aeadId: this.aeadId };
  }
}

/**
 * `enc_request` for `config` (§4.3), and the context that opens its response.
 * @param {KeyConfig} config
 * @param {Uint8Array} request  a Binary HTTP message
 * @param {{ suite?: [number, number], ephemeralPrivateKey?: Uint8Array }} [options]
 *   `ephemeralPrivateKey` is for published test vectors only
 * @returns {Promise<{ encapsulated: Uint8Array, context: ClientContext }>}
 */
export async function encapsulateRequest(config, request, options = {}) {
  const suite = options.suite || chooseConfig([config]).suite;
  const [kdfId, aeadId] = suite;
  if (!config.suites.some(([k, a]) => k === kdfId && a === aeadId) || kdfId !== KDF_HKDF_SHA256 || !(aeadId in AEADS)) {
    throw new OHTTPError("key_configs_unusable", "the (kdf, aead) pair is not offered or not supported");
  }
  const header = Uint8Array.of(config.keyId, config.kemId >> 8, config.kemId & 0xff,
    kdfId >> 8, kdfId & 0xff, aeadId >> 8, aeadId & 0xff);
  const hpke = hpkeSuite(aeadId);
  let recipientPublicKey;
  try {
    recipientPublicKey = await hpke.kem.deserializePublicKey(own(config.publicKey).buffer);
  } catch {
    throw new OHTTPError("key_configs_unusable", "the KEM refused the key configuration's public key");
  }
  /** @type {any} */
  const params = { recipientPublicKey, info: own(concat(REQUEST_LABEL, Uint8Array.of(0), header)).buffer };
  if (options.ephemeralPrivateKey) {
    const kem = hpke.kem;
    const privateKey = await kem.deserializePrivateKey(own(options.ephemeralPrivateKey).buffer);
    // The KEM derives the public half (test vectors only: @hpke has no public API for it).
    const publicKey = await /** @type {any} */ (kem)._prim.derivePublicKey(privateKey);
    params.ekm = { privateKey, publicKey };
  }
  const sender = await hpke.createSenderContext(params);
  const enc = new Uint8Array(sender.enc);
  const ct = new Uint8Array(await sender.seal(own(request).buffer));
  const secret = new Uint8Array(await sender.export(own(RESPONSE_LABEL).buffer, Math.max(AEADS[aeadId].nk, AEADS[aeadId].nn)));
  if (enc.length !== N_ENC) throw new OHTTPError("key_configs_unusable", "unexpected enc length");
  return { encapsulated: concat(header, enc, ct), context: new ClientContext(config.keyId, aeadId, enc, secret) };
}
