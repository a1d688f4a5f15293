/**
 * RFC 9530 `Content-Digest` (`sha-256`, `sha-512`), as `signed_api/core/digest.py` makes and
 * checks it.
 * @module
 */
import { base64Encode, constantTimeEqual, own } from "./bytes.js";
import { SignatureError } from "./errors.js";
import { parseByteSequences } from "./sf.js";

/** @type {Record<string, string>} */
const HASHES = { "sha-256": "SHA-256", "sha-512": "SHA-512" };

/** The digest algorithms this package makes and checks. */
export const DIGEST_ALGORITHMS = Object.freeze(Object.keys(HASHES));

/**
 * The `Content-Digest` field value for `body`: `sha-256=:...:`.
 * @param {Uint8Array} body
 * @param {string[]} [algorithms]
 * @returns {Promise<string>}
 */
export async function contentDigest(body, algorithms = ["sha-256"]) {
  if (!algorithms.length) throw new TypeError("at least one digest algorithm is needed");
  const members = [];
  for (const alg of algorithms) {
    const hash = HASHES[alg];
    if (!hash) throw new TypeError(`unsupported digest algorithm ${alg}`);
    const digest = new Uint8Array(await globalThis.crypto.subtle.digest(hash, own(body)));
    members.push(`${alg}=:${base64Encode(digest)}:`);
  }
  return members.join(", ");
}

/**
 * Check every `sha-256` and `sha-512` member of `value` against `body` (other algorithms are
 * ignored, as if absent). Throws `digest_missing` (no field, or no supported member),
 * `signature_malformed` (does not parse) or `digest_mismatch`; returns the first checked.
 * @param {string | null | undefined} value
 * @param {Uint8Array} body
 * @returns {Promise<string>}
 */
export async function verifyContentDigest(value, body) {
  if (value === null || value === undefined) {
    throw new SignatureError("digest_missing", "no Content-Digest field");
  }
  const members = parseByteSequences(value, "Content-Digest");
  const checked = [];
  for (const [alg, bytes] of members) {
    const hash = HASHES[alg];
    if (!hash) continue;
    if (bytes === null) {
      throw new SignatureError("signature_malformed", `Content-Digest ${alg} is not a Byte Sequence`);
    }
    const expected = new Uint8Array(await globalThis.crypto.subtle.digest(hash, own(body)));
    if (!constantTimeEqual(expected, bytes)) {
      throw new SignatureError("digest_mismatch", `Content-Digest ${alg} does not match the body`);
    }
    checked.push(alg);
  }
  if (!checked.length) {
    throw new SignatureError("digest_missing", "Content-Digest has no sha-256 or sha-512 member");
  }
  return checked[0];
}
