/**
 * The policy of a response to a request signed with label `requestLabel` (null: an unsigned
 * request, whose answer covers no request signature). Every answer the server signs covers
 * `@status`, `content-digest` and the request's `@method` and `@path` (`;req`): an answer to a
 * verified request with the request's key, any other (a refusal, a login's answer) with the
 * server key, which also covers every member of the request's `Signature`. `present`: the
 * fields of {@link COVERED_WHEN_PRESENT} that the response has, required too.
 * @param {string | null} requestLabel
 * @param {number} [clockSkew]
 * @param {string[]} [present]
 * @returns {import("./verify.js").Policy}
 */
export function responsePolicy(requestLabel: string | null, clockSkew?: number, present?: string[]): import("./verify.js").Policy;
/**
 * @typedef {object} VerifyResponseOptions
 * @property {Signer | null} [signer]        what signed the request (null: an unsigned request)
 * @property {ServerKeys | null} [serverKeys] the server's keys (needed for client-held keys)
 * @property {number} [now]
 * @property {number} [clockSkew]
 */
/**
 * Verify `response` (a message whose `request` is the request as signed). Throws a
 * `SignatureError`; returns the verified signature.
 * @param {Message} response
 * @param {VerifyResponseOptions} options
 */
export function verifyResponse(response: Message, options: VerifyResponseOptions): Promise<import("./verify.js").VerifiedSignature>;
/** @typedef {import("./message.js").Message} Message */
/** @typedef {import("./signer.js").Signer} Signer */
/** @typedef {import("./jwks.js").ServerKeys} ServerKeys */
/**
 * Fields the server covers whenever a response has them, and that must then be covered: an
 * uncovered one was added on the way (a `Retry-After` of a day on a real 503).
 */
export const COVERED_WHEN_PRESENT: readonly string[];
export type VerifyResponseOptions = {
    /**
     * what signed the request (null: an unsigned request)
     */
    signer?: import("./signer.js").Signer | null | undefined;
    /**
     * the server's keys (needed for client-held keys)
     */
    serverKeys?: import("./jwks.js").ServerKeys | null | undefined;
    now?: number | undefined;
    clockSkew?: number | undefined;
};
export type Message = import("./message.js").Message;
export type Signer = import("./signer.js").Signer;
export type ServerKeys = import("./jwks.js").ServerKeys;
