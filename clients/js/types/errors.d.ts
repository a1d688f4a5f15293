/**
 * Typed errors. Every error this package throws on purpose is a {@link SignedApiError} with a
 * stable `code`: the server's own code when the server said no, or the same vocabulary as the
 * server's core (docs/protocol.md, "Errors") when a local check failed.
 * @module
 */
/** The base class: `code` is a stable, machine-readable string; branch on it. */
export class SignedApiError extends Error {
    /**
     * @param {string} code
     * @param {string} [message]
     */
    constructor(code: string, message?: string);
    /** @type {string} */
    code: string;
}
/**
 * A signature could not be made, or a response's signature did not verify. `code` is one of
 * the server's codes: `signature_missing`, `signature_malformed`, `signature_invalid`,
 * `component_missing`, `digest_missing`, `digest_mismatch`, `unknown_key`, `clock_skew`,
 * `algorithm_mismatch`, `algorithm_unsupported`.
 */
export class SignatureError extends SignedApiError {
    /** @type {string | null} */
    detail: string | null;
}
/** A Binary HTTP message (RFC 9292) that does not decode or cannot be encoded. */
export class BinaryHttpError extends SignatureError {
    /** @param {string} detail */
    constructor(detail: string);
}
/**
 * The server answered with a status that is not a success. `code` is the `code` of its JSON
 * body, or `http_<status>` when the body has none.
 */
export class ApiError extends SignedApiError {
    /**
     * @param {number} status
     * @param {string | null | undefined} code
     * @param {string | null | undefined} detail
     * @param {unknown} [body]
     * @param {number | null} [retryAfter]
     */
    constructor(status: number, code: string | null | undefined, detail: string | null | undefined, body?: unknown, retryAfter?: number | null);
    /** @type {number} */
    status: number;
    /** @type {string | null} */
    detail: string | null;
    /** @type {unknown} */
    body: unknown;
    /** @type {number | null} */
    retryAfter: number | null;
}
/** A login, second-factor or remember-token step was refused. */
export class LoginError extends ApiError {
    /** @type {number | null} */
    attemptsRemaining: number | null;
}
/**
 * The Oblivious HTTP gateway gave no encapsulated response that opens. `status` is the outer
 * HTTP status (`null` when a 200 could not be opened). Codes: `ohttp_key`,
 * `key_configs_unusable`, `gateway_refused` (or the gateway's own code), `not_ohttp`,
 * `ohttp_malformed`, `ohttp_decryption_failed`, `binary_http_malformed`. The message names the
 * gateway, the status and the code only, never anything of the inner request or response.
 */
export class OHTTPError extends SignedApiError {
    /**
     * @param {string} code
     * @param {string} message
     * @param {number | null} [status]
     */
    constructor(code: string, message: string, status?: number | null);
    /** @type {number | null} */
    status: number | null;
}
