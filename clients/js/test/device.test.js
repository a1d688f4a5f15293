import { test } from "node:test";
import assert from "node:assert/strict";
import { DeviceKey, MemoryKeyStore, jwkThumbprint, ed25519Supported } from "../src/index.js";

test("RFC 7638 thumbprints: the RFC's RSA example and RFC 8037 A.3's Ed25519 key", async () => {
  assert.equal(await jwkThumbprint({ kty: "RSA", e: "AQAB", alg: "RS256", kid: "2011-04-29",
    n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw" }),
  "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  assert.equal(await jwkThumbprint({ kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }),
    "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
});

test("a device key is non-extractable; its registration is the public JWK only", async () => {
  const key = await DeviceKey.generate();
  assert.equal(key.keyPair.privateKey.extractable, false);
  await assert.rejects(crypto.subtle.exportKey("jwk", key.keyPair.privateKey));
  const reg = key.registration();
  assert.deepEqual(Object.keys(reg.public_key).sort(), ["crv", "kty", "x", "y"]);
  assert.equal(reg.algorithm, "ecdsa-p256-sha256");
  assert.equal(key.thumbprint, await jwkThumbprint(reg.public_key));
  assert.ok(!("d" in reg.public_key));
  if (await ed25519Supported()) {
    const ed = await DeviceKey.generate("ed25519");
    assert.deepEqual(Object.keys(ed.jwk).sort(), ["crv", "kty", "x"]);
  }
  await assert.rejects(DeviceKey.generate("hmac-sha256"), TypeError);
});

test("a key store keeps the CryptoKeyPair itself and gives back the same key", async () => {
  const store = new MemoryKeyStore();
  const key = await DeviceKey.generate();
  await store.set("device", key.toStored());
  const back = await DeviceKey.fromStored(await store.get("device"));
  assert.equal(back.thumbprint, key.thumbprint);
  assert.equal(back.keyPair.privateKey, key.keyPair.privateKey);
  await store.delete("device");
  assert.equal(await DeviceKey.fromStored(await store.get("device")), null);
});
