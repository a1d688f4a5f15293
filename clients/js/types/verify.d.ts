/**
 * Verify the signature of `message` that `policy` selects.
 * @param {Message} message
 * @param {(keyId: string, params: Map<string, any>) => Promise<ResolvedKey>} resolve
 *   the key for a keyid, or a `SignatureError` (`unknown_key` lets the next signature be tried)
 * @param {Policy} policy
 * @param {{ now?: number }} [options] epoch seconds
 * @returns {Promise<VerifiedSignature>}
 */
export function verifyMessage(message: Message, resolve: (keyId: string, params: Map<string, any>) => Promise<ResolvedKey>, policy: Policy, options?: {
    now?: number;
}): Promise<VerifiedSignature>;
/** @typedef {import("./message.js").Message} Message */
/**
 * @typedef {object} Policy
 * @property {string[]} [requiredComponents] serialized identifiers, e.g. `"@status"`, `"@path";req`
 * @property {string[]} [requiredParams]     e.g. `keyid`, `created`
 * @property {number} [clockSkew]            seconds, both ways (default 300)
 * @property {boolean} [requireDigestForBody]
 * @property {string | null} [tag]
 * @property {string | null} [label]
 */
/**
 * @typedef {object} ResolvedKey
 * @property {string} algorithm
 * @property {CryptoKey} key
 */
/**
 * @typedef {object} VerifiedSignature
 * @property {string} label
 * @property {string} keyId
 * @property {string} algorithm
 * @property {Map<string, string | number | boolean>} params
 * @property {string[]} components  serialized identifiers
 * @property {number | null} created
 */
export const MAX_SIGNATURES: 8;
export type Message = import("./message.js").Message;
export type Policy = {
    /**
     * serialized identifiers, e.g. `"@status"`, `"@path";req`
     */
    requiredComponents?: string[] | undefined;
    /**
     * e.g. `keyid`, `created`
     */
    requiredParams?: string[] | undefined;
    /**
     * seconds, both ways (default 300)
     */
    clockSkew?: number | undefined;
    requireDigestForBody?: boolean | undefined;
    tag?: string | null | undefined;
    label?: string | null | undefined;
};
export type ResolvedKey = {
    algorithm: string;
    key: CryptoKey;
};
export type VerifiedSignature = {
    label: string;
    keyId: string;
    algorithm: string;
    params: Map<string, string | number | boolean>;
    /**
     * serialized identifiers
     */
    components: string[];
    created: number | null;
};
