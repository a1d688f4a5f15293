/**
 * The canonical value of one component (what follows `"name": ` in the base).
 * @param {Message} message
 * @param {Component | string} component
 */
export function componentValue(message: Message, component: Component | string): string;
/**
 * RFC 9421 §2.5: one line per covered component, then `"@signature-params"`, joined with LF,
 * no LF at the end.
 * @param {Message} message
 * @param {Array<Component | string>} components
 * @param {Array<[string, string | number | boolean]>} params in order
 * @param {string} [signatureParams] their serialization, when already known (a verifier)
 */
export function signatureBase(message: Message, components: Array<Component | string>, params: Array<[string, string | number | boolean]>, signatureParams?: string): string;
export type Message = import("./message.js").Message;
export type Component = import("./sf.js").Component;
