/** A key store for this runtime: IndexedDB where there is one, memory otherwise. */
export function defaultKeyStore(): MemoryKeyStore | IndexedDBKeyStore;
/**
 * Where device keys (and the remember token bound to them) are kept: a small async interface
 * (`get`, `set`, `delete`), with an IndexedDB implementation for browsers, where a
 * non-extractable `CryptoKey` is stored as itself (structured clone) and so never leaves
 * WebCrypto, and an in-memory one for Node, Workers and tests.
 * @module
 */
/**
 * @typedef {object} KeyStore
 * @property {(name: string) => Promise<any>} get     the value, or undefined
 * @property {(name: string, value: any) => Promise<void>} set
 * @property {(name: string) => Promise<void>} delete
 */
/** @implements {KeyStore} */
export class MemoryKeyStore implements KeyStore {
    /** @param {string} name */
    get(name: string): Promise<any>;
    /** @param {string} name @param {any} value */
    set(name: string, value: any): Promise<void>;
    /** @param {string} name */
    delete(name: string): Promise<void>;
    #private;
}
/** @implements {KeyStore} */
export class IndexedDBKeyStore implements KeyStore {
    /**
     * @param {{ database?: string, store?: string, indexedDB?: IDBFactory }} [options]
     */
    constructor(options?: {
        database?: string;
        store?: string;
        indexedDB?: IDBFactory;
    });
    database: string;
    store: string;
    factory: IDBFactory;
    /** @param {string} name */
    get(name: string): Promise<any>;
    /** @param {string} name @param {any} value */
    set(name: string, value: any): Promise<void>;
    /** @param {string} name */
    delete(name: string): Promise<void>;
    #private;
}
export type KeyStore = {
    /**
     * the value, or undefined
     */
    get: (name: string) => Promise<any>;
    set: (name: string, value: any) => Promise<void>;
    delete: (name: string) => Promise<void>;
};
