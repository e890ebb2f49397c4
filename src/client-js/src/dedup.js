// The messageIds already handed to the application, oldest first, at most `capacity` of them.
// Mirrored to `storage` (sessionStorage: per tab, survives a reload) so a reload does not show a
// message twice; a broken or full storage only costs that persistence.
/** @import { StorageLike } from '../index.js' */

export class SeenIds {
  /** @type {Set<string>} */
  #ids = new Set();

  /**
   * @param {number} capacity
   * @param {StorageLike | null} storage
   * @param {string} key
   */
  constructor(capacity, storage, key) {
    this.capacity = capacity;
    this.storage = storage;
    this.key = key;
    try {
      for (const id of JSON.parse(storage?.getItem(key) ?? 'null') ?? []) this.#ids.add(id);
    } catch {}
    this.#trim();
  }

  /** @param {string} id */
  has(id) {
    return this.#ids.has(id);
  }

  /** @param {string} id */
  add(id) {
    this.#ids.add(id);
    this.#trim();
    this.#save();
  }

  /** @param {string} id */
  delete(id) {
    if (this.#ids.delete(id)) this.#save();
  }

  #trim() {
    for (const id of this.#ids) {
      if (this.#ids.size <= this.capacity) break;
      this.#ids.delete(id);
    }
  }

  #save() {
    try {
      this.storage?.setItem(this.key, JSON.stringify([...this.#ids]));
    } catch {}
  }
}
