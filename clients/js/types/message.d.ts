/**
 * RFC 9421 §2.2.3 / RFC 9110 §4.2.3: lower-case host, default port removed, no userinfo.
 * @param {string | null} scheme
 * @param {string} authority
 */
export function normalizeAuthority(scheme: string | null, authority: string): string;
/**
 * Header lines from anything fetch accepts: a `Headers`, an array of pairs, a plain object.
 * @param {HeadersInit | undefined | null} headers
 * @returns {Array<[string, string]>}
 */
export function headerLines(headers: HeadersInit | undefined | null): Array<[string, string]>;
/**
 * Path and query of a URL as it will go on the wire: what the WHATWG URL parser (and so fetch)
 * sends. `query` is null when there is no "?" at all, "" for a bare "?".
 * @param {URL} url
 */
export function pathAndQuery(url: URL): {
    path: string;
    query: string | null;
};
/**
 * A request message for an absolute URL.
 * @param {string} method
 * @param {string | URL} url
 * @param {Array<[string, string]>} headers
 * @param {Uint8Array | null} body
 * @returns {Message}
 */
export function requestMessage(method: string, url: string | URL, headers: Array<[string, string]>, body: Uint8Array | null): Message;
/**
 * A response message, with the request it answers.
 * @param {number} status
 * @param {Array<[string, string]>} headers
 * @param {Uint8Array | null} body
 * @param {Message | null} request
 * @returns {Message}
 */
export function responseMessage(status: number, headers: Array<[string, string]>, body: Uint8Array | null, request: Message | null): Message;
/**
 * Every line of the field `name`, or null when absent.
 * @param {Message} message
 * @param {string} name lower case
 */
export function fieldLines(message: Message, name: string): string[] | null;
/**
 * RFC 9110 §5.3: the lines trimmed and joined with ", ".
 * @param {Message} message
 * @param {string} name
 */
export function fieldValue(message: Message, name: string): string | null;
export type Message = {
    method: string | null;
    /**
     * lower case
     */
    scheme: string | null;
    /**
     * lower-case host, no default port
     */
    authority: string | null;
    /**
     * raw, still percent-encoded
     */
    path: string | null;
    /**
     * raw, without "?"; null when the target had no "?"
     */
    query: string | null;
    /**
     * responses only
     */
    status: number | null;
    /**
     * field lines in order, names lower case
     */
    headers: Array<[string, string]>;
    body: Uint8Array | null;
    /**
     * for `req` components of a response
     */
    request: Message | null;
};
