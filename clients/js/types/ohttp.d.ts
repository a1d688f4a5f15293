/**
 * Parse `application/ohttp-keys` (§3.2): length-prefixed key configurations. Bad framing
 * rejects the whole; a configuration with another KEM is skipped; none left: `key_configs_unusable`.
 * @param {Uint8Array} data
 * @returns {KeyConfig[]}
 */
export function decodeKeyConfigs(data: Uint8Array): KeyConfig[];
/**
 * One key configuration (§3.1), or null for a KEM this client does not have.
 * @param {Uint8Array} data
 * @returns {KeyConfig | null}
 */
export function decodeKeyConfig(data: Uint8Array): KeyConfig | null;
/**
 * The first configuration, in the gateway's order, with a (KDF, AEAD) pair this client has,
 * and that pair; `key_configs_unusable` when there is none.
 * @param {KeyConfig[]} configs
 * @returns {{ config: KeyConfig, suite: [number, number] }}
 */
export function chooseConfig(configs: KeyConfig[]): {
    config: KeyConfig;
    suite: [number, number];
};
/**
 * `enc_request` for `config` (§4.3), and the context that opens its response.
 * @param {KeyConfig} config
 * @param {Uint8Array} request  a Binary HTTP message
 * @param {{ suite?: [number, number], ephemeralPrivateKey?: Uint8Array }} [options]
 *   `ephemeralPrivateKey` is for published test vectors only
 * @returns {Promise<{ encapsulated: Uint8Array, context: ClientContext }>}
 */
export function encapsulateRequest(config: KeyConfig, request: Uint8Array, options?: {
    suite?: [number, number];
    ephemeralPrivateKey?: Uint8Array;
}): Promise<{
    encapsulated: Uint8Array;
    context: ClientContext;
}>;
export const KEYS_MEDIA_TYPE: "application/ohttp-keys";
export const REQUEST_MEDIA_TYPE: "message/ohttp-req";
export const RESPONSE_MEDIA_TYPE: "message/ohttp-res";
export const GATEWAY_PATH: "/.well-known/ohttp-gateway";
export const KEY_PROBLEM_TYPE: "https://iana.org/assignments/http-problem-types#ohttp-key";
export const KEM_X25519_HKDF_SHA256: 32;
export const KDF_HKDF_SHA256: 1;
export const AEAD_AES_128_GCM: 1;
export const AEAD_CHACHA20_POLY1305: 3;
/**
 * What the client keeps of one encapsulated request to open its response (§4.4). The exported
 * secret is held privately and never shown.
 */
export class ClientContext {
    /**
     * @param {number} keyId
     * @param {number} aeadId
     * @param {Uint8Array} enc
     * @param {Uint8Array} secret
     */
    constructor(keyId: number, aeadId: number, enc: Uint8Array, secret: Uint8Array);
    keyId: number;
    aeadId: number;
    /**
     * The plaintext of an encapsulated response: `ohttp_malformed` when shorter than its nonce
     * and tag, `ohttp_decryption_failed` when it does not authenticate.
     * @param {Uint8Array} data
     */
    decapsulateResponse(data: Uint8Array): Promise<Uint8Array<ArrayBuffer>>;
    /**
     * The gateway's side of §4.4, for tests: `response_nonce || Seal(...)`.
     * @param {Uint8Array} response
     * @param {Uint8Array} [responseNonce] for published test vectors only
     */
    encapsulateResponse(response: Uint8Array, responseNonce?: Uint8Array): Promise<Uint8Array<ArrayBufferLike>>;
    toString(): string;
    toJSON(): {
        keyId: number;
        aeadId: number;
    };
    #private;
}
export type KeyConfig = {
    keyId: number;
    kemId: number;
    publicKey: Uint8Array;
    /**
     * (kdfId, aeadId), in the gateway's order
     */
    suites: Array<[number, number]>;
};
