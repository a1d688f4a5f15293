/** A fresh nonce: 16 random bytes in base64url (128 bits, as the server recommends). */
export function newNonce(): string;
/** The components of the profile; `content-digest` is added when the request has a body. */
export const DEFAULT_COMPONENTS: readonly string[];
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
    /**
     * An hmac signer from the secret the server issued (base64url without padding).
     * @param {string} keyId
     * @param {string | Uint8Array} secret
     * @param {Omit<SignerOptions, "keyId" | "key" | "algorithm">} [options]
     */
    static hmac(keyId: string, secret: string | Uint8Array, options?: Omit<SignerOptions, "keyId" | "key" | "algorithm">): Signer;
    /** @param {SignerOptions} options */
    constructor(options: SignerOptions);
    /** @type {string} */
    keyId: string;
    /** @type {string} */
    algorithm: string;
    /** @type {string} */
    label: string;
    /** @type {string[] | null} */
    components: string[] | null;
    /** @type {boolean} */
    includeAlg: boolean;
    /** @type {string | null} */
    tag: string | null;
    /** @type {number | null} */
    expiresIn: number | null;
    /** @type {() => number} */
    clock: () => number;
    /** @type {number} */
    clockOffset: number;
    /** @type {CryptoKey | null} */
    verifyKey: CryptoKey | null;
    /** Whether the server answers with the same key (hmac: API keys and hmac sessions). */
    get sharedSecret(): boolean;
    /** @returns {Promise<CryptoKey>} */
    signingKey(): Promise<CryptoKey>;
    /**
     * The key that verifies the server's responses signed with this key (hmac only: the same
     * secret). `null` for a client-held key, whose responses the server signs with its own key.
     * @returns {Promise<CryptoKey | null>}
     */
    responseKey(): Promise<CryptoKey | null>;
    /**
     * Sign one request. `url` is absolute; `body` is what will be sent, byte for byte.
     * @param {{ method: string, url: string | URL, headers?: HeadersInit | Array<[string, string]> | null,
     *           body?: string | Uint8Array | ArrayBuffer | null, created?: number, nonce?: string | null }} request
     * @returns {Promise<SignedRequest>}
     */
    sign(request: {
        method: string;
        url: string | URL;
        headers?: HeadersInit | Array<[string, string]> | null;
        body?: string | Uint8Array | ArrayBuffer | null;
        created?: number;
        nonce?: string | null;
    }): Promise<SignedRequest>;
    toString(): string;
    toJSON(): {
        keyId: string;
        algorithm: string;
        label: string;
    };
    #private;
}
export type SignerOptions = {
    /**
     * the key id (`key_…`) or session id (`ses_…`)
     */
    keyId: string;
    /**
     * default `hmac-sha256`
     */
    algorithm?: string | undefined;
    /**
     * see {@link importSigningKey}
     */
    key: CryptoKey | Uint8Array | string | JsonWebKey;
    /**
     * for a client-held key: its public half (optional)
     */
    verifyKey?: CryptoKey | undefined;
    /**
     * default `sig1`
     */
    label?: string | undefined;
    /**
     * null: the profile; a list is used as given
     */
    components?: string[] | null | undefined;
    /**
     * default true
     */
    includeAlg?: boolean | undefined;
    /**
     * when the server sets `SIGNATURE_TAG`
     */
    tag?: string | null | undefined;
    /**
     * seconds after `created`, or null for no `expires`
     */
    expiresIn?: number | null | undefined;
    /**
     * epoch seconds (default: the system clock)
     */
    clock?: (() => number) | undefined;
    /**
     * seconds added to the clock for `created` (a client
     * sets it from the `server_time` of a `clock_skew` refusal)
     */
    clockOffset?: number | undefined;
};
export type SignedRequest = {
    /**
     * every field line, the added ones last
     */
    headers: Array<[string, string]>;
    /**
     * `Content-Digest` (when added), `Signature-Input`, `Signature`
     */
    added: Array<[string, string]>;
    /**
     * the request as signed
     */
    message: import("./message.js").Message;
    body: Uint8Array | null;
};
