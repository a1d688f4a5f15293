// signed-api-client browser bundle, built from clients/js by `make js` (clients/js/build.mjs). Do not edit.
var __defProp = Object.defineProperty;
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};

// src/bytes.js
var bytes_exports = {};
__export(bytes_exports, {
  base64Decode: () => base64Decode,
  base64Encode: () => base64Encode,
  base64UrlDecode: () => base64UrlDecode,
  base64UrlEncode: () => base64UrlEncode,
  concat: () => concat,
  constantTimeEqual: () => constantTimeEqual,
  fromLatin1: () => fromLatin1,
  fromUtf8: () => fromUtf8,
  hexDecode: () => hexDecode,
  hexEncode: () => hexEncode,
  latin1: () => latin1,
  own: () => own,
  randomBytes: () => randomBytes,
  toBytes: () => toBytes,
  utf8: () => utf8
});
var B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
var B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;
function base64Encode(bytes) {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    out += B64[n >> 18] + B64[n >> 12 & 63] + B64[n >> 6 & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = bytes[i] << 16 | (i + 1 < bytes.length ? bytes[i + 1] : 0) << 8;
    out += B64[n >> 18] + B64[n >> 12 & 63];
    out += i + 1 < bytes.length ? B64[n >> 6 & 63] + "=" : "==";
  }
  return out;
}
function base64Decode(text) {
  let s = text.replace(/-/g, "+").replace(/_/g, "/");
  const pad = s.indexOf("=");
  if (pad >= 0) {
    if (!/^=*$/.test(s.slice(pad)) || s.length % 4 !== 0) throw new TypeError("bad base64 padding");
    s = s.slice(0, pad);
  }
  if (s.length % 4 === 1) throw new TypeError("bad base64 length");
  const out = new Uint8Array(Math.floor(s.length * 3 / 4));
  let bits = 0;
  let acc = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? B64_INDEX[c] : -1;
    if (v < 0) throw new TypeError("not base64");
    acc = acc << 6 | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = acc >> bits & 255;
    }
  }
  return out;
}
function base64UrlEncode(bytes) {
  return base64Encode(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function base64UrlDecode(text) {
  if (/[+/]/.test(text)) throw new TypeError("not base64url");
  return base64Decode(text);
}
var encoder = new TextEncoder();
var decoder = new TextDecoder("utf-8", { fatal: false });
function utf8(text) {
  return encoder.encode(text);
}
function fromUtf8(bytes) {
  return decoder.decode(bytes);
}
function latin1(text) {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 255) throw new TypeError("a character beyond latin-1");
    out[i] = c;
  }
  return out;
}
function fromLatin1(bytes) {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096));
  }
  return out;
}
function hexEncode(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
function hexDecode(hex) {
  if (hex.length % 2 || /[^0-9a-fA-F]/.test(hex)) throw new TypeError("not hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
function concat(...parts) {
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
function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
function toBytes(body) {
  if (body === null || body === void 0) return null;
  if (typeof body === "string") return utf8(body);
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError(
    "a signed body must be known before sending: give a string, Uint8Array or ArrayBuffer"
  );
}
function own(bytes) {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
function randomBytes(count) {
  return globalThis.crypto.getRandomValues(new Uint8Array(count));
}

// src/errors.js
var SignedApiError = class extends Error {
  /**
   * @param {string} code
   * @param {string} [message]
   */
  constructor(code, message) {
    super(message || code);
    this.name = "SignedApiError";
    this.code = code;
  }
};
var SignatureError = class extends SignedApiError {
  /**
   * @param {string} code
   * @param {string} [detail]
   */
  constructor(code, detail) {
    super(code, detail ? `${code}: ${detail}` : code);
    this.name = "SignatureError";
    this.detail = detail || null;
  }
};
var BinaryHttpError = class extends SignatureError {
  /** @param {string} detail */
  constructor(detail) {
    super("binary_http_malformed", detail);
    this.name = "BinaryHttpError";
  }
};
var ApiError = class extends SignedApiError {
  /**
   * @param {number} status
   * @param {string | null | undefined} code
   * @param {string | null | undefined} detail
   * @param {unknown} [body]
   * @param {number | null} [retryAfter]
   */
  constructor(status, code, detail, body, retryAfter) {
    const theCode = code || `http_${status}`;
    super(theCode, `${status} ${theCode}${detail ? ": " + detail : ""}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail || null;
    this.body = body === void 0 ? null : body;
    this.retryAfter = retryAfter === void 0 ? null : retryAfter;
  }
};
var LoginError = class extends ApiError {
  /**
   * @param {number} status
   * @param {string | null | undefined} code
   * @param {string | null | undefined} detail
   * @param {unknown} [body]
   * @param {number | null} [retryAfter]
   */
  constructor(status, code, detail, body, retryAfter) {
    super(status, code, detail, body, retryAfter);
    this.name = "LoginError";
    const remaining = body && typeof body === "object" ? (
      /** @type {any} */
      body.attempts_remaining
    ) : void 0;
    this.attemptsRemaining = typeof remaining === "number" ? remaining : null;
  }
};
var OHTTPError = class extends SignedApiError {
  /**
   * @param {string} code
   * @param {string} message
   * @param {number | null} [status]
   */
  constructor(code, message, status) {
    super(code, message);
    this.name = "OHTTPError";
    this.status = status === void 0 ? null : status;
  }
};

// src/bhttp.js
var TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
var NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
var VISIBLE = /^[\x21-\x7e]*$/;
var VALUE_BAD = /[\x00-\x08\x0a-\x1f\x7f]/;
function encodeVarint(value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new BinaryHttpError("an integer out of range");
  if (value < 64) return Uint8Array.of(value);
  if (value < 16384) return Uint8Array.of(64 | value >> 8, value & 255);
  if (value < 1073741824) {
    return Uint8Array.of(128 | value >>> 24, value >>> 16 & 255, value >>> 8 & 255, value & 255);
  }
  const out = new Uint8Array(8);
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0] |= 192;
  return out;
}
function withLength(bytes) {
  return concat(encodeVarint(bytes.length), bytes);
}
function ascii(text, what) {
  if (/[^\x00-\x7f]/.test(text)) throw new BinaryHttpError(`the ${what} is not ASCII`);
  return utf8(text);
}
function encodeFields(fields, trailer) {
  const parts = [];
  for (const [rawName, rawValue] of fields) {
    const name = rawName.toLowerCase();
    const value = rawValue.replace(/^[ \t]+|[ \t]+$/g, "");
    if (!NAME.test(name)) throw new BinaryHttpError("a field name is not a lowercase token");
    if (trailer && name.startsWith(":")) throw new BinaryHttpError("a pseudo-field in a trailer section");
    if (VALUE_BAD.test(value)) throw new BinaryHttpError("a field value holds a control character");
    parts.push(withLength(latin1(name)), withLength(latin1(value)));
  }
  return withLength(concat(...parts));
}
function encodeRequest(request, options = {}) {
  const { method, scheme, authority, path } = request;
  if (!TOKEN.test(method)) throw new BinaryHttpError("the method is not a token");
  if (!/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme)) throw new BinaryHttpError("the scheme is not a URI scheme");
  if (!VISIBLE.test(authority)) throw new BinaryHttpError("the authority holds a byte that is not visible ASCII");
  if (!path || !VISIBLE.test(path)) throw new BinaryHttpError("the path is empty or not visible ASCII");
  if (/^https?$/i.test(scheme)) {
    if (authority.includes("@")) throw new BinaryHttpError("the authority holds userinfo");
    if (path === "*" ? method !== "OPTIONS" : !path.startsWith("/")) {
      throw new BinaryHttpError("an http(s) path does not start with '/'");
    }
  }
  const out = concat(
    encodeVarint(0),
    withLength(ascii(method, "method")),
    withLength(ascii(scheme, "scheme")),
    withLength(ascii(authority, "authority")),
    withLength(ascii(path, "path")),
    encodeFields(request.headers || [], false),
    withLength(request.content || new Uint8Array(0)),
    encodeFields(request.trailers || [], true)
  );
  const padding = options.padding || 0;
  return padding ? concat(out, new Uint8Array(padding)) : out;
}
var Reader = class {
  /** @param {Uint8Array} data @param {number} pos @param {number} end */
  constructor(data, pos, end) {
    this.data = data;
    this.pos = pos;
    this.end = end;
  }
  atEnd() {
    return this.pos >= this.end;
  }
  /** @param {string} what */
  varint(what) {
    if (this.pos >= this.end) throw new BinaryHttpError(`truncated before the ${what}`);
    const first = this.data[this.pos];
    const size = 1 << (first >> 6);
    if (this.pos + size > this.end) throw new BinaryHttpError(`truncated inside the ${what}`);
    let v = first & 63;
    for (let i = 1; i < size; i++) v = v * 256 + this.data[this.pos + i];
    this.pos += size;
    if (!Number.isSafeInteger(v)) throw new BinaryHttpError(`the ${what} is too large`);
    return v;
  }
  /** @param {number} size @param {string} what */
  take(size, what) {
    if (size > this.end - this.pos) throw new BinaryHttpError(`the ${what} runs past the end`);
    const out = this.data.subarray(this.pos, this.pos + size);
    this.pos += size;
    return out;
  }
};
var LIMITS = { maxFields: 256, maxFieldSection: 65536, maxContent: 10 * 1024 * 1024, maxInformational: 16 };
function readFields(reader, known, counter, trailer) {
  const section = trailer ? "trailer section" : "header section";
  let source = reader;
  const start = reader.pos;
  if (known) {
    const size = reader.varint(`${section} length`);
    if (size > LIMITS.maxFieldSection) throw new BinaryHttpError(`a ${section} exceeds ${LIMITS.maxFieldSection} bytes`);
    if (size > reader.end - reader.pos) throw new BinaryHttpError(`the ${section} runs past the end`);
    source = new Reader(reader.data, reader.pos, reader.pos + size);
    reader.pos += size;
  }
  const fields = [];
  let regularSeen = false;
  for (; ; ) {
    if (known && source.atEnd()) break;
    const nameSize = source.varint("field name length");
    if (nameSize === 0) {
      if (known) throw new BinaryHttpError("a field name is empty");
      break;
    }
    const name = fromLatin1(source.take(nameSize, "field name"));
    const value = fromLatin1(source.take(source.varint("field value length"), "field value"));
    if (!known && source.pos - start > LIMITS.maxFieldSection) {
      throw new BinaryHttpError(`a ${section} exceeds ${LIMITS.maxFieldSection} bytes`);
    }
    if (++counter.count > LIMITS.maxFields) throw new BinaryHttpError(`more than ${LIMITS.maxFields} field lines`);
    if (name.startsWith(":")) {
      if ([":method", ":scheme", ":authority", ":path", ":status"].includes(name)) {
        throw new BinaryHttpError("a field is a reserved pseudo-field");
      }
      if (trailer || regularSeen) throw new BinaryHttpError("a pseudo-field out of place");
      if (!NAME.test(name.slice(1))) throw new BinaryHttpError("a pseudo-field name is not a lowercase token");
    } else {
      if (!NAME.test(name)) throw new BinaryHttpError("a field name is not a lowercase token");
      regularSeen = true;
    }
    if (VALUE_BAD.test(value) || /^[ \t]|[ \t]$/.test(value)) {
      throw new BinaryHttpError("a field value holds a control character or surrounding whitespace");
    }
    fields.push([name, value]);
  }
  return fields;
}
function readContent(reader, known) {
  if (known) {
    const size = reader.varint("content length");
    if (size > LIMITS.maxContent) throw new BinaryHttpError(`the content exceeds ${LIMITS.maxContent} bytes`);
    return reader.take(size, "content").slice();
  }
  const chunks = [];
  let total = 0;
  for (; ; ) {
    const size = reader.varint("content chunk length");
    if (size === 0) return concat(...chunks);
    total += size;
    if (total > LIMITS.maxContent) throw new BinaryHttpError(`the content exceeds ${LIMITS.maxContent} bytes`);
    chunks.push(reader.take(size, "content chunk"));
  }
}
function decodeResponse(data) {
  if (!(data instanceof Uint8Array)) throw new BinaryHttpError("the message is not bytes");
  const reader = new Reader(data, 0, data.length);
  const framing = reader.varint("framing indicator");
  if (framing !== 1 && framing !== 3) throw new BinaryHttpError(`framing indicator ${framing} is not a response's`);
  const known = framing === 1;
  const counter = { count: 0 };
  const informational = [];
  let status;
  for (; ; ) {
    status = reader.varint("status code");
    if (status < 100 || status > 199) break;
    if (informational.length >= LIMITS.maxInformational) throw new BinaryHttpError("too many informational responses");
    informational.push([status, readFields(reader, known, counter, false)]);
  }
  if (status < 200 || status > 599) throw new BinaryHttpError(`final status ${status} is not 200-599`);
  let headers = [];
  let content = new Uint8Array(0);
  let trailers = [];
  if (!reader.atEnd()) {
    headers = readFields(reader, known, counter, false);
    if (!reader.atEnd()) {
      content = readContent(reader, known);
      if (!reader.atEnd()) {
        trailers = readFields(reader, known, counter, true);
        for (let i = reader.pos; i < reader.end; i++) {
          if (data[i] !== 0) throw new BinaryHttpError("a padding byte is not zero");
        }
      }
    }
  }
  return { status, headers, content, trailers, informational };
}
function decodeRequest(data) {
  if (!(data instanceof Uint8Array)) throw new BinaryHttpError("the message is not bytes");
  const reader = new Reader(data, 0, data.length);
  const framing = reader.varint("framing indicator");
  if (framing !== 0 && framing !== 2) throw new BinaryHttpError(`framing indicator ${framing} is not a request's`);
  const known = framing === 0;
  const control = [];
  for (const what of ["method", "scheme", "authority", "path"]) {
    const part = fromLatin1(reader.take(reader.varint(`${what} length`), what));
    if (/[^\x21-\x7e]/.test(part)) throw new BinaryHttpError(`the ${what} is not visible ASCII`);
    control.push(part);
  }
  const [method, scheme, authority, path] = control;
  if (!TOKEN.test(method) || !path) throw new BinaryHttpError("bad control data");
  const counter = { count: 0 };
  let headers = [];
  let content = new Uint8Array(0);
  let trailers = [];
  if (!reader.atEnd()) {
    headers = readFields(reader, known, counter, false);
    if (!reader.atEnd()) {
      content = readContent(reader, known);
      if (!reader.atEnd()) {
        trailers = readFields(reader, known, counter, true);
        for (let i = reader.pos; i < reader.end; i++) {
          if (data[i] !== 0) throw new BinaryHttpError("a padding byte is not zero");
        }
      }
    }
  }
  return { method, scheme, authority, path, headers, content, trailers };
}
function encodeResponse(response) {
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
    throw new BinaryHttpError(`final status ${response.status} is not 200-599`);
  }
  return concat(
    encodeVarint(1),
    encodeVarint(response.status),
    encodeFields(response.headers || [], false),
    withLength(response.content || new Uint8Array(0)),
    encodeFields([], true)
  );
}

// src/algorithms.js
var ALGORITHMS = Object.freeze({
  "hmac-sha256": {
    name: "hmac-sha256",
    sharedSecret: true,
    signatureLength: 32,
    importParams: { name: "HMAC", hash: "SHA-256" },
    signParams: { name: "HMAC" },
    jwkKty: null,
    jwkCrv: null
  },
  "ecdsa-p256-sha256": {
    name: "ecdsa-p256-sha256",
    sharedSecret: false,
    signatureLength: 64,
    importParams: { name: "ECDSA", namedCurve: "P-256" },
    signParams: { name: "ECDSA", hash: "SHA-256" },
    jwkKty: "EC",
    jwkCrv: "P-256"
  },
  ed25519: {
    name: "ed25519",
    sharedSecret: false,
    signatureLength: 64,
    importParams: { name: "Ed25519" },
    signParams: { name: "Ed25519" },
    jwkKty: "OKP",
    jwkCrv: "Ed25519"
  }
});
var DEVICE_ALGORITHMS = Object.freeze(["ecdsa-p256-sha256", "ed25519"]);
function algorithm(name) {
  const entry = Object.prototype.hasOwnProperty.call(ALGORITHMS, name) ? ALGORITHMS[name] : null;
  if (!entry) throw new SignatureError("algorithm_unsupported", `unknown algorithm ${name}`);
  return entry;
}
var ed25519Probe = null;
function ed25519Supported() {
  if (!ed25519Probe) {
    ed25519Probe = globalThis.crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]).then(() => true, () => false);
  }
  return ed25519Probe;
}
function pemToDer(pem, label) {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]*)-----END ${label}-----`).exec(pem);
  if (!m) throw new TypeError(`not a PEM ${label} block`);
  return base64Decode(m[1].replace(/\s+/g, ""));
}
function isCryptoKey(value) {
  return typeof CryptoKey !== "undefined" ? value instanceof CryptoKey : !!value && typeof value === "object" && "algorithm" in value && "usages" in value;
}
async function importSigningKey(name, key) {
  const entry = algorithm(name);
  if (isCryptoKey(key)) return key;
  const subtle = globalThis.crypto.subtle;
  if (entry.sharedSecret) {
    const raw = typeof key === "string" ? base64UrlDecode(key.trim()) : key;
    if (!(raw instanceof Uint8Array)) throw new TypeError("an hmac secret is bytes or base64url text");
    if (raw.length < 16) throw new TypeError("an hmac secret of fewer than 16 bytes");
    return subtle.importKey("raw", own(raw), entry.importParams, false, ["sign", "verify"]);
  }
  if (typeof key === "string") {
    return subtle.importKey("pkcs8", own(pemToDer(key, "PRIVATE KEY")), entry.importParams, false, ["sign"]);
  }
  if (key && typeof key === "object" && !(key instanceof Uint8Array)) {
    const jwk = (
      /** @type {JsonWebKey} */
      key
    );
    if (!jwk.d) throw new TypeError("a signing JWK needs its private member d");
    const { kty, crv, x, y, d } = jwk;
    return subtle.importKey(
      "jwk",
      y === void 0 ? { kty, crv, x, d } : { kty, crv, x, y, d },
      entry.importParams,
      false,
      ["sign"]
    );
  }
  throw new TypeError(`a ${name} signing key is a CryptoKey, a private JWK or a PKCS#8 PEM`);
}
async function importVerifyingKey(name, key) {
  const entry = algorithm(name);
  if (isCryptoKey(key)) return key;
  if (entry.sharedSecret) return importSigningKey(name, key);
  const subtle = globalThis.crypto.subtle;
  if (typeof key === "string") {
    return subtle.importKey("spki", own(pemToDer(key, "PUBLIC KEY")), entry.importParams, true, ["verify"]);
  }
  const { kty, crv, x, y } = (
    /** @type {JsonWebKey} */
    key
  );
  if (kty !== entry.jwkKty || crv !== entry.jwkCrv) {
    throw new SignatureError("algorithm_mismatch", `a ${kty}/${crv} key is not a ${name} key`);
  }
  return subtle.importKey(
    "jwk",
    y === void 0 ? { kty, crv, x } : { kty, crv, x, y },
    entry.importParams,
    true,
    ["verify"]
  );
}
async function signBytes(name, key, data) {
  const entry = algorithm(name);
  return new Uint8Array(await globalThis.crypto.subtle.sign(entry.signParams, key, own(data)));
}
async function verifyBytes(name, key, data, signature) {
  const entry = algorithm(name);
  if (signature.length !== entry.signatureLength) return false;
  if (entry.sharedSecret) {
    const mac = await signBytes(name, key, data);
    return constantTimeEqual(mac, signature);
  }
  try {
    return await globalThis.crypto.subtle.verify(entry.signParams, key, own(signature), own(data));
  } catch {
    return false;
  }
}

// src/message.js
var DEFAULT_PORTS = (
  /** @type {Record<string, string>} */
  { http: "80", https: "443" }
);
function normalizeAuthority(scheme, authority) {
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
function headerLines(headers) {
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
function pathAndQuery(url) {
  const href = url.href.split("#", 1)[0];
  const origin = `${url.protocol}//${url.host}`;
  let rest = href.startsWith(origin) ? href.slice(origin.length) : url.pathname + url.search;
  if (!href.startsWith(origin)) rest = url.pathname + (href.includes("?") ? "?" + url.search.slice(1) : "");
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  return { path: path || "/", query: q < 0 ? null : rest.slice(q + 1) };
}
function requestMessage(method, url, headers, body) {
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
    request: null
  };
}
function responseMessage(status, headers, body, request) {
  return {
    method: null,
    scheme: null,
    authority: null,
    path: null,
    query: null,
    status,
    headers: headers.map(([n, v]) => [n.toLowerCase(), v]),
    body,
    request
  };
}
function fieldLines(message, name) {
  const lines = message.headers.filter(([n]) => n === name).map(([, v]) => v);
  return lines.length ? lines : null;
}
function fieldValue(message, name) {
  const lines = fieldLines(message, name);
  return lines === null ? null : lines.map((l) => l.replace(/^[ \t]+|[ \t]+$/g, "")).join(", ");
}

// node_modules/structured-headers/dist/util.js
var asciiRe = /^[\x20-\x7E]*$/;
var tokenRe = /^[a-zA-Z*][:/!#$%&'*+\-.^_`|~A-Za-z0-9]*$/;
var keyRe = /^[a-z*][*\-_.a-z0-9]*$/;
function isAscii(str) {
  return asciiRe.test(str);
}
function isValidTokenStr(str) {
  return tokenRe.test(str);
}
function isValidKeyStr(str) {
  return keyRe.test(str);
}
function isInnerList(input) {
  return Array.isArray(input[0]);
}
function arrayBufferToBase64(input) {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  let binary = "";
  for (const byte of bytes) {
    binary += String.fromCharCode(byte);
  }
  return btoa(binary);
}
function base64ToArrayBuffer(b64) {
  const binaryString = atob(b64);
  const len = binaryString.length;
  const bytes = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    bytes[i] = binaryString.charCodeAt(i);
  }
  return bytes.buffer;
}

// node_modules/structured-headers/dist/token.js
var Token = class {
  constructor(value) {
    if (!isValidTokenStr(value)) {
      throw new TypeError("Invalid character in Token string. Tokens must start with *, A-Z and the rest of the string may only contain a-z, A-Z, 0-9, :/!#$%&'*+-.^_`|~");
    }
    this.value = value;
  }
  toString() {
    return this.value;
  }
};

// node_modules/structured-headers/dist/displaystring.js
var DisplayString = class {
  constructor(value) {
    this.value = value;
  }
  toString() {
    return this.value;
  }
};

// node_modules/structured-headers/dist/serializer.js
var SerializeError = class extends Error {
};
function serializeList(input) {
  return input.map((value) => {
    if (isInnerList(value)) {
      return serializeInnerList(value);
    } else {
      return serializeItem(value);
    }
  }).join(", ");
}
function serializeDictionary(input) {
  const entries = input instanceof Map ? input.entries() : Object.entries(input);
  return Array.from(entries).map(([key, entry]) => {
    const keyStr = serializeKey(key);
    if (Array.isArray(entry)) {
      if (entry[0] === true) {
        return keyStr + serializeParameters(entry[1]);
      } else {
        if (isInnerList(entry)) {
          return keyStr + "=" + serializeInnerList(entry);
        } else {
          return keyStr + "=" + serializeItem(entry);
        }
      }
    } else {
      if (entry === true) {
        return keyStr;
      } else {
        return keyStr + "=" + serializeBareItem(entry);
      }
    }
  }).join(", ");
}
function serializeItem(input, params) {
  if (Array.isArray(input)) {
    return serializeBareItem(input[0]) + serializeParameters(input[1]);
  } else {
    return serializeBareItem(input) + (params ? serializeParameters(params) : "");
  }
}
function serializeInnerList(input) {
  return `(${input[0].map((value) => serializeItem(value)).join(" ")})${serializeParameters(input[1])}`;
}
function serializeBareItem(input) {
  if (typeof input === "number") {
    if (Number.isInteger(input)) {
      return serializeInteger(input);
    }
    return serializeDecimal(input);
  }
  if (typeof input === "string") {
    return serializeString(input);
  }
  if (input instanceof Token) {
    return serializeToken(input);
  }
  if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) {
    return serializeByteSequence(input);
  }
  if (input instanceof DisplayString) {
    return serializeDisplayString(input);
  }
  if (input instanceof Date) {
    return serializeDate(input);
  }
  if (typeof input === "boolean") {
    return serializeBoolean(input);
  }
  throw new SerializeError(`Cannot serialize values of type ${typeof input}`);
}
function serializeInteger(input) {
  if (input < -999999999999999 || input > 999999999999999) {
    throw new SerializeError("Structured headers can only encode integers in the range range of -999,999,999,999,999 to 999,999,999,999,999 inclusive");
  }
  return input.toString();
}
function serializeDecimal(input) {
  const out = input.toFixed(3).replace(/0+$/, "");
  const signifantDigits = out.split(".")[0].replace("-", "").length;
  if (signifantDigits > 12) {
    throw new SerializeError("Fractional numbers are not allowed to have more than 12 significant digits before the decimal point");
  }
  return out;
}
function serializeString(input) {
  if (!isAscii(input)) {
    throw new SerializeError("Only ASCII strings may be serialized");
  }
  return `"${input.replace(/("|\\)/g, (v) => "\\" + v)}"`;
}
function serializeDisplayString(input) {
  let out = '%"';
  const textEncoder = new TextEncoder();
  for (const char of textEncoder.encode(input.toString())) {
    if (char === 37 || char === 34 || char <= 31 || char >= 127) {
      out += "%" + char.toString(16);
    } else {
      out += String.fromCharCode(char);
    }
  }
  return out + '"';
}
function serializeBoolean(input) {
  return input ? "?1" : "?0";
}
function serializeByteSequence(input) {
  return `:${arrayBufferToBase64(input)}:`;
}
function serializeToken(input) {
  return input.toString();
}
function serializeDate(input) {
  return "@" + Math.floor(input.getTime() / 1e3);
}
function serializeParameters(input) {
  return Array.from(input).map(([key, value]) => {
    let out = ";" + serializeKey(key);
    if (value !== true) {
      out += "=" + serializeBareItem(value);
    }
    return out;
  }).join("");
}
function serializeKey(input) {
  if (!isValidKeyStr(input)) {
    throw new SerializeError("Keys in dictionaries must only contain lowercase letter, numbers, _-*. and must start with a letter or *");
  }
  return input;
}

// node_modules/structured-headers/dist/parser.js
function parseDictionary(input) {
  const parser = new Parser(input);
  return parser.parseDictionary();
}
function parseList(input) {
  const parser = new Parser(input);
  return parser.parseList();
}
function parseItem(input) {
  const parser = new Parser(input);
  return parser.parseItem();
}
var ParseError = class extends Error {
  constructor(position, message) {
    super(`Parse error: ${message} at offset ${position}`);
  }
};
var Parser = class {
  constructor(input) {
    this.input = input;
    this.pos = 0;
  }
  parseDictionary() {
    this.skipWS();
    const dictionary = /* @__PURE__ */ new Map();
    while (!this.eof()) {
      const thisKey = this.parseKey();
      let member;
      if (this.lookChar() === "=") {
        this.pos++;
        member = this.parseItemOrInnerList();
      } else {
        member = [true, this.parseParameters()];
      }
      dictionary.set(thisKey, member);
      this.skipOWS();
      if (this.eof()) {
        return dictionary;
      }
      this.expectChar(",");
      this.pos++;
      this.skipOWS();
      if (this.eof()) {
        throw new ParseError(this.pos, "Dictionary contained a trailing comma");
      }
    }
    return dictionary;
  }
  parseList() {
    this.skipWS();
    const members = [];
    while (!this.eof()) {
      members.push(this.parseItemOrInnerList());
      this.skipOWS();
      if (this.eof()) {
        return members;
      }
      this.expectChar(",");
      this.pos++;
      this.skipOWS();
      if (this.eof()) {
        throw new ParseError(this.pos, "A list may not end with a trailing comma");
      }
    }
    return members;
  }
  parseItem(standaloneItem = true) {
    if (standaloneItem)
      this.skipWS();
    const result = [
      this.parseBareItem(),
      this.parseParameters()
    ];
    if (standaloneItem)
      this.checkTrail();
    return result;
  }
  parseItemOrInnerList() {
    if (this.lookChar() === "(") {
      return this.parseInnerList();
    } else {
      return this.parseItem(false);
    }
  }
  parseInnerList() {
    this.expectChar("(");
    this.pos++;
    const innerList = [];
    while (!this.eof()) {
      this.skipWS();
      if (this.lookChar() === ")") {
        this.pos++;
        return [
          innerList,
          this.parseParameters()
        ];
      }
      innerList.push(this.parseItem(false));
      const nextChar = this.lookChar();
      if (nextChar !== " " && nextChar !== ")") {
        throw new ParseError(this.pos, "Expected a whitespace or ) after every item in an inner list");
      }
    }
    throw new ParseError(this.pos, "Could not find end of inner list");
  }
  parseBareItem() {
    const char = this.lookChar();
    if (char === void 0) {
      throw new ParseError(this.pos, "Unexpected end of string");
    }
    if (char.match(/^[-0-9]/)) {
      return this.parseIntegerOrDecimal();
    }
    if (char === '"') {
      return this.parseString();
    }
    if (char.match(/^[A-Za-z*]/)) {
      return this.parseToken();
    }
    if (char === ":") {
      return this.parseByteSequence();
    }
    if (char === "?") {
      return this.parseBoolean();
    }
    if (char === "@") {
      return this.parseDate();
    }
    if (char === "%") {
      return this.parseDisplayString();
    }
    throw new ParseError(this.pos, "Unexpected input");
  }
  parseParameters() {
    const parameters = /* @__PURE__ */ new Map();
    while (!this.eof()) {
      const char = this.lookChar();
      if (char !== ";") {
        break;
      }
      this.pos++;
      this.skipWS();
      const key = this.parseKey();
      let value = true;
      if (this.lookChar() === "=") {
        this.pos++;
        value = this.parseBareItem();
      }
      parameters.set(key, value);
    }
    return parameters;
  }
  parseIntegerOrDecimal() {
    let type = "integer";
    let sign = 1;
    let inputNumber = "";
    if (this.lookChar() === "-") {
      sign = -1;
      this.pos++;
    }
    if (!isDigit(this.lookChar())) {
      throw new ParseError(this.pos, "Expected a digit (0-9)");
    }
    while (!this.eof()) {
      const char = this.getChar();
      if (isDigit(char)) {
        inputNumber += char;
      } else if (type === "integer" && char === ".") {
        if (inputNumber.length > 12) {
          throw new ParseError(this.pos, "Exceeded maximum decimal length");
        }
        inputNumber += ".";
        type = "decimal";
      } else {
        this.pos--;
        break;
      }
      if (type === "integer" && inputNumber.length > 15) {
        throw new ParseError(this.pos, "Exceeded maximum integer length");
      }
      if (type === "decimal" && inputNumber.length > 16) {
        throw new ParseError(this.pos, "Exceeded maximum decimal length");
      }
    }
    if (type === "integer") {
      return parseInt(inputNumber, 10) * sign;
    } else {
      if (inputNumber.endsWith(".")) {
        throw new ParseError(this.pos, "Decimal cannot end on a period");
      }
      if (inputNumber.split(".")[1].length > 3) {
        throw new ParseError(this.pos, "Number of digits after the decimal point cannot exceed 3");
      }
      return parseFloat(inputNumber) * sign;
    }
  }
  parseString() {
    let outputString = "";
    this.expectChar('"');
    this.pos++;
    while (!this.eof()) {
      const char = this.getChar();
      if (char === "\\") {
        if (this.eof()) {
          throw new ParseError(this.pos, "Unexpected end of input");
        }
        const nextChar = this.getChar();
        if (nextChar !== "\\" && nextChar !== '"') {
          throw new ParseError(this.pos, "A backslash must be followed by another backslash or double quote");
        }
        outputString += nextChar;
      } else if (char === '"') {
        return outputString;
      } else if (!isAscii(char)) {
        throw new ParseError(this.pos, "Strings must be in the ASCII range");
      } else {
        outputString += char;
      }
    }
    throw new ParseError(this.pos, "Unexpected end of input");
  }
  parseDisplayString() {
    const chars = this.getChars(2);
    if (chars !== '%"') {
      throw new ParseError(this.pos, "Unexpected character. Display strings should start with %=");
    }
    const result = [];
    while (!this.eof()) {
      const char = this.getChar();
      if (char.charCodeAt(0) <= 31 || char.charCodeAt(0) >= 127 && char.charCodeAt(0) <= 255) {
        throw new ParseError(this.pos, "Invalid char found in DisplayString. Did you forget to escape?");
      }
      if (char === "%") {
        const hexChars = this.getChars(2);
        if (/^[0-9a-f]{2}$/.test(hexChars)) {
          result.push(parseInt(hexChars, 16));
        } else {
          throw new ParseError(this.pos, `Unexpected sequence after % in DispalyString: "${hexChars}". Note that hexidecimals must be lowercase`);
        }
        continue;
      }
      if (char === '"') {
        const textDecoder = new TextDecoder("utf-8", {
          fatal: true
        });
        try {
          return new DisplayString(textDecoder.decode(new Uint8Array(result)));
        } catch {
          throw new ParseError(this.pos, "Fatal error decoding UTF-8 sequence in Display String");
        }
      }
      result.push(char.charCodeAt(0));
    }
    throw new ParseError(this.pos, "Unexpected end of input");
  }
  parseToken() {
    let outputString = "";
    while (!this.eof()) {
      const char = this.lookChar();
      if (char === void 0 || !/^[:/!#$%&'*+\-.^_`|~A-Za-z0-9]$/.test(char)) {
        return new Token(outputString);
      }
      outputString += this.getChar();
    }
    return new Token(outputString);
  }
  parseByteSequence() {
    this.expectChar(":");
    this.pos++;
    const endPos = this.input.indexOf(":", this.pos);
    if (endPos === -1) {
      throw new ParseError(this.pos, 'Could not find a closing ":" character to mark end of Byte Sequence');
    }
    const b64Content = this.input.substring(this.pos, endPos);
    this.pos += b64Content.length + 1;
    if (!/^[A-Za-z0-9+/=]*$/.test(b64Content)) {
      throw new ParseError(this.pos, "ByteSequence does not contain a valid base64 string");
    }
    try {
      return base64ToArrayBuffer(b64Content);
    } catch {
      throw new ParseError(this.pos, "ByteSequence does not contain a valid base64 string");
    }
  }
  parseBoolean() {
    this.expectChar("?");
    this.pos++;
    const char = this.getChar();
    if (char === "1") {
      return true;
    }
    if (char === "0") {
      return false;
    }
    throw new ParseError(this.pos, 'Unexpected character. Expected a "1" or a "0"');
  }
  parseDate() {
    this.expectChar("@");
    this.pos++;
    let sign = 1;
    let inputNumber = "";
    if (this.lookChar() === "-") {
      sign = -1;
      this.pos++;
    }
    if (!isDigit(this.lookChar())) {
      throw new ParseError(this.pos, "Expected a digit (0-9)");
    }
    while (!this.eof()) {
      const char = this.getChar();
      if (isDigit(char)) {
        inputNumber += char;
      } else {
        throw new ParseError(this.pos, "Expected a digit (0-9), whitespace or EOL");
      }
    }
    if (inputNumber.length > 15) {
      throw new ParseError(this.pos, "Exceeded max length for a date value");
    }
    return new Date(parseInt(inputNumber, 10) * sign * 1e3);
  }
  parseKey() {
    if (!this.lookChar()?.match(/^[a-z*]/)) {
      throw new ParseError(this.pos, "A key must begin with an asterisk or letter (a-z)");
    }
    let outputString = "";
    while (!this.eof()) {
      const char = this.lookChar();
      if (char === void 0 || !/^[a-z0-9_\-.*]$/.test(char)) {
        return outputString;
      }
      outputString += this.getChar();
    }
    return outputString;
  }
  /**
   * Looks at the next character without advancing the cursor.
   *
   * Returns undefined if we were at the end of the string.
   */
  lookChar() {
    return this.input[this.pos];
  }
  /**
   * Checks if the next character is 'char', and fail otherwise.
   */
  expectChar(char) {
    if (this.lookChar() !== char) {
      throw new ParseError(this.pos, `Expected ${char}`);
    }
  }
  getChar() {
    return this.input[this.pos++];
  }
  getChars(count) {
    const result = this.input.substr(this.pos, count);
    this.pos += count;
    return result;
  }
  eof() {
    return this.pos >= this.input.length;
  }
  // Advances the pointer to skip all whitespace.
  skipOWS() {
    while (true) {
      const c = this.input.substr(this.pos, 1);
      if (c === " " || c === "	") {
        this.pos++;
      } else {
        break;
      }
    }
  }
  // Advances the pointer to skip all spaces
  skipWS() {
    while (this.lookChar() === " ") {
      this.pos++;
    }
  }
  // At the end of parsing, we need to make sure there are no bytes after the
  // header except whitespace.
  checkTrail() {
    this.skipWS();
    if (!this.eof()) {
      throw new ParseError(this.pos, "Unexpected characters at end of input");
    }
  }
};
var isDigitRegex = /^[0-9]$/;
function isDigit(char) {
  if (char === void 0)
    return false;
  return isDigitRegex.test(char);
}

// src/sf.js
function parseComponent(text) {
  if (typeof text !== "string") return text;
  if (!text.startsWith('"')) return { name: text, params: /* @__PURE__ */ new Map() };
  let item;
  try {
    item = parseItem(text);
  } catch (e) {
    throw new SignatureError("signature_malformed", `bad component identifier ${text}`);
  }
  return componentFromItem(item);
}
function componentFromItem(item) {
  const [value, params] = item;
  if (typeof value !== "string") {
    throw new SignatureError("signature_malformed", "a component identifier must be a String");
  }
  if (!value.startsWith("@") && value !== value.toLowerCase()) {
    throw new SignatureError("signature_malformed", `field name ${value} is not lower-case`);
  }
  const out = /* @__PURE__ */ new Map();
  for (const [k, v] of params) {
    if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") {
      throw new SignatureError("signature_malformed", `parameter ${k} of ${value} has a bad type`);
    }
    out.set(k, v);
  }
  return { name: value, params: out };
}
function serializeComponent(component) {
  try {
    return serializeItem(
      component.name,
      /** @type {any} */
      component.params
    );
  } catch (e) {
    throw new SignatureError("signature_malformed", `component ${component.name} cannot be serialized`);
  }
}
function serializeSignatureParams(components, params) {
  for (const [name, value] of params) {
    if (typeof value === "number" && !Number.isInteger(value)) {
      throw new SignatureError("signature_malformed", `parameter ${name} must be an Integer`);
    }
  }
  try {
    return serializeInnerList([
      components.map((c) => (
        /** @type {any} */
        [c.name, c.params]
      )),
      new Map(params)
    ]);
  } catch (e) {
    throw new SignatureError("signature_malformed", `signature parameters: ${String(e)}`);
  }
}
function serializeLabel(label) {
  try {
    return serializeKey(label);
  } catch (e) {
    throw new TypeError(`invalid signature label ${JSON.stringify(label)}`);
  }
}
function dictionaryOrFail(value, what) {
  try {
    return parseDictionary(value);
  } catch (e) {
    throw new SignatureError("signature_malformed", `${what} does not parse`);
  }
}
function parseSignatureInput(value) {
  checkNoDuplicateKeys(value, "Signature-Input");
  const dict = dictionaryOrFail(value, "Signature-Input");
  const out = [];
  for (const [label, member] of dict) {
    if (!Array.isArray(member[0])) {
      throw new SignatureError("signature_malformed", `Signature-Input ${label} is not an Inner List`);
    }
    const components = member[0].map(componentFromItem);
    const params = /* @__PURE__ */ new Map();
    for (const [k, v] of member[1]) {
      if (v instanceof Token) {
        throw new SignatureError("signature_malformed", `parameter ${k} is a Token`);
      }
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") params.set(k, v);
      else throw new SignatureError("signature_malformed", `parameter ${k} has an unexpected type`);
    }
    const text = serializeInnerList(
      /** @type {any} */
      member
    );
    out.push({ label, components, params, text });
  }
  return out;
}
function parseByteSequences(value, what) {
  checkNoDuplicateKeys(value, what);
  const dict = dictionaryOrFail(value, what);
  const out = /* @__PURE__ */ new Map();
  for (const [key, member] of dict) {
    const bare = member[0];
    out.set(key, bare instanceof ArrayBuffer ? new Uint8Array(bare) : null);
  }
  return out;
}
function dictionaryMember(value, key) {
  const dict = dictionaryOrFail(value, "a Dictionary field");
  const member = dict.get(key);
  if (member === void 0) return null;
  return Array.isArray(member[0]) ? serializeInnerList(
    /** @type {any} */
    member
  ) : serializeItem(
    /** @type {any} */
    member
  );
}
function reserialize(value, type) {
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
function checkNoDuplicateKeys(value, what) {
  const keys = /* @__PURE__ */ new Set();
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
    else if (start && c !== " " && c !== "	") {
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

// src/components.js
var DERIVED = /* @__PURE__ */ new Set([
  "@method",
  "@target-uri",
  "@authority",
  "@scheme",
  "@request-target",
  "@path",
  "@query",
  "@query-param",
  "@status"
]);
var FIELD_PARAMS = /* @__PURE__ */ new Set(["sf", "key", "bs", "req", "tr"]);
var KNOWN_SF_TYPES = {
  "signature-input": "dictionary",
  signature: "dictionary",
  "accept-signature": "dictionary",
  "content-digest": "dictionary",
  "repr-digest": "dictionary",
  "want-content-digest": "dictionary",
  "want-repr-digest": "dictionary"
};
var FORM_SAFE = /[A-Za-z0-9*\-._]/;
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
function formEncode(data) {
  let out = "";
  for (const b of data) {
    const c = String.fromCharCode(b);
    out += b < 128 && FORM_SAFE.test(c) ? c : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}
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
      `query parameter ${name} is ${found.length ? "repeated" : "absent"}`
    );
  }
  return found[0];
}
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
  let value = null;
  switch (name) {
    case "@method":
      value = m.method;
      break;
    case "@authority":
      value = m.authority;
      break;
    case "@scheme":
      value = m.scheme;
      break;
    case "@path":
      value = m.path === null ? null : m.path || "/";
      break;
    case "@query":
      value = "?" + (m.query || "");
      break;
    case "@request-target":
      value = m.path === null ? null : (m.path || "/") + (m.query === null ? "" : "?" + m.query);
      break;
    case "@target-uri":
      value = m.scheme === null || m.authority === null ? null : `${m.scheme}://${normalizeAuthority(m.scheme, m.authority)}${m.path || "/"}` + (m.query === null ? "" : "?" + m.query);
      break;
    case "@query-param":
      return queryParam(m, c.params.get("name"));
  }
  if (value === null) throw new SignatureError("component_missing", `${name} is not known`);
  return value;
}
function trimOws(line) {
  return line.replace(/^[ \t]+|[ \t]+$/g, "");
}
function combine(lines) {
  return lines.map((l) => trimOws(l.replace(/\r?\n[ \t]+/g, " "))).join(", ");
}
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
    throw new SignatureError(
      name === "content-digest" ? "digest_missing" : "component_missing",
      `field ${name} is absent`
    );
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
function componentValue(message, component) {
  const c = parseComponent(component);
  let m = message;
  if (c.params.get("req")) {
    if (!message.request) throw new SignatureError("component_missing", "req given but no request is known");
    m = message.request;
  }
  const value = c.name.startsWith("@") ? derivedValue(m, c) : fieldValueOf(m, c);
  if (/[^\x00-\x7f]|[\r\n]/.test(value)) {
    throw new SignatureError("signature_malformed", `value of ${c.name} is not printable ASCII`);
  }
  return value;
}
function signatureBase(message, components, params, signatureParams) {
  const comps = components.map(parseComponent);
  const seen = /* @__PURE__ */ new Set();
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

// src/digest.js
var HASHES = { "sha-256": "SHA-256", "sha-512": "SHA-512" };
var DIGEST_ALGORITHMS = Object.freeze(Object.keys(HASHES));
async function contentDigest(body, algorithms = ["sha-256"]) {
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
async function verifyContentDigest(value, body) {
  if (value === null || value === void 0) {
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

// src/signer.js
var DEFAULT_COMPONENTS = Object.freeze(["@method", "@authority", "@path", "@query"]);
function newNonce() {
  return base64UrlEncode(randomBytes(16));
}
var Signer = class _Signer {
  /** @type {Promise<CryptoKey> | null} */
  #signing = null;
  /** @type {CryptoKey | Uint8Array | string | JsonWebKey | null} */
  #material;
  /** @param {SignerOptions} options */
  constructor(options) {
    if (!options || typeof options.keyId !== "string" || !options.keyId) {
      throw new TypeError("a Signer needs a keyId");
    }
    this.keyId = options.keyId;
    this.algorithm = algorithm(options.algorithm || "hmac-sha256").name;
    this.label = options.label || "sig1";
    serializeLabel(this.label);
    this.components = options.components ? [...options.components] : null;
    this.includeAlg = options.includeAlg !== false;
    this.tag = options.tag ?? null;
    this.expiresIn = options.expiresIn ?? null;
    this.clock = options.clock || (() => Date.now() / 1e3);
    this.clockOffset = options.clockOffset ?? 0;
    this.verifyKey = options.verifyKey || null;
    if (options.key === void 0 || options.key === null) throw new TypeError("a Signer needs a key");
    this.#material = options.key;
  }
  /** Whether the server answers with the same key (hmac: API keys and hmac sessions). */
  get sharedSecret() {
    return algorithm(this.algorithm).sharedSecret;
  }
  /** @returns {Promise<CryptoKey>} */
  signingKey() {
    if (!this.#signing) {
      const material = (
        /** @type {any} */
        this.#material
      );
      this.#signing = importSigningKey(this.algorithm, material);
      this.#signing.then(() => {
        this.#material = null;
      }, () => {
      });
    }
    return this.#signing;
  }
  /**
   * The key that verifies the server's responses signed with this key (hmac only: the same
   * secret). `null` for a client-held key, whose responses the server signs with its own key.
   * @returns {Promise<CryptoKey | null>}
   */
  async responseKey() {
    if (!this.sharedSecret) return null;
    return importVerifyingKey(this.algorithm, await this.signingKey());
  }
  /**
   * Sign one request. `url` is absolute; `body` is what will be sent, byte for byte.
   * @param {{ method: string, url: string | URL, headers?: HeadersInit | Array<[string, string]> | null,
   *           body?: string | Uint8Array | ArrayBuffer | null, created?: number, nonce?: string | null }} request
   * @returns {Promise<SignedRequest>}
   */
  async sign(request) {
    const method = request.method.toUpperCase();
    const body = toBytes(request.body);
    const lines = headerLines(
      /** @type {any} */
      request.headers
    );
    const added = [];
    let components;
    if (this.components === null) {
      components = [...DEFAULT_COMPONENTS];
      if (body && body.length) {
        if (!lines.some(([n]) => n === "content-digest")) {
          added.push(["content-digest", await contentDigest(body)]);
        }
        components.push("content-digest");
      }
    } else {
      components = [...this.components];
    }
    const created = request.created ?? Math.floor(this.clock() + this.clockOffset);
    const nonce = request.nonce === void 0 ? newNonce() : request.nonce;
    const params = [["created", created]];
    if (this.expiresIn !== null) params.push(["expires", created + this.expiresIn]);
    params.push(["keyid", this.keyId]);
    if (nonce !== null) params.push(["nonce", nonce]);
    if (this.includeAlg) params.push(["alg", this.algorithm]);
    if (this.tag !== null) params.push(["tag", this.tag]);
    const message = requestMessage(method, request.url, [...lines, ...added], body);
    const comps = components.map(parseComponent);
    const base = signatureBase(message, comps, params);
    const signature = await signBytes(this.algorithm, await this.signingKey(), utf8(base));
    const label = serializeLabel(this.label);
    const inner = serializeSignatureParams(comps, params);
    added.push(["signature-input", `${label}=${inner}`]);
    added.push(["signature", `${label}=:${base64Encode(signature)}:`]);
    message.headers.push(["signature-input", `${label}=${inner}`], ["signature", `${label}=:${base64Encode(signature)}:`]);
    return { headers: [...lines, ...added], added, message, body };
  }
  toString() {
    return `Signer(${this.keyId}, ${this.algorithm})`;
  }
  toJSON() {
    return { keyId: this.keyId, algorithm: this.algorithm, label: this.label };
  }
  /**
   * An hmac signer from the secret the server issued (base64url without padding).
   * @param {string} keyId
   * @param {string | Uint8Array} secret
   * @param {Omit<SignerOptions, "keyId" | "key" | "algorithm">} [options]
   */
  static hmac(keyId, secret, options = {}) {
    return new _Signer({ ...options, keyId, key: secret, algorithm: "hmac-sha256" });
  }
};

// src/device.js
async function jwkThumbprint(jwk) {
  const members = { EC: ["crv", "kty", "x", "y"], OKP: ["crv", "kty", "x"], RSA: ["e", "kty", "n"], oct: ["k", "kty"] };
  const names = members[
    /** @type {string} */
    jwk.kty
  ];
  if (!names) throw new TypeError(`no thumbprint for a ${jwk.kty} key`);
  const json = "{" + names.map((n) => {
    const v = (
      /** @type {any} */
      jwk[n]
    );
    if (typeof v !== "string") throw new TypeError(`the JWK has no ${n}`);
    return `${JSON.stringify(n)}:${JSON.stringify(v)}`;
  }).join(",") + "}";
  return base64UrlEncode(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", utf8(json))));
}
var DeviceKey = class _DeviceKey {
  /**
   * @param {string} algorithmName
   * @param {CryptoKeyPair} keyPair
   * @param {JsonWebKey} jwk
   * @param {string} thumbprint
   */
  constructor(algorithmName, keyPair, jwk, thumbprint) {
    this.algorithm = algorithmName;
    this.keyPair = keyPair;
    this.jwk = jwk;
    this.thumbprint = thumbprint;
  }
  /**
   * A new key, made by WebCrypto with a private half that cannot be exported.
   * @param {string} [algorithmName] `ecdsa-p256-sha256` (default) or `ed25519`
   */
  static async generate(algorithmName = "ecdsa-p256-sha256") {
    if (!DEVICE_ALGORITHMS.includes(algorithmName)) {
      throw new TypeError(`a device key's algorithm is one of ${DEVICE_ALGORITHMS.join(", ")}`);
    }
    const entry = algorithm(algorithmName);
    const pair = (
      /** @type {CryptoKeyPair} */
      await globalThis.crypto.subtle.generateKey(entry.importParams, false, ["sign", "verify"])
    );
    return _DeviceKey.fromKeyPair(algorithmName, pair);
  }
  /**
   * @param {string} algorithmName
   * @param {CryptoKeyPair} keyPair
   */
  static async fromKeyPair(algorithmName, keyPair) {
    const full = await globalThis.crypto.subtle.exportKey("jwk", keyPair.publicKey);
    const jwk = full.kty === "EC" ? { kty: "EC", crv: full.crv, x: full.x, y: full.y } : { kty: full.kty, crv: full.crv, x: full.x };
    return new _DeviceKey(algorithmName, keyPair, jwk, await jwkThumbprint(jwk));
  }
  /** What `POST sessions/` carries to bind the session to this key. */
  registration() {
    return { public_key: this.jwk, algorithm: this.algorithm };
  }
  /**
   * A signer with this key under `keyId` (a session id, or the thumbprint for an exchange).
   * @param {string} keyId
   * @param {Partial<import("./signer.js").SignerOptions>} [options]
   */
  signer(keyId, options = {}) {
    return new Signer({
      ...options,
      keyId,
      algorithm: this.algorithm,
      key: this.keyPair.privateKey,
      verifyKey: this.keyPair.publicKey
    });
  }
  /** What a key store keeps (the CryptoKeys themselves: IndexedDB stores them as they are). */
  toStored() {
    return { algorithm: this.algorithm, keyPair: this.keyPair };
  }
  /** @param {any} stored */
  static async fromStored(stored) {
    if (!stored || !stored.keyPair || !DEVICE_ALGORITHMS.includes(stored.algorithm)) return null;
    return _DeviceKey.fromKeyPair(stored.algorithm, stored.keyPair);
  }
  toJSON() {
    return { algorithm: this.algorithm, thumbprint: this.thumbprint, jwk: this.jwk };
  }
};

// src/jwks.js
var JWKS_PATH = "/.well-known/signed-api/keys";
async function importJwks(jwks) {
  const out = /* @__PURE__ */ new Map();
  if (!jwks || typeof jwks !== "object" || !Array.isArray(jwks.keys)) {
    throw new SignatureError("unknown_key", "the server's JWKS has no keys list");
  }
  for (const jwk of jwks.keys) {
    if (!jwk || typeof jwk !== "object" || jwk.kty !== "OKP" || jwk.crv !== "Ed25519") continue;
    if ((jwk.use ?? "sig") !== "sig" || typeof jwk.kid !== "string" || typeof jwk.x !== "string") continue;
    try {
      const key = await globalThis.crypto.subtle.importKey(
        "jwk",
        { kty: "OKP", crv: "Ed25519", x: jwk.x },
        { name: "Ed25519" },
        true,
        ["verify"]
      );
      out.set(jwk.kid, key);
    } catch {
      continue;
    }
  }
  return out;
}
var ServerKeys = class {
  /** @type {Map<string, CryptoKey>} */
  #keys = /* @__PURE__ */ new Map();
  #loadedAt = -Infinity;
  /** When the JWKS was last asked for, successfully or not: the next fetch is due `minRefresh` after. */
  #attemptedAt = -Infinity;
  /** @type {Promise<void> | null} */
  #loading = null;
  /** @type {any} */
  #initial;
  #pinned = false;
  /** @param {ServerKeysOptions} options */
  constructor(options = {}) {
    this.url = options.url || null;
    const given = options.fetch;
    this.fetch = given ? (i, o) => given(i, o) : (i, o) => globalThis.fetch(i, o);
    this.credentials = options.credentials;
    this.maxAge = options.maxAge ?? 3600;
    this.minRefresh = options.minRefresh ?? 10;
    this.#initial = options.jwks || null;
    this.#pinned = !!options.jwks && !this.url;
    this.fetches = 0;
  }
  #now() {
    return Date.now() / 1e3;
  }
  /** Fetch the JWKS now (once at a time). */
  async refresh() {
    if (this.#loading) return this.#loading;
    this.#attemptedAt = this.#now();
    this.#loading = (async () => {
      try {
        if (this.#initial) {
          this.#keys = await importJwks(this.#initial);
          this.#initial = null;
        } else {
          if (!this.url) throw new SignatureError("unknown_key", "no JWKS URL to fetch the server's keys from");
          this.fetches++;
          const init = { headers: { Accept: "application/json" } };
          if (this.credentials) init.credentials = this.credentials;
          let response;
          let data;
          try {
            response = await this.fetch(this.url, init);
            data = response.status === 200 ? await response.json() : null;
          } catch (e) {
            throw new SignedApiError("server_keys_unavailable", `the server's keys could not be fetched from ${this.url}`);
          }
          if (response.status !== 200) {
            throw new ApiError(response.status, "server_keys_unavailable", `the JWKS answered HTTP ${response.status}`);
          }
          this.#keys = await importJwks(data);
        }
        this.#loadedAt = this.#now();
      } finally {
        this.#loading = null;
      }
    })();
    return this.#loading;
  }
  /**
   * The key named `kid`, or null when the server does not have it (even after a fetch).
   * @param {string} kid
   * @returns {Promise<CryptoKey | null>}
   */
  async get(kid) {
    if (this.#loading) await this.#loading.catch(() => {
    });
    if (this.#initial || !this.#pinned && this.#now() - this.#loadedAt > this.maxAge) {
      if (!this.#initial && !this.#due()) {
        throw new SignedApiError("server_keys_unavailable", `the server's keys could not be fetched from ${this.url} (again in at most ${this.minRefresh} s)`);
      }
      await this.refresh();
    }
    let key = this.#keys.get(kid);
    if (!key && this.#due()) {
      await this.refresh();
      key = this.#keys.get(kid);
    }
    return key || null;
  }
  /** Whether the JWKS may be fetched now: `minRefresh` seconds since the last attempt. */
  #due() {
    return this.#now() - this.#attemptedAt >= this.minRefresh;
  }
  /** The kids held now. */
  kids() {
    return [...this.#keys.keys()];
  }
};

// src/keystore.js
var MemoryKeyStore = class {
  /** @type {Map<string, any>} */
  #items = /* @__PURE__ */ new Map();
  /** @param {string} name */
  async get(name) {
    return this.#items.get(name);
  }
  /** @param {string} name @param {any} value */
  async set(name, value) {
    this.#items.set(name, value);
  }
  /** @param {string} name */
  async delete(name) {
    this.#items.delete(name);
  }
};
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
var IndexedDBKeyStore = class {
  /** @type {Promise<IDBDatabase> | null} */
  #db = null;
  /**
   * @param {{ database?: string, store?: string, indexedDB?: IDBFactory }} [options]
   */
  constructor(options = {}) {
    this.database = options.database || "signed-api";
    this.store = options.store || "keys";
    this.factory = options.indexedDB || globalThis.indexedDB;
    if (!this.factory) throw new TypeError("IndexedDB is not available here: use MemoryKeyStore");
  }
  #open() {
    if (!this.#db) {
      const request = this.factory.open(this.database, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(this.store)) request.result.createObjectStore(this.store);
      };
      this.#db = done(request);
    }
    return this.#db;
  }
  /**
   * @param {IDBTransactionMode} mode
   * @param {(store: IDBObjectStore) => IDBRequest} action
   */
  async #run(mode, action) {
    const db = await this.#open();
    const tx = db.transaction(this.store, mode);
    const result = done(action(tx.objectStore(this.store)));
    await new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(void 0);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
    return result;
  }
  /** @param {string} name */
  async get(name) {
    return this.#run("readonly", (s) => s.get(name));
  }
  /** @param {string} name @param {any} value */
  async set(name, value) {
    await this.#run("readwrite", (s) => s.put(value, name));
  }
  /** @param {string} name */
  async delete(name) {
    await this.#run("readwrite", (s) => s.delete(name));
  }
};
function defaultKeyStore() {
  return globalThis.indexedDB ? new IndexedDBKeyStore() : new MemoryKeyStore();
}

// node_modules/@hpke/common/esm/src/errors.js
var HpkeError = class extends Error {
  constructor(e) {
    let message;
    if (e instanceof Error) {
      message = e.message;
    } else if (typeof e === "string") {
      message = e;
    } else {
      message = "";
    }
    super(message);
    this.name = this.constructor.name;
  }
};
var InvalidParamError = class extends HpkeError {
};
var SerializeError2 = class extends HpkeError {
};
var DeserializeError = class extends HpkeError {
};
var EncapError = class extends HpkeError {
};
var DecapError = class extends HpkeError {
};
var ExportError = class extends HpkeError {
};
var SealError = class extends HpkeError {
};
var OpenError = class extends HpkeError {
};
var MessageLimitReachedError = class extends HpkeError {
};
var DeriveKeyPairError = class extends HpkeError {
};
var NotSupportedError = class extends HpkeError {
};

// node_modules/@hpke/common/esm/_dnt.shims.js
var dntGlobals = {};
var dntGlobalThis = createMergeProxy(globalThis, dntGlobals);
function createMergeProxy(baseObj, extObj) {
  return new Proxy(baseObj, {
    get(_target, prop, _receiver) {
      if (prop in extObj) {
        return extObj[prop];
      } else {
        return baseObj[prop];
      }
    },
    set(_target, prop, value) {
      if (prop in extObj) {
        delete extObj[prop];
      }
      baseObj[prop] = value;
      return true;
    },
    deleteProperty(_target, prop) {
      let success = false;
      if (prop in extObj) {
        delete extObj[prop];
        success = true;
      }
      if (prop in baseObj) {
        delete baseObj[prop];
        success = true;
      }
      return success;
    },
    ownKeys(_target) {
      const baseKeys = Reflect.ownKeys(baseObj);
      const extKeys = Reflect.ownKeys(extObj);
      const extKeysSet = new Set(extKeys);
      return [...baseKeys.filter((k) => !extKeysSet.has(k)), ...extKeys];
    },
    defineProperty(_target, prop, desc) {
      if (prop in extObj) {
        delete extObj[prop];
      }
      Reflect.defineProperty(baseObj, prop, desc);
      return true;
    },
    getOwnPropertyDescriptor(_target, prop) {
      if (prop in extObj) {
        return Reflect.getOwnPropertyDescriptor(extObj, prop);
      } else {
        return Reflect.getOwnPropertyDescriptor(baseObj, prop);
      }
    },
    has(_target, prop) {
      return prop in extObj || prop in baseObj;
    }
  });
}

// node_modules/@hpke/common/esm/src/algorithm.js
async function loadSubtleCrypto() {
  if (dntGlobalThis !== void 0 && globalThis.crypto !== void 0) {
    return globalThis.crypto.subtle;
  }
  try {
    const { webcrypto } = await import("crypto");
    return webcrypto.subtle;
  } catch (e) {
    throw new NotSupportedError(e);
  }
}
var NativeAlgorithm = class {
  constructor() {
    Object.defineProperty(this, "_api", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
  }
  async _setup() {
    if (this._api !== void 0) {
      return;
    }
    this._api = await loadSubtleCrypto();
  }
};

// node_modules/@hpke/common/esm/src/identifiers.js
var Mode = {
  Base: 0,
  Psk: 1,
  Auth: 2,
  AuthPsk: 3
};
var KemId = {
  NotAssigned: 0,
  DhkemP256HkdfSha256: 16,
  DhkemP384HkdfSha384: 17,
  DhkemP521HkdfSha512: 18,
  DhkemSecp256k1HkdfSha256: 19,
  DhkemX25519HkdfSha256: 32,
  DhkemX448HkdfSha512: 33,
  HybridkemX25519Kyber768: 48,
  MlKem512: 64,
  MlKem768: 65,
  MlKem1024: 66,
  XWing: 25722
};
var KdfId = {
  HkdfSha256: 1,
  HkdfSha384: 2,
  HkdfSha512: 3,
  Sha3256: 4,
  Sha3384: 5,
  Sha3512: 6,
  Shake128: 16,
  Shake256: 17,
  TurboShake128: 18,
  TurboShake256: 19
};
var AeadId = {
  Aes128Gcm: 1,
  Aes256Gcm: 2,
  Chacha20Poly1305: 3,
  ExportOnly: 65535
};

// node_modules/@hpke/common/esm/src/consts.js
var INPUT_LENGTH_LIMIT = 8192;
var INFO_LENGTH_LIMIT = 268435456;
var MINIMUM_PSK_LENGTH = 32;
var EMPTY = /* @__PURE__ */ new Uint8Array(0);
var N_0 = 0n;
var N_1 = 1n;
var N_2 = 2n;

// node_modules/@hpke/common/esm/src/interfaces/kemInterface.js
var SUITE_ID_HEADER_KEM = /* @__PURE__ */ new Uint8Array([
  75,
  69,
  77,
  0,
  0
]);

// node_modules/@hpke/common/esm/src/kdfs/hkdf.js
var HPKE_VERSION = /* @__PURE__ */ new Uint8Array([
  72,
  80,
  75,
  69,
  45,
  118,
  49
]);
function toUint8Array(input) {
  return new Uint8Array(toArrayBuffer(input));
}
function toArrayBuffer(input) {
  if (input instanceof ArrayBuffer) {
    return input;
  }
  if (ArrayBuffer.isView(input)) {
    return new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice().buffer;
  }
  return new Uint8Array(input).slice().buffer;
}
var HkdfNative = class extends NativeAlgorithm {
  constructor() {
    super();
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: KdfId.HkdfSha256
    });
    Object.defineProperty(this, "hashSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "_suiteId", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: EMPTY
    });
    Object.defineProperty(this, "algHash", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: {
        name: "HMAC",
        hash: "SHA-256",
        length: 256
      }
    });
  }
  init(suiteId) {
    this._suiteId = suiteId;
  }
  buildLabeledIkm(label, ikm) {
    this._checkInit();
    const ret = new Uint8Array(7 + this._suiteId.byteLength + label.byteLength + ikm.byteLength);
    ret.set(HPKE_VERSION, 0);
    ret.set(this._suiteId, 7);
    ret.set(label, 7 + this._suiteId.byteLength);
    ret.set(ikm, 7 + this._suiteId.byteLength + label.byteLength);
    return ret;
  }
  buildLabeledInfo(label, info, len) {
    this._checkInit();
    const ret = new Uint8Array(9 + this._suiteId.byteLength + label.byteLength + info.byteLength);
    ret.set(new Uint8Array([0, len]), 0);
    ret.set(HPKE_VERSION, 2);
    ret.set(this._suiteId, 9);
    ret.set(label, 9 + this._suiteId.byteLength);
    ret.set(info, 9 + this._suiteId.byteLength + label.byteLength);
    return ret;
  }
  async extract(salt, ikm) {
    await this._setup();
    const saltBuf = salt.byteLength === 0 ? new ArrayBuffer(this.hashSize) : toArrayBuffer(salt);
    if (saltBuf.byteLength !== this.hashSize) {
      throw new InvalidParamError("The salt length must be the same as the hashSize");
    }
    const ikmBuf = toArrayBuffer(ikm);
    const key = await this._api.importKey("raw", saltBuf, this.algHash, false, [
      "sign"
    ]);
    return await this._api.sign("HMAC", key, ikmBuf);
  }
  async expand(prk, info, len) {
    await this._setup();
    const prkBuf = toArrayBuffer(prk);
    const key = await this._api.importKey("raw", prkBuf, this.algHash, false, [
      "sign"
    ]);
    const okm = new ArrayBuffer(len);
    const okmBytes = new Uint8Array(okm);
    let prev = EMPTY;
    const mid = toUint8Array(info);
    const tail = new Uint8Array(1);
    if (len > 255 * this.hashSize) {
      throw new Error("Entropy limit reached");
    }
    const tmp = new Uint8Array(this.hashSize + mid.length + 1);
    for (let i = 1, cur = 0; cur < okmBytes.length; i++) {
      tail[0] = i;
      tmp.set(prev, 0);
      tmp.set(mid, prev.length);
      tmp.set(tail, prev.length + mid.length);
      prev = new Uint8Array(await this._api.sign("HMAC", key, tmp.slice(0, prev.length + mid.length + 1)));
      if (okmBytes.length - cur >= prev.length) {
        okmBytes.set(prev, cur);
        cur += prev.length;
      } else {
        okmBytes.set(prev.slice(0, okmBytes.length - cur), cur);
        cur += okmBytes.length - cur;
      }
    }
    return okm;
  }
  async extractAndExpand(salt, ikm, info, len) {
    await this._setup();
    const ikmBuf = toArrayBuffer(ikm);
    const baseKey = await this._api.importKey("raw", ikmBuf, "HKDF", false, ["deriveBits"]);
    return await this._api.deriveBits({
      name: "HKDF",
      hash: this.algHash.hash,
      salt: toArrayBuffer(salt),
      info: toArrayBuffer(info)
    }, baseKey, len * 8);
  }
  async labeledExtract(salt, label, ikm) {
    return await this.extract(salt, this.buildLabeledIkm(label, ikm));
  }
  async labeledExpand(prk, label, info, len) {
    return await this.expand(prk, this.buildLabeledInfo(label, info, len), len);
  }
  _checkInit() {
    if (this._suiteId === EMPTY) {
      throw new Error("Not initialized. Call init()");
    }
  }
};
var HkdfSha256Native = class extends HkdfNative {
  constructor() {
    super(...arguments);
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: KdfId.HkdfSha256
    });
    Object.defineProperty(this, "hashSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
    Object.defineProperty(this, "algHash", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: {
        name: "HMAC",
        hash: "SHA-256",
        length: 256
      }
    });
  }
};

// node_modules/@hpke/common/esm/src/utils/misc.js
var isCryptoKeyPair = (x) => typeof x === "object" && x !== null && typeof x.privateKey === "object" && typeof x.publicKey === "object";
function i2Osp(n, w) {
  if (w <= 0) {
    throw new Error("i2Osp: too small size");
  }
  if (n >= 256 ** w) {
    throw new Error("i2Osp: too large integer");
  }
  const ret = new Uint8Array(w);
  for (let i = 0; i < w && n; i++) {
    ret[w - (i + 1)] = n % 256;
    n = Math.floor(n / 256);
  }
  return ret;
}
function concat2(a, b) {
  const ret = new Uint8Array(a.length + b.length);
  ret.set(a, 0);
  ret.set(b, a.length);
  return ret;
}
function base64UrlToBytes(v) {
  const base64 = v.replace(/-/g, "+").replace(/_/g, "/");
  const byteString = atob(base64);
  const ret = new Uint8Array(byteString.length);
  for (let i = 0; i < byteString.length; i++) {
    ret[i] = byteString.charCodeAt(i);
  }
  return ret;
}
async function loadCrypto() {
  if (typeof dntGlobalThis !== "undefined" && globalThis.crypto !== void 0) {
    return globalThis.crypto;
  }
  try {
    const { webcrypto } = await import("crypto");
    return webcrypto;
  } catch (_e) {
    throw new Error("failed to load Crypto");
  }
}
function xor(a, b) {
  if (a.byteLength !== b.byteLength) {
    throw new Error("xor: different length inputs");
  }
  const buf = new Uint8Array(a.byteLength);
  for (let i = 0; i < a.byteLength; i++) {
    buf[i] = a[i] ^ b[i];
  }
  return buf;
}

// node_modules/@hpke/common/esm/src/kems/dhkem.js
var LABEL_EAE_PRK = /* @__PURE__ */ new Uint8Array([
  101,
  97,
  101,
  95,
  112,
  114,
  107
]);
var LABEL_SHARED_SECRET = /* @__PURE__ */ new Uint8Array([
  115,
  104,
  97,
  114,
  101,
  100,
  95,
  115,
  101,
  99,
  114,
  101,
  116
]);
function concat3(a, b, c) {
  const ret = new Uint8Array(a.length + b.length + c.length);
  ret.set(a, 0);
  ret.set(b, a.length);
  ret.set(c, a.length + b.length);
  return ret;
}
var Dhkem = class {
  constructor(id, prim, kdf) {
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "secretSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "encSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "publicKeySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "privateKeySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "_prim", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_kdf", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this.id = id;
    this._prim = prim;
    this._kdf = kdf;
    const suiteId = new Uint8Array(SUITE_ID_HEADER_KEM);
    suiteId.set(i2Osp(this.id, 2), 3);
    this._kdf.init(suiteId);
  }
  async serializePublicKey(key) {
    return await this._prim.serializePublicKey(key);
  }
  async deserializePublicKey(key) {
    return await this._prim.deserializePublicKey(toArrayBuffer(key));
  }
  async serializePrivateKey(key) {
    return await this._prim.serializePrivateKey(key);
  }
  async deserializePrivateKey(key) {
    return await this._prim.deserializePrivateKey(toArrayBuffer(key));
  }
  async importKey(format, key, isPublic = true) {
    return await this._prim.importKey(format, key, isPublic);
  }
  async generateKeyPair() {
    return await this._prim.generateKeyPair();
  }
  async deriveKeyPair(ikm) {
    const rawIkm = toArrayBuffer(ikm);
    if (rawIkm.byteLength > INPUT_LENGTH_LIMIT) {
      throw new InvalidParamError("Too long ikm");
    }
    return await this._prim.deriveKeyPair(rawIkm);
  }
  async encap(params) {
    let ke;
    if (params.ekm === void 0) {
      ke = await this.generateKeyPair();
    } else if (isCryptoKeyPair(params.ekm)) {
      ke = params.ekm;
    } else {
      ke = await this.deriveKeyPair(params.ekm);
    }
    const enc = await this._prim.serializePublicKey(ke.publicKey);
    const pkrm = await this._prim.serializePublicKey(params.recipientPublicKey);
    try {
      let dh;
      if (params.senderKey === void 0) {
        dh = new Uint8Array(await this._prim.dh(ke.privateKey, params.recipientPublicKey));
      } else {
        const sks = isCryptoKeyPair(params.senderKey) ? params.senderKey.privateKey : params.senderKey;
        const dh1 = new Uint8Array(await this._prim.dh(ke.privateKey, params.recipientPublicKey));
        const dh2 = new Uint8Array(await this._prim.dh(sks, params.recipientPublicKey));
        dh = concat2(dh1, dh2);
      }
      let kemContext;
      if (params.senderKey === void 0) {
        kemContext = concat2(new Uint8Array(enc), new Uint8Array(pkrm));
      } else {
        const pks = isCryptoKeyPair(params.senderKey) ? params.senderKey.publicKey : await this._prim.derivePublicKey(params.senderKey);
        const pksm = await this._prim.serializePublicKey(pks);
        kemContext = concat3(new Uint8Array(enc), new Uint8Array(pkrm), new Uint8Array(pksm));
      }
      const sharedSecret = await this._generateSharedSecret(dh, kemContext);
      return {
        enc,
        sharedSecret
      };
    } catch (e) {
      throw new EncapError(e);
    }
  }
  async decap(params) {
    const enc = toArrayBuffer(params.enc);
    const pke = await this._prim.deserializePublicKey(enc);
    const skr = isCryptoKeyPair(params.recipientKey) ? params.recipientKey.privateKey : params.recipientKey;
    const pkr = isCryptoKeyPair(params.recipientKey) ? params.recipientKey.publicKey : await this._prim.derivePublicKey(params.recipientKey);
    const pkrm = await this._prim.serializePublicKey(pkr);
    try {
      let dh;
      if (params.senderPublicKey === void 0) {
        dh = new Uint8Array(await this._prim.dh(skr, pke));
      } else {
        const dh1 = new Uint8Array(await this._prim.dh(skr, pke));
        const dh2 = new Uint8Array(await this._prim.dh(skr, params.senderPublicKey));
        dh = concat2(dh1, dh2);
      }
      let kemContext;
      if (params.senderPublicKey === void 0) {
        kemContext = concat2(new Uint8Array(enc), new Uint8Array(pkrm));
      } else {
        const pksm = await this._prim.serializePublicKey(params.senderPublicKey);
        kemContext = new Uint8Array(enc.byteLength + pkrm.byteLength + pksm.byteLength);
        kemContext.set(new Uint8Array(enc), 0);
        kemContext.set(new Uint8Array(pkrm), enc.byteLength);
        kemContext.set(new Uint8Array(pksm), enc.byteLength + pkrm.byteLength);
      }
      return await this._generateSharedSecret(dh, kemContext);
    } catch (e) {
      throw new DecapError(e);
    }
  }
  async _generateSharedSecret(dh, kemContext) {
    const labeledIkm = this._kdf.buildLabeledIkm(LABEL_EAE_PRK, dh);
    const labeledInfo = this._kdf.buildLabeledInfo(LABEL_SHARED_SECRET, kemContext, this.secretSize);
    return await this._kdf.extractAndExpand(EMPTY, labeledIkm, labeledInfo, this.secretSize);
  }
};

// node_modules/@hpke/common/esm/src/interfaces/dhkemPrimitives.js
var KEM_USAGES = ["deriveBits"];
var LABEL_DKP_PRK = /* @__PURE__ */ new Uint8Array([
  100,
  107,
  112,
  95,
  112,
  114,
  107
]);
var LABEL_SK = /* @__PURE__ */ new Uint8Array([115, 107]);

// node_modules/@hpke/common/esm/src/kems/dhkemPrimitives/ec.js
var EC_P_521_PARAMS = {
  p: (1n << 521n) - 1n,
  b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  gx: 0x00c6858e06b70404e9cd9e3ecb662395b4429c648139053fb521f828af606b4d3dbaa14b5e77efe75928fe1dc127a2ffa8de3348b3c1856a429bf97e7e31c2e5bd66n,
  gy: 0x011839296a789a3bc0045c8a5fb42c7d1bd998f54449579b446817afbd17273e662c97ee72995ef42640c550b9013fad0761353c7086a272c24088be94769fd16650n,
  coordinateSize: 66
};

// node_modules/@hpke/common/esm/src/xCryptoKey.js
var XCryptoKey = class {
  constructor(name, key, type, usages = []) {
    Object.defineProperty(this, "key", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "type", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "extractable", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: true
    });
    Object.defineProperty(this, "algorithm", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "usages", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this.key = key;
    this.type = type;
    this.algorithm = { name };
    this.usages = usages;
    if (type === "public") {
      this.usages = [];
    }
  }
};

// node_modules/@hpke/common/esm/src/kems/dhkemPrimitives/xCurve.js
var XCurveDhkemPrimitives = class {
  constructor(algName, keySize, curve, hkdf) {
    Object.defineProperty(this, "_algName", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_curve", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_hkdf", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_nPk", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_nSk", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this._algName = algName;
    this._nPk = keySize;
    this._nSk = keySize;
    this._curve = curve;
    this._hkdf = hkdf;
  }
  serializePublicKey(key) {
    try {
      return Promise.resolve(key.key.buffer);
    } catch (e) {
      return Promise.reject(new SerializeError2(e));
    }
  }
  async deserializePublicKey(key) {
    try {
      return await this._importRawKey(toArrayBuffer(key), true);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  serializePrivateKey(key) {
    try {
      return Promise.resolve(key.key.buffer);
    } catch (e) {
      return Promise.reject(new SerializeError2(e));
    }
  }
  async deserializePrivateKey(key) {
    try {
      return await this._importRawKey(toArrayBuffer(key), false);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async importKey(format, key, isPublic) {
    try {
      if (format === "raw") {
        return await this._importRawKey(key, isPublic);
      }
      if (key instanceof ArrayBuffer) {
        throw new Error("Invalid jwk key format");
      }
      return await this._importJWK(key, isPublic);
    } catch (e) {
      throw new DeserializeError(e);
    }
  }
  async generateKeyPair() {
    try {
      const rawSk = await this._curve.utils.randomSecretKey();
      const sk = new XCryptoKey(this._algName, rawSk, "private", KEM_USAGES);
      const pk = await this.derivePublicKey(sk);
      return { publicKey: pk, privateKey: sk };
    } catch (e) {
      throw new NotSupportedError(e);
    }
  }
  async deriveKeyPair(ikm) {
    try {
      const rawIkm = toArrayBuffer(ikm);
      const dkpPrk = await this._hkdf.labeledExtract(EMPTY.buffer, LABEL_DKP_PRK, new Uint8Array(rawIkm));
      const rawSk = await this._hkdf.labeledExpand(dkpPrk, LABEL_SK, EMPTY, this._nSk);
      const sk = new XCryptoKey(this._algName, new Uint8Array(rawSk), "private", KEM_USAGES);
      return {
        privateKey: sk,
        publicKey: await this.derivePublicKey(sk)
      };
    } catch (e) {
      throw new DeriveKeyPairError(e);
    }
  }
  derivePublicKey(key) {
    try {
      const pk = this._curve.getPublicKey(key.key);
      return Promise.resolve(new XCryptoKey(this._algName, pk, "public"));
    } catch (e) {
      return Promise.reject(new DeserializeError(e));
    }
  }
  dh(sk, pk) {
    try {
      return Promise.resolve(this._curve.getSharedSecret(sk.key, pk.key).buffer);
    } catch (e) {
      return Promise.reject(new SerializeError2(e));
    }
  }
  _importRawKey(key, isPublic) {
    return new Promise((resolve, reject) => {
      if (isPublic && key.byteLength !== this._nPk) {
        reject(new Error("Invalid length of the key"));
      }
      if (!isPublic && key.byteLength !== this._nSk) {
        reject(new Error("Invalid length of the key"));
      }
      resolve(new XCryptoKey(this._algName, new Uint8Array(key), isPublic ? "public" : "private", isPublic ? [] : KEM_USAGES));
    });
  }
  _importJWK(key, isPublic) {
    return new Promise((resolve, reject) => {
      if (key.kty !== "OKP") {
        reject(new Error(`Invalid kty: ${key.kty}`));
      }
      if (key.crv !== this._algName) {
        reject(new Error(`Invalid crv: ${key.crv}`));
      }
      if (isPublic) {
        if (typeof key.d !== "undefined") {
          reject(new Error("Invalid key: `d` should not be set"));
        }
        if (typeof key.x !== "string") {
          reject(new Error("Invalid key: `x` not found"));
        }
        resolve(new XCryptoKey(this._algName, base64UrlToBytes(key.x), "public"));
      } else {
        if (typeof key.d !== "string") {
          reject(new Error("Invalid key: `d` not found"));
        }
        resolve(new XCryptoKey(this._algName, base64UrlToBytes(key.d), "private", KEM_USAGES));
      }
    });
  }
};

// node_modules/@hpke/common/esm/src/interfaces/aeadEncryptionContext.js
var AEAD_USAGES = ["encrypt", "decrypt"];

// node_modules/@hpke/common/esm/src/utils/noble.js
function isBytes(a) {
  return a instanceof Uint8Array || ArrayBuffer.isView(a) && a.constructor.name === "Uint8Array";
}
function anumber(n, title = "") {
  if (!Number.isSafeInteger(n) || n < 0) {
    const prefix = title && `"${title}" `;
    throw new Error(`${prefix}expected integer >0, got ${n}`);
  }
}
function abytes(value, length, title = "") {
  const bytes = isBytes(value);
  const len = value?.length;
  const needsLen = length !== void 0;
  if (!bytes || needsLen && len !== length) {
    const prefix = title && `"${title}" `;
    const ofLen = needsLen ? ` of length ${length}` : "";
    const got = bytes ? `length=${len}` : `type=${typeof value}`;
    throw new Error(prefix + "expected Uint8Array" + ofLen + ", got " + got);
  }
  return value;
}
function aexists(instance, checkFinished = true) {
  if (instance.destroyed)
    throw new Error("Hash instance has been destroyed");
  if (checkFinished && instance.finished) {
    throw new Error("Hash#digest() has already been called");
  }
}
function aoutput(out, instance) {
  abytes(out, void 0, "digestInto() output");
  const min = instance.outputLen;
  if (out.length < min) {
    throw new Error('"digestInto() output" expected to be of length >=' + min);
  }
}
function abignumer(n) {
  if (typeof n === "bigint") {
    if (!isPosBig(n))
      throw new Error("positive bigint expected, got " + n);
  } else
    anumber(n);
  return n;
}
function u32(arr) {
  return new Uint32Array(arr.buffer, arr.byteOffset, Math.floor(arr.byteLength / 4));
}
function clean(...arrays) {
  for (let i = 0; i < arrays.length; i++) {
    arrays[i].fill(0);
  }
}
var _endianTestBuffer = /* @__PURE__ */ new Uint32Array([287454020]);
var _endianTestBytes = /* @__PURE__ */ new Uint8Array(_endianTestBuffer.buffer);
var isLE = _endianTestBytes[0] === 68;
function createView(arr) {
  return new DataView(arr.buffer, arr.byteOffset, arr.byteLength);
}
function rotr(word, shift) {
  return word << 32 - shift | word >>> shift;
}
var hasHexBuiltin = /* @__PURE__ */ (() => (
  // @ts-ignore: to use toHex
  typeof Uint8Array.from([]).toHex === "function" && // @ts-ignore: to use fromHex
  typeof Uint8Array.fromHex === "function"
))();
var hexes = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
var HEX_TO_BIGINT = [
  0n,
  1n,
  2n,
  3n,
  4n,
  5n,
  6n,
  7n,
  8n,
  9n,
  10n,
  11n,
  12n,
  13n,
  14n,
  15n
];
function bytesToHex(bytes) {
  abytes(bytes);
  if (hasHexBuiltin)
    return bytes.toHex();
  let hex = "";
  for (let i = 0; i < bytes.length; i++) {
    hex += hexes[bytes[i]];
  }
  return hex;
}
var asciis = { _0: 48, _9: 57, A: 65, F: 70, a: 97, f: 102 };
function asciiToBase16(ch) {
  if (ch >= asciis._0 && ch <= asciis._9)
    return ch - asciis._0;
  if (ch >= asciis.A && ch <= asciis.F)
    return ch - (asciis.A - 10);
  if (ch >= asciis.a && ch <= asciis.f)
    return ch - (asciis.a - 10);
  return;
}
function hexToBytes(hex) {
  if (typeof hex !== "string") {
    throw new Error("hex string expected, got " + typeof hex);
  }
  if (hasHexBuiltin)
    return Uint8Array.fromHex(hex);
  const hl = hex.length;
  const al = hl / 2;
  if (hl % 2) {
    throw new Error("hex string expected, got unpadded hex of length " + hl);
  }
  const array = new Uint8Array(al);
  for (let ai = 0, hi = 0; ai < al; ai++, hi += 2) {
    const n1 = asciiToBase16(hex.charCodeAt(hi));
    const n2 = asciiToBase16(hex.charCodeAt(hi + 1));
    if (n1 === void 0 || n2 === void 0) {
      const char = hex[hi] + hex[hi + 1];
      throw new Error('hex string expected, got non-hex character "' + char + '" at index ' + hi);
    }
    array[ai] = n1 * 16 + n2;
  }
  return array;
}
function hexToNumber(hex) {
  if (typeof hex !== "string") {
    throw new Error("hex string expected, got " + typeof hex);
  }
  let out = N_0;
  for (let i = 0; i < hex.length; i++) {
    const n = asciiToBase16(hex.charCodeAt(i));
    if (n === void 0) {
      throw new Error('hex string expected, got non-hex character "' + hex[i] + '" at index ' + i);
    }
    out = out << 4n | HEX_TO_BIGINT[n];
  }
  return out;
}
function numberToBigint(num) {
  anumber(num, "numberToBigint");
  let n = num;
  let out = N_0;
  let bit = 1n;
  while (n > 0) {
    if (n % 2 === 1)
      out += bit;
    n = Math.floor(n / 2);
    bit <<= 1n;
  }
  return out;
}
function bytesToNumberLE(bytes) {
  return hexToNumber(bytesToHex(copyBytes(abytes(bytes)).reverse()));
}
function numberToBytesBE(n, len) {
  anumber(len);
  n = abignumer(n);
  const res = hexToBytes(n.toString(16).padStart(len * 2, "0"));
  if (res.length !== len)
    throw new Error("number too large");
  return res;
}
function numberToBytesLE(n, len) {
  return numberToBytesBE(n, len).reverse();
}
function copyBytes(bytes) {
  return Uint8Array.from(bytes);
}
function isPosBig(n) {
  return typeof n === "bigint" && N_0 <= n;
}
function inRange(n, min, max) {
  return isPosBig(n) && isPosBig(min) && isPosBig(max) && min <= n && n < max;
}
function aInRange(title, n, min, max) {
  if (!inRange(n, min, max)) {
    throw new Error("expected valid " + title + ": " + min + " <= n < " + max + ", got " + n);
  }
}
function validateObject(object, fields = {}, optFields = {}) {
  if (!object || typeof object !== "object") {
    throw new Error("expected valid options object");
  }
  function checkField(fieldName, expectedType, isOpt) {
    const val = object[fieldName];
    if (isOpt && val === void 0)
      return;
    const current = typeof val;
    if (current !== expectedType || val === null) {
      throw new Error(`param "${fieldName}" is invalid: expected ${expectedType}, got ${current}`);
    }
  }
  const iter = (f, isOpt) => Object.entries(f).forEach(([k, v]) => checkField(k, v, isOpt));
  iter(fields, false);
  iter(optFields, true);
}
async function randomBytesAsync(bytesLength = 32) {
  const api = await loadCrypto();
  const rnd = new Uint8Array(bytesLength);
  api.getRandomValues(rnd);
  return rnd;
}
function oidNist(suffix) {
  return {
    oid: Uint8Array.from([
      6,
      9,
      96,
      134,
      72,
      1,
      101,
      3,
      4,
      2,
      suffix
    ])
  };
}

// node_modules/@hpke/common/esm/src/hash/hash.js
function ahash(h) {
  if (typeof h !== "function" || typeof h.create !== "function") {
    throw new Error("Hash must wrapped by utils.createHasher");
  }
  anumber(h.outputLen);
  anumber(h.blockLen);
}
function createHasher(hashCons, info = {}) {
  const hashFn = (msg, opts) => hashCons(opts).update(msg).digest();
  const tmp = hashCons(void 0);
  const hashC = Object.assign(hashFn, {
    outputLen: tmp.outputLen,
    blockLen: tmp.blockLen,
    create: (opts) => hashCons(opts),
    ...info
  });
  return Object.freeze(hashC);
}

// node_modules/@hpke/common/esm/src/hash/hmac.js
var _HMAC = class {
  constructor(hash, key) {
    Object.defineProperty(this, "oHash", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "iHash", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "blockLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "outputLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "finished", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: false
    });
    Object.defineProperty(this, "destroyed", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: false
    });
    ahash(hash);
    abytes(key, void 0, "key");
    this.iHash = hash.create();
    if (typeof this.iHash.update !== "function") {
      throw new Error("Expected instance of class which extends utils.Hash");
    }
    this.blockLen = this.iHash.blockLen;
    this.outputLen = this.iHash.outputLen;
    const blockLen = this.blockLen;
    const pad = new Uint8Array(blockLen);
    pad.set(key.length > blockLen ? hash.create().update(key).digest() : key);
    for (let i = 0; i < pad.length; i++)
      pad[i] ^= 54;
    this.iHash.update(pad);
    this.oHash = hash.create();
    for (let i = 0; i < pad.length; i++)
      pad[i] ^= 54 ^ 92;
    this.oHash.update(pad);
    clean(pad);
  }
  update(buf) {
    aexists(this);
    this.iHash.update(buf);
    return this;
  }
  digestInto(out) {
    aexists(this);
    abytes(out, this.outputLen, "output");
    this.finished = true;
    this.iHash.digestInto(out);
    this.oHash.update(out);
    this.oHash.digestInto(out);
    this.destroy();
  }
  digest() {
    const out = new Uint8Array(this.oHash.outputLen);
    this.digestInto(out);
    return out;
  }
  _cloneInto(to) {
    to ||= Object.create(Object.getPrototypeOf(this), {});
    const { oHash, iHash, finished, destroyed, blockLen, outputLen } = this;
    to = to;
    to.finished = finished;
    to.destroyed = destroyed;
    to.blockLen = blockLen;
    to.outputLen = outputLen;
    to.oHash = oHash._cloneInto(to.oHash);
    to.iHash = iHash._cloneInto(to.iHash);
    return to;
  }
  clone() {
    return this._cloneInto();
  }
  destroy() {
    this.destroyed = true;
    this.oHash.destroy();
    this.iHash.destroy();
  }
};
var hmac = (hash, key, message) => new _HMAC(hash, key).update(message).digest();
hmac.create = (hash, key) => new _HMAC(hash, key);

// node_modules/@hpke/common/esm/src/hash/md.js
function Chi(a, b, c) {
  return a & b ^ ~a & c;
}
function Maj(a, b, c) {
  return a & b ^ a & c ^ b & c;
}
var HashMD = class {
  constructor(blockLen, outputLen, padOffset, isLE2) {
    Object.defineProperty(this, "blockLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "outputLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "padOffset", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "isLE", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "buffer", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "view", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "finished", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: false
    });
    Object.defineProperty(this, "length", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "pos", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "destroyed", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: false
    });
    this.blockLen = blockLen;
    this.outputLen = outputLen;
    this.padOffset = padOffset;
    this.isLE = isLE2;
    this.buffer = new Uint8Array(blockLen);
    this.view = createView(this.buffer);
  }
  update(data) {
    aexists(this);
    abytes(data);
    const { view, buffer, blockLen } = this;
    const len = data.length;
    for (let pos = 0; pos < len; ) {
      const take = Math.min(blockLen - this.pos, len - pos);
      if (take === blockLen) {
        const dataView = createView(data);
        for (; blockLen <= len - pos; pos += blockLen) {
          this.process(dataView, pos);
        }
        continue;
      }
      buffer.set(data.subarray(pos, pos + take), this.pos);
      this.pos += take;
      pos += take;
      if (this.pos === blockLen) {
        this.process(view, 0);
        this.pos = 0;
      }
    }
    this.length += data.length;
    this.roundClean();
    return this;
  }
  digestInto(out) {
    aexists(this);
    aoutput(out, this);
    this.finished = true;
    const { buffer, view, blockLen, isLE: isLE2 } = this;
    let { pos } = this;
    buffer[pos++] = 128;
    clean(this.buffer.subarray(pos));
    if (this.padOffset > blockLen - pos) {
      this.process(view, 0);
      pos = 0;
    }
    for (let i = pos; i < blockLen; i++)
      buffer[i] = 0;
    view.setBigUint64(blockLen - 8, numberToBigint(this.length * 8), isLE2);
    this.process(view, 0);
    const oview = createView(out);
    const len = this.outputLen;
    if (len % 4)
      throw new Error("_sha2: outputLen must be aligned to 32bit");
    const outLen = len / 4;
    const state = this.get();
    if (outLen > state.length) {
      throw new Error("_sha2: outputLen bigger than state");
    }
    for (let i = 0; i < outLen; i++)
      oview.setUint32(4 * i, state[i], isLE2);
  }
  digest() {
    const { buffer, outputLen } = this;
    this.digestInto(buffer);
    const res = buffer.slice(0, outputLen);
    this.destroy();
    return res;
  }
  _cloneInto(to) {
    to ||= new this.constructor();
    to.set(...this.get());
    const { blockLen, buffer, length, finished, destroyed, pos } = this;
    to.destroyed = destroyed;
    to.finished = finished;
    to.length = length;
    to.pos = pos;
    if (length % blockLen)
      to.buffer.set(buffer);
    return to;
  }
  clone() {
    return this._cloneInto();
  }
};
var SHA256_IV = /* @__PURE__ */ Uint32Array.from([
  1779033703,
  3144134277,
  1013904242,
  2773480762,
  1359893119,
  2600822924,
  528734635,
  1541459225
]);

// node_modules/@hpke/common/esm/src/hash/u64.js
var U32_MASK64 = 0xffffffffn;
var _32n = 32n;
function fromBig(n, le = false) {
  if (le) {
    return { h: Number(n & U32_MASK64), l: Number(n >> _32n & U32_MASK64) };
  }
  return {
    h: Number(n >> _32n & U32_MASK64) | 0,
    l: Number(n & U32_MASK64) | 0
  };
}
function split(lst, le = false) {
  const len = lst.length;
  const Ah = new Uint32Array(len);
  const Al = new Uint32Array(len);
  for (let i = 0; i < len; i++) {
    const { h, l } = fromBig(lst[i], le);
    [Ah[i], Al[i]] = [h, l];
  }
  return [Ah, Al];
}

// node_modules/@hpke/common/esm/src/hash/sha2.js
var SHA256_K = /* @__PURE__ */ Uint32Array.from([
  1116352408,
  1899447441,
  3049323471,
  3921009573,
  961987163,
  1508970993,
  2453635748,
  2870763221,
  3624381080,
  310598401,
  607225278,
  1426881987,
  1925078388,
  2162078206,
  2614888103,
  3248222580,
  3835390401,
  4022224774,
  264347078,
  604807628,
  770255983,
  1249150122,
  1555081692,
  1996064986,
  2554220882,
  2821834349,
  2952996808,
  3210313671,
  3336571891,
  3584528711,
  113926993,
  338241895,
  666307205,
  773529912,
  1294757372,
  1396182291,
  1695183700,
  1986661051,
  2177026350,
  2456956037,
  2730485921,
  2820302411,
  3259730800,
  3345764771,
  3516065817,
  3600352804,
  4094571909,
  275423344,
  430227734,
  506948616,
  659060556,
  883997877,
  958139571,
  1322822218,
  1537002063,
  1747873779,
  1955562222,
  2024104815,
  2227730452,
  2361852424,
  2428436474,
  2756734187,
  3204031479,
  3329325298
]);
var SHA256_W = /* @__PURE__ */ new Uint32Array(64);
var SHA2_32B = class extends HashMD {
  constructor(outputLen) {
    super(64, outputLen, 8, false);
  }
  get() {
    const { A, B, C, D, E, F, G, H } = this;
    return [A, B, C, D, E, F, G, H];
  }
  set(A, B, C, D, E, F, G, H) {
    this.A = A | 0;
    this.B = B | 0;
    this.C = C | 0;
    this.D = D | 0;
    this.E = E | 0;
    this.F = F | 0;
    this.G = G | 0;
    this.H = H | 0;
  }
  process(view, offset) {
    for (let i = 0; i < 16; i++, offset += 4) {
      SHA256_W[i] = view.getUint32(offset, false);
    }
    for (let i = 16; i < 64; i++) {
      const W15 = SHA256_W[i - 15];
      const W2 = SHA256_W[i - 2];
      const s0 = rotr(W15, 7) ^ rotr(W15, 18) ^ W15 >>> 3;
      const s1 = rotr(W2, 17) ^ rotr(W2, 19) ^ W2 >>> 10;
      SHA256_W[i] = s1 + SHA256_W[i - 7] + s0 + SHA256_W[i - 16] | 0;
    }
    let { A, B, C, D, E, F, G, H } = this;
    for (let i = 0; i < 64; i++) {
      const sigma1 = rotr(E, 6) ^ rotr(E, 11) ^ rotr(E, 25);
      const T1 = H + sigma1 + Chi(E, F, G) + SHA256_K[i] + SHA256_W[i] | 0;
      const sigma0 = rotr(A, 2) ^ rotr(A, 13) ^ rotr(A, 22);
      const T2 = sigma0 + Maj(A, B, C) | 0;
      H = G;
      G = F;
      F = E;
      E = D + T1 | 0;
      D = C;
      C = B;
      B = A;
      A = T1 + T2 | 0;
    }
    A = A + this.A | 0;
    B = B + this.B | 0;
    C = C + this.C | 0;
    D = D + this.D | 0;
    E = E + this.E | 0;
    F = F + this.F | 0;
    G = G + this.G | 0;
    H = H + this.H | 0;
    this.set(A, B, C, D, E, F, G, H);
  }
  roundClean() {
    clean(SHA256_W);
  }
  destroy() {
    this.set(0, 0, 0, 0, 0, 0, 0, 0);
    clean(this.buffer);
  }
};
var _SHA256 = class extends SHA2_32B {
  constructor() {
    super(32);
    Object.defineProperty(this, "A", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[0] | 0
    });
    Object.defineProperty(this, "B", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[1] | 0
    });
    Object.defineProperty(this, "C", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[2] | 0
    });
    Object.defineProperty(this, "D", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[3] | 0
    });
    Object.defineProperty(this, "E", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[4] | 0
    });
    Object.defineProperty(this, "F", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[5] | 0
    });
    Object.defineProperty(this, "G", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[6] | 0
    });
    Object.defineProperty(this, "H", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: SHA256_IV[7] | 0
    });
  }
};
var sha256 = /* @__PURE__ */ createHasher(
  () => new _SHA256(),
  /* @__PURE__ */ oidNist(1)
);

// node_modules/@hpke/common/esm/src/hash/sha3.js
var _0n = 0n;
var _1n = 1n;
var _2n = 2n;
var _7n = 7n;
var _256n = 256n;
var _0x71n = 0x71n;
var SHA3_PI = [];
var SHA3_ROTL = [];
var _SHA3_IOTA = [];
for (let round = 0, R = _1n, x = 1, y = 0; round < 24; round++) {
  [x, y] = [y, (2 * x + 3 * y) % 5];
  SHA3_PI.push(2 * (5 * y + x));
  SHA3_ROTL.push((round + 1) * (round + 2) / 2 % 64);
  let t = _0n;
  for (let j = 0; j < 7; j++) {
    R = (R << _1n ^ (R >> _7n) * _0x71n) % _256n;
    if (R & _2n)
      t ^= _1n << (_1n << BigInt(j)) - _1n;
  }
  _SHA3_IOTA.push(t);
}
var IOTAS = split(_SHA3_IOTA, true);
var SHA3_IOTA_H = IOTAS[0];
var SHA3_IOTA_L = IOTAS[1];

// node_modules/@hpke/common/esm/src/curve/modular.js
/*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
function mod(a, b) {
  const result = a % b;
  return result >= N_0 ? result : b + result;
}
function pow2(x, power, modulo) {
  let res = x;
  while (power-- > N_0) {
    res *= res;
    res %= modulo;
  }
  return res;
}

// node_modules/@hpke/common/esm/src/curve/curve.js
function createKeygen(randomSecretKey, getPublicKey) {
  return function keygen(seed) {
    const secretKey = randomSecretKey(seed);
    return { secretKey, publicKey: getPublicKey(secretKey) };
  };
}

// node_modules/@hpke/common/esm/src/curve/montgomery.js
/*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
function validateOpts(curve) {
  validateObject(curve, {
    adjustScalarBytes: "function",
    powPminus2: "function"
  });
  return Object.freeze({ ...curve });
}
function montgomery(curveDef) {
  const CURVE = validateOpts(curveDef);
  const { P, type, adjustScalarBytes: adjustScalarBytes2, powPminus2, randomBytes: rand } = CURVE;
  const is25519 = type === "x25519";
  if (!is25519 && type !== "x448")
    throw new Error("invalid type");
  const randomBytes_ = rand || randomBytesAsync;
  const montgomeryBits = is25519 ? 255n : 448n;
  const fieldLen = is25519 ? 32 : 56;
  const Gu = is25519 ? 9n : 5n;
  const a24 = is25519 ? 121665n : 39081n;
  const minScalar = is25519 ? N_2 ** 254n : N_2 ** 447n;
  const maxAdded = is25519 ? 8n * N_2 ** 251n - N_1 : 4n * N_2 ** 445n - N_1;
  const maxScalar = minScalar + maxAdded + N_1;
  const modP = (n) => mod(n, P);
  const GuBytes = encodeU(Gu);
  function encodeU(u) {
    return numberToBytesLE(modP(u), fieldLen);
  }
  function decodeU(u) {
    const _u = copyBytes(abytes(u, fieldLen, "uCoordinate"));
    if (is25519)
      _u[31] &= 127;
    return modP(bytesToNumberLE(_u));
  }
  function decodeScalar(scalar) {
    return bytesToNumberLE(adjustScalarBytes2(copyBytes(abytes(scalar, fieldLen, "scalar"))));
  }
  function scalarMult(scalar, u) {
    const pu = montgomeryLadder(decodeU(u), decodeScalar(scalar));
    if (pu === N_0)
      throw new Error("invalid private or public key received");
    return encodeU(pu);
  }
  function scalarMultBase(scalar) {
    return scalarMult(scalar, GuBytes);
  }
  const getPublicKey = scalarMultBase;
  const getSharedSecret = scalarMult;
  function cswap(swap, x_2, x_3) {
    const dummy = modP(swap * (x_2 - x_3));
    x_2 = modP(x_2 - dummy);
    x_3 = modP(x_3 + dummy);
    return { x_2, x_3 };
  }
  function montgomeryLadder(u, scalar) {
    aInRange("u", u, N_0, P);
    aInRange("scalar", scalar, minScalar, maxScalar);
    const k = scalar;
    const x_1 = u;
    let x_2 = N_1;
    let z_2 = N_0;
    let x_3 = u;
    let z_3 = N_1;
    let swap = N_0;
    for (let t = montgomeryBits - 1n; t >= N_0; t--) {
      const k_t = k >> t & N_1;
      swap ^= k_t;
      ({ x_2, x_3 } = cswap(swap, x_2, x_3));
      ({ x_2: z_2, x_3: z_3 } = cswap(swap, z_2, z_3));
      swap = k_t;
      const A = x_2 + z_2;
      const AA = modP(A * A);
      const B = x_2 - z_2;
      const BB = modP(B * B);
      const E = AA - BB;
      const C = x_3 + z_3;
      const D = x_3 - z_3;
      const DA = modP(D * A);
      const CB = modP(C * B);
      const dacb = DA + CB;
      const da_cb = DA - CB;
      x_3 = modP(dacb * dacb);
      z_3 = modP(x_1 * modP(da_cb * da_cb));
      x_2 = modP(AA * BB);
      z_2 = modP(E * (AA + modP(a24 * E)));
    }
    ({ x_2, x_3 } = cswap(swap, x_2, x_3));
    ({ x_2: z_2, x_3: z_3 } = cswap(swap, z_2, z_3));
    const z2 = powPminus2(z_2);
    return modP(x_2 * z2);
  }
  const lengths = {
    secretKey: fieldLen,
    publicKey: fieldLen,
    seed: fieldLen
  };
  const randomSecretKey = async (seed) => {
    if (seed === void 0) {
      seed = await randomBytes_(fieldLen);
    }
    abytes(seed, lengths.seed, "seed");
    return seed;
  };
  const utils = { randomSecretKey };
  return Object.freeze({
    keygen: createKeygen(randomSecretKey, getPublicKey),
    getSharedSecret,
    getPublicKey,
    scalarMult,
    scalarMultBase,
    utils,
    GuBytes: GuBytes.slice(),
    lengths
  });
}

// node_modules/@hpke/core/esm/src/aeads/aesGcm.js
var AesGcmContext = class extends NativeAlgorithm {
  constructor(key) {
    super();
    Object.defineProperty(this, "_rawKey", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_key", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this._rawKey = toArrayBuffer(key);
  }
  async seal(iv, data, aad) {
    await this._setupKey();
    const alg = {
      name: "AES-GCM",
      iv: toArrayBuffer(iv),
      additionalData: toArrayBuffer(aad)
    };
    const ct = await this._api.encrypt(alg, this._key, toArrayBuffer(data));
    return ct;
  }
  async open(iv, data, aad) {
    await this._setupKey();
    const alg = {
      name: "AES-GCM",
      iv: toArrayBuffer(iv),
      additionalData: toArrayBuffer(aad)
    };
    const pt = await this._api.decrypt(alg, this._key, toArrayBuffer(data));
    return pt;
  }
  async _setupKey() {
    if (this._key !== void 0) {
      return;
    }
    await this._setup();
    const key = await this._importKey(this._rawKey);
    new Uint8Array(this._rawKey).fill(0);
    this._key = key;
    return;
  }
  async _importKey(key) {
    return await this._api.importKey("raw", key, { name: "AES-GCM" }, true, AEAD_USAGES);
  }
};
var Aes128Gcm = class {
  constructor() {
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: AeadId.Aes128Gcm
    });
    Object.defineProperty(this, "keySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 16
    });
    Object.defineProperty(this, "nonceSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 12
    });
    Object.defineProperty(this, "tagSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 16
    });
  }
  createEncryptionContext(key) {
    return new AesGcmContext(key);
  }
};

// node_modules/@hpke/core/esm/src/utils/emitNotSupported.js
function emitNotSupported() {
  return new Promise((_resolve, reject) => {
    reject(new NotSupportedError("Not supported"));
  });
}

// node_modules/@hpke/core/esm/src/exporterContext.js
var LABEL_SEC = new Uint8Array([115, 101, 99]);
var ExporterContextImpl = class {
  constructor(api, kdf, exporterSecret) {
    Object.defineProperty(this, "_api", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "exporterSecret", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_kdf", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this._api = api;
    this._kdf = kdf;
    this.exporterSecret = exporterSecret;
  }
  async seal(_data, _aad) {
    return await emitNotSupported();
  }
  async open(_data, _aad) {
    return await emitNotSupported();
  }
  async export(exporterContext, len) {
    const rawExporterContext = toArrayBuffer(exporterContext);
    if (rawExporterContext.byteLength > INPUT_LENGTH_LIMIT) {
      throw new InvalidParamError("Too long exporter context");
    }
    try {
      return await this._kdf.labeledExpand(this.exporterSecret, LABEL_SEC, new Uint8Array(rawExporterContext), len);
    } catch (e) {
      throw new ExportError(e);
    }
  }
};
var RecipientExporterContextImpl = class extends ExporterContextImpl {
};
var SenderExporterContextImpl = class extends ExporterContextImpl {
  constructor(api, kdf, exporterSecret, enc) {
    super(api, kdf, exporterSecret);
    Object.defineProperty(this, "enc", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this.enc = enc;
    return;
  }
};

// node_modules/@hpke/core/esm/src/encryptionContext.js
var EncryptionContextImpl = class extends ExporterContextImpl {
  constructor(api, kdf, params) {
    super(api, kdf, params.exporterSecret);
    Object.defineProperty(this, "_aead", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_nK", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_nN", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_nT", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_ctx", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    if (params.key === void 0 || params.baseNonce === void 0 || params.seq === void 0) {
      throw new Error("Required parameters are missing");
    }
    this._aead = params.aead;
    this._nK = this._aead.keySize;
    this._nN = this._aead.nonceSize;
    this._nT = this._aead.tagSize;
    const key = this._aead.createEncryptionContext(params.key);
    this._ctx = {
      key,
      baseNonce: params.baseNonce,
      seq: params.seq
    };
  }
  computeNonce(k) {
    const seqBytes = i2Osp(k.seq, k.baseNonce.byteLength);
    return xor(k.baseNonce, seqBytes).buffer;
  }
  incrementSeq(k) {
    if (k.seq > Number.MAX_SAFE_INTEGER) {
      throw new MessageLimitReachedError("Message limit reached");
    }
    k.seq += 1;
    return;
  }
};

// node_modules/@hpke/core/esm/src/mutex.js
var __classPrivateFieldGet = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
};
var __classPrivateFieldSet = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
};
var _Mutex_locked;
var Mutex = class {
  constructor() {
    _Mutex_locked.set(this, Promise.resolve());
  }
  async lock() {
    let releaseLock;
    const nextLock = new Promise((resolve) => {
      releaseLock = resolve;
    });
    const previousLock = __classPrivateFieldGet(this, _Mutex_locked, "f");
    __classPrivateFieldSet(this, _Mutex_locked, nextLock, "f");
    await previousLock;
    return releaseLock;
  }
};
_Mutex_locked = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/recipientContext.js
var __classPrivateFieldGet2 = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
};
var __classPrivateFieldSet2 = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
};
var _RecipientContextImpl_mutex;
var RecipientContextImpl = class extends EncryptionContextImpl {
  constructor() {
    super(...arguments);
    _RecipientContextImpl_mutex.set(this, void 0);
  }
  async open(data, aad = EMPTY.buffer) {
    __classPrivateFieldSet2(this, _RecipientContextImpl_mutex, __classPrivateFieldGet2(this, _RecipientContextImpl_mutex, "f") ?? new Mutex(), "f");
    const release = await __classPrivateFieldGet2(this, _RecipientContextImpl_mutex, "f").lock();
    let pt;
    try {
      pt = await this._ctx.key.open(this.computeNonce(this._ctx), toArrayBuffer(data), toArrayBuffer(aad));
    } catch (e) {
      throw new OpenError(e);
    } finally {
      release();
    }
    this.incrementSeq(this._ctx);
    return pt;
  }
};
_RecipientContextImpl_mutex = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/senderContext.js
var __classPrivateFieldGet3 = function(receiver, state, kind, f) {
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a getter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot read private member from an object whose class did not declare it");
  return kind === "m" ? f : kind === "a" ? f.call(receiver) : f ? f.value : state.get(receiver);
};
var __classPrivateFieldSet3 = function(receiver, state, value, kind, f) {
  if (kind === "m") throw new TypeError("Private method is not writable");
  if (kind === "a" && !f) throw new TypeError("Private accessor was defined without a setter");
  if (typeof state === "function" ? receiver !== state || !f : !state.has(receiver)) throw new TypeError("Cannot write private member to an object whose class did not declare it");
  return kind === "a" ? f.call(receiver, value) : f ? f.value = value : state.set(receiver, value), value;
};
var _SenderContextImpl_mutex;
var SenderContextImpl = class extends EncryptionContextImpl {
  constructor(api, kdf, params, enc) {
    super(api, kdf, params);
    Object.defineProperty(this, "enc", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    _SenderContextImpl_mutex.set(this, void 0);
    this.enc = enc;
  }
  async seal(data, aad = EMPTY.buffer) {
    __classPrivateFieldSet3(this, _SenderContextImpl_mutex, __classPrivateFieldGet3(this, _SenderContextImpl_mutex, "f") ?? new Mutex(), "f");
    const release = await __classPrivateFieldGet3(this, _SenderContextImpl_mutex, "f").lock();
    let ct;
    try {
      ct = await this._ctx.key.seal(this.computeNonce(this._ctx), toArrayBuffer(data), toArrayBuffer(aad));
    } catch (e) {
      throw new SealError(e);
    } finally {
      release();
    }
    this.incrementSeq(this._ctx);
    return ct;
  }
};
_SenderContextImpl_mutex = /* @__PURE__ */ new WeakMap();

// node_modules/@hpke/core/esm/src/cipherSuiteNative.js
var LABEL_BASE_NONCE = new Uint8Array([
  98,
  97,
  115,
  101,
  95,
  110,
  111,
  110,
  99,
  101
]);
var LABEL_EXP = new Uint8Array([101, 120, 112]);
var LABEL_INFO_HASH = new Uint8Array([
  105,
  110,
  102,
  111,
  95,
  104,
  97,
  115,
  104
]);
var LABEL_KEY = new Uint8Array([107, 101, 121]);
var LABEL_PSK_ID_HASH = new Uint8Array([
  112,
  115,
  107,
  95,
  105,
  100,
  95,
  104,
  97,
  115,
  104
]);
var LABEL_SECRET = new Uint8Array([115, 101, 99, 114, 101, 116]);
var SUITE_ID_HEADER_HPKE = new Uint8Array([
  72,
  80,
  75,
  69,
  0,
  0,
  0,
  0,
  0,
  0
]);
var CipherSuiteNative = class extends NativeAlgorithm {
  /**
   * @param params A set of parameters for building a cipher suite.
   *
   * If the error occurred, throws {@link InvalidParamError}.
   *
   * @throws {@link InvalidParamError}
   */
  constructor(params) {
    super();
    Object.defineProperty(this, "_kem", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_kdf", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_aead", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    Object.defineProperty(this, "_suiteId", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    if (typeof params.kem === "number") {
      throw new InvalidParamError("KemId cannot be used");
    }
    this._kem = params.kem;
    if (typeof params.kdf === "number") {
      throw new InvalidParamError("KdfId cannot be used");
    }
    this._kdf = params.kdf;
    if (typeof params.aead === "number") {
      throw new InvalidParamError("AeadId cannot be used");
    }
    this._aead = params.aead;
    this._suiteId = new Uint8Array(SUITE_ID_HEADER_HPKE);
    this._suiteId.set(i2Osp(this._kem.id, 2), 4);
    this._suiteId.set(i2Osp(this._kdf.id, 2), 6);
    this._suiteId.set(i2Osp(this._aead.id, 2), 8);
    this._kdf.init(this._suiteId);
  }
  /**
   * Gets the KEM context of the ciphersuite.
   */
  get kem() {
    return this._kem;
  }
  /**
   * Gets the KDF context of the ciphersuite.
   */
  get kdf() {
    return this._kdf;
  }
  /**
   * Gets the AEAD context of the ciphersuite.
   */
  get aead() {
    return this._aead;
  }
  /**
   * Creates an encryption context for a sender.
   *
   * If the error occurred, throws {@link DecapError} | {@link ValidationError}.
   *
   * @param params A set of parameters for the sender encryption context.
   * @returns A sender encryption context.
   * @throws {@link EncapError}, {@link ValidationError}
   */
  async createSenderContext(params) {
    this._validateInputLength(params);
    await this._setup();
    const dh = await this._kem.encap(params);
    let mode;
    if (params.psk !== void 0) {
      mode = params.senderKey !== void 0 ? Mode.AuthPsk : Mode.Psk;
    } else {
      mode = params.senderKey !== void 0 ? Mode.Auth : Mode.Base;
    }
    return await this._keyScheduleS(mode, dh.sharedSecret, dh.enc, params);
  }
  /**
   * Creates an encryption context for a recipient.
   *
   * If the error occurred, throws {@link DecapError}
   * | {@link DeserializeError} | {@link ValidationError}.
   *
   * @param params A set of parameters for the recipient encryption context.
   * @returns A recipient encryption context.
   * @throws {@link DecapError}, {@link DeserializeError}, {@link ValidationError}
   */
  async createRecipientContext(params) {
    this._validateInputLength(params);
    await this._setup();
    const sharedSecret = await this._kem.decap(params);
    let mode;
    if (params.psk !== void 0) {
      mode = params.senderPublicKey !== void 0 ? Mode.AuthPsk : Mode.Psk;
    } else {
      mode = params.senderPublicKey !== void 0 ? Mode.Auth : Mode.Base;
    }
    return await this._keyScheduleR(mode, sharedSecret, params);
  }
  /**
   * Encrypts a message to a recipient.
   *
   * If the error occurred, throws `EncapError` | `MessageLimitReachedError` | `SealError` | `ValidationError`.
   *
   * @param params A set of parameters for building a sender encryption context.
   * @param pt A plain text as bytes to be encrypted.
   * @param aad Additional authenticated data as bytes fed by an application.
   * @returns A cipher text and an encapsulated key as bytes.
   * @throws {@link EncapError}, {@link MessageLimitReachedError}, {@link SealError}, {@link ValidationError}
   */
  async seal(params, pt, aad = EMPTY.buffer) {
    const ctx = await this.createSenderContext(params);
    return {
      ct: await ctx.seal(pt, aad),
      enc: ctx.enc
    };
  }
  /**
   * Decrypts a message from a sender.
   *
   * If the error occurred, throws `DecapError` | `DeserializeError` | `OpenError` | `ValidationError`.
   *
   * @param params A set of parameters for building a recipient encryption context.
   * @param ct An encrypted text as bytes to be decrypted.
   * @param aad Additional authenticated data as bytes fed by an application.
   * @returns A decrypted plain text as bytes.
   * @throws {@link DecapError}, {@link DeserializeError}, {@link OpenError}, {@link ValidationError}
   */
  async open(params, ct, aad = EMPTY.buffer) {
    const ctx = await this.createRecipientContext(params);
    return await ctx.open(ct, aad);
  }
  // private verifyPskInputs(mode: Mode, params: KeyScheduleParams) {
  //   const gotPsk = (params.psk !== undefined);
  //   const gotPskId = (params.psk !== undefined && params.psk.id.byteLength > 0);
  //   if (gotPsk !== gotPskId) {
  //     throw new Error('Inconsistent PSK inputs');
  //   }
  //   if (gotPsk && (mode === Mode.Base || mode === Mode.Auth)) {
  //     throw new Error('PSK input provided when not needed');
  //   }
  //   if (!gotPsk && (mode === Mode.Psk || mode === Mode.AuthPsk)) {
  //     throw new Error('Missing required PSK input');
  //   }
  //   return;
  // }
  async _keySchedule(mode, sharedSecret, params) {
    const pskId = params.psk === void 0 ? EMPTY : toUint8Array(params.psk.id);
    const pskIdHash = await this._kdf.labeledExtract(EMPTY, LABEL_PSK_ID_HASH, pskId);
    const info = params.info === void 0 ? EMPTY : toUint8Array(params.info);
    const infoHash = await this._kdf.labeledExtract(EMPTY, LABEL_INFO_HASH, info);
    const keyScheduleContext = new Uint8Array(1 + pskIdHash.byteLength + infoHash.byteLength);
    keyScheduleContext.set(new Uint8Array([mode]), 0);
    keyScheduleContext.set(new Uint8Array(pskIdHash), 1);
    keyScheduleContext.set(new Uint8Array(infoHash), 1 + pskIdHash.byteLength);
    const psk = params.psk === void 0 ? EMPTY : toUint8Array(params.psk.key);
    const ikm = this._kdf.buildLabeledIkm(LABEL_SECRET, psk);
    const exporterSecretInfo = this._kdf.buildLabeledInfo(LABEL_EXP, keyScheduleContext, this._kdf.hashSize);
    const exporterSecret = await this._kdf.extractAndExpand(sharedSecret, ikm, exporterSecretInfo, this._kdf.hashSize);
    if (this._aead.id === AeadId.ExportOnly) {
      return { aead: this._aead, exporterSecret };
    }
    const keyInfo = this._kdf.buildLabeledInfo(LABEL_KEY, keyScheduleContext, this._aead.keySize);
    const key = await this._kdf.extractAndExpand(sharedSecret, ikm, keyInfo, this._aead.keySize);
    const baseNonceInfo = this._kdf.buildLabeledInfo(LABEL_BASE_NONCE, keyScheduleContext, this._aead.nonceSize);
    const baseNonce = await this._kdf.extractAndExpand(sharedSecret, ikm, baseNonceInfo, this._aead.nonceSize);
    return {
      aead: this._aead,
      exporterSecret,
      key,
      baseNonce: new Uint8Array(baseNonce),
      seq: 0
    };
  }
  async _keyScheduleS(mode, sharedSecret, enc, params) {
    const res = await this._keySchedule(mode, sharedSecret, params);
    if (res.key === void 0) {
      return new SenderExporterContextImpl(this._api, this._kdf, res.exporterSecret, enc);
    }
    return new SenderContextImpl(this._api, this._kdf, res, enc);
  }
  async _keyScheduleR(mode, sharedSecret, params) {
    const res = await this._keySchedule(mode, sharedSecret, params);
    if (res.key === void 0) {
      return new RecipientExporterContextImpl(this._api, this._kdf, res.exporterSecret);
    }
    return new RecipientContextImpl(this._api, this._kdf, res);
  }
  _validateInputLength(params) {
    if (params.info !== void 0 && params.info.byteLength > INFO_LENGTH_LIMIT) {
      throw new InvalidParamError("Too long info");
    }
    if (params.psk !== void 0) {
      if (params.psk.key.byteLength < MINIMUM_PSK_LENGTH) {
        throw new InvalidParamError(`PSK must have at least ${MINIMUM_PSK_LENGTH} bytes`);
      }
      if (params.psk.key.byteLength > INPUT_LENGTH_LIMIT) {
        throw new InvalidParamError("Too long psk.key");
      }
      if (params.psk.id.byteLength > INPUT_LENGTH_LIMIT) {
        throw new InvalidParamError("Too long psk.id");
      }
    }
    return;
  }
};

// node_modules/@hpke/core/esm/src/native.js
var CipherSuite = class extends CipherSuiteNative {
};
var HkdfSha256 = class extends HkdfSha256Native {
};

// node_modules/@hpke/core/esm/src/kems/dhkemPrimitives/x25519.js
var PKCS8_ALG_ID_X25519 = new Uint8Array([
  48,
  46,
  2,
  1,
  0,
  48,
  5,
  6,
  3,
  43,
  101,
  110,
  4,
  34,
  4,
  32
]);

// node_modules/@hpke/core/esm/src/kems/dhkemPrimitives/x448.js
var PKCS8_ALG_ID_X448 = new Uint8Array([
  48,
  70,
  2,
  1,
  0,
  48,
  5,
  6,
  3,
  43,
  101,
  111,
  4,
  58,
  4,
  56
]);

// node_modules/@hpke/chacha20poly1305/esm/src/chacha/utils.js
function abool(b) {
  if (typeof b !== "boolean")
    throw new Error(`boolean expected, not ${b}`);
}
var wrapCipher = /* @__NO_SIDE_EFFECTS__ */ (params, constructor) => {
  function wrappedCipher(key, ...args) {
    abytes(key, void 0, "key");
    if (!isLE) {
      throw new Error("Non little-endian hardware is not yet supported");
    }
    if (params.nonceLength !== void 0) {
      const nonce = args[0];
      abytes(nonce, params.varSizeNonce ? void 0 : params.nonceLength, "nonce");
    }
    const tagl = params.tagLength;
    if (tagl && args[1] !== void 0)
      abytes(args[1], void 0, "AAD");
    const cipher = constructor(key, ...args);
    const checkOutput = (fnLength, output) => {
      if (output !== void 0) {
        if (fnLength !== 2)
          throw new Error("cipher output not supported");
        abytes(output, void 0, "output");
      }
    };
    let called = false;
    const wrCipher = {
      encrypt(data, output) {
        if (called) {
          throw new Error("cannot encrypt() twice with same key + nonce");
        }
        called = true;
        abytes(data);
        checkOutput(cipher.encrypt.length, output);
        return cipher.encrypt(data, output);
      },
      decrypt(data, output) {
        abytes(data);
        if (tagl && data.length < tagl) {
          throw new Error('"ciphertext" expected length bigger than tagLength=' + tagl);
        }
        checkOutput(cipher.decrypt.length, output);
        return cipher.decrypt(data, output);
      }
    };
    return wrCipher;
  }
  Object.assign(wrappedCipher, params);
  return wrappedCipher;
};
function checkOpts(defaults, opts) {
  if (opts == null || typeof opts !== "object") {
    throw new Error("options must be defined");
  }
  const merged = Object.assign(defaults, opts);
  return merged;
}
function equalBytes(a, b) {
  if (a.length !== b.length)
    return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++)
    diff |= a[i] ^ b[i];
  return diff === 0;
}
function getOutput(expectedLength, out, onlyAligned = true) {
  if (out === void 0)
    return new Uint8Array(expectedLength);
  if (out.length !== expectedLength) {
    throw new Error('"output" expected Uint8Array of length ' + expectedLength + ", got: " + out.length);
  }
  if (onlyAligned && !isAligned32(out)) {
    throw new Error("invalid output, must be aligned");
  }
  return out;
}
function u64Lengths(dataLength, aadLength, isLE2) {
  abool(isLE2);
  const num = new Uint8Array(16);
  const view = createView(num);
  view.setBigUint64(0, numberToBigint(aadLength), isLE2);
  view.setBigUint64(8, numberToBigint(dataLength), isLE2);
  return num;
}
function isAligned32(bytes) {
  return bytes.byteOffset % 4 === 0;
}

// node_modules/@hpke/chacha20poly1305/esm/src/chacha/_arx.js
var _utf8ToBytes = (str) => Uint8Array.from(str.split("").map((c) => c.charCodeAt(0)));
var sigma16 = _utf8ToBytes("expand 16-byte k");
var sigma32 = _utf8ToBytes("expand 32-byte k");
var sigma16_32 = u32(sigma16);
var sigma32_32 = u32(sigma32);
function rotl(a, b) {
  return a << b | a >>> 32 - b;
}
function isAligned322(b) {
  return b.byteOffset % 4 === 0;
}
var BLOCK_LEN = 64;
var BLOCK_LEN32 = 16;
var MAX_COUNTER = 2 ** 32 - 1;
var U32_EMPTY = Uint32Array.of();
function runCipher(core, sigma, key, nonce, data, output, counter, rounds) {
  const len = data.length;
  const block = new Uint8Array(BLOCK_LEN);
  const b32 = u32(block);
  const isAligned = isAligned322(data) && isAligned322(output);
  const d32 = isAligned ? u32(data) : U32_EMPTY;
  const o32 = isAligned ? u32(output) : U32_EMPTY;
  for (let pos = 0; pos < len; counter++) {
    core(sigma, key, nonce, b32, counter, rounds);
    if (counter >= MAX_COUNTER)
      throw new Error("arx: counter overflow");
    const take = Math.min(BLOCK_LEN, len - pos);
    if (isAligned && take === BLOCK_LEN) {
      const pos32 = pos / 4;
      if (pos % 4 !== 0)
        throw new Error("arx: invalid block position");
      for (let j = 0, posj; j < BLOCK_LEN32; j++) {
        posj = pos32 + j;
        o32[posj] = d32[posj] ^ b32[j];
      }
      pos += BLOCK_LEN;
      continue;
    }
    for (let j = 0, posj; j < take; j++) {
      posj = pos + j;
      output[posj] = data[posj] ^ block[j];
    }
    pos += take;
  }
}
function createCipher(core, opts) {
  const { allowShortKeys, extendNonceFn, counterLength, counterRight, rounds } = checkOpts({
    allowShortKeys: false,
    counterLength: 8,
    counterRight: false,
    rounds: 20
  }, opts);
  if (typeof core !== "function")
    throw new Error("core must be a function");
  anumber(counterLength);
  anumber(rounds);
  abool(counterRight);
  abool(allowShortKeys);
  return (key, nonce, data, output, counter = 0) => {
    abytes(key, void 0, "key");
    abytes(nonce, void 0, "nonce");
    abytes(data, void 0, "data");
    const len = data.length;
    if (output === void 0)
      output = new Uint8Array(len);
    abytes(output, void 0, "output");
    anumber(counter);
    if (counter < 0 || counter >= MAX_COUNTER) {
      throw new Error("arx: counter overflow");
    }
    if (output.length < len) {
      throw new Error(`arx: output (${output.length}) is shorter than data (${len})`);
    }
    const toClean = [];
    const l = key.length;
    let k;
    let sigma;
    if (l === 32) {
      toClean.push(k = copyBytes(key));
      sigma = sigma32_32;
    } else if (l === 16 && allowShortKeys) {
      k = new Uint8Array(32);
      k.set(key);
      k.set(key, 16);
      sigma = sigma16_32;
      toClean.push(k);
    } else {
      abytes(key, 32, "arx key");
      throw new Error("invalid key size");
    }
    if (!isAligned322(nonce))
      toClean.push(nonce = copyBytes(nonce));
    const k32 = u32(k);
    if (extendNonceFn) {
      if (nonce.length !== 24) {
        throw new Error(`arx: extended nonce must be 24 bytes`);
      }
      extendNonceFn(sigma, k32, u32(nonce.subarray(0, 16)), k32);
      nonce = nonce.subarray(16);
    }
    const nonceNcLen = 16 - counterLength;
    if (nonceNcLen !== nonce.length) {
      throw new Error(`arx: nonce must be ${nonceNcLen} or 16 bytes`);
    }
    if (nonceNcLen !== 12) {
      const nc = new Uint8Array(12);
      nc.set(nonce, counterRight ? 0 : 12 - nonce.length);
      nonce = nc;
      toClean.push(nonce);
    }
    const n32 = u32(nonce);
    runCipher(core, sigma, k32, n32, data, output, counter, rounds);
    clean(...toClean);
    return output;
  };
}

// node_modules/@hpke/chacha20poly1305/esm/src/chacha/_poly1305.js
function u8to16(a, i) {
  return a[i++] & 255 | (a[i++] & 255) << 8;
}
var Poly1305 = class {
  // Can be speed-up using BigUint64Array, at the cost of complexity
  constructor(key) {
    Object.defineProperty(this, "blockLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 16
    });
    Object.defineProperty(this, "outputLen", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 16
    });
    Object.defineProperty(this, "buffer", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: new Uint8Array(16)
    });
    Object.defineProperty(this, "r", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: new Uint16Array(10)
    });
    Object.defineProperty(this, "h", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: new Uint16Array(10)
    });
    Object.defineProperty(this, "pad", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: new Uint16Array(8)
    });
    Object.defineProperty(this, "pos", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 0
    });
    Object.defineProperty(this, "finished", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: false
    });
    key = copyBytes(abytes(key, 32, "key"));
    const t0 = u8to16(key, 0);
    const t1 = u8to16(key, 2);
    const t2 = u8to16(key, 4);
    const t3 = u8to16(key, 6);
    const t4 = u8to16(key, 8);
    const t5 = u8to16(key, 10);
    const t6 = u8to16(key, 12);
    const t7 = u8to16(key, 14);
    this.r[0] = t0 & 8191;
    this.r[1] = (t0 >>> 13 | t1 << 3) & 8191;
    this.r[2] = (t1 >>> 10 | t2 << 6) & 7939;
    this.r[3] = (t2 >>> 7 | t3 << 9) & 8191;
    this.r[4] = (t3 >>> 4 | t4 << 12) & 255;
    this.r[5] = t4 >>> 1 & 8190;
    this.r[6] = (t4 >>> 14 | t5 << 2) & 8191;
    this.r[7] = (t5 >>> 11 | t6 << 5) & 8065;
    this.r[8] = (t6 >>> 8 | t7 << 8) & 8191;
    this.r[9] = t7 >>> 5 & 127;
    for (let i = 0; i < 8; i++)
      this.pad[i] = u8to16(key, 16 + 2 * i);
  }
  process(data, offset, isLast = false) {
    const hibit = isLast ? 0 : 1 << 11;
    const { h, r } = this;
    const r0 = r[0];
    const r1 = r[1];
    const r2 = r[2];
    const r3 = r[3];
    const r4 = r[4];
    const r5 = r[5];
    const r6 = r[6];
    const r7 = r[7];
    const r8 = r[8];
    const r9 = r[9];
    const t0 = u8to16(data, offset + 0);
    const t1 = u8to16(data, offset + 2);
    const t2 = u8to16(data, offset + 4);
    const t3 = u8to16(data, offset + 6);
    const t4 = u8to16(data, offset + 8);
    const t5 = u8to16(data, offset + 10);
    const t6 = u8to16(data, offset + 12);
    const t7 = u8to16(data, offset + 14);
    const h0 = h[0] + (t0 & 8191);
    const h1 = h[1] + ((t0 >>> 13 | t1 << 3) & 8191);
    const h2 = h[2] + ((t1 >>> 10 | t2 << 6) & 8191);
    const h3 = h[3] + ((t2 >>> 7 | t3 << 9) & 8191);
    const h4 = h[4] + ((t3 >>> 4 | t4 << 12) & 8191);
    const h5 = h[5] + (t4 >>> 1 & 8191);
    const h6 = h[6] + ((t4 >>> 14 | t5 << 2) & 8191);
    const h7 = h[7] + ((t5 >>> 11 | t6 << 5) & 8191);
    const h8 = h[8] + ((t6 >>> 8 | t7 << 8) & 8191);
    const h9 = h[9] + (t7 >>> 5 | hibit);
    let c = 0;
    let d0 = c + h0 * r0 + h1 * (5 * r9) + h2 * (5 * r8) + h3 * (5 * r7) + h4 * (5 * r6);
    c = d0 >>> 13;
    d0 &= 8191;
    d0 += h5 * (5 * r5) + h6 * (5 * r4) + h7 * (5 * r3) + h8 * (5 * r2) + h9 * (5 * r1);
    c += d0 >>> 13;
    d0 &= 8191;
    let d1 = c + h0 * r1 + h1 * r0 + h2 * (5 * r9) + h3 * (5 * r8) + h4 * (5 * r7);
    c = d1 >>> 13;
    d1 &= 8191;
    d1 += h5 * (5 * r6) + h6 * (5 * r5) + h7 * (5 * r4) + h8 * (5 * r3) + h9 * (5 * r2);
    c += d1 >>> 13;
    d1 &= 8191;
    let d2 = c + h0 * r2 + h1 * r1 + h2 * r0 + h3 * (5 * r9) + h4 * (5 * r8);
    c = d2 >>> 13;
    d2 &= 8191;
    d2 += h5 * (5 * r7) + h6 * (5 * r6) + h7 * (5 * r5) + h8 * (5 * r4) + h9 * (5 * r3);
    c += d2 >>> 13;
    d2 &= 8191;
    let d3 = c + h0 * r3 + h1 * r2 + h2 * r1 + h3 * r0 + h4 * (5 * r9);
    c = d3 >>> 13;
    d3 &= 8191;
    d3 += h5 * (5 * r8) + h6 * (5 * r7) + h7 * (5 * r6) + h8 * (5 * r5) + h9 * (5 * r4);
    c += d3 >>> 13;
    d3 &= 8191;
    let d4 = c + h0 * r4 + h1 * r3 + h2 * r2 + h3 * r1 + h4 * r0;
    c = d4 >>> 13;
    d4 &= 8191;
    d4 += h5 * (5 * r9) + h6 * (5 * r8) + h7 * (5 * r7) + h8 * (5 * r6) + h9 * (5 * r5);
    c += d4 >>> 13;
    d4 &= 8191;
    let d5 = c + h0 * r5 + h1 * r4 + h2 * r3 + h3 * r2 + h4 * r1;
    c = d5 >>> 13;
    d5 &= 8191;
    d5 += h5 * r0 + h6 * (5 * r9) + h7 * (5 * r8) + h8 * (5 * r7) + h9 * (5 * r6);
    c += d5 >>> 13;
    d5 &= 8191;
    let d6 = c + h0 * r6 + h1 * r5 + h2 * r4 + h3 * r3 + h4 * r2;
    c = d6 >>> 13;
    d6 &= 8191;
    d6 += h5 * r1 + h6 * r0 + h7 * (5 * r9) + h8 * (5 * r8) + h9 * (5 * r7);
    c += d6 >>> 13;
    d6 &= 8191;
    let d7 = c + h0 * r7 + h1 * r6 + h2 * r5 + h3 * r4 + h4 * r3;
    c = d7 >>> 13;
    d7 &= 8191;
    d7 += h5 * r2 + h6 * r1 + h7 * r0 + h8 * (5 * r9) + h9 * (5 * r8);
    c += d7 >>> 13;
    d7 &= 8191;
    let d8 = c + h0 * r8 + h1 * r7 + h2 * r6 + h3 * r5 + h4 * r4;
    c = d8 >>> 13;
    d8 &= 8191;
    d8 += h5 * r3 + h6 * r2 + h7 * r1 + h8 * r0 + h9 * (5 * r9);
    c += d8 >>> 13;
    d8 &= 8191;
    let d9 = c + h0 * r9 + h1 * r8 + h2 * r7 + h3 * r6 + h4 * r5;
    c = d9 >>> 13;
    d9 &= 8191;
    d9 += h5 * r4 + h6 * r3 + h7 * r2 + h8 * r1 + h9 * r0;
    c += d9 >>> 13;
    d9 &= 8191;
    c = (c << 2) + c | 0;
    c = c + d0 | 0;
    d0 = c & 8191;
    c = c >>> 13;
    d1 += c;
    h[0] = d0;
    h[1] = d1;
    h[2] = d2;
    h[3] = d3;
    h[4] = d4;
    h[5] = d5;
    h[6] = d6;
    h[7] = d7;
    h[8] = d8;
    h[9] = d9;
  }
  finalize() {
    const { h, pad } = this;
    const g = new Uint16Array(10);
    let c = h[1] >>> 13;
    h[1] &= 8191;
    for (let i = 2; i < 10; i++) {
      h[i] += c;
      c = h[i] >>> 13;
      h[i] &= 8191;
    }
    h[0] += c * 5;
    c = h[0] >>> 13;
    h[0] &= 8191;
    h[1] += c;
    c = h[1] >>> 13;
    h[1] &= 8191;
    h[2] += c;
    g[0] = h[0] + 5;
    c = g[0] >>> 13;
    g[0] &= 8191;
    for (let i = 1; i < 10; i++) {
      g[i] = h[i] + c;
      c = g[i] >>> 13;
      g[i] &= 8191;
    }
    g[9] -= 1 << 13;
    let mask = (c ^ 1) - 1;
    for (let i = 0; i < 10; i++)
      g[i] &= mask;
    mask = ~mask;
    for (let i = 0; i < 10; i++)
      h[i] = h[i] & mask | g[i];
    h[0] = (h[0] | h[1] << 13) & 65535;
    h[1] = (h[1] >>> 3 | h[2] << 10) & 65535;
    h[2] = (h[2] >>> 6 | h[3] << 7) & 65535;
    h[3] = (h[3] >>> 9 | h[4] << 4) & 65535;
    h[4] = (h[4] >>> 12 | h[5] << 1 | h[6] << 14) & 65535;
    h[5] = (h[6] >>> 2 | h[7] << 11) & 65535;
    h[6] = (h[7] >>> 5 | h[8] << 8) & 65535;
    h[7] = (h[8] >>> 8 | h[9] << 5) & 65535;
    let f = h[0] + pad[0];
    h[0] = f & 65535;
    for (let i = 1; i < 8; i++) {
      f = (h[i] + pad[i] | 0) + (f >>> 16) | 0;
      h[i] = f & 65535;
    }
    clean(g);
  }
  update(data) {
    aexists(this);
    abytes(data);
    data = copyBytes(data);
    const { buffer, blockLen } = this;
    const len = data.length;
    for (let pos = 0; pos < len; ) {
      const take = Math.min(blockLen - this.pos, len - pos);
      if (take === blockLen) {
        for (; blockLen <= len - pos; pos += blockLen)
          this.process(data, pos);
        continue;
      }
      buffer.set(data.subarray(pos, pos + take), this.pos);
      this.pos += take;
      pos += take;
      if (this.pos === blockLen) {
        this.process(buffer, 0, false);
        this.pos = 0;
      }
    }
    return this;
  }
  destroy() {
    clean(this.h, this.r, this.buffer, this.pad);
  }
  digestInto(out) {
    aexists(this);
    aoutput(out, this);
    this.finished = true;
    const { buffer, h } = this;
    let { pos } = this;
    if (pos) {
      buffer[pos++] = 1;
      for (; pos < 16; pos++)
        buffer[pos] = 0;
      this.process(buffer, 0, true);
    }
    this.finalize();
    let opos = 0;
    for (let i = 0; i < 8; i++) {
      out[opos++] = h[i] >>> 0;
      out[opos++] = h[i] >>> 8;
    }
    return out;
  }
  digest() {
    const { buffer, outputLen } = this;
    this.digestInto(buffer);
    const res = buffer.slice(0, outputLen);
    this.destroy();
    return res;
  }
};
function wrapConstructorWithKey(hashCons) {
  const hashC = (msg, key) => hashCons(key).update(msg).digest();
  const tmp = hashCons(new Uint8Array(32));
  hashC.outputLen = tmp.outputLen;
  hashC.blockLen = tmp.blockLen;
  hashC.create = (key) => hashCons(key);
  return hashC;
}
var poly1305 = /* @__PURE__ */ (() => wrapConstructorWithKey((key) => new Poly1305(key)))();

// node_modules/@hpke/chacha20poly1305/esm/src/chacha/chacha.js
function chachaCore(s, k, n, out, cnt, rounds = 20) {
  const y00 = s[0], y01 = s[1], y02 = s[2], y03 = s[3], y04 = k[0], y05 = k[1], y06 = k[2], y07 = k[3], y08 = k[4], y09 = k[5], y10 = k[6], y11 = k[7], y12 = cnt, y13 = n[0], y14 = n[1], y15 = n[2];
  let x00 = y00, x01 = y01, x02 = y02, x03 = y03, x04 = y04, x05 = y05, x06 = y06, x07 = y07, x08 = y08, x09 = y09, x10 = y10, x11 = y11, x12 = y12, x13 = y13, x14 = y14, x15 = y15;
  for (let r = 0; r < rounds; r += 2) {
    x00 = x00 + x04 | 0;
    x12 = rotl(x12 ^ x00, 16);
    x08 = x08 + x12 | 0;
    x04 = rotl(x04 ^ x08, 12);
    x00 = x00 + x04 | 0;
    x12 = rotl(x12 ^ x00, 8);
    x08 = x08 + x12 | 0;
    x04 = rotl(x04 ^ x08, 7);
    x01 = x01 + x05 | 0;
    x13 = rotl(x13 ^ x01, 16);
    x09 = x09 + x13 | 0;
    x05 = rotl(x05 ^ x09, 12);
    x01 = x01 + x05 | 0;
    x13 = rotl(x13 ^ x01, 8);
    x09 = x09 + x13 | 0;
    x05 = rotl(x05 ^ x09, 7);
    x02 = x02 + x06 | 0;
    x14 = rotl(x14 ^ x02, 16);
    x10 = x10 + x14 | 0;
    x06 = rotl(x06 ^ x10, 12);
    x02 = x02 + x06 | 0;
    x14 = rotl(x14 ^ x02, 8);
    x10 = x10 + x14 | 0;
    x06 = rotl(x06 ^ x10, 7);
    x03 = x03 + x07 | 0;
    x15 = rotl(x15 ^ x03, 16);
    x11 = x11 + x15 | 0;
    x07 = rotl(x07 ^ x11, 12);
    x03 = x03 + x07 | 0;
    x15 = rotl(x15 ^ x03, 8);
    x11 = x11 + x15 | 0;
    x07 = rotl(x07 ^ x11, 7);
    x00 = x00 + x05 | 0;
    x15 = rotl(x15 ^ x00, 16);
    x10 = x10 + x15 | 0;
    x05 = rotl(x05 ^ x10, 12);
    x00 = x00 + x05 | 0;
    x15 = rotl(x15 ^ x00, 8);
    x10 = x10 + x15 | 0;
    x05 = rotl(x05 ^ x10, 7);
    x01 = x01 + x06 | 0;
    x12 = rotl(x12 ^ x01, 16);
    x11 = x11 + x12 | 0;
    x06 = rotl(x06 ^ x11, 12);
    x01 = x01 + x06 | 0;
    x12 = rotl(x12 ^ x01, 8);
    x11 = x11 + x12 | 0;
    x06 = rotl(x06 ^ x11, 7);
    x02 = x02 + x07 | 0;
    x13 = rotl(x13 ^ x02, 16);
    x08 = x08 + x13 | 0;
    x07 = rotl(x07 ^ x08, 12);
    x02 = x02 + x07 | 0;
    x13 = rotl(x13 ^ x02, 8);
    x08 = x08 + x13 | 0;
    x07 = rotl(x07 ^ x08, 7);
    x03 = x03 + x04 | 0;
    x14 = rotl(x14 ^ x03, 16);
    x09 = x09 + x14 | 0;
    x04 = rotl(x04 ^ x09, 12);
    x03 = x03 + x04 | 0;
    x14 = rotl(x14 ^ x03, 8);
    x09 = x09 + x14 | 0;
    x04 = rotl(x04 ^ x09, 7);
  }
  let oi = 0;
  out[oi++] = y00 + x00 | 0;
  out[oi++] = y01 + x01 | 0;
  out[oi++] = y02 + x02 | 0;
  out[oi++] = y03 + x03 | 0;
  out[oi++] = y04 + x04 | 0;
  out[oi++] = y05 + x05 | 0;
  out[oi++] = y06 + x06 | 0;
  out[oi++] = y07 + x07 | 0;
  out[oi++] = y08 + x08 | 0;
  out[oi++] = y09 + x09 | 0;
  out[oi++] = y10 + x10 | 0;
  out[oi++] = y11 + x11 | 0;
  out[oi++] = y12 + x12 | 0;
  out[oi++] = y13 + x13 | 0;
  out[oi++] = y14 + x14 | 0;
  out[oi++] = y15 + x15 | 0;
}
var chacha20 = /* @__PURE__ */ createCipher(chachaCore, {
  counterRight: false,
  counterLength: 4,
  allowShortKeys: false
});
var ZEROS16 = /* @__PURE__ */ new Uint8Array(16);
var updatePadded = (h, msg) => {
  h.update(msg);
  const leftover = msg.length % 16;
  if (leftover)
    h.update(ZEROS16.subarray(leftover));
};
var ZEROS32 = /* @__PURE__ */ new Uint8Array(32);
function computeTag(fn, key, nonce, ciphertext, AAD) {
  if (AAD !== void 0)
    abytes(AAD, void 0, "AAD");
  const authKey = fn(key, nonce, ZEROS32);
  const lengths = u64Lengths(ciphertext.length, AAD ? AAD.length : 0, true);
  const h = poly1305.create(authKey);
  if (AAD)
    updatePadded(h, AAD);
  updatePadded(h, ciphertext);
  h.update(lengths);
  const res = h.digest();
  clean(authKey, lengths);
  return res;
}
var _poly1305_aead = (xorStream) => (key, nonce, AAD) => {
  const tagLength = 16;
  return {
    encrypt(plaintext, output) {
      const plength = plaintext.length;
      output = getOutput(plength + tagLength, output, false);
      output.set(plaintext);
      const oPlain = output.subarray(0, -tagLength);
      xorStream(key, nonce, oPlain, oPlain, 1);
      const tag = computeTag(xorStream, key, nonce, oPlain, AAD);
      output.set(tag, plength);
      clean(tag);
      return output;
    },
    decrypt(ciphertext, output) {
      output = getOutput(ciphertext.length - tagLength, output, false);
      const data = ciphertext.subarray(0, -tagLength);
      const passedTag = ciphertext.subarray(-tagLength);
      const tag = computeTag(xorStream, key, nonce, data, AAD);
      if (!equalBytes(passedTag, tag))
        throw new Error("invalid tag");
      output.set(ciphertext.subarray(0, -tagLength));
      xorStream(key, nonce, output, output, 1);
      clean(tag);
      return output;
    }
  };
};
var chacha20poly1305 = /* @__PURE__ */ wrapCipher({ blockSize: 64, nonceLength: 12, tagLength: 16 }, _poly1305_aead(chacha20));

// node_modules/@hpke/chacha20poly1305/esm/src/chacha20Poly1305.js
var Chacha20Poly1305Context = class {
  constructor(key) {
    Object.defineProperty(this, "_key", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: void 0
    });
    this._key = new Uint8Array(toArrayBuffer(key));
  }
  async seal(iv, data, aad) {
    return await this._seal(toArrayBuffer(iv), toArrayBuffer(data), toArrayBuffer(aad));
  }
  async open(iv, data, aad) {
    return await this._open(toArrayBuffer(iv), toArrayBuffer(data), toArrayBuffer(aad));
  }
  _seal(iv, data, aad) {
    return new Promise((resolve) => {
      const ret = chacha20poly1305(this._key, new Uint8Array(iv), new Uint8Array(aad)).encrypt(new Uint8Array(data));
      resolve(ret.buffer);
    });
  }
  _open(iv, data, aad) {
    return new Promise((resolve) => {
      const ret = chacha20poly1305(this._key, new Uint8Array(iv), new Uint8Array(aad)).decrypt(new Uint8Array(data));
      resolve(ret.buffer);
    });
  }
};
var Chacha20Poly1305 = class {
  constructor() {
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: AeadId.Chacha20Poly1305
    });
    Object.defineProperty(this, "keySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
    Object.defineProperty(this, "nonceSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 12
    });
    Object.defineProperty(this, "tagSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 16
    });
  }
  createEncryptionContext(key) {
    return new Chacha20Poly1305Context(key);
  }
};

// node_modules/@hpke/dhkem-x25519/esm/src/primitives/x25519.js
/*! noble-curves - MIT License (c) 2022 Paul Miller (paulmillr.com) */
var _1n2 = 1n;
var _2n2 = 2n;
var _3n = 3n;
var _5n = 5n;
var ed25519_CURVE_p = 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffedn;
function ed25519_pow_2_252_3(x) {
  const _10n = 10n;
  const _20n = 20n;
  const _40n = 40n;
  const _80n = 80n;
  const P = ed25519_CURVE_p;
  const x2 = x * x % P;
  const b2 = x2 * x % P;
  const b4 = pow2(b2, _2n2, P) * b2 % P;
  const b5 = pow2(b4, _1n2, P) * x % P;
  const b10 = pow2(b5, _5n, P) * b5 % P;
  const b20 = pow2(b10, _10n, P) * b10 % P;
  const b40 = pow2(b20, _20n, P) * b20 % P;
  const b80 = pow2(b40, _40n, P) * b40 % P;
  const b160 = pow2(b80, _80n, P) * b80 % P;
  const b240 = pow2(b160, _80n, P) * b80 % P;
  const b250 = pow2(b240, _10n, P) * b10 % P;
  const pow_p_5_8 = pow2(b250, _2n2, P) * x % P;
  return { pow_p_5_8, b2 };
}
function adjustScalarBytes(bytes) {
  bytes[0] &= 248;
  bytes[31] &= 127;
  bytes[31] |= 64;
  return bytes;
}
var x25519 = /* @__PURE__ */ (() => {
  const P = ed25519_CURVE_p;
  return montgomery({
    P,
    type: "x25519",
    powPminus2: (x) => {
      const { pow_p_5_8, b2 } = ed25519_pow_2_252_3(x);
      return mod(pow2(pow_p_5_8, _3n, P) * b2, P);
    },
    adjustScalarBytes
  });
})();

// node_modules/@hpke/dhkem-x25519/esm/src/hkdfSha256.js
var HkdfSha2562 = class extends HkdfSha256Native {
  async extract(salt, ikm) {
    await this._setup();
    const saltBuf = salt.byteLength === 0 ? new ArrayBuffer(this.hashSize) : toArrayBuffer(salt);
    const ikmBuf = toArrayBuffer(ikm);
    if (saltBuf.byteLength !== this.hashSize) {
      return hmac(sha256, new Uint8Array(saltBuf), new Uint8Array(ikmBuf)).buffer;
    }
    const key = await this._api.importKey("raw", saltBuf, this.algHash, false, [
      "sign"
    ]);
    return await this._api.sign("HMAC", key, ikmBuf);
  }
};

// node_modules/@hpke/dhkem-x25519/esm/src/dhkemX25519.js
var X255192 = class extends XCurveDhkemPrimitives {
  constructor(hkdf) {
    super("X25519", 32, x25519, hkdf);
  }
  derive(sk, pk) {
    try {
      return Promise.resolve(this._curve.getSharedSecret(sk, pk));
    } catch (e) {
      return Promise.reject(new SerializeError2(e));
    }
  }
};
var DhkemX25519HkdfSha2562 = class extends Dhkem {
  constructor() {
    const kdf = new HkdfSha2562();
    super(KemId.DhkemX25519HkdfSha256, new X255192(kdf), kdf);
    Object.defineProperty(this, "id", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: KemId.DhkemX25519HkdfSha256
    });
    Object.defineProperty(this, "secretSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
    Object.defineProperty(this, "encSize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
    Object.defineProperty(this, "publicKeySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
    Object.defineProperty(this, "privateKeySize", {
      enumerable: true,
      configurable: true,
      writable: true,
      value: 32
    });
  }
};

// src/ohttp.js
var KEYS_MEDIA_TYPE = "application/ohttp-keys";
var REQUEST_MEDIA_TYPE = "message/ohttp-req";
var RESPONSE_MEDIA_TYPE = "message/ohttp-res";
var GATEWAY_PATH = "/.well-known/ohttp-gateway";
var KEY_PROBLEM_TYPE = "https://iana.org/assignments/http-problem-types#ohttp-key";
var KEM_X25519_HKDF_SHA256 = 32;
var KDF_HKDF_SHA256 = 1;
var AEAD_AES_128_GCM = 1;
var AEAD_CHACHA20_POLY1305 = 3;
var REQUEST_LABEL = utf8("message/bhttp request");
var RESPONSE_LABEL = utf8("message/bhttp response");
var AEADS = { [AEAD_AES_128_GCM]: { nk: 16, nn: 12, nt: 16 }, [AEAD_CHACHA20_POLY1305]: { nk: 32, nn: 12, nt: 16 } };
var N_PK = 32;
var N_ENC = 32;
var malformed = (detail) => new OHTTPError("ohttp_malformed", detail);
function decodeKeyConfigs(data) {
  if (!data.length) throw malformed("empty application/ohttp-keys");
  const configs = [];
  let at = 0;
  while (at < data.length) {
    if (data.length - at < 2) throw malformed("truncated key configuration length");
    const length = data[at] << 8 | data[at + 1];
    at += 2;
    if (length > data.length - at) throw malformed("key configuration longer than the remaining content");
    const config = decodeKeyConfig(data.subarray(at, at + length));
    at += length;
    if (config) configs.push(config);
  }
  if (!configs.length) throw new OHTTPError("key_configs_unusable", "no key configuration with a supported KEM");
  return configs;
}
function decodeKeyConfig(data) {
  if (data.length < 3) throw malformed("key configuration shorter than its header");
  const keyId = data[0];
  const kemId = data[1] << 8 | data[2];
  if (kemId !== KEM_X25519_HKDF_SHA256) return null;
  let at = 3 + N_PK;
  if (data.length < at + 2) throw malformed("key configuration truncated in its public key");
  const publicKey = data.slice(3, at);
  const length = data[at] << 8 | data[at + 1];
  at += 2;
  if (length < 4 || length % 4) throw malformed("symmetric algorithms length is not a positive multiple of 4");
  if (data.length !== at + length) throw malformed("key configuration length does not match its content");
  const suites = [];
  for (let i = at; i < at + length; i += 4) {
    suites.push([data[i] << 8 | data[i + 1], data[i + 2] << 8 | data[i + 3]]);
  }
  return { keyId, kemId, publicKey, suites };
}
function chooseConfig(configs) {
  for (const config of configs) {
    if (config.kemId !== KEM_X25519_HKDF_SHA256) continue;
    const suite = config.suites.find(([kdf, aead2]) => kdf === KDF_HKDF_SHA256 && aead2 in AEADS);
    if (suite) return { config, suite };
  }
  throw new OHTTPError("key_configs_unusable", "the gateway offers no key configuration this client supports");
}
function hpkeSuite(aeadId) {
  return new CipherSuite({
    kem: new DhkemX25519HkdfSha2562(),
    kdf: new HkdfSha256(),
    aead: aeadId === AEAD_CHACHA20_POLY1305 ? new Chacha20Poly1305() : new Aes128Gcm()
  });
}
async function hkdfExtract(salt, ikm) {
  const key = await globalThis.crypto.subtle.importKey("raw", own(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, own(ikm)));
}
async function hkdfExpand(prk, info, length) {
  const key = await globalThis.crypto.subtle.importKey("raw", own(prk), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const t = new Uint8Array(await globalThis.crypto.subtle.sign("HMAC", key, own(concat(info, Uint8Array.of(1)))));
  return t.slice(0, length);
}
async function aead(aeadId, key, nonce, data, seal) {
  if (aeadId === AEAD_CHACHA20_POLY1305) {
    const ctx = new Chacha20Poly1305().createEncryptionContext(own(key).buffer);
    const out2 = seal ? await ctx.seal(own(nonce).buffer, own(data).buffer, new ArrayBuffer(0)) : await ctx.open(own(nonce).buffer, own(data).buffer, new ArrayBuffer(0));
    return new Uint8Array(out2);
  }
  const k = await globalThis.crypto.subtle.importKey("raw", own(key), { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  const params = { name: "AES-GCM", iv: own(nonce) };
  const out = seal ? await globalThis.crypto.subtle.encrypt(params, k, own(data)) : await globalThis.crypto.subtle.decrypt(params, k, own(data));
  return new Uint8Array(out);
}
var ClientContext = class {
  #secret;
  #enc;
  /**
   * @param {number} keyId
   * @param {number} aeadId
   * @param {Uint8Array} enc
   * @param {Uint8Array} secret
   */
  constructor(keyId, aeadId, enc, secret) {
    this.keyId = keyId;
    this.aeadId = aeadId;
    this.#enc = enc;
    this.#secret = secret;
  }
  #nonceLength() {
    const { nk, nn } = AEADS[this.aeadId];
    return Math.max(nk, nn);
  }
  /** @param {Uint8Array} responseNonce */
  async #keys(responseNonce) {
    const { nk, nn } = AEADS[this.aeadId];
    const prk = await hkdfExtract(concat(this.#enc, responseNonce), this.#secret);
    return { key: await hkdfExpand(prk, utf8("key"), nk), nonce: await hkdfExpand(prk, utf8("nonce"), nn) };
  }
  /**
   * The plaintext of an encapsulated response: `ohttp_malformed` when shorter than its nonce
   * and tag, `ohttp_decryption_failed` when it does not authenticate.
   * @param {Uint8Array} data
   */
  async decapsulateResponse(data) {
    const n = this.#nonceLength();
    if (data.length < n + AEADS[this.aeadId].nt) throw malformed("encapsulated response shorter than its nonce and tag");
    const { key, nonce } = await this.#keys(data.subarray(0, n));
    try {
      return await aead(this.aeadId, key, nonce, data.subarray(n), false);
    } catch {
      throw new OHTTPError("ohttp_decryption_failed", "encapsulated response does not authenticate");
    }
  }
  /**
   * The gateway's side of §4.4, for tests: `response_nonce || Seal(...)`.
   * @param {Uint8Array} response
   * @param {Uint8Array} [responseNonce] for published test vectors only
   */
  async encapsulateResponse(response, responseNonce) {
    const nonce = responseNonce || randomBytes(this.#nonceLength());
    const keys = await this.#keys(nonce);
    return concat(nonce, await aead(this.aeadId, keys.key, keys.nonce, response, true));
  }
  toString() {
    return `ClientContext(keyId=${this.keyId}, aeadId=${this.aeadId})`;
  }
  toJSON() {
    return { keyId: this.keyId, aeadId: this.aeadId };
  }
};
async function encapsulateRequest(config, request, options = {}) {
  const suite = options.suite || chooseConfig([config]).suite;
  const [kdfId, aeadId] = suite;
  if (!config.suites.some(([k, a]) => k === kdfId && a === aeadId) || kdfId !== KDF_HKDF_SHA256 || !(aeadId in AEADS)) {
    throw new OHTTPError("key_configs_unusable", "the (kdf, aead) pair is not offered or not supported");
  }
  const header = Uint8Array.of(
    config.keyId,
    config.kemId >> 8,
    config.kemId & 255,
    kdfId >> 8,
    kdfId & 255,
    aeadId >> 8,
    aeadId & 255
  );
  const hpke = hpkeSuite(aeadId);
  let recipientPublicKey;
  try {
    recipientPublicKey = await hpke.kem.deserializePublicKey(own(config.publicKey).buffer);
  } catch {
    throw new OHTTPError("key_configs_unusable", "the KEM refused the key configuration's public key");
  }
  const params = { recipientPublicKey, info: own(concat(REQUEST_LABEL, Uint8Array.of(0), header)).buffer };
  if (options.ephemeralPrivateKey) {
    const kem = hpke.kem;
    const privateKey = await kem.deserializePrivateKey(own(options.ephemeralPrivateKey).buffer);
    const publicKey = await /** @type {any} */
    kem._prim.derivePublicKey(privateKey);
    params.ekm = { privateKey, publicKey };
  }
  const sender = await hpke.createSenderContext(params);
  const enc = new Uint8Array(sender.enc);
  const ct = new Uint8Array(await sender.seal(own(request).buffer));
  const secret = new Uint8Array(await sender.export(own(RESPONSE_LABEL).buffer, Math.max(AEADS[aeadId].nk, AEADS[aeadId].nn)));
  if (enc.length !== N_ENC) throw new OHTTPError("key_configs_unusable", "unexpected enc length");
  return { encapsulated: concat(header, enc, ct), context: new ClientContext(config.keyId, aeadId, enc, secret) };
}

// src/verify.js
var MAX_SIGNATURES = 8;
var PARAM_TYPES = (
  /** @type {Record<string, string>} */
  {
    created: "integer",
    expires: "integer",
    nonce: "string",
    alg: "string",
    keyid: "string",
    tag: "string"
  }
);
function checkParamTypes(label, params) {
  for (const [name, type] of Object.entries(PARAM_TYPES)) {
    if (!params.has(name)) continue;
    const v = params.get(name);
    const ok = type === "integer" ? typeof v === "number" && Number.isInteger(v) : typeof v === "string";
    if (!ok) throw new SignatureError("signature_malformed", `parameter ${name} of ${label} has the wrong type`);
  }
}
function hasBody(message) {
  if (message.body && message.body.length) return true;
  const length = fieldValue(message, "content-length");
  return !!length && !["", "0"].includes(length.trim());
}
async function verifyMessage(message, resolve, policy, options = {}) {
  const now = options.now ?? Date.now() / 1e3;
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
  throw (
    /** @type {SignatureError} */
    lastError
  );
}
async function verifyOne(message, input, keyId, resolved, signature, policy, now) {
  const { label, params, components } = input;
  if (signature === null) throw new SignatureError("signature_malformed", `Signature ${label} is not a Byte Sequence`);
  const alg = params.get("alg");
  if (alg !== void 0 && alg !== resolved.algorithm) {
    throw new SignatureError("algorithm_mismatch", `alg ${alg} differs from the key's ${resolved.algorithm}`);
  }
  for (const required of policy.requiredParams || []) {
    if (!params.has(required)) {
      throw new SignatureError(
        required === "nonce" ? "nonce_missing" : "signature_malformed",
        `required parameter ${required} is absent`
      );
    }
  }
  const nonce = params.get("nonce");
  if (nonce !== void 0 && (!nonce || String(nonce).length > 128)) {
    throw new SignatureError("signature_malformed", "nonce is empty or too long");
  }
  const created = (
    /** @type {number | undefined} */
    params.get("created")
  );
  const skew = policy.clockSkew ?? 300;
  if (created !== void 0 && Math.abs(now - created) > skew) {
    throw new SignatureError("clock_skew", `created=${created} is ${Math.round(now - created)}s from now`);
  }
  const expires = (
    /** @type {number | undefined} */
    params.get("expires")
  );
  if (expires !== void 0) {
    if (created !== void 0 && expires < created) throw new SignatureError("signature_malformed", "expires is before created");
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
  if (!await verifyBytes(resolved.algorithm, resolved.key, utf8(base), signature)) {
    throw new SignatureError("signature_invalid", `signature ${label} does not verify`);
  }
  if (digestCovered && message.body !== null) {
    await verifyContentDigest(fieldValue(message, "content-digest"), message.body);
  }
  return {
    label,
    keyId,
    algorithm: resolved.algorithm,
    params,
    components: components.map(serializeComponent),
    created: created ?? null
  };
}

// src/responses.js
var COVERED_WHEN_PRESENT = Object.freeze(["retry-after"]);
function responsePolicy(requestLabel, clockSkew = 300, present = []) {
  const required = ['"@status"', '"content-digest"', '"@method";req', '"@path";req'];
  for (const name of present) required.push(`"${name}"`);
  if (requestLabel !== null) required.push(`"signature";req;key="${requestLabel}"`);
  return { requiredComponents: required, requiredParams: ["keyid", "created"], clockSkew };
}
async function verifyResponse(response, options) {
  const signer = options.signer || null;
  const serverKeys = options.serverKeys || null;
  const hmacKey = signer ? await signer.responseKey() : null;
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

// src/client.js
var HOP_BY_HOP = /* @__PURE__ */ new Set(["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "host", "content-length"]);
var DEVICE_KEY_NAME = "device";
var REMEMBER_TOKEN_NAME = "remember_token";
var SignedResponse = class {
  /**
   * @param {{ status: number, statusText?: string, headers: Array<[string, string]>, body: Uint8Array,
   *           url: string, request: Message | null, verification: Verification, viaOhttp: boolean }} init
   */
  constructor(init) {
    this.status = init.status;
    this.statusText = init.statusText || "";
    this.headerLines = init.headers;
    this.headers = new Headers();
    for (const [n, v] of init.headers) this.headers.append(n, v);
    this.body = init.body;
    this.url = init.url;
    this.request = init.request;
    this.verification = init.verification;
    this.viaOhttp = init.viaOhttp;
  }
  get ok() {
    return this.status >= 200 && this.status < 300;
  }
  text() {
    return Promise.resolve(fromUtf8(this.body));
  }
  /** @returns {Promise<any>} */
  json() {
    return Promise.resolve(JSON.parse(fromUtf8(this.body)));
  }
  arrayBuffer() {
    return Promise.resolve(this.body.slice().buffer);
  }
  /** The server's error as an {@link ApiError} (`code` from the JSON body), or null when ok. */
  error() {
    if (this.ok) return null;
    let data = null;
    try {
      data = JSON.parse(fromUtf8(this.body));
    } catch {
      data = null;
    }
    const code = data && typeof data.code === "string" ? data.code : null;
    const detail = data && typeof data.detail === "string" ? data.detail : null;
    const retry = this.headers.get("retry-after");
    const error = new ApiError(this.status, code, detail, data, retry && /^\d+$/.test(retry) ? Number(retry) : null);
    error.verification = this.verification;
    return error;
  }
  /** This response when ok; the server's {@link ApiError} otherwise. */
  ensureOk() {
    const error = this.error();
    if (error) throw error;
    return this;
  }
};
var UnverifiedRefusalError = class extends ApiError {
  /**
   * @param {SignedResponse} response
   */
  constructor(response) {
    const claimed = response.error();
    super(
      response.status,
      "refusal_unverified",
      `an unverified ${response.status} refusal (${response.verification.code})`,
      claimed ? claimed.body : null
    );
    this.name = "UnverifiedRefusalError";
    this.claimedCode = claimed ? claimed.code : null;
    this.verification = response.verification;
    this.reason = response.verification.code;
    this.response = response;
  }
};
var SignedApiClient = class {
  /** @type {{ configs: import("./ohttp.js").KeyConfig[], expires: number, pinned: boolean }} */
  #keys = { configs: [], expires: 0, pinned: false };
  /** @param {ClientOptions} options */
  constructor(options) {
    if (!options || !options.baseUrl) throw new TypeError("SignedApiClient needs a baseUrl");
    const base = new URL(options.baseUrl);
    this.origin = base.origin;
    this.baseUrl = base.href;
    this.authPath = options.authPath || "/api/auth/";
    if (!this.authPath.endsWith("/")) this.authPath += "/";
    this.auth = options.auth || null;
    this.verifyResponses = options.verifyResponses === void 0 ? "require" : options.verifyResponses;
    this.requireSignedAnswers = !!options.requireSignedAnswers;
    this.requireSignedRefusals = options.requireSignedRefusals !== false || this.requireSignedAnswers;
    this.keyStore = options.keyStore || defaultKeyStore();
    const userFetch = options.fetch;
    this.fetch = userFetch ? (input, init) => userFetch(input, init) : (input, init) => globalThis.fetch(input, init);
    this.credentials = options.credentials;
    this.clockSkew = options.clockSkew ?? 300;
    this.deviceAlgorithm = options.deviceAlgorithm || "ecdsa-p256-sha256";
    this.correctClock = options.correctClock !== false;
    this.serverKeys = options.serverKeys || new ServerKeys({
      url: new URL(options.jwksPath || JWKS_PATH, this.origin).href,
      fetch: this.fetch,
      credentials: this.credentials
    });
    this.ohttp = null;
    if (options.ohttp) {
      const o = options.ohttp === true ? {} : options.ohttp;
      this.ohttp = { ...o, gatewayUrl: o.gatewayUrl || new URL(GATEWAY_PATH, this.origin).href, padding: o.padding || 0 };
      if (o.keyConfigs && o.keyConfigs.length) {
        chooseConfig(o.keyConfigs);
        this.#keys = { configs: [...o.keyConfigs], expires: Infinity, pinned: true };
      }
    }
    this.session = null;
  }
  /** @param {Signer | null} signer */
  setAuth(signer) {
    this.auth = signer;
  }
  /** @param {string | URL} path */
  url(path) {
    return new URL(path, this.baseUrl).href;
  }
  /** @param {string} path under the auth mount */
  authUrl(path) {
    return new URL(this.authPath + path, this.origin).href;
  }
  // -- requests ------------------------------------------------------------------------------
  /**
   * Send a request, signed by `auth` (unless `signed: false`), and check the response's
   * signature. Resolves with a {@link SignedResponse} whatever the status; see
   * `verifyResponses` for when a failed check throws.
   * @param {string | URL} path  relative to baseUrl, or absolute
   * @param {{ method?: string, headers?: HeadersInit, body?: string | Uint8Array | ArrayBuffer | null,
   *           json?: unknown, signed?: boolean, signer?: Signer | null, signal?: AbortSignal,
   *           verifyResponses?: "require" | "report" | false }} [options]
   *   `verifyResponses` overrides the client's for this request
   * @returns {Promise<SignedResponse>}
   */
  async request(path, options = {}) {
    const method = (options.method || "GET").toUpperCase();
    const url = this.url(path);
    const lines = [];
    if (options.headers) {
      new Headers(options.headers).forEach((value, name) => lines.push([name, value]));
    }
    let body = toBytes(options.body);
    if (options.json !== void 0) {
      body = utf8(JSON.stringify(options.json));
      if (!lines.some(([n]) => n === "content-type")) lines.push(["content-type", "application/json"]);
    }
    const signer = options.signer !== void 0 ? options.signer : options.signed === false ? null : this.auth;
    let response = await this.#exchange(method, url, lines, body, signer, options.signal);
    const skew = signer && this.correctClock ? serverTimeOf(response) : null;
    const trusted = skew !== null && (!this.requireSignedRefusals || (await this.#verify(
      response,
      /** @type {Message} */
      response.request,
      signer,
      skew
    )).verified);
    if (signer && skew !== null && trusted) {
      signer.clockOffset = skew - Date.now() / 1e3;
      response = await this.#exchange(method, url, lines, body, signer, options.signal);
    }
    const mode = options.verifyResponses === void 0 ? this.verifyResponses : options.verifyResponses;
    if (mode !== false) {
      response.verification = await this.#verify(
        response,
        /** @type {Message} */
        response.request,
        signer
      );
      this.#enforce(response, signer, mode);
    }
    return response;
  }
  /**
   * Sign (when `signer`), send, read: the response, not yet verified.
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {Signer | null} signer
   * @param {AbortSignal} [signal]
   */
  async #exchange(method, url, lines, body, signer, signal) {
    let message;
    let sent = lines;
    if (signer) {
      const signed = await signer.sign({ method, url, headers: lines, body });
      sent = signed.headers;
      message = signed.message;
    } else {
      message = requestMessage(method, url, lines, body);
    }
    const raw = this.ohttp ? await this.#sendOhttp(method, url, sent, body, signal) : await this.#sendClear(method, url, sent, body, signal);
    return new SignedResponse({
      ...raw,
      url,
      request: message,
      viaOhttp: !!this.ohttp,
      verification: { verified: false, code: null, keyId: null, algorithm: null, detail: null, signed: false }
    });
  }
  /**
   * A request whose answer must be a 2xx: its JSON body (null when empty). A refusal is thrown
   * as the server's {@link ApiError} (its `code`).
   * @param {string | URL} path
   * @param {Parameters<SignedApiClient["request"]>[1]} [options]
   */
  async json(path, options = {}) {
    const response = (await this.request(path, options)).ensureOk();
    return response.body.length ? response.json() : null;
  }
  /**
   * @param {SignedResponse} response
   * @param {Message} request
   * @param {Signer | null} signer
   * @param {number} [at] epoch seconds to check `created` against (default: the signer's clock)
   * @returns {Promise<Verification>}
   */
  async #verify(response, request, signer, at) {
    const signed = response.headers.has("signature-input") || response.headers.has("signature");
    const none = { verified: false, keyId: null, algorithm: null, signed };
    if (!signed) {
      return { ...none, code: "signature_missing", detail: "the response carries no signature" };
    }
    const message = responseMessage(response.status, response.headerLines, response.body, request);
    try {
      const now = at ?? Date.now() / 1e3 + (signer ? signer.clockOffset : 0);
      const clockSkew = signer && response.status >= 400 ? 1e10 : this.clockSkew;
      const verified = await verifyResponse(message, { signer, serverKeys: this.serverKeys, clockSkew, now });
      return { verified: true, code: null, keyId: verified.keyId, algorithm: verified.algorithm, detail: null, signed };
    } catch (e) {
      if (e instanceof SignedApiError) {
        return { ...none, code: e.code, detail: (
          /** @type {any} */
          e.detail ?? e.message
        ) };
      }
      throw e;
    }
  }
  /**
   * @param {SignedResponse} response
   * @param {Signer | null} signer
   * @param {"require" | "report" | false} mode
   */
  #enforce(response, signer, mode) {
    const v = response.verification;
    if (v.verified || mode !== "require") return;
    if (response.ok || response.status < 400) {
      if (!signer && !this.requireSignedAnswers) return;
      const error = new SignatureError(v.code || "signature_invalid", `the response does not verify: ${v.detail || v.code}`);
      error.response = response;
      throw error;
    }
    if (this.requireSignedRefusals) throw new UnverifiedRefusalError(response);
  }
  /**
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {AbortSignal} [signal]
   */
  async #sendClear(method, url, lines, body, signal) {
    const init = { method, headers: lines };
    if (body && body.length) init.body = body.slice();
    if (this.credentials) init.credentials = this.credentials;
    if (signal) init.signal = signal;
    const response = await this.fetch(url, init);
    const headers = [];
    response.headers.forEach((value, name) => headers.push([name.toLowerCase(), value]));
    const data = new Uint8Array(await response.arrayBuffer());
    return { status: response.status, statusText: response.statusText, headers, body: data };
  }
  // -- Oblivious HTTP ------------------------------------------------------------------------
  /** @param {boolean} force */
  async #keyConfig(force) {
    const ohttp = (
      /** @type {NonNullable<SignedApiClient["ohttp"]>} */
      this.ohttp
    );
    const now = Date.now() / 1e3;
    if (!force && this.#keys.configs.length && (this.#keys.pinned || now < this.#keys.expires)) {
      return chooseConfig(this.#keys.configs);
    }
    const init = { headers: { Accept: KEYS_MEDIA_TYPE } };
    if (this.credentials) init.credentials = this.credentials;
    const response = await this.fetch(ohttp.gatewayUrl, init);
    const data = new Uint8Array(await response.arrayBuffer());
    if (response.status !== 200) {
      throw new OHTTPError("gateway_refused", `the gateway ${ohttp.gatewayUrl} answered HTTP ${response.status} to the key configuration request`, response.status);
    }
    if (mediaType(response.headers.get("content-type")) !== KEYS_MEDIA_TYPE) {
      throw new OHTTPError("key_configs_unusable", `the gateway ${ohttp.gatewayUrl} did not answer with ${KEYS_MEDIA_TYPE}`, response.status);
    }
    let configs;
    try {
      configs = decodeKeyConfigs(data);
    } catch (e) {
      throw new OHTTPError("key_configs_unusable", `the key configurations of ${ohttp.gatewayUrl} do not decode (${/** @type {any} */
      e.code})`, response.status);
    }
    const chosen = chooseConfig(configs);
    const m = /(?:^|[,\s])max-age\s*=\s*"?(\d+)/i.exec(response.headers.get("cache-control") || "");
    this.#keys = { configs, expires: now + (m ? Number(m[1]) : 3600), pinned: false };
    return chosen;
  }
  /**
   * @param {string} method
   * @param {string} url
   * @param {Array<[string, string]>} lines
   * @param {Uint8Array | null} body
   * @param {AbortSignal} [signal]
   */
  async #sendOhttp(method, url, lines, body, signal) {
    const ohttp = (
      /** @type {NonNullable<SignedApiClient["ohttp"]>} */
      this.ohttp
    );
    const u = new URL(url);
    const { path, query } = pathAndQuery(u);
    let inner = encodeRequest({
      method,
      scheme: u.protocol.replace(/:$/, ""),
      authority: u.host,
      path: path + (query === null ? "" : "?" + query),
      headers: lines.filter(([n]) => !HOP_BY_HOP.has(n.toLowerCase())),
      content: body || new Uint8Array(0)
    });
    if (ohttp.padding > 1 && inner.length % ohttp.padding) {
      const padded = new Uint8Array(inner.length + ohttp.padding - inner.length % ohttp.padding);
      padded.set(inner);
      inner = padded;
    }
    const postUrl = ohttp.relayUrl || ohttp.gatewayUrl;
    for (const attempt of [0, 1]) {
      const { config, suite } = await this.#keyConfig(attempt > 0);
      const { encapsulated, context } = await encapsulateRequest(config, inner, { suite });
      const init = {
        method: "POST",
        body: own(encapsulated),
        headers: { "Content-Type": REQUEST_MEDIA_TYPE, Accept: RESPONSE_MEDIA_TYPE }
      };
      if (this.credentials) init.credentials = this.credentials;
      if (signal) init.signal = signal;
      const outer = await this.fetch(postUrl, init);
      const data = new Uint8Array(await outer.arrayBuffer());
      const contentType = outer.headers.get("content-type");
      if (outer.status === 200) {
        if (mediaType(contentType) !== RESPONSE_MEDIA_TYPE) {
          throw new OHTTPError("not_ohttp", `the gateway ${postUrl} answered HTTP 200 without ${RESPONSE_MEDIA_TYPE}`, 200);
        }
        let decoded;
        try {
          decoded = decodeResponse(await context.decapsulateResponse(data));
        } catch (e) {
          const code = e instanceof SignedApiError ? e.code : "ohttp_malformed";
          throw new OHTTPError(code, `the answer of the gateway ${postUrl} does not open (${code})`, null);
        }
        return { status: decoded.status, statusText: "", headers: decoded.headers, body: decoded.content };
      }
      const problem = parseJson(data);
      const keyProblem = outer.status === 400 && mediaType(contentType) === "application/problem+json" && problem && (problem.type === KEY_PROBLEM_TYPE || problem.code === "ohttp_unknown_key");
      if (keyProblem && attempt === 0 && !this.#keys.pinned) continue;
      if (keyProblem && this.#keys.pinned) {
        throw new OHTTPError("ohttp_key", `the gateway ${postUrl} does not accept the key configuration given out of band (keyConfigs): get its new one out of band too`, outer.status);
      }
      if (keyProblem) {
        throw new OHTTPError("ohttp_key", `the gateway ${postUrl} does not accept its own key configuration`, outer.status);
      }
      const given = problem && typeof problem.code === "string" && /^[a-z0-9_]{1,64}$/.test(problem.code) ? problem.code : "gateway_refused";
      throw new OHTTPError(given, `the gateway ${postUrl} answered HTTP ${outer.status} (${given})`, outer.status);
    }
    throw new OHTTPError("ohttp_key", "unreachable", null);
  }
  // -- logging in ----------------------------------------------------------------------------
  /**
   * The device key of this key store, made (and stored) when there is none yet.
   * @param {{ create?: boolean, algorithm?: string }} [options]
   * @returns {Promise<DeviceKey | null>}
   */
  async deviceKey(options = {}) {
    const stored = await DeviceKey.fromStored(await this.keyStore.get(DEVICE_KEY_NAME));
    if (stored || options.create === false) return stored;
    const key = await DeviceKey.generate(options.algorithm || this.deviceAlgorithm);
    await this.keyStore.set(DEVICE_KEY_NAME, key.toStored());
    return key;
  }
  /** Forget this store's device key (and the remember token bound to it). */
  async forgetDeviceKey() {
    await this.keyStore.delete(DEVICE_KEY_NAME);
    await this.keyStore.delete(REMEMBER_TOKEN_NAME);
  }
  /**
   * `POST sessions/`: 201 (a session, set as this client's `auth`) or 202 (a challenge: answer
   * it with {@link verifyCode}, or give `codePrompt` and it is asked for here, again after a
   * wrong code while attempts remain).
   * @param {{ username: string, password: string, remember?: boolean, deviceName?: string,
   *           deviceKey?: boolean | DeviceKey, deviceAlgorithm?: string,
   *           codePrompt?: (challenge: Challenge) => string | Promise<string> }} options
   * @returns {Promise<LoginResult>}
   */
  async login(options) {
    if (!options || !options.username || typeof options.password !== "string") {
      throw new TypeError("login needs a username and a password");
    }
    const deviceKey = await this.#resolveDeviceKey(options.deviceKey, options.deviceAlgorithm);
    const payload = { username: options.username, password: options.password, remember: !!options.remember };
    if (options.deviceName) payload.device_name = options.deviceName;
    if (deviceKey) Object.assign(payload, deviceKey.registration());
    const response = await this.request(this.authUrl("sessions/"), { method: "POST", json: payload, signed: false });
    if (response.status === 201) return { status: "session", session: await this.#session(response, deviceKey) };
    if (response.status !== 202) throw loginError(response);
    const data = await response.json();
    const challenge = {
      id: String(data.id),
      methods: Array.isArray(data.methods) ? data.methods : [],
      expiresAt: data.expires_at ?? null,
      attemptsRemaining: null,
      deviceKey
    };
    Object.defineProperty(challenge, "token", { value: data.challenge_token, enumerable: false });
    if (!options.codePrompt) return { status: "challenge", challenge };
    for (; ; ) {
      const code = await options.codePrompt(challenge);
      try {
        return await this.verifyCode(challenge, code);
      } catch (e) {
        if (e instanceof LoginError && e.code === "otp_invalid") {
          challenge.attemptsRemaining = e.attemptsRemaining;
          continue;
        }
        throw e;
      }
    }
  }
  /**
   * `POST sessions/{id}/verify/` with a TOTP or recovery code. A wrong code is `LoginError`
   * `otp_invalid` (with `attemptsRemaining`); the challenge stays usable while attempts remain.
   * @param {Challenge} challenge
   * @param {string} code
   * @returns {Promise<LoginResult>}
   */
  async verifyCode(challenge, code) {
    const token = (
      /** @type {any} */
      challenge.token
    );
    const response = await this.request(this.authUrl(`sessions/${encodeURIComponent(challenge.id)}/verify/`), {
      method: "POST",
      json: { challenge_token: token, code: String(code).trim() },
      signed: false
    });
    if (response.status !== 201) {
      const error = loginError(response);
      if (error.code === "otp_invalid") challenge.attemptsRemaining = error.attemptsRemaining;
      throw error;
    }
    return { status: "session", session: await this.#session(response, challenge.deviceKey) };
  }
  /**
   * Trade a remember token for a new session (and a rotated token). A token bound to a device
   * key is sent in a request signed by that key (`keyid`: its thumbprint). `token` defaults to
   * the one the key store keeps for its device key.
   * @param {{ token?: string, deviceKey?: boolean | DeviceKey, newDeviceKey?: DeviceKey, deviceName?: string }} [options]
   * @returns {Promise<LoginResult>}
   */
  async exchangeRememberToken(options = {}) {
    const deviceKey = await this.#resolveDeviceKey(options.deviceKey ?? false, void 0, false);
    const token = options.token ?? await this.keyStore.get(REMEMBER_TOKEN_NAME);
    if (typeof token !== "string" || !token) throw new TypeError("no remember token to exchange");
    const payload = { remember_token: token };
    if (options.deviceName) payload.device_name = options.deviceName;
    const bound = options.newDeviceKey || deviceKey;
    if (bound) Object.assign(payload, bound.registration());
    const signer = deviceKey ? deviceKey.signer(deviceKey.thumbprint) : null;
    const response = await this.request(this.authUrl("sessions/"), {
      method: "POST",
      json: payload,
      signer,
      verifyResponses: "report"
    });
    if (response.status !== 201) throw loginError(response);
    return { status: "session", session: await this.#session(response, bound) };
  }
  /**
   * End a session (`DELETE sessions/{id}/`, signed by it): its key stops working at once.
   * @param {Session | null} [session] default: this client's last login
   */
  async logout(session = this.session) {
    if (!session) throw new TypeError("no session to log out");
    const response = await this.request(this.authUrl(`sessions/${encodeURIComponent(session.id)}/`), {
      method: "DELETE",
      signer: session.signer
    });
    if (response.status !== 204) throw loginError(response);
    if (this.session === session) this.session = null;
    if (this.auth === session.signer) this.auth = null;
    if (session.deviceBound) await this.keyStore.delete(REMEMBER_TOKEN_NAME);
    return response;
  }
  // -- account security (signed by a session; an API key gets 403 session_required) ----------
  /** The caller's live sessions (`GET sessions/`). */
  async sessions() {
    return this.json(this.authUrl("sessions/"));
  }
  /**
   * End every other session of the caller and every remember family but its own
   * (`DELETE sessions/`); resolves with how many ended.
   * @returns {Promise<number>}
   */
  async logoutOthers() {
    const data = await this.json(this.authUrl("sessions/"), { method: "DELETE" });
    return data && typeof data.ended === "number" ? data.ended : 0;
  }
  /**
   * Start enrolling a TOTP device (`POST totp/`): `{ otpauth_uri, qr_svg }` for an
   * authenticator app. Nothing is required at login until {@link totpConfirm} succeeds.
   * @returns {Promise<{ otpauth_uri: string, qr_svg?: string }>}
   */
  async totpEnable() {
    return this.json(this.authUrl("totp/"), { method: "POST" });
  }
  /**
   * Confirm the new device with a current code (`POST totp/confirm/`): the recovery codes,
   * shown this once. From now on a login needs a second factor.
   * @param {string} code
   * @returns {Promise<string[]>}
   */
  async totpConfirm(code) {
    const data = await this.json(this.authUrl("totp/confirm/"), { method: "POST", json: { code: String(code).trim() } });
    return Array.isArray(data && data.recovery_codes) ? data.recovery_codes.map(String) : [];
  }
  /**
   * Remove the device (`DELETE totp/`) with a current code or a recovery code.
   * @param {string} code
   */
  async totpDisable(code) {
    await this.json(this.authUrl("totp/"), { method: "DELETE", json: { code: String(code).trim() } });
  }
  /**
   * @param {boolean | DeviceKey | undefined} option
   * @param {string | undefined} algorithmName
   * @param {boolean} [create]
   */
  async #resolveDeviceKey(option, algorithmName, create = true) {
    if (!option) return null;
    if (option instanceof DeviceKey) return option;
    return this.deviceKey({ create, algorithm: algorithmName });
  }
  /**
   * @param {SignedResponse} response a 201 of sessions/
   * @param {DeviceKey | null} deviceKey
   * @returns {Promise<Session>}
   */
  async #session(response, deviceKey) {
    const data = await response.json();
    let signer;
    if (deviceKey) {
      if ("secret" in data || data.key_thumbprint !== deviceKey.thumbprint || data.algorithm !== deviceKey.algorithm) {
        throw new LoginError(
          201,
          "not_device_bound",
          "the server did not bind the session to the device key; the session it issued is not used"
        );
      }
      signer = deviceKey.signer(data.id);
    } else {
      if (typeof data.secret !== "string") throw new LoginError(201, "secret_missing", "the session has no secret");
      signer = Signer.hmac(data.id, data.secret);
    }
    const session = {
      id: data.id,
      signer,
      algorithm: data.algorithm || "hmac-sha256",
      expiresAt: data.expires_at ?? null,
      idleTimeout: data.idle_timeout ?? null,
      rememberToken: null,
      deviceBound: !!deviceKey,
      keyThumbprint: data.key_thumbprint ?? null,
      deviceKey
    };
    Object.defineProperty(session, "rememberToken", { value: data.remember_token ?? null, enumerable: false, writable: true });
    if (deviceKey && data.remember_token) await this.keyStore.set(REMEMBER_TOKEN_NAME, data.remember_token);
    this.session = session;
    this.auth = signer;
    return session;
  }
};
function serverTimeOf(response) {
  if (response.status !== 401) return null;
  const data = parseJson(response.body);
  if (!data || data.code !== "clock_skew" || !Number.isInteger(data.server_time)) return null;
  return (
    /** @type {number} */
    data.server_time
  );
}
function mediaType(value) {
  return (value || "").split(";", 1)[0].trim().toLowerCase();
}
function parseJson(data) {
  try {
    const v = JSON.parse(fromUtf8(data));
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}
function loginError(response) {
  const data = parseJson(response.body);
  const retry = response.headers.get("retry-after");
  return new LoginError(
    response.status,
    data && data.code,
    data && data.detail,
    data,
    retry && /^\d+$/.test(retry) ? Number(retry) : null
  );
}
export {
  ALGORITHMS,
  ApiError,
  BinaryHttpError,
  ClientContext,
  DEFAULT_COMPONENTS,
  DEVICE_ALGORITHMS,
  DEVICE_KEY_NAME,
  DIGEST_ALGORITHMS,
  DeviceKey,
  GATEWAY_PATH,
  IndexedDBKeyStore,
  JWKS_PATH,
  KEYS_MEDIA_TYPE,
  LoginError,
  MemoryKeyStore,
  OHTTPError,
  REMEMBER_TOKEN_NAME,
  REQUEST_MEDIA_TYPE,
  RESPONSE_MEDIA_TYPE,
  ServerKeys,
  SignatureError,
  SignedApiClient,
  SignedApiError,
  SignedResponse,
  Signer,
  UnverifiedRefusalError,
  bytes_exports as bytes,
  chooseConfig,
  componentValue,
  contentDigest,
  decodeRequest as decodeBinaryRequest,
  decodeResponse as decodeBinaryResponse,
  decodeKeyConfig,
  decodeKeyConfigs,
  defaultKeyStore,
  ed25519Supported,
  encapsulateRequest,
  encodeRequest as encodeBinaryRequest,
  encodeResponse as encodeBinaryResponse,
  importJwks,
  importSigningKey,
  importVerifyingKey,
  jwkThumbprint,
  newNonce,
  requestMessage,
  responseMessage,
  responsePolicy,
  signBytes,
  signatureBase,
  verifyBytes,
  verifyContentDigest,
  verifyMessage,
  verifyResponse
};
