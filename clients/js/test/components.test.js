// RFC 9421 §2 component by component, from the vectors the Python core is tested with: every
// value, the signature parameters, a response with `;req` components, and the error cases.
import { test } from "node:test";
import assert from "node:assert/strict";
import { componentValue, requestMessage, responseMessage, signatureBase, SignatureError } from "../src/index.js";
import { utf8 } from "../src/bytes.js";
import { repoVector } from "./helpers.js";

const v = repoVector("rfc9421_section2.json");
const request = (m) => requestMessage(m.method, m.url, m.headers, utf8(m.body || ""));

test("RFC 9421 §2.1-2.2: every component value of the core's vectors", () => {
  assert.ok(v.components.length >= 30);
  for (const c of v.components) {
    assert.equal(componentValue(request(c.message), c.component), c.expected_value, `${c.source}: ${c.component}`);
    assert.equal(signatureBase(request(c.message), [c.component], []).split("\n")[0], c.expected_line, c.component);
  }
  for (const c of v.response_components) {
    const m = responseMessage(c.message.status, c.message.headers, utf8(c.message.body), null);
    assert.equal(componentValue(m, c.component), c.expected_value);
  }
});

test("RFC 9421 §2.3: the signature parameters serialized in the given order", () => {
  const s = v.signature_params_2_3;
  const base = signatureBase(request(s.message), s.covered_components, Object.entries(s.params));
  assert.equal(base.split("\n").at(-1), `"@signature-params": ${s.expected_value}`);
});

test("RFC 9421 §2.4 and §2.5: a response covering request components, and the request's base", () => {
  const rr = v.request_response_2_4;
  const req = request(rr.request);
  const res = responseMessage(rr.response.status, rr.response.headers, utf8(rr.response.body), req);
  assert.equal(signatureBase(res, rr.covered_components, Object.entries(rr.params)), rr.signature_base);
  const sb = v.signature_base_2_5;
  assert.equal(signatureBase(request(sb.message), sb.covered_components, Object.entries(sb.params)), sb.signature_base);
});

test("RFC 9421 §2.5 error cases refuse to build a base, and their controls build one", () => {
  assert.ok(v.errors_2_5.length >= 10);
  for (const e of v.errors_2_5) {
    const m = request(e.message);
    assert.throws(() => signatureBase(m, e.components, [["created", 1]]), SignatureError, e.case);
    if (e.control_components) signatureBase(m, e.control_components, [["created", 1]]);
  }
});
