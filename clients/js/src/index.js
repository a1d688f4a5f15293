/**
 * signed-api-client: a client for signed_api servers on WebCrypto (browsers, Node 20+,
 * Workers). RFC 9421 request signatures with RFC 9530 Content-Digest, the server's response
 * signatures verified, logins with a second factor, device-bound keys and Oblivious HTTP
 * (RFC 9458).
 * @module
 */
export { SignedApiClient, SignedResponse, UnverifiedRefusalError, DEVICE_KEY_NAME, REMEMBER_TOKEN_NAME } from "./client.js";
export { Signer, DEFAULT_COMPONENTS, newNonce } from "./signer.js";
export { DeviceKey, jwkThumbprint } from "./device.js";
export { MemoryKeyStore, IndexedDBKeyStore, defaultKeyStore } from "./keystore.js";
export { ServerKeys, importJwks, JWKS_PATH } from "./jwks.js";
export { verifyResponse, responsePolicy } from "./responses.js";
export { verifyMessage } from "./verify.js";
export { contentDigest, verifyContentDigest, DIGEST_ALGORITHMS } from "./digest.js";
export {
  ALGORITHMS, DEVICE_ALGORITHMS, ed25519Supported, importSigningKey, importVerifyingKey, signBytes, verifyBytes,
} from "./algorithms.js";
export { signatureBase, componentValue } from "./components.js";
export { requestMessage, responseMessage } from "./message.js";
export {
  decodeKeyConfigs, decodeKeyConfig, chooseConfig, encapsulateRequest, ClientContext,
  KEYS_MEDIA_TYPE, REQUEST_MEDIA_TYPE, RESPONSE_MEDIA_TYPE, GATEWAY_PATH,
} from "./ohttp.js";
export {
  encodeRequest as encodeBinaryRequest, decodeResponse as decodeBinaryResponse,
  decodeRequest as decodeBinaryRequest, encodeResponse as encodeBinaryResponse,
} from "./bhttp.js";
export { SignedApiError, SignatureError, ApiError, LoginError, OHTTPError, BinaryHttpError } from "./errors.js";
export * as bytes from "./bytes.js";
