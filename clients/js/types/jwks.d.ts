/**
 * The verifying keys of a JWKS document: `kid` to `CryptoKey` (only `OKP`/`Ed25519` keys for
 * signing; others are skipped).
 * @param {any} jwks
 * @returns {Promise<Map<string, CryptoKey>>}
 */
export function importJwks(jwks: any): Promise<Map<string, CryptoKey>>;
/** Where the keys are, on the server's origin. */
export const JWKS_PATH: "/.well-known/signed-api/keys";
/**
 * @typedef {object} ServerKeysOptions
 * @property {string} [url]         the JWKS URL (absolute)
 * @property {any} [jwks]           a JWKS document obtained out of band (then nothing is fetched until an unknown kid)
 * @property {typeof fetch} [fetch]
 * @property {RequestCredentials} [credentials]
 * @property {number} [maxAge]      seconds a fetched JWKS is used (default 3600)
 * @property {number} [minRefresh]  seconds from one fetch attempt (failed or not) to the next (default 10)
 */
/** A cache of the server's keys. `get(kid)` fetches when needed. */
export class ServerKeys {
    /** @param {ServerKeysOptions} options */
    constructor(options?: ServerKeysOptions);
    url: string | null;
    /** @type {typeof fetch} */
    fetch: typeof fetch;
    credentials: RequestCredentials | undefined;
    maxAge: number;
    minRefresh: number;
    /** How many times the JWKS was fetched (tests and logs). */
    fetches: number;
    /** Fetch the JWKS now (once at a time). */
    refresh(): Promise<void>;
    /**
     * The key named `kid`, or null when the server does not have it (even after a fetch).
     * @param {string} kid
     * @returns {Promise<CryptoKey | null>}
     */
    get(kid: string): Promise<CryptoKey | null>;
    /** The kids held now. */
    kids(): string[];
    #private;
}
export type ServerKeysOptions = {
    /**
     * the JWKS URL (absolute)
     */
    url?: string | undefined;
    /**
     * a JWKS document obtained out of band (then nothing is fetched until an unknown kid)
     */
    jwks?: any;
    fetch?: typeof fetch | undefined;
    credentials?: RequestCredentials | undefined;
    /**
     * seconds a fetched JWKS is used (default 3600)
     */
    maxAge?: number | undefined;
    /**
     * seconds from one fetch attempt (failed or not) to the next (default 10)
     */
    minRefresh?: number | undefined;
};
