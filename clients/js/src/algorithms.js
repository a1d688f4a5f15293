/**
 * The signature algorithms of the server's profile on WebCrypto: `hmac-sha256`,
 * `ecdsa-p256-sha256` (WebCrypto's ECDSA gives IEEE P1363 `r || s`, 64 bytes, which is what
 * RFC 9421 §3.3.4 signs) and `ed25519` where the runtime has it (Node 20, recent browsers).
 * @module
 */
import { base64Decode, base64UrlDecode, constantTimeEqual, own } from "./bytes.js";
import { SignatureError } from "./errors.js";

/**
 * @typedef {object} AlgorithmEntry
 * @property {string} name           the RFC 9421 name
 * @property {boolean} sharedSecret  a shared secret signs and verifies (the server answers with it)
 * @property {number} signatureLength
 * @property {any} importParams      WebCrypto's algorithm for importKey/generateKey
 * @property {any} signParams        WebCrypto's algorithm for sign/verify
 * @property {string | null} jwkKty
 * @property {string | null} jwkCrv
 */

/** @type {Record<string, AlgorithmEntry>} */
export const ALGORITHMS = Object.freeze({
  "hmac-sha256": {
    name: "hmac-sha256", sharedSecret: true, signatureLength: 32,
    importParams: { name: "HMAC", hash: "SHA-256" }, signParams: { name: "HMAC" },
    jwkKty: null, jwkCrv: null,
  },
  "ecdsa-p256-sha256": {
    name: "ecdsa-p256-sha256", sharedSecret: false, signatureLength: 64,
    importParams: { name: "ECDSA", namedCurve: "P-256" }, signParams: { name: "ECDSA", hash: "SHA-256" },
    jwkKty: "EC", jwkCrv: "P-256",
  },
  ed25519: {
    name: "ed25519", sharedSecret: false, signatureLength: 64,
    importParams: { name: "Ed25519" }, signParams: { name: "Ed25519" },
    jwkKty: "OKP", jwkCrv: "Ed25519",
  },
});

/** The algorithms of a device-bound key, P-256 first (what phones' secure hardware holds). */
export const DEVICE_ALGORITHMS = Object.freeze(["ecdsa-p256-sha256", "ed25519"]);

/**
 * @param {string} name
 * @returns {AlgorithmEntry}
 */
export function algorithm(name) {
  const entry = Object.prototype.hasOwnProperty.call(ALGORITHMS, name) ? ALGORITHMS[name] : null;
  if (!entry) throw new SignatureError("algorithm_unsupported", `unknown algorithm ${name}`);
  return entry;
}

/** @type {Promise<boolean> | null} */
let ed25519Probe = null;

/** Whether this runtime's WebCrypto does Ed25519 (probed once). */
export function ed25519Supported() {
  if (!ed25519Probe) {
    ed25519Probe = globalThis.crypto.subtle
      .generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
      .then(() => true, () => false);
  }
  return ed25519Probe;
}

/**
 * PEM to DER bytes (the one block of `label`).
 * @param {string} pem
 * @param {string} label e.g. "PRIVATE KEY"
 */
export function pemToDer(pem, label) {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]*)-----END ${label}-----`).exec(pem);
  if (!m) throw new TypeError(`not a PEM ${label} block`);
  return base64Decode(m[1].replace(/\s+/g, ""));
}

/**
 * @param {unknown} value
 * @returns {value is CryptoKey}
 */
function isCryptoKey(value) {
  return typeof CryptoKey !== "undefined" ? value instanceof CryptoKey
    : !!value && typeof value === "object" && "algorithm" in value && "usages" in value;
}

/**
 * A key that signs with `name`:
 * - `hmac-sha256`: the secret as bytes, or as base64url text (how the server issues it), or an
 *   HMAC `CryptoKey`;
 * - `ecdsa-p256-sha256`, `ed25519`: a private `CryptoKey`, a private JWK, or a PKCS#8 PEM.
 * Imported keys are not extractable.
 * @param {string} name
 * @param {CryptoKey | Uint8Array | string | JsonWebKey} key
 * @returns {Promise<CryptoKey>}
 */
export async function importSigningKey(name, key) {
  const entry = algorithm(name);
  if (isCryptoKey(key)) return key;
  const subtle = globalThis.crypto.subtle;
  if (entry.sharedSecret) {
    const raw = typeof key === "string" ? base64UrlDecode(key.trim()) : key;
    if (!(raw instanceof Uint8Array)) throw new TypeError("an hmac secret is bytes or base64url text");
    if (raw.length < 16) throw new TypeError("an hmac secret of fewer than 16 bytes");
    return subtle.importKey("raw", own(raw), entry.importParams, false, ["sign", "verify"]);
  }
  if (typeof key === "string") {
    return subtle.importKey("pkcs8", own(pemToDer(key, "PRIVATE KEY")), entry.importParams, false, ["sign"]);
  }
  if (key && typeof key === "object" && !(key instanceof Uint8Array)) {
    const jwk = /** @type {JsonWebKey} */ (key);
    if (!jwk.d) throw new TypeError("a signing JWK needs its private member d");
    const { kty, crv, x, y, d } = jwk;
    return subtle.importKey("jwk", y === undefined ? { kty, crv, x, d } : { kty, crv, x, y, d },
      entry.importParams, false, ["sign"]);
  }
  throw new TypeError(`a ${name} signing key is a CryptoKey, a private JWK or a PKCS#8 PEM`);
}

/**
 * A key that verifies `name`: a `CryptoKey`, a public JWK (members beyond kty, crv, x, y are
 * ignored), an SPKI PEM, or an hmac secret.
 * @param {string} name
 * @param {CryptoKey | Uint8Array | string | JsonWebKey} key
 * @returns {Promise<CryptoKey>}
 */
export async function importVerifyingKey(name, key) {
  const entry = algorithm(name);
  if (isCryptoKey(key)) return key;
  if (entry.sharedSecret) return importSigningKey(name, key);
  const subtle = globalThis.crypto.subtle;
  if (typeof key === "string") {
    return subtle.importKey("spki", own(pemToDer(key, "PUBLIC KEY")), entry.importParams, true, ["verify"]);
  }
  const { kty, crv, x, y } = /** @type {JsonWebKey} */ (key);
  if (kty !== entry.jwkKty || crv !== entry.jwkCrv) {
    throw new SignatureError("algorithm_mismatch", `a ${kty}/${crv} key is not a ${name} key`);
  }
  return subtle.importKey("jwk", y === undefined ? { kty, crv, x } : { kty, crv, x, y },
    entry.importParams, true, ["verify"]);
}

/**
 * @param {string} name
 * @param {CryptoKey} key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export async function signBytes(name, key, data) {
  const entry = algorithm(name);
  return new Uint8Array(await globalThis.crypto.subtle.sign(entry.signParams, key, own(data)));
}

/**
 * Whether `signature` verifies; a signature of the wrong length is refused before any
 * computation, and an hmac is compared in constant time.
 * @param {string} name
 * @param {CryptoKey} key
 * @param {Uint8Array} data
 * @param {Uint8Array} signature
 */
export async function verifyBytes(name, key, data, signature) {
  const entry = algorithm(name);
  if (signature.length !== entry.signatureLength) return false;
  if (entry.sharedSecret) {
    const mac = await signBytes(name, key, data);
    return constantTimeEqual(mac, signature);
  }
  try {
    return await globalThis.crypto.subtle.verify(entry.signParams, key, own(signature), own(data));
  } catch {
    return false;
  }
}
