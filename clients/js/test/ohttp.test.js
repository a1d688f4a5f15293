import { test } from "node:test";
import assert from "node:assert/strict";
import { Aes128Gcm, CipherSuite, HkdfSha256 } from "@hpke/core";
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import {
  ClientContext, OHTTPError, BinaryHttpError, chooseConfig, decodeBinaryResponse, decodeKeyConfig,
  decodeKeyConfigs, encapsulateRequest, encodeBinaryRequest,
} from "../src/index.js";
import { concat, hexDecode, hexEncode, utf8 } from "../src/bytes.js";
import { repoVector, unhex } from "./helpers.js";

const A = repoVector("ohttp_rfc9458_appendix_a.json");

test("RFC 9458 Appendix A byte for byte: the key configuration, the encapsulated request, the response", async () => {
  const config = decodeKeyConfig(hexDecode(A.key_config));
  assert.equal(config.keyId, 1);
  assert.equal(config.kemId, 0x20);
  assert.deepEqual(config.suites, [[1, 1], [1, 3]]);
  const { encapsulated, context } = await encapsulateRequest(config, hexDecode(A.request),
    { ephemeralPrivateKey: hexDecode(A.ephemeral_private_key) });
  assert.equal(hexEncode(encapsulated), A.encapsulated_request);
  assert.equal(hexEncode(await context.decapsulateResponse(hexDecode(A.encapsulated_response))), A.response);
  // The gateway's half of §4.4 with the RFC's response nonce gives the RFC's bytes too.
  assert.equal(hexEncode(await context.encapsulateResponse(hexDecode(A.response), hexDecode(A.response_nonce))), A.encapsulated_response);
  const tampered = hexDecode(A.encapsulated_response);
  tampered[tampered.length - 1] ^= 1;
  await assert.rejects(context.decapsulateResponse(tampered), (e) => e instanceof OHTTPError && e.code === "ohttp_decryption_failed");
  await assert.rejects(context.decapsulateResponse(tampered.subarray(0, 20)), (e) => e.code === "ohttp_malformed");
  assert.ok(!JSON.stringify(context).includes(A.response_secret));
});

test("application/ohttp-keys: several configurations, other KEMs skipped, bad framing refused", () => {
  const one = hexDecode(A.key_config);
  const len = (b) => Uint8Array.of(b.length >> 8, b.length & 0xff);
  const otherKem = concat(Uint8Array.of(7, 0x00, 0x10), new Uint8Array(65), Uint8Array.of(0, 4, 0, 1, 0, 1));
  const configs = decodeKeyConfigs(concat(len(otherKem), otherKem, len(one), one));
  assert.equal(configs.length, 1);
  assert.deepEqual(chooseConfig(configs).suite, [1, 1]);
  const code = (c) => (e) => e instanceof OHTTPError && e.code === c;
  assert.throws(() => decodeKeyConfigs(new Uint8Array(0)), code("ohttp_malformed"));
  assert.throws(() => decodeKeyConfigs(concat(len(one), one.subarray(0, 10))), code("ohttp_malformed"));
  assert.throws(() => decodeKeyConfigs(concat(Uint8Array.of(0, 99), one)), code("ohttp_malformed"));
  assert.throws(() => decodeKeyConfigs(concat(len(otherKem), otherKem)), code("key_configs_unusable"));
  const onlyUnknownSuite = concat(one.subarray(0, 35), Uint8Array.of(0, 4, 0, 2, 0, 1));
  assert.throws(() => chooseConfig([decodeKeyConfig(onlyUnknownSuite)]), code("key_configs_unusable"));
});

/** A gateway for the test: opens a request with @hpke/core's recipient context. */
async function gatewayOpen(encapsulated) {
  const aeadId = (encapsulated[5] << 8) | encapsulated[6];
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(),
    aead: aeadId === 3 ? new Chacha20Poly1305() : new Aes128Gcm() });
  const recipientKey = await suite.kem.deserializePrivateKey(hexDecode(A.gateway_private_key).buffer);
  const header = encapsulated.slice(0, 7);
  const enc = encapsulated.slice(7, 39);
  const info = concat(utf8("message/bhttp request"), Uint8Array.of(0), header);
  const recipient = await suite.createRecipientContext({ recipientKey, enc: enc.buffer, info: info.buffer });
  const plain = new Uint8Array(await recipient.open(encapsulated.slice(39).buffer));
  const n = aeadId === 3 ? 32 : 16;
  const secret = new Uint8Array(await recipient.export(utf8("message/bhttp response").buffer, n));
  return { plain, gateway: new ClientContext(encapsulated[0], aeadId, enc, secret) };
}

test("both AEADs round-trip through an independent HPKE recipient (AES-128-GCM and ChaCha20-Poly1305)", async () => {
  const config = decodeKeyConfig(hexDecode(A.key_config));
  for (const suite of [[1, 1], [1, 3]]) {
    const inner = encodeBinaryRequest({ method: "POST", scheme: "https", authority: "api.example.com",
      path: "/api/notes/?a=1", headers: [["content-type", "application/json"]], content: utf8('{"text":"x"}') });
    const { encapsulated, context } = await encapsulateRequest(config, inner, { suite });
    const { plain, gateway } = await gatewayOpen(encapsulated);
    assert.deepEqual(plain, inner);
    const answer = unhex("0140c800 1d546869 7320636f 6e74656e\n7420636f 6e746169 6e732043 524c462e\n0d0a0d07 74726169 6c657204 74657874");
    const sealed = await gateway.encapsulateResponse(answer);
    assert.deepEqual(await context.decapsulateResponse(sealed), answer);
  }
  await assert.rejects(encapsulateRequest(config, new Uint8Array(1), { suite: [1, 2] }), (e) => e.code === "key_configs_unusable");
});

// RFC 9292 Figure 3 (known-length request) and Figures 6 and 8 (responses), as printed.
const RFC_KNOWN_REQUEST = unhex(`
00034745 54056874 74707300 0a2f6865
6c6c6f2e 74787440 6c0a7573 65722d61
67656e74 34637572 6c2f372e 31362e33
206c6962 6375726c 2f372e31 362e3320
4f70656e 53534c2f 302e392e 376c207a
6c69622f 312e322e 3304686f 73740f77
77772e65 78616d70 6c652e63 6f6d0f61
63636570 742d6c61 6e677561 67650665
6e2c206d 690000`);
const RFC_INDETERMINATE_RESPONSE = unhex(`
03406607 72756e6e 696e670a 22736c65
65702031 35220040 67046c69 6e6b233c
2f737479 6c652e63 73733e3b 2072656c
3d707265 6c6f6164 3b206173 3d737479
6c65046c 696e6b24 3c2f7363 72697074
2e6a733e 3b207265 6c3d7072 656c6f61
643b2061 733d7363 72697074 0040c804
64617465 1d4d6f6e 2c203237 204a756c
20323030 39203132 3a32383a 35332047
4d540673 65727665 72064170 61636865
0d6c6173 742d6d6f 64696669 65641d57
65642c20 3232204a 756c2032 30303920
31393a31 353a3536 20474d54 04657461
67142233 34616133 38372d64 2d313536
38656230 30220d61 63636570 742d7261
6e676573 05627974 65730e63 6f6e7465
6e742d6c 656e6774 68023531 04766172
790f4163 63657074 2d456e63 6f64696e
670c636f 6e74656e 742d7479 70650a74
6578742f 706c6169 6e003348 656c6c6f
20576f72 6c642120 4d792063 6f6e7465
6e742069 6e636c75 64657320 61207472
61696c69 6e672043 524c462e 0d0a0000`);

test("Binary HTTP: RFC 9292's known-length request encoded byte for byte, its responses decoded", () => {
  const encoded = encodeBinaryRequest({ method: "GET", scheme: "https", authority: "", path: "/hello.txt", headers: [
    ["user-agent", "curl/7.16.3 libcurl/7.16.3 OpenSSL/0.9.7l zlib/1.2.3"], ["host", "www.example.com"], ["accept-language", "en, mi"]] });
  assert.deepEqual(encoded, RFC_KNOWN_REQUEST);
  const r = decodeBinaryResponse(RFC_INDETERMINATE_RESPONSE);
  assert.equal(r.status, 200);
  assert.deepEqual(r.informational.map(([s]) => s), [102, 103]);
  assert.equal(r.headers.length, 8);
  assert.equal(new TextDecoder().decode(r.content), "Hello World! My content includes a trailing CRLF.\r\n");
  const known = decodeBinaryResponse(unhex("0140c800 1d546869 7320636f 6e74656e\n7420636f 6e746169 6e732043 524c462e\n0d0a0d07 74726169 6c657204 74657874"));
  assert.deepEqual(known.trailers, [["trailer", "text"]]);
  assert.equal(decodeBinaryResponse(hexDecode("0140c8")).status, 200, "truncated after the status (§3.8)");
  const bad = (hex) => assert.throws(() => decodeBinaryResponse(hexDecode(hex)), (e) => e instanceof BinaryHttpError && e.code === "binary_http_malformed");
  bad("00"); bad("014064"); bad("0140c80100"); bad("0140c8000000000001"); bad("01");
  assert.throws(() => encodeBinaryRequest({ method: "GET", scheme: "https", authority: "h", path: "/", headers: [["x", "a\r\nb"]] }), BinaryHttpError);
  assert.throws(() => encodeBinaryRequest({ method: "G T", scheme: "https", authority: "h", path: "/" }), BinaryHttpError);
});
