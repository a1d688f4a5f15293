/** @param {number} value */
export function encodeVarint(value: number): Uint8Array<ArrayBuffer>;
/**
 * Encode a request, known-length, then `padding` zero bytes.
 * @param {BinaryRequest} request
 * @param {{ padding?: number }} [options]
 */
export function encodeRequest(request: BinaryRequest, options?: {
    padding?: number;
}): Uint8Array<ArrayBufferLike>;
/**
 * Decode a response (framing indicator 1 or 3); a message may end after any section (§3.8),
 * and padding after the trailers must be zeros.
 * @param {Uint8Array} data
 * @returns {BinaryResponse}
 */
export function decodeResponse(data: Uint8Array): BinaryResponse;
/**
 * Decode a request (framing indicator 0 or 2): for gateways and tests.
 * @param {Uint8Array} data
 * @returns {Required<BinaryRequest>}
 */
export function decodeRequest(data: Uint8Array): Required<BinaryRequest>;
/**
 * Encode a final response, known-length (for gateways and tests).
 * @param {{ status: number, headers?: Fields, content?: Uint8Array }} response
 */
export function encodeResponse(response: {
    status: number;
    headers?: Fields;
    content?: Uint8Array;
}): Uint8Array<ArrayBufferLike>;
export type Fields = Array<[string, string]>;
export type BinaryRequest = {
    method: string;
    scheme: string;
    authority: string;
    /**
     * the request target: "/api/notes/?a=1"
     */
    path: string;
    headers?: Fields | undefined;
    content?: Uint8Array<ArrayBufferLike> | undefined;
    trailers?: Fields | undefined;
};
export type BinaryResponse = {
    status: number;
    headers: Fields;
    content: Uint8Array;
    trailers: Fields;
    informational: Array<[number, Fields]>;
};
