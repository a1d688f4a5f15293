/**
 * RFC 7638 JWK thumbprint (SHA-256, base64url): the required members in lexicographic order,
 * no whitespace.
 * @param {JsonWebKey} jwk
 * @returns {Promise<string>}
 */
export function jwkThumbprint(jwk: JsonWebKey): Promise<string>;
/** A device key: the key pair (private half not extractable), its public JWK and thumbprint. */
export class DeviceKey {
    /**
     * A new key, made by WebCrypto with a private half that cannot be exported.
     * @param {string} [algorithmName] `ecdsa-p256-sha256` (default) or `ed25519`
     */
    static generate(algorithmName?: string): Promise<DeviceKey>;
    /**
     * @param {string} algorithmName
     * @param {CryptoKeyPair} keyPair
     */
    static fromKeyPair(algorithmName: string, keyPair: CryptoKeyPair): Promise<DeviceKey>;
    /** @param {any} stored */
    static fromStored(stored: any): Promise<DeviceKey | null>;
    /**
     * @param {string} algorithmName
     * @param {CryptoKeyPair} keyPair
     * @param {JsonWebKey} jwk
     * @param {string} thumbprint
     */
    constructor(algorithmName: string, keyPair: CryptoKeyPair, jwk: JsonWebKey, thumbprint: string);
    /** @type {string} */
    algorithm: string;
    /** @type {CryptoKeyPair} */
    keyPair: CryptoKeyPair;
    /** @type {JsonWebKey} */
    jwk: JsonWebKey;
    /** @type {string} */
    thumbprint: string;
    /** What `POST sessions/` carries to bind the session to this key. */
    registration(): {
        public_key: JsonWebKey;
        algorithm: string;
    };
    /**
     * A signer with this key under `keyId` (a session id, or the thumbprint for an exchange).
     * @param {string} keyId
     * @param {Partial<import("./signer.js").SignerOptions>} [options]
     */
    signer(keyId: string, options?: Partial<import("./signer.js").SignerOptions>): Signer;
    /** What a key store keeps (the CryptoKeys themselves: IndexedDB stores them as they are). */
    toStored(): {
        algorithm: string;
        keyPair: CryptoKeyPair;
    };
    toJSON(): {
        algorithm: string;
        thumbprint: string;
        jwk: JsonWebKey;
    };
}
import { Signer } from "./signer.js";
