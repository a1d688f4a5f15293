/**
 * Byte helpers on plain `Uint8Array`s (no Node `Buffer`): base64, base64url, UTF-8, hex.
 * @module
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/** @type {Int16Array} */
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/**
 * Standard base64 with padding (RFC 4648 §4), as Structured Field Byte Sequences use.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64Encode(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((i + 1 < bytes.length ? bytes[i + 1] : 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? B64[(n >> 6) & 63] + "=" : "==";
  }
  return out;
}

/**
 * Decode base64 or base64url, with or without padding; anything else throws a `TypeError`.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64Decode(text) {
  let s = text.replace(/-/g, "+").replace(/_/g, "/");
  const pad = s.indexOf("=");
  if (pad >= 0) {
    if (!/^=*$/.test(s.slice(pad)) || s.length % 4 !== 0) throw new TypeError("bad base64 padding");
    s = s.slice(0, pad);
  }
  if (s.length % 4 === 1) throw new TypeError("bad base64 length");
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new TypeError("not base64");
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/**
 * base64url without padding (RFC 4648 §5), as secrets, JWK members and thumbprints use.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64UrlEncode(bytes) {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * @param {string} text
 * @returns {Uint8Array}
 */
export function base64UrlDecode(text) {
  if (/[+/]/.test(text)) throw new TypeError("not base64url");
  return base64Decode(text);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** @param {string} text */
export function utf8(text) {
  return encoder.encode(text);
}

/** @param {Uint8Array} bytes */
export function fromUtf8(bytes) {
  return decoder.decode(bytes);
}

/**
 * Latin-1: one byte per character (lossless for any byte), as Binary HTTP field lines use.
 * @param {string} text
 * @returns {Uint8Array}
 */
export function latin1(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new TypeError("a character beyond latin-1");
    out[i] = c;
  }
  return out;
}

/** @param {Uint8Array} bytes */
export function fromLatin1(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}

/** @param {Uint8Array} bytes */
export function hexEncode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {string} hex */
export function hexDecode(hex) {
  if (hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array}
 */
export function concat(...parts) {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Compare in time that depends only on the lengths.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/**
 * Any body a caller may give, as bytes (`null` for none).
 * @param {string | Uint8Array | ArrayBuffer | ArrayBufferView | null | undefined} body
 * @returns {Uint8Array | null}
 */
export function toBytes(body) {
  if (body === null || body === undefined) return null;
  if (typeof body === "string") return utf8(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(
    "a signed body must be known before sending: give a string, Uint8Array or ArrayBuffer",
  );
}

/**
 * A copy in a fresh ArrayBuffer, which WebCrypto and fetch take as `BufferSource` everywhere.
 * @param {Uint8Array} bytes
 * @returns {Uint8Array<ArrayBuffer>}
 */
export function own(bytes) {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * `count` random bytes from WebCrypto.
 * @param {number} count
 */
export function randomBytes(count) {
  return globalThis.crypto.getRandomValues(new Uint8Array(count));
}
