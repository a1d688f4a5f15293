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
export function parseComponent(text: string | Component): Component;
/**
 * The identifier as it appears in `Signature-Input` and in the signature base.
 * @param {Component} component
 */
export function serializeComponent(component: Component): string;
/**
 * The Inner List that is both the `Signature-Input` member value and the last line of the base:
 * `("@method" ...);created=...;keyid="..."`.
 * @param {Component[]} components
 * @param {Array<[string, string | number | boolean]>} params in order
 */
export function serializeSignatureParams(components: Component[], params: Array<[string, string | number | boolean]>): string;
/**
 * A Dictionary key (a signature label): `sig1`.
 * @param {string} label
 */
export function serializeLabel(label: string): string;
/**
 * Parse `Signature-Input`. Each member must be an Inner List of Strings; `text` is its
 * canonical serialization (what the base's `@signature-params` line carries).
 * @param {string} value
 * @returns {SignatureInput[]}
 */
export function parseSignatureInput(value: string): SignatureInput[];
/**
 * Parse a Dictionary of Byte Sequences (`Signature`, `Content-Digest`): label to bytes, or
 * `null` for a member that is not a Byte Sequence.
 * @param {string} value
 * @param {string} what
 * @returns {Map<string, Uint8Array | null>}
 */
export function parseByteSequences(value: string, what: string): Map<string, Uint8Array | null>;
/**
 * The member `key` of a Dictionary field, re-serialized (RFC 9421 §2.1.2, the `key` parameter).
 * @param {string} value
 * @param {string} key
 * @returns {string | null} null when the member is absent
 */
export function dictionaryMember(value: string, key: string): string | null;
/**
 * RFC 9421 §2.1.1 (`sf`): the field re-serialized as the structure it parses as.
 * @param {string} value
 * @param {"dictionary" | "list" | "item" | null} type
 */
export function reserialize(value: string, type: "dictionary" | "list" | "item" | null): string;
/**
 * A component identifier: a field name (lower case) or a derived component (`@method`...),
 * with its parameters in order (`req`, `key`, `name`, `sf`, `bs`).
 */
export type Component = {
    name: string;
    params: Map<string, string | number | boolean>;
};
/**
 * One signature of a `Signature-Input` field.
 */
export type SignatureInput = {
    label: string;
    components: Component[];
    params: Map<string, string | number | boolean>;
    text: string;
};
