import { test } from "node:test";
import assert from "node:assert/strict";
import { contentDigest, verifyContentDigest, SignatureError } from "../src/index.js";
import { utf8 } from "../src/bytes.js";
import { repoVector } from "./helpers.js";

const vectors = repoVector("rfc9530_digests.json").vectors.filter((v) => v.field === "Content-Digest");

test("RFC 9530 and RFC 9421 Content-Digest examples verify against their bodies", async () => {
  assert.ok(vectors.length >= 5);
  for (const v of vectors) {
    assert.match(await verifyContentDigest(v.value, utf8(v.body)), /^sha-(256|512)$/, v.id);
  }
});

test("contentDigest makes sha-256 and sha-512 members as the core does", async () => {
  assert.equal(await contentDigest(utf8('{"text": "hello"}')), "sha-256=:/mPPk2noR+qscTksvn94oOnKtNwvIelq9M5HjjrHuxs=:");
  const single = vectors.find((v) => v.id === "rfc9530-2-single");
  assert.equal(await contentDigest(utf8(single.body), ["sha-512"]), single.value);
  const both = await contentDigest(utf8("x"), ["sha-256", "sha-512"]);
  assert.equal(await verifyContentDigest(both, utf8("x")), "sha-256");
  await assert.rejects(contentDigest(utf8("x"), ["md5"]), TypeError);
});

test("a mismatch, a field without a supported member, and a bad member are refused by code", async () => {
  const code = (c) => (e) => e instanceof SignatureError && e.code === c;
  const good = await contentDigest(utf8("a"));
  await assert.rejects(verifyContentDigest(good, utf8("b")), code("digest_mismatch"));
  await assert.rejects(verifyContentDigest(`${good}, sha-512=:AAAA:`, utf8("a")), code("digest_mismatch"));
  await assert.rejects(verifyContentDigest("md5=:AAAA:", utf8("a")), code("digest_missing"));
  await assert.rejects(verifyContentDigest(null, utf8("a")), code("digest_missing"));
  await assert.rejects(verifyContentDigest("sha-256=abc", utf8("a")), code("signature_malformed"));
  await assert.rejects(verifyContentDigest("sha-256=:", utf8("a")), code("signature_malformed"));
  assert.equal(await verifyContentDigest(`md5=:AAAA:, ${good}`, utf8("a")), "sha-256");
});
