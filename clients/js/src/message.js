/**
 * A framework-neutral view of one HTTP message, as RFC 9421 needs to see it (the same shape as
 * `signed_api.core.message.Message` on the server).
 * @module
 */

/**
 * @typedef {object} Message
 * @property {string | null} method
 * @property {string | null} scheme       lower case
 * @property {string | null} authority    lower-case host, no default port
 * @property {string | null} path         raw, still percent-encoded
 * @property {string | null} query        raw, without "?"; null when the target had no "?"
 * @property {number | null} status       responses only
 * @property {Array<[string, string]>} headers  field lines in order, names lower case
 * @property {Uint8Array | null} body
 * @property {Message | null} request      for `req` components of a response
 */

const DEFAULT_PORTS = /** @type {Record<string, string>} */ ({ http: "80", https: "443" });

/**
 * RFC 9421 §2.2.3 / RFC 9110 §4.2.3: lower-case host, default port removed, no userinfo.
 * @param {string | null} scheme
 * @param {string} authority
 */
export function normalizeAuthority(scheme, authority) {
  let a = authority.trim().toLowerCase();
  const at = a.lastIndexOf("@");
  if (at >= 0) a = a.slice(at + 1);
  const port = DEFAULT_PORTS[(scheme || "").toLowerCase()];
  if (port && a.endsWith(":" + port)) {
    const host = a.slice(0, -port.length - 1);
    if (host && (!host.startsWith("[") || host.endsWith("]"))) a = host;
  }
  return a;
}

/**
 * Header lines from anything fetch accepts: a `Headers`, an array of pairs, a plain object.
 * @param {HeadersInit | undefined | null} headers
 * @returns {Array<[string, string]>}
 */
export function headerLines(headers) {
  /** @type {Array<[string, string]>} */
  const out = [];
  if (!headers) return out;
  if (typeof Headers !== "undefined" && headers instanceof Headers) {
    headers.forEach((value, name) => out.push([name.toLowerCase(), value]));
    return out;
  }
  const items = Array.isArray(headers) ? headers : Object.entries(headers);
  for (const [name, value] of items) out.push([String(name).toLowerCase(), String(value)]);
  return out;
}

/**
 * Path and query of a URL as it will go on the wire: what the WHATWG URL parser (and so fetch)
 * sends. `query` is null when there is no "?" at all, "" for a bare "?".
 * @param {URL} url
 */
export function pathAndQuery(url) {
  const href = url.href.split("#", 1)[0];
  const origin = `${url.protocol}//${url.host}`;
  let rest = href.startsWith(origin) ? href.slice(origin.length) : url.pathname + url.search;
  // userinfo sits before the host in href; URL.pathname/search are authoritative then
  if (!href.startsWith(origin)) rest = url.pathname + (href.includes("?") ? "?" + url.search.slice(1) : "");
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  return { path: path || "/", query: q < 0 ? null : rest.slice(q + 1) };
}

/**
 * A request message for an absolute URL.
 * @param {string} method
 * @param {string | URL} url
 * @param {Array<[string, string]>} headers
 * @param {Uint8Array | null} body
 * @returns {Message}
 */
export function requestMessage(method, url, headers, body) {
  const u = typeof url === "string" ? new URL(url) : url;
  const scheme = u.protocol.replace(/:$/, "").toLowerCase();
  const { path, query } = pathAndQuery(u);
  return {
    method,
    scheme,
    authority: normalizeAuthority(scheme, u.host),
    path,
    query,
    status: null,
    headers: headers.map(([n, v]) => [n.toLowerCase(), v]),
    body,
    request: null,
  };
}

/**
 * A response message, with the request it answers.
 * @param {number} status
 * @param {Array<[string, string]>} headers
 * @param {Uint8Array | null} body
 * @param {Message | null} request
 * @returns {Message}
 */
export function responseMessage(status, headers, body, request) {
  return {
    method: null,
    scheme: null,
    authority: null,
    path: null,
    query: null,
    status,
    headers: headers.map(([n, v]) => [n.toLowerCase(), v]),
    body,
    request,
  };
}

/**
 * Every line of the field `name`, or null when absent.
 * @param {Message} message
 * @param {string} name lower case
 */
export function fieldLines(message, name) {
  const lines = message.headers.filter(([n]) => n === name).map(([, v]) => v);
  return lines.length ? lines : null;
}

/**
 * RFC 9110 §5.3: the lines trimmed and joined with ", ".
 * @param {Message} message
 * @param {string} name
 */
export function fieldValue(message, name) {
  const lines = fieldLines(message, name);
  return lines === null ? null : lines.map((l) => l.replace(/^[ \t]+|[ \t]+$/g, "")).join(", ");
}
