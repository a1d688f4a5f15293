/**
 * Verifying signatures (RFC 9421 §3.2) under a policy, in the order of
 * `signed_api/core/signatures.py`: structure, key, parameters and time, covered components,
 * the signature, then the body's digest. Used for the server's responses; it verifies
 * requests just as well (tests sign and verify round trips with it).
 * @module
 */
import { utf8 } from "./bytes.js";
import { verifyBytes } from "./algorithms.js";
import { signatureBase } from "./components.js";
import { verifyContentDigest } from "./digest.js";
import { SignatureError } from "./errors.js";
import { fieldValue } from "./message.js";
import { parseByteSequences, parseSignatureInput, serializeComponent } from "./sf.js";

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

export const MAX_SIGNATURES = 8;
const PARAM_TYPES = /** @type {Record<string, string>} */ ({
  created: "integer", expires: "integer", nonce: "string", alg: "string", keyid: "string", tag: "string",
});

/**
 * @param {string} label
 * @param {Map<string, string | number | boolean>} params
 */
function checkParamTypes(label, params) {
  for (const [name, type] of Object.entries(PARAM_TYPES)) {
    if (!params.has(name)) continue;
    const v = params.get(name);
    const ok = type === "integer" ? typeof v === "number" && Number.isInteger(v) : typeof v === "string";
    if (!ok) throw new SignatureError("signature_malformed", `parameter ${name} of ${label} has the wrong type`);
  }
}

/** @param {Message} message */
function hasBody(message) {
  if (message.body && message.body.length) return true;
  const length = fieldValue(message, "content-length");
  return !!length && !["", "0"].includes(length.trim());
}

/**
 * Verify the signature of `message` that `policy` selects.
 * @param {Message} message
 * @param {(keyId: string, params: Map<string, any>) => Promise<ResolvedKey>} resolve
 *   the key for a keyid, or a `SignatureError` (`unknown_key` lets the next signature be tried)
 * @param {Policy} policy
 * @param {{ now?: number }} [options] epoch seconds
 * @returns {Promise<VerifiedSignature>}
 */
export async function verifyMessage(message, resolve, policy, options = {}) {
  const now = options.now ?? Date.now() / 1000;
  const inputsRaw = fieldValue(message, "signature-input");
  const sigsRaw = fieldValue(message, "signature");
  if (inputsRaw === null || sigsRaw === null) {
    throw new SignatureError("signature_missing", "Signature-Input or Signature is absent");
  }
  const inputs = parseSignatureInput(inputsRaw);
  const signatures = parseByteSequences(sigsRaw, "Signature");
  if (inputs.length > MAX_SIGNATURES) throw new SignatureError("signature_malformed", "too many signatures");
  const wanted = policy.label ?? null;
  const candidates = [];
  for (const input of inputs) {
    if (wanted !== null && input.label !== wanted) continue;
    if (!signatures.has(input.label)) continue;
    checkParamTypes(input.label, input.params);
    if (policy.tag != null && input.params.get("tag") !== policy.tag) continue;
    candidates.push(input);
  }
  if (!candidates.length) {
    throw new SignatureError("signature_missing", "no signature matches the label, tag and inputs");
  }
  /** @type {SignatureError | null} */
  let lastError = null;
  for (const input of candidates) {
    const keyId = input.params.get("keyid");
    if (typeof keyId !== "string") {
      lastError = new SignatureError("signature_malformed", `signature ${input.label} has no keyid`);
      continue;
    }
    if (keyId.length > 128 || /[^\x20-\x7e]/.test(keyId)) {
      lastError = new SignatureError("unknown_key", "keyid is too long or not ASCII");
      continue;
    }
    let resolved;
    try {
      resolved = await resolve(keyId, input.params);
    } catch (e) {
      if (e instanceof SignatureError && e.code === "unknown_key") {
        lastError = e;
        continue;
      }
      throw e;
    }
    return verifyOne(message, input, keyId, resolved, signatures.get(input.label) ?? null, policy, now);
  }
  throw /** @type {SignatureError} */ (lastError);
}

/**
 * @param {Message} message
 * @param {import("./sf.js").SignatureInput} input
 * @param {string} keyId
 * @param {ResolvedKey} resolved
 * @param {Uint8Array | null} signature
 * @param {Policy} policy
 * @param {number} now
 * @returns {Promise<VerifiedSignature>}
 */
async function verifyOne(message, input, keyId, resolved, signature, policy, now) {
  const { label, params, components } = input;
  if (signature === null) throw new SignatureError("signature_malformed", `Signature ${label} is not a Byte Sequence`);
  const alg = params.get("alg");
  if (alg !== undefined && alg !== resolved.algorithm) {
    throw new SignatureError("algorithm_mismatch", `alg ${alg} differs from the key's ${resolved.algorithm}`);
  }
  for (const required of policy.requiredParams || []) {
    if (!params.has(required)) {
      throw new SignatureError(required === "nonce" ? "nonce_missing" : "signature_malformed",
        `required parameter ${required} is absent`);
    }
  }
  const nonce = params.get("nonce");
  if (nonce !== undefined && (!nonce || String(nonce).length > 128)) {
    throw new SignatureError("signature_malformed", "nonce is empty or too long");
  }
  const created = /** @type {number | undefined} */ (params.get("created"));
  const skew = policy.clockSkew ?? 300;
  if (created !== undefined && Math.abs(now - created) > skew) {
    throw new SignatureError("clock_skew", `created=${created} is ${Math.round(now - created)}s from now`);
  }
  const expires = /** @type {number | undefined} */ (params.get("expires"));
  if (expires !== undefined) {
    if (created !== undefined && expires < created) throw new SignatureError("signature_malformed", "expires is before created");
    if (now > expires) throw new SignatureError("signature_expired", `expired at ${expires}`);
  }
  const covered = new Set(components.map(serializeComponent));
  for (const required of policy.requiredComponents || []) {
    const ident = required.startsWith('"') ? required : `"${required}"`;
    if (!covered.has(ident)) throw new SignatureError("component_missing", `${required} is not covered`);
  }
  const digestCovered = covered.has('"content-digest"');
  if (policy.requireDigestForBody && !digestCovered && hasBody(message)) {
    throw new SignatureError("digest_missing", "the body is not covered by a Content-Digest");
  }
  const base = signatureBase(message, components, [...params], input.text);
  if (!(await verifyBytes(resolved.algorithm, resolved.key, utf8(base), signature))) {
    throw new SignatureError("signature_invalid", `signature ${label} does not verify`);
  }
  if (digestCovered && message.body !== null) {
    await verifyContentDigest(fieldValue(message, "content-digest"), message.body);
  }
  return {
    label, keyId, algorithm: resolved.algorithm, params,
    components: components.map(serializeComponent), created: created ?? null,
  };
}
