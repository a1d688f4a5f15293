/**
 * Standard base64 with padding (RFC 4648 §4), as Structured Field Byte Sequences use.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64Encode(bytes: Uint8Array): string;
/**
 * Decode base64 or base64url, with or without padding; anything else throws a `TypeError`.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64Decode(text: string): Uint8Array;
/**
 * base64url without padding (RFC 4648 §5), as secrets, JWK members and thumbprints use.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64UrlEncode(bytes: Uint8Array): string;
/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64UrlDecode(text: string): Uint8Array;
/** @param {string} text */
export function utf8(text: string): Uint8Array<ArrayBuffer>;
/** @param {Uint8Array} bytes */
export function fromUtf8(bytes: Uint8Array): string;
/**
 * Latin-1: one byte per character (lossless for any byte), as Binary HTTP field lines use.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function latin1(text: string): Uint8Array;
/** @param {Uint8Array} bytes */
export function fromLatin1(bytes: Uint8Array): string;
/** @param {Uint8Array} bytes */
export function hexEncode(bytes: Uint8Array): string;
/** @param {string} hex */
export function hexDecode(hex: string): Uint8Array<ArrayBuffer>;
/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts: Uint8Array[]): Uint8Array;
/**
 * Compare in time that depends only on the lengths.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean;
/**
 * Any body a caller may give, as bytes (`null` for none).
 * @param {string | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined} body
 * @returns {Uint8Array | null}
 */
export function toBytes(body: string | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined): Uint8Array | null;
/**
 * A copy in a fresh ArrayBuffer, which WebCrypto and fetch take as `BufferSource` everywhere.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function own(bytes: Uint8Array): Uint8Array<ArrayBuffer>;
/**
 * `count` random bytes from WebCrypto.
 * @param {number} count
 */
export function randomBytes(count: number): Uint8Array<ArrayBuffer>;
