/**
 * Binary HTTP (RFC 9292, `message/bhttp`): what Oblivious HTTP encrypts. Requests are encoded
 * in known-length framing (indicator 0) with every section written; responses of either
 * framing (1 and 3) decode, as `signed_api/core/bhttp.py` does, strictly: any malformed input
 * is a {@link BinaryHttpError}.
 * @module
 */
import { concat, fromLatin1, latin1, utf8 } from "./bytes.js";
import { BinaryHttpError } from "./errors.js";

/** @typedef {Array<[string, string]>} Fields */

/**
 * @typedef {object} BinaryRequest
 * @property {string} method
 * @property {string} scheme
 * @property {string} authority
 * @property {string} path      the request target: "/api/notes/?a=1"
 * @property {Fields} [headers]
 * @property {Uint8Array} [content]
 * @property {Fields} [trailers]
 */

/**
 * @typedef {object} BinaryResponse
 * @property {number} status
 * @property {Fields} headers
 * @property {Uint8Array} content
 * @property {Fields} trailers
 * @property {Array<[number, Fields]>} informational
 */

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
const VISIBLE = /^[\x21-\x7e]*$/;
// eslint-disable-next-line no-control-regex
const VALUE_BAD = /[\x00-\x08\x0a-\x1f\x7f]/;

/** @param {number} value */
export function encodeVarint(value) {
  if (!Number.isSafeInteger(value) || value < 0) throw new BinaryHttpError("an integer out of range");
  if (value < 0x40) return Uint8Array.of(value);
  if (value < 0x4000) return Uint8Array.of(0x40 | (value >> 8), value & 0xff);
  if (value < 0x40000000) {
    return Uint8Array.of(0x80 | (value >>> 24), (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  }
  const out = new Uint8Array(8);
  let v = BigInt(value);
  for (let i = 7; i >= 0; i--) { out[i] = Number(v & 0xffn); v >>= 8n; }
  out[0] |= 0xc0;
  return out;
}

/** @param {Uint8Array} bytes */
function withLength(bytes) {
  return concat(encodeVarint(bytes.length), bytes);
}

/** @param {string} text @param {string} what */
function ascii(text, what) {
  if (/[^\x00-\x7f]/.test(text)) throw new BinaryHttpError(`the ${what} is not ASCII`);
  return utf8(text);
}

/**
 * @param {Fields} fields
 * @param {boolean} trailer
 */
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

/**
 * Encode a request, known-length, then `padding` zero bytes.
 * @param {BinaryRequest} request
 * @param {{ padding?: number }} [options]
 */
export function encodeRequest(request, options = {}) {
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
    withLength(ascii(method, "method")), withLength(ascii(scheme, "scheme")),
    withLength(ascii(authority, "authority")), withLength(ascii(path, "path")),
    encodeFields(request.headers || [], false),
    withLength(request.content || new Uint8Array(0)),
    encodeFields(request.trailers || [], true),
  );
  const padding = options.padding || 0;
  return padding ? concat(out, new Uint8Array(padding)) : out;
}

class Reader {
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
    let v = first & 0x3f;
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
}

const LIMITS = { maxFields: 256, maxFieldSection: 65536, maxContent: 10 * 1024 * 1024, maxInformational: 16 };

/**
 * @param {Reader} reader
 * @param {boolean} known
 * @param {{ count: number }} counter
 * @param {boolean} trailer
 * @returns {Fields}
 */
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
  /** @type {Fields} */
  const fields = [];
  let regularSeen = false;
  for (;;) {
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

/**
 * @param {Reader} reader
 * @param {boolean} known
 */
function readContent(reader, known) {
  if (known) {
    const size = reader.varint("content length");
    if (size > LIMITS.maxContent) throw new BinaryHttpError(`the content exceeds ${LIMITS.maxContent} bytes`);
    return reader.take(size, "content").slice();
  }
  const chunks = [];
  let total = 0;
  for (;;) {
    const size = reader.varint("content chunk length");
    if (size === 0) return concat(...chunks);
    total += size;
    if (total > LIMITS.maxContent) throw new BinaryHttpError(`the content exceeds ${LIMITS.maxContent} bytes`);
    chunks.push(reader.take(size, "content chunk"));
  }
}

/**
 * Decode a response (framing indicator 1 or 3); a message may end after any section (§3.8),
 * and padding after the trailers must be zeros.
 * @param {Uint8Array} data
 * @returns {BinaryResponse}
 */
export function decodeResponse(data) {
  if (!(data instanceof Uint8Array)) throw new BinaryHttpError("the message is not bytes");
  const reader = new Reader(data, 0, data.length);
  const framing = reader.varint("framing indicator");
  if (framing !== 1 && framing !== 3) throw new BinaryHttpError(`framing indicator ${framing} is not a response's`);
  const known = framing === 1;
  const counter = { count: 0 };
  /** @type {Array<[number, Fields]>} */
  const informational = [];
  let status;
  for (;;) {
    status = reader.varint("status code");
    if (status < 100 || status > 199) break;
    if (informational.length >= LIMITS.maxInformational) throw new BinaryHttpError("too many informational responses");
    informational.push([status, readFields(reader, known, counter, false)]);
  }
  if (status < 200 || status > 599) throw new BinaryHttpError(`final status ${status} is not 200-599`);
  /** @type {Fields} */
  let headers = [];
  /** @type {Uint8Array} */
  let content = new Uint8Array(0);
  /** @type {Fields} */
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

/**
 * Decode a request (framing indicator 0 or 2): for gateways and tests.
 * @param {Uint8Array} data
 * @returns {Required<BinaryRequest>}
 */
export function decodeRequest(data) {
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
  /** @type {Fields} */
  let headers = [];
  /** @type {Uint8Array} */
  let content = new Uint8Array(0);
  /** @type {Fields} */
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

/**
 * Encode a final response, known-length (for gateways and tests).
 * @param {{ status: number, headers?: Fields, content?: Uint8Array }} response
 */
export function encodeResponse(response) {
  if (!Number.isInteger(response.status) || response.status < 200 || response.status > 599) {
    throw new BinaryHttpError(`final status ${response.status} is not 200-599`);
  }
  return concat(encodeVarint(1), encodeVarint(response.status), encodeFields(response.headers || [], false),
    withLength(response.content || new Uint8Array(0)), encodeFields([], true));
}
