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
export class MemoryKeyStore {
  /** @type {Map<string, any>} */
  #items = new Map();

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
}

/**
 * @template T
 * @param {IDBRequest<T>} request
 * @returns {Promise<T>}
 */
function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @implements {KeyStore} */
export class IndexedDBKeyStore {
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
      tx.oncomplete = () => resolve(undefined);
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
}

/** A key store for this runtime: IndexedDB where there is one, memory otherwise. */
export function defaultKeyStore() {
  return globalThis.indexedDB ? new IndexedDBKeyStore() : new MemoryKeyStore();
}
