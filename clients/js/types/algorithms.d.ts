/**
 * @param {string} name
 * @returns {AlgorithmEntry}
 */
export function algorithm(name: string): AlgorithmEntry;
/** Whether this runtime's WebCrypto does Ed25519 (probed once). */
export function ed25519Supported(): Promise<boolean>;
/**
 * PEM to DER bytes (the one block of `label`).
 * @param {string} pem
 * @param {string} label e.g. "PRIVATE KEY"
 */
export function pemToDer(pem: string, label: string): Uint8Array<ArrayBufferLike>;
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
export function importSigningKey(name: string, key: CryptoKey | Uint8Array | string | JsonWebKey): Promise<CryptoKey>;
/**
 * A key that verifies `name`: a `CryptoKey`, a public JWK (members beyond kty, crv, x, y are
 * ignored), an SPKI PEM, or an hmac secret.
 * @param {string} name
 * @param {CryptoKey | Uint8Array | string | JsonWebKey} key
 * @returns {Promise<CryptoKey>}
 */
export function importVerifyingKey(name: string, key: CryptoKey | Uint8Array | string | JsonWebKey): Promise<CryptoKey>;
/**
 * @param {string} name
 * @param {CryptoKey} key
 * @param {Uint8Array} data
 * @returns {Promise<Uint8Array>}
 */
export function signBytes(name: string, key: CryptoKey, data: Uint8Array): Promise<Uint8Array>;
/**
 * Whether `signature` verifies; a signature of the wrong length is refused before any
 * computation, and an hmac is compared in constant time.
 * @param {string} name
 * @param {CryptoKey} key
 * @param {Uint8Array} data
 * @param {Uint8Array} signature
 */
export function verifyBytes(name: string, key: CryptoKey, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
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
export const ALGORITHMS: Record<string, AlgorithmEntry>;
/** The algorithms of a device-bound key, P-256 first (what phones' secure hardware holds). */
export const DEVICE_ALGORITHMS: readonly string[];
export type AlgorithmEntry = {
    /**
     * the RFC 9421 name
     */
    name: string;
    /**
     * a shared secret signs and verifies (the server answers with it)
     */
    sharedSecret: boolean;
    signatureLength: number;
    /**
     * WebCrypto's algorithm for importKey/generateKey
     */
    importParams: any;
    /**
     * WebCrypto's algorithm for sign/verify
     */
    signParams: any;
    jwkKty: string | null;
    jwkCrv: string | null;
};
