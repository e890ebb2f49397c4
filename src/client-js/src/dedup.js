// The messageIds already handed to the application, oldest first, at most `capacity` of them.
// Mirrored to `storage` (sessionStorage: per tab, survives a reload) so a reload does not show a
// message twice; a broken or full storage only costs that persistence.
export class SeenIds {
  #ids = new Set();

  constructor(capacity, storage, key) {
    Object.assign(this, { capacity, storage, key });
    try {
      for (const id of JSON.parse(storage?.getItem(key)) ?? []) this.#ids.add(id);
    } catch {}
    this.#trim();
  }

  has(id) {
    return this.#ids.has(id);
  }

  add(id) {
    this.#ids.add(id);
    this.#trim();
    this.#save();
  }

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
