/**
 * Structured Field Values (RFC 8941 / RFC 9651) for the three signature headers, on the
 * `structured-headers` package: a complete, tested implementation of both RFCs, so no
 * hand-written parsing of headers that decide whether a signature is valid.
 * @module
 */
import {
  parseDictionary,
  parseItem,
  parseList,
  serializeDictionary,
  serializeInnerList,
  serializeItem,
  serializeKey,
  serializeList,
  Token,
} from "structured-headers";
import { SignatureError } from "./errors.js";

/**
 * A component identifier: a field name (lower case) or a derived component (`@method`...),
 * with its parameters in order (`req`, `key`, `name`, `sf`, `bs`).
 * @typedef {{ name: string, params: Map<string, string | number | boolean> }} Component
 */

/**
 * Parse `"@query-param";name="id"` (or a bare `@method`, `content-type`).
 * @param {string | Component} text
 * @returns {Component}
 */
export function parseComponent(text) {
  if (typeof text !== "string") return text;
  if (!text.startsWith('"')) return { name: text, params: new Map() };
  let item;
  try {
    item = parseItem(text);
  } catch (e) {
    throw new SignatureError("signature_malformed", `bad component identifier ${text}`);
  }
  return componentFromItem(item);
}

/**
 * @param {any} item
 * @returns {Component}
 */
function componentFromItem(item) {
  const [value, params] = item;
  if (typeof value !== "string") {
    throw new SignatureError("signature_malformed", "a component identifier must be a String");
  }
  if (!value.startsWith("@") && value !== value.toLowerCase()) {
    throw new SignatureError("signature_malformed", `field name ${value} is not lower-case`);
  }
  /** @type {Map<string, string | number | boolean>} */
  const out = new Map();
  for (const [k, v] of params) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new SignatureError("signature_malformed", `parameter ${k} of ${value} has a bad type`);
    }
    out.set(k, v);
  }
  return { name: value, params: out };
}

/**
 * The identifier as it appears in `Signature-Input` and in the signature base.
 * @param {Component} component
 */
export function serializeComponent(component) {
  try {
    return serializeItem(component.name, /** @type {any} */ (component.params));
  } catch (e) {
    throw new SignatureError("signature_malformed", `component ${component.name} cannot be serialized`);
  }
}

/**
 * The Inner List that is both the `Signature-Input` member value and the last line of the base:
 * `("@method" ...);created=...;keyid="..."`.
 * @param {Component[]} components
 * @param {Array<[string, string | number | boolean]>} params in order
 */
export function serializeSignatureParams(components, params) {
  for (const [name, value] of params) {
    if (typeof value === "number" && !Number.isInteger(value)) {
      throw new SignatureError("signature_malformed", `parameter ${name} must be an Integer`);
    }
  }
  try {
    return serializeInnerList([
      components.map((c) => /** @type {any} */ ([c.name, c.params])),
      new Map(params),
    ]);
  } catch (e) {
    throw new SignatureError("signature_malformed", `signature parameters: ${String(e)}`);
  }
}

/**
 * A Dictionary key (a signature label): `sig1`.
 * @param {string} label
 */
export function serializeLabel(label) {
  try {
    return serializeKey(label);
  } catch (e) {
    throw new TypeError(`invalid signature label ${JSON.stringify(label)}`);
  }
}

/**
 * One signature of a `Signature-Input` field.
 * @typedef {{ label: string, components: Component[],
 *             params: Map<string, string | number | boolean>, text: string }} SignatureInput
 */

/** @param {string} value */
function dictionaryOrFail(value, what) {
  try {
    return parseDictionary(value);
  } catch (e) {
    throw new SignatureError("signature_malformed", `${what} does not parse`);
  }
}

/**
 * Parse `Signature-Input`. Each member must be an Inner List of Strings; `text` is its
 * canonical serialization (what the base's `@signature-params` line carries).
 * @param {string} value
 * @returns {SignatureInput[]}
 */
export function parseSignatureInput(value) {
  checkNoDuplicateKeys(value, "Signature-Input");
  const dict = dictionaryOrFail(value, "Signature-Input");
  /** @type {SignatureInput[]} */
  const out = [];
  for (const [label, member] of dict) {
    if (!Array.isArray(member[0])) {
      throw new SignatureError("signature_malformed", `Signature-Input ${label} is not an Inner List`);
    }
    const components = member[0].map(componentFromItem);
    /** @type {Map<string, string | number | boolean>} */
    const params = new Map();
    for (const [k, v] of member[1]) {
      if (v instanceof Token) {
        throw new SignatureError("signature_malformed", `parameter ${k} is a Token`);
      }
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") params.set(k, v);
      else throw new SignatureError("signature_malformed", `parameter ${k} has an unexpected type`);
    }
    const text = serializeInnerList(/** @type {any} */ (member));
    out.push({ label, components, params, text });
  }
  return out;
}

/**
 * Parse a Dictionary of Byte Sequences (`Signature`, `Content-Digest`): label to bytes, or
 * `null` for a member that is not a Byte Sequence.
 * @param {string} value
 * @param {string} what
 * @returns {Map<string, Uint8Array | null>}
 */
export function parseByteSequences(value, what) {
  checkNoDuplicateKeys(value, what);
  const dict = dictionaryOrFail(value, what);
  /** @type {Map<string, Uint8Array | null>} */
  const out = new Map();
  for (const [key, member] of dict) {
    const bare = member[0];
    out.set(key, bare instanceof ArrayBuffer ? new Uint8Array(bare) : null);
  }
  return out;
}

/**
 * The member `key` of a Dictionary field, re-serialized (RFC 9421 §2.1.2, the `key` parameter).
 * @param {string} value
 * @param {string} key
 * @returns {string | null} null when the member is absent
 */
export function dictionaryMember(value, key) {
  const dict = dictionaryOrFail(value, "a Dictionary field");
  const member = dict.get(key);
  if (member === undefined) return null;
  return Array.isArray(member[0])
    ? serializeInnerList(/** @type {any} */ (member))
    : serializeItem(/** @type {any} */ (member));
}

/**
 * RFC 9421 §2.1.1 (`sf`): the field re-serialized as the structure it parses as.
 * @param {string} value
 * @param {"dictionary" | "list" | "item" | null} type
 */
export function reserialize(value, type) {
  const types = type ? [type] : ["dictionary", "list", "item"];
  for (const t of types) {
    try {
      if (t === "dictionary") return serializeDictionary(parseDictionary(value));
      if (t === "list") return serializeList(parseList(value));
      return serializeItem(parseItem(value));
    } catch (e) {
      continue;
    }
  }
  throw new SignatureError("signature_malformed", "a field is not a structured field");
}

/**
 * RFC 8941 lets the last of two equal keys win; the server refuses a label given twice (an
 * intermediary could otherwise replace a signature), and so does this client.
 * @param {string} value
 * @param {string} what
 */
function checkNoDuplicateKeys(value, what) {
  // Keys start a member: at the start or after a comma outside strings and byte sequences.
  const keys = new Set();
  let inString = false;
  let depth = 0;
  let start = true;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) start = true;
    else if (start && c !== " " && c !== "\t") {
      const m = /^[a-z*][a-z0-9_\-.*]*/.exec(value.slice(i));
      if (m) {
        if (keys.has(m[0])) {
          throw new SignatureError("signature_malformed", `${what} has the label ${m[0]} twice`);
        }
        keys.add(m[0]);
        i += m[0].length - 1;
      }
      start = false;
    }
  }
}
