/**
 * Component values and the signature base of RFC 9421 §2, as `signed_api/core/components.py`
 * builds them: the signer and the verifier must produce the same bytes.
 * @module
 */
import { base64Encode, latin1 } from "./bytes.js";
import { SignatureError } from "./errors.js";
import { fieldLines, normalizeAuthority } from "./message.js";
import {
  dictionaryMember,
  parseByteSequences,
  parseComponent,
  reserialize,
  serializeComponent,
  serializeSignatureParams,
} from "./sf.js";

/** @typedef {import("./message.js").Message} Message */
/** @typedef {import("./sf.js").Component} Component */

const DERIVED = new Set([
  "@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query",
  "@query-param", "@status",
]);
const FIELD_PARAMS = new Set(["sf", "key", "bs", "req", "tr"]);
/** @type {Record<string, "dictionary" | "list" | "item">} */
const KNOWN_SF_TYPES = {
  "signature-input": "dictionary",
  signature: "dictionary",
  "accept-signature": "dictionary",
  "content-digest": "dictionary",
  "repr-digest": "dictionary",
  "want-content-digest": "dictionary",
  "want-repr-digest": "dictionary",
};

const FORM_SAFE = /[A-Za-z0-9*\-._]/;

/** @param {string} text */
function formDecode(text) {
  const bytes = [];
  const s = text.replace(/\+/g, " ");
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of new TextEncoder().encode(c)) bytes.push(b);
    }
  }
  return Uint8Array.from(bytes);
}

/** @param {Uint8Array} data */
function formEncode(data) {
  let out = "";
  for (const b of data) {
    const c = String.fromCharCode(b);
    out += b < 128 && FORM_SAFE.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/**
 * @param {Message} m
 * @param {unknown} name
 */
function queryParam(m, name) {
  if (typeof name !== "string") {
    throw new SignatureError("signature_malformed", "@query-param needs a String name parameter");
  }
  const found = [];
  for (const pair of (m.query || "").split("&")) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const rawValue = eq < 0 ? "" : pair.slice(eq + 1);
    if (formEncode(formDecode(rawName)) === name) found.push(formEncode(formDecode(rawValue)));
  }
  if (found.length !== 1) {
    throw new SignatureError(
      "component_missing",
      `query parameter ${name} is ${found.length ? "repeated" : "absent"}`,
    );
  }
  return found[0];
}

/**
 * @param {Message} m
 * @param {Component} c
 */
function derivedValue(m, c) {
  const name = c.name;
  for (const key of c.params.keys()) {
    if (key !== "req" && !(name === "@query-param" && key === "name")) {
      throw new SignatureError("signature_malformed", `unsupported parameter ${key} on ${name}`);
    }
  }
  if (name === "@status") {
    if (m.status === null) throw new SignatureError("component_missing", "@status is for responses");
    return String(m.status).padStart(3, "0");
  }
  if (!DERIVED.has(name)) throw new SignatureError("signature_malformed", `unknown component ${name}`);
  if (m.status !== null) throw new SignatureError("component_missing", `${name} is for requests`);
  /** @type {string | null} */
  let value = null;
  switch (name) {
    case "@method": value = m.method; break;
    case "@authority": value = m.authority; break;
    case "@scheme": value = m.scheme; break;
    case "@path": value = m.path === null ? null : m.path || "/"; break;
    case "@query": value = "?" + (m.query || ""); break;
    case "@request-target":
      value = m.path === null ? null : (m.path || "/") + (m.query === null ? "" : "?" + m.query);
      break;
    case "@target-uri":
      value = m.scheme === null || m.authority === null ? null
        : `${m.scheme}://${normalizeAuthority(m.scheme, m.authority)}${m.path || "/"}` +
          (m.query === null ? "" : "?" + m.query);
      break;
    case "@query-param": return queryParam(m, c.params.get("name"));
  }
  if (value === null) throw new SignatureError("component_missing", `${name} is not known`);
  return value;
}

/** @param {string} line */
function trimOws(line) {
  return line.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** @param {string[]} lines */
function combine(lines) {
  return lines.map((l) => trimOws(l.replace(/\r?\n[ \t]+/g, " "))).join(", ");
}

/**
 * @param {Message} m
 * @param {Component} c
 */
function fieldValueOf(m, c) {
  const name = c.name;
  const params = c.params;
  for (const key of params.keys()) {
    if (!FIELD_PARAMS.has(key)) throw new SignatureError("signature_malformed", `unsupported parameter ${key}`);
  }
  for (const flag of ["sf", "bs", "req", "tr"]) {
    if (params.has(flag) && params.get(flag) !== true) {
      throw new SignatureError("signature_malformed", `parameter ${flag} must be a Boolean true`);
    }
  }
  if (params.get("tr")) throw new SignatureError("component_missing", "trailers are not supported");
  if (params.get("bs") && (params.has("sf") || params.has("key"))) {
    throw new SignatureError("signature_malformed", "bs cannot be combined with sf or key");
  }
  const lines = fieldLines(m, name);
  if (lines === null) {
    throw new SignatureError(name === "content-digest" ? "digest_missing" : "component_missing",
      `field ${name} is absent`);
  }
  if (params.get("bs")) {
    return lines.map((l) => ":" + base64Encode(latin1(trimOws(l))) + ":").join(", ");
  }
  const value = combine(lines);
  if (params.has("key")) {
    const key = params.get("key");
    if (typeof key !== "string") throw new SignatureError("signature_malformed", "key must be a String");
    if (name === "signature") {
      const sequences = parseByteSequences(value, "Signature");
      const bytes = sequences.get(key);
      if (bytes) return ":" + base64Encode(bytes) + ":";
    }
    const member = dictionaryMember(value, key);
    if (member === null) throw new SignatureError("component_missing", `field ${name} has no member ${key}`);
    return member;
  }
  if (params.get("sf")) return reserialize(value, KNOWN_SF_TYPES[name] || null);
  return value;
}

/**
 * The canonical value of one component (what follows `"name": ` in the base).
 * @param {Message} message
 * @param {Component | string} component
 */
export function componentValue(message, component) {
  const c = parseComponent(component);
  let m = message;
  if (c.params.get("req")) {
    if (!message.request) throw new SignatureError("component_missing", "req given but no request is known");
    m = message.request;
  }
  const value = c.name.startsWith("@") ? derivedValue(m, c) : fieldValueOf(m, c);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]|[\r\n]/.test(value)) {
    throw new SignatureError("signature_malformed", `value of ${c.name} is not printable ASCII`);
  }
  return value;
}

/**
 * RFC 9421 §2.5: one line per covered component, then `"@signature-params"`, joined with LF,
 * no LF at the end.
 * @param {Message} message
 * @param {Array<Component | string>} components
 * @param {Array<[string, string | number | boolean]>} params in order
 * @param {string} [signatureParams] their serialization, when already known (a verifier)
 */
export function signatureBase(message, components, params, signatureParams) {
  const comps = components.map(parseComponent);
  const seen = new Set();
  const lines = [];
  for (const c of comps) {
    const ident = serializeComponent(c);
    if (seen.has(ident)) throw new SignatureError("signature_malformed", `component ${ident} is covered twice`);
    seen.add(ident);
    if (c.name === "@signature-params") {
      throw new SignatureError("signature_malformed", "@signature-params cannot be covered");
    }
    lines.push(`${ident}: ${componentValue(message, c)}`);
  }
  const text = signatureParams ?? serializeSignatureParams(comps, params);
  lines.push(`"@signature-params": ${text}`);
  return lines.join("\n");
}
