/**
 * Verifying the server's signature on a response to a request this package signed
 * (docs/protocol.md, "Response signatures"): it must cover `@status`, `content-digest` of the
 * body, and the request's `@method`, `@path` and own `signature` member (`;req`), so a response
 * cannot be replayed as the answer to another request.
 *
 * - hmac keys: signed with the same secret, `keyid` the request's own key id;
 * - client-held keys (ed25519, ecdsa, device-bound sessions): signed by the server's Ed25519
 *   key, `keyid` its `kid` in the JWKS ({@link ServerKeys}, refreshed on an unknown kid).
 *
 * The same function verifies a signed refusal (a 4xx or 5xx, which the server signs with its own
 * key whatever the request's key was) and the server-key signature on the answers to unsigned
 * requests (a login): the request's `@method` and `@path`, and its signature when it had one
 * (`"signature";req`), bind the answer to this very request.
 * @module
 */
import { SignatureError } from "./errors.js";
import { fieldLines } from "./message.js";
import { verifyMessage } from "./verify.js";

/** @typedef {import("./message.js").Message} Message */
/** @typedef {import("./signer.js").Signer} Signer */
/** @typedef {import("./jwks.js").ServerKeys} ServerKeys */

/**
 * Fields the server covers whenever a response has them, and that must then be covered: an
 * uncovered one was added on the way (a `Retry-After` of a day on a real 503).
 */
export const COVERED_WHEN_PRESENT = Object.freeze(["retry-after"]);

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
export function responsePolicy(requestLabel, clockSkew = 300, present = []) {
  const required = ['"@status"', '"content-digest"', '"@method";req', '"@path";req'];
  for (const name of present) required.push(`"${name}"`);
  if (requestLabel !== null) required.push(`"signature";req;key="${requestLabel}"`);
  return { requiredComponents: required, requiredParams: ["keyid", "created"], clockSkew };
}

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
export async function verifyResponse(response, options) {
  const signer = options.signer || null;
  const serverKeys = options.serverKeys || null;
  const hmacKey = signer ? await signer.responseKey() : null;
  /**
   * @param {string} keyId
   * @returns {Promise<import("./verify.js").ResolvedKey>}
   */
  const resolve = async (keyId) => {
    if (hmacKey && signer && keyId === signer.keyId) return { algorithm: signer.algorithm, key: hmacKey };
    if (serverKeys) {
      const key = await serverKeys.get(keyId);
      if (key) return { algorithm: "ed25519", key };
    }
    throw new SignatureError("unknown_key", `the response is signed by ${keyId}, a key not known here`);
  };
  const present = COVERED_WHEN_PRESENT.filter((name) => fieldLines(response, name) !== null);
  const policy = responsePolicy(signer ? signer.label : null, options.clockSkew, present);
  return verifyMessage(response, resolve, policy, { now: options.now });
}
