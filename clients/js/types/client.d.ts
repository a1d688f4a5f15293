/** Where a key store keeps the device key and the remember token bound to it. */
export const DEVICE_KEY_NAME: "device";
export const REMEMBER_TOKEN_NAME: "remember_token";
/**
 * The outcome of a response's signature check.
 * @typedef {object} Verification
 * @property {boolean} verified
 * @property {string | null} code       why not (a SignatureError code), or null
 * @property {string | null} keyId      the key that signed (the request's, or the server's `srv_…`)
 * @property {string | null} algorithm
 * @property {string | null} detail
 * @property {boolean} signed           whether the response carried a signature at all
 */
/** A response, its body already read, with the result of its signature check. */
export class SignedResponse {
    /**
     * @param {{ status: number, statusText?: string, headers: Array<[string, string]>, body: Uint8Array,
     *           url: string, request: Message | null, verification: Verification, viaOhttp: boolean }} init
     */
    constructor(init: {
        status: number;
        statusText?: string;
        headers: Array<[string, string]>;
        body: Uint8Array;
        url: string;
        request: Message | null;
        verification: Verification;
        viaOhttp: boolean;
    });
    /** @type {number} */
    status: number;
    /** @type {string} */
    statusText: string;
    /** @type {Array<[string, string]>} field lines, names lower case */
    headerLines: Array<[string, string]>;
    /** @type {Headers} */
    headers: Headers;
    /** @type {Uint8Array} */
    body: Uint8Array;
    /** @type {string} */
    url: string;
    /** @type {Message | null} the request as signed */
    request: Message | null;
    /** @type {Verification} */
    verification: Verification;
    /** @type {boolean} */
    viaOhttp: boolean;
    get ok(): boolean;
    text(): Promise<string>;
    /** @returns {Promise<any>} */
    json(): Promise<any>;
    arrayBuffer(): Promise<ArrayBuffer>;
    /** The server's error as an {@link ApiError} (`code` from the JSON body), or null when ok. */
    error(): ApiError | null;
    /** This response when ok; the server's {@link ApiError} otherwise. */
    ensureOk(): this;
}
/**
 * A refusal (a non-2xx answer) whose signature is missing or does not verify, when the client
 * requires signed refusals: its claimed `code` cannot be trusted. `code` is
 * `refusal_unverified`; `claimedCode` is what the body said, `verification` why it failed.
 */
export class UnverifiedRefusalError extends ApiError {
    /**
     * @param {SignedResponse} response
     */
    constructor(response: SignedResponse);
    /** @type {string | null} */
    claimedCode: string | null;
    /** @type {Verification} */
    verification: Verification;
    /** @type {string | null} the check that failed (as the Python client's `reason`) */
    reason: string | null;
    /** @type {SignedResponse} */
    response: SignedResponse;
}
/**
 * @typedef {object} Session
 * @property {string} id
 * @property {Signer} signer          signs requests as this session
 * @property {string} algorithm
 * @property {string | null} expiresAt
 * @property {number | null} idleTimeout
 * @property {string | null} rememberToken
 * @property {boolean} deviceBound
 * @property {string | null} keyThumbprint
 * @property {DeviceKey | null} deviceKey
 */
/**
 * @typedef {object} Challenge
 * @property {string} id            public (it goes in the URL)
 * @property {string[]} methods
 * @property {string | null} expiresAt
 * @property {number | null} attemptsRemaining
 * @property {DeviceKey | null} deviceKey   the key the session will be bound to
 */
/**
 * @typedef {{ status: "session", session: Session } | { status: "challenge", challenge: Challenge }} LoginResult
 */
/**
 * @typedef {object} OhttpOptions
 * @property {string} [gatewayUrl]  default: the origin's /.well-known/ohttp-gateway
 * @property {string} [relayUrl]    post the encapsulated requests there instead
 * @property {number} [padding]     pad each inner request to a multiple of this many bytes
 * @property {import("./ohttp.js").KeyConfig[]} [keyConfigs]  obtained out of band
 */
/**
 * @typedef {object} ClientOptions
 * @property {string} baseUrl                 the server's origin (or any URL on it)
 * @property {string} [authPath]              where signed_api.urls is mounted (default /api/auth/)
 * @property {string} [jwksPath]              default /.well-known/signed-api/keys
 * @property {Signer | null} [auth]           signs every request (set by a login)
 * @property {"require" | "report" | false} [verifyResponses]
 *   `require` (default): a 2xx answer to a signed request that does not verify throws a
 *   SignatureError; `report`: the result is only in `response.verification`; false: no check
 * @property {boolean} [requireSignedRefusals] a refusal (4xx, 5xx) that does not verify throws
 *   {@link UnverifiedRefusalError} instead of being returned, so nothing acts on an injected one
 *   (default true, with `verifyResponses: "require"`; false for servers that do not sign refusals)
 * @property {boolean} [requireSignedAnswers] every answer must verify, those of unsigned requests
 *   (a login) too, by the server key: implies requireSignedRefusals (for servers that sign every answer)
 * @property {OhttpOptions | boolean} [ohttp] send every request through the gateway
 * @property {KeyStore} [keyStore]            device keys (default IndexedDB in a browser, memory elsewhere)
 * @property {typeof fetch} [fetch]
 * @property {RequestCredentials} [credentials]  e.g. "omit": signed requests need no cookie
 * @property {ServerKeys} [serverKeys]        a shared cache of the server's keys
 * @property {number} [clockSkew]             seconds a response's `created` may be off (default 300)
 * @property {string} [deviceAlgorithm]       `ecdsa-p256-sha256` (default) or `ed25519`
 * @property {boolean} [correctClock]         on a 401 `clock_skew` naming `server_time`, set the
 *   signer's clock offset from it and send the request once more, signed anew (default true)
 */
export class SignedApiClient {
    /** @param {ClientOptions} options */
    constructor(options: ClientOptions);
    /** @type {string} */
    origin: string;
    /** @type {string} */
    baseUrl: string;
    /** @type {string} */
    authPath: string;
    /** @type {Signer | null} */
    auth: Signer | null;
    /** @type {"require" | "report" | false} */
    verifyResponses: "require" | "report" | false;
    /** @type {boolean} */
    requireSignedAnswers: boolean;
    /** @type {boolean} */
    requireSignedRefusals: boolean;
    /** @type {KeyStore} */
    keyStore: KeyStore;
    /** @type {typeof fetch} */
    fetch: typeof fetch;
    /** @type {RequestCredentials | undefined} */
    credentials: RequestCredentials | undefined;
    /** @type {number} */
    clockSkew: number;
    /** @type {string} */
    deviceAlgorithm: string;
    /** @type {boolean} */
    correctClock: boolean;
    /** @type {ServerKeys} */
    serverKeys: ServerKeys;
    /** @type {Required<Pick<OhttpOptions, "gatewayUrl" | "padding">> & OhttpOptions | null} */
    ohttp: (Required<Pick<OhttpOptions, "gatewayUrl" | "padding">> & OhttpOptions) | null;
    /** @type {Session | null} the session of the last login here */
    session: Session | null;
    /** @param {Signer | null} signer */
    setAuth(signer: Signer | null): void;
    /** @param {string | URL} path */
    url(path: string | URL): string;
    /** @param {string} path under the auth mount */
    authUrl(path: string): string;
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
    request(path: string | URL, options?: {
        method?: string;
        headers?: HeadersInit;
        body?: string | Uint8Array | ArrayBuffer | null;
        json?: unknown;
        signed?: boolean;
        signer?: Signer | null;
        signal?: AbortSignal;
        verifyResponses?: "require" | "report" | false;
    }): Promise<SignedResponse>;
    /**
     * A request whose answer must be a 2xx: its JSON body (null when empty). A refusal is thrown
     * as the server's {@link ApiError} (its `code`).
     * @param {string | URL} path
     * @param {Parameters<SignedApiClient["request"]>[1]} [options]
     */
    json(path: string | URL, options?: Parameters<SignedApiClient["request"]>[1]): Promise<any>;
    /**
     * The device key of this key store, made (and stored) when there is none yet.
     * @param {{ create?: boolean, algorithm?: string }} [options]
     * @returns {Promise<DeviceKey | null>}
     */
    deviceKey(options?: {
        create?: boolean;
        algorithm?: string;
    }): Promise<DeviceKey | null>;
    /** Forget this store's device key (and the remember token bound to it). */
    forgetDeviceKey(): Promise<void>;
    /**
     * `POST sessions/`: 201 (a session, set as this client's `auth`) or 202 (a challenge: answer
     * it with {@link verifyCode}, or give `codePrompt` and it is asked for here, again after a
     * wrong code while attempts remain).
     * @param {{ username: string, password: string, remember?: boolean, deviceName?: string,
     *           deviceKey?: boolean | DeviceKey, deviceAlgorithm?: string,
     *           codePrompt?: (challenge: Challenge) => string | Promise<string> }} options
     * @returns {Promise<LoginResult>}
     */
    login(options: {
        username: string;
        password: string;
        remember?: boolean;
        deviceName?: string;
        deviceKey?: boolean | DeviceKey;
        deviceAlgorithm?: string;
        codePrompt?: (challenge: Challenge) => string | Promise<string>;
    }): Promise<LoginResult>;
    /**
     * `POST sessions/{id}/verify/` with a TOTP or recovery code. A wrong code is `LoginError`
     * `otp_invalid` (with `attemptsRemaining`); the challenge stays usable while attempts remain.
     * @param {Challenge} challenge
     * @param {string} code
     * @returns {Promise<LoginResult>}
     */
    verifyCode(challenge: Challenge, code: string): Promise<LoginResult>;
    /**
     * Trade a remember token for a new session (and a rotated token). A token bound to a device
     * key is sent in a request signed by that key (`keyid`: its thumbprint). `token` defaults to
     * the one the key store keeps for its device key.
     * @param {{ token?: string, deviceKey?: boolean | DeviceKey, newDeviceKey?: DeviceKey, deviceName?: string }} [options]
     * @returns {Promise<LoginResult>}
     */
    exchangeRememberToken(options?: {
        token?: string;
        deviceKey?: boolean | DeviceKey;
        newDeviceKey?: DeviceKey;
        deviceName?: string;
    }): Promise<LoginResult>;
    /**
     * End a session (`DELETE sessions/{id}/`, signed by it): its key stops working at once.
     * @param {Session | null} [session] default: this client's last login
     */
    logout(session?: Session | null): Promise<SignedResponse>;
    /** The caller's live sessions (`GET sessions/`). */
    sessions(): Promise<any>;
    /**
     * End every other session of the caller and every remember family but its own
     * (`DELETE sessions/`); resolves with how many ended.
     * @returns {Promise<number>}
     */
    logoutOthers(): Promise<number>;
    /**
     * Start enrolling a TOTP device (`POST totp/`): `{ otpauth_uri, qr_svg }` for an
     * authenticator app. Nothing is required at login until {@link totpConfirm} succeeds.
     * @returns {Promise<{ otpauth_uri: string, qr_svg?: string }>}
     */
    totpEnable(): Promise<{
        otpauth_uri: string;
        qr_svg?: string;
    }>;
    /**
     * Confirm the new device with a current code (`POST totp/confirm/`): the recovery codes,
     * shown this once. From now on a login needs a second factor.
     * @param {string} code
     * @returns {Promise<string[]>}
     */
    totpConfirm(code: string): Promise<string[]>;
    /**
     * Remove the device (`DELETE totp/`) with a current code or a recovery code.
     * @param {string} code
     */
    totpDisable(code: string): Promise<void>;
    #private;
}
export type KeyStore = import("./keystore.js").KeyStore;
export type Message = import("./message.js").Message;
/**
 * The outcome of a response's signature check.
 */
export type Verification = {
    verified: boolean;
    /**
     * why not (a SignatureError code), or null
     */
    code: string | null;
    /**
     * the key that signed (the request's, or the server's `srv_…`)
     */
    keyId: string | null;
    algorithm: string | null;
    detail: string | null;
    /**
     * whether the response carried a signature at all
     */
    signed: boolean;
};
export type Session = {
    id: string;
    /**
     * signs requests as this session
     */
    signer: Signer;
    algorithm: string;
    expiresAt: string | null;
    idleTimeout: number | null;
    rememberToken: string | null;
    deviceBound: boolean;
    keyThumbprint: string | null;
    deviceKey: DeviceKey | null;
};
export type Challenge = {
    /**
     * public (it goes in the URL)
     */
    id: string;
    methods: string[];
    expiresAt: string | null;
    attemptsRemaining: number | null;
    /**
     * the key the session will be bound to
     */
    deviceKey: DeviceKey | null;
};
export type LoginResult = {
    status: "session";
    session: Session;
} | {
    status: "challenge";
    challenge: Challenge;
};
export type OhttpOptions = {
    /**
     * default: the origin's /.well-known/ohttp-gateway
     */
    gatewayUrl?: string | undefined;
    /**
     * post the encapsulated requests there instead
     */
    relayUrl?: string | undefined;
    /**
     * pad each inner request to a multiple of this many bytes
     */
    padding?: number | undefined;
    /**
     * obtained out of band
     */
    keyConfigs?: import("./ohttp.js").KeyConfig[] | undefined;
};
export type ClientOptions = {
    /**
     * the server's origin (or any URL on it)
     */
    baseUrl: string;
    /**
     * where signed_api.urls is mounted (default /api/auth/)
     */
    authPath?: string | undefined;
    /**
     * default /.well-known/signed-api/keys
     */
    jwksPath?: string | undefined;
    /**
     * signs every request (set by a login)
     */
    auth?: Signer | null | undefined;
    /**
     * `require` (default): a 2xx answer to a signed request that does not verify throws a
     * SignatureError; `report`: the result is only in `response.verification`; false: no check
     */
    verifyResponses?: false | "require" | "report" | undefined;
    /**
     * a refusal (4xx, 5xx) that does not verify throws
     * {@link UnverifiedRefusalError} instead of being returned, so nothing acts on an injected one
     * (default true, with `verifyResponses: "require"`; false for servers that do not sign refusals)
     */
    requireSignedRefusals?: boolean | undefined;
    /**
     * every answer must verify, those of unsigned requests
     * (a login) too, by the server key: implies requireSignedRefusals (for servers that sign every answer)
     */
    requireSignedAnswers?: boolean | undefined;
    /**
     * send every request through the gateway
     */
    ohttp?: boolean | OhttpOptions | undefined;
    /**
     * device keys (default IndexedDB in a browser, memory elsewhere)
     */
    keyStore?: import("./keystore.js").KeyStore | undefined;
    fetch?: typeof fetch | undefined;
    /**
     * e.g. "omit": signed requests need no cookie
     */
    credentials?: RequestCredentials | undefined;
    /**
     * a shared cache of the server's keys
     */
    serverKeys?: ServerKeys | undefined;
    /**
     * seconds a response's `created` may be off (default 300)
     */
    clockSkew?: number | undefined;
    /**
     * `ecdsa-p256-sha256` (default) or `ed25519`
     */
    deviceAlgorithm?: string | undefined;
    /**
     * on a 401 `clock_skew` naming `server_time`, set the
     * signer's clock offset from it and send the request once more, signed anew (default true)
     */
    correctClock?: boolean | undefined;
};
import { ApiError } from "./errors.js";
import { Signer } from "./signer.js";
import { ServerKeys } from "./jwks.js";
import { DeviceKey } from "./device.js";
