/**
 * The `Content-Digest` field value for `body`: `sha-256=:...:`.
 * @param {Uint8Array} body
 * @param {string[]} [algorithms]
 * @returns {Promise<string>}
 */
export function contentDigest(body: Uint8Array, algorithms?: string[]): Promise<string>;
/**
 * Check every `sha-256` and `sha-512` member of `value` against `body` (other algorithms are
 * ignored, as if absent). Throws `digest_missing` (no field, or no supported member),
 * `signature_malformed` (does not parse) or `digest_mismatch`; returns the first checked.
 * @param {string | null | undefined} value
 * @param {Uint8Array} body
 * @returns {Promise<string>}
 */
export function verifyContentDigest(value: string | null | undefined, body: Uint8Array): Promise<string>;
/** The digest algorithms this package makes and checks. */
export const DIGEST_ALGORITHMS: readonly string[];
