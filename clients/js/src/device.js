/**
 * Device-bound keys (docs/sessions.md, "Device-bound sessions"): a non-extractable ECDSA P-256
 * (or Ed25519) `CryptoKey` made here, whose public JWK a login registers; the session then
 * verifies this device's signatures, and a remember token bound to it is traded only in a
 * request signed by it, with the RFC 7638 thumbprint as `keyid`.
 * @module
 */
import { base64UrlEncode, utf8 } from "./bytes.js";
import { DEVICE_ALGORITHMS, algorithm } from "./algorithms.js";
import { Signer } from "./signer.js";

/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in lexicographic order,
 * no whitespace.
 * @param {JsonWebKey} jwk
 * @returns {Promise<string>}
 */
export async function jwkThumbprint(jwk) {
  /** @type {Record<string, string[]>} */
  const members = { EC: ["crv", "kty", "x", "y"], OKP: ["crv", "kty", "x"], RSA: ["e", "kty", "n"], oct: ["k", "kty"] };
  const names = members[/** @type {string} */ (jwk.kty)];
  if (!names) throw new TypeError(`no thumbprint for a ${jwk.kty} key`);
  const json = "{" + names.map((n) => {
    const v = /** @type {any} */ (jwk)[n];
    if (typeof v !== "string") throw new TypeError(`the JWK has no ${n}`);
    return `${JSON.stringify(n)}:${JSON.stringify(v)}`;
  }).join(",") + "}";
  return base64UrlEncode(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", utf8(json))));
}

/** A device key: the key pair (private half not extractable), its public JWK and thumbprint. */
export class DeviceKey {
  /**
   * @param {string} algorithmName
   * @param {CryptoKeyPair} keyPair
   * @param {JsonWebKey} jwk
   * @param {string} thumbprint
   */
  constructor(algorithmName, keyPair, jwk, thumbprint) {
    /** @type {string} */
    this.algorithm = algorithmName;
    /** @type {CryptoKeyPair} */
    this.keyPair = keyPair;
    /** @type {JsonWebKey} */
    this.jwk = jwk;
    /** @type {string} */
    this.thumbprint = thumbprint;
  }

  /**
   * A new key, made by WebCrypto with a private half that cannot be exported.
   * @param {string} [algorithmName] `ecdsa-p256-sha256` (default) or `ed25519`
   */
  static async generate(algorithmName = "ecdsa-p256-sha256") {
    if (!DEVICE_ALGORITHMS.includes(algorithmName)) {
      throw new TypeError(`a device key's algorithm is one of ${DEVICE_ALGORITHMS.join(", ")}`);
    }
    const entry = algorithm(algorithmName);
    const pair = /** @type {CryptoKeyPair} */ (
      await globalThis.crypto.subtle.generateKey(entry.importParams, false, ["sign", "verify"]));
    return DeviceKey.fromKeyPair(algorithmName, pair);
  }

  /**
   * @param {string} algorithmName
   * @param {CryptoKeyPair} keyPair
   */
  static async fromKeyPair(algorithmName, keyPair) {
    const full = await globalThis.crypto.subtle.exportKey("jwk", keyPair.publicKey);
    /** @type {JsonWebKey} */
    const jwk = full.kty === "EC" ? { kty: "EC", crv: full.crv, x: full.x, y: full.y }
      : { kty: full.kty, crv: full.crv, x: full.x };
    return new DeviceKey(algorithmName, keyPair, jwk, await jwkThumbprint(jwk));
  }

  /** What `POST sessions/` carries to bind the session to this key. */
  registration() {
    return { public_key: this.jwk, algorithm: this.algorithm };
  }

  /**
   * A signer with this key under `keyId` (a session id, or the thumbprint for an exchange).
   * @param {string} keyId
   * @param {Partial<import("./signer.js").SignerOptions>} [options]
   */
  signer(keyId, options = {}) {
    return new Signer({ ...options, keyId, algorithm: this.algorithm, key: this.keyPair.privateKey,
      verifyKey: this.keyPair.publicKey });
  }

  /** What a key store keeps (the CryptoKeys themselves: IndexedDB stores them as they are). */
  toStored() {
    return { algorithm: this.algorithm, keyPair: this.keyPair };
  }

  /** @param {any} stored */
  static async fromStored(stored) {
    if (!stored || !stored.keyPair || !DEVICE_ALGORITHMS.includes(stored.algorithm)) return null;
    return DeviceKey.fromKeyPair(stored.algorithm, stored.keyPair);
  }

  toJSON() {
    return { algorithm: this.algorithm, thumbprint: this.thumbprint, jwk: this.jwk };
  }
}
