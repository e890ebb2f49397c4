// Whether a session's client has seen every message the job numbered for it. The job numbers each message to a
// session from 1 (the SQS message attribute `seq`: `<epoch, 8 hex digits>:<n>`; a job that lost its state numbers
// under a new epoch), and leaves numbers unused for what it knows the session will never get (a rewind cut at its
// bound), which the next message says (`~<k>`: the k numbers before it). So a number that does not arrive is a message
// the client missed: dead-lettered, expired in the queue while nobody polled, deleted by someone else. A standard
// queue may hand messages over out of order, and a message may be invisible for a while (received by a tab that
// closed): a missing number is a gap only once it has stayed missing for `waitMs`. A client that knows nothing of the
// session yet starts with the first number it sees (what came before is the history's).
/** @import { StorageLike } from '../index.js' */

const SEQUENCE = /^([0-9a-f]{8}):([1-9][0-9]{0,15})(?:~([1-9][0-9]{0,15}))?$/;

/**
 * A message's place in its session's sequence, and how many numbers before it were left unused; null when it carries
 * none (or not in this shape).
 * @param {unknown} sequence
 * @returns {{ epoch: string, n: number, skipped: number } | null}
 */
export function parseSequence(sequence) {
  const m = typeof sequence === 'string' ? SEQUENCE.exec(sequence) : null;
  if (!m) return null;
  const n = Number(m[2]);
  const skipped = Number(m[3] ?? 0);
  return skipped < n ? { epoch: String(m[1]), n, skipped } : null;
}

/**
 * What is known missing: numbers `from`..`to` of the sequence that never arrived (`missing`) or that the job left
 * unused (`cut`: events the session asked for and will not get), or a new `epoch` (the job lost its state: what it sent
 * meanwhile cannot be told).
 * @typedef {{ reason: 'missing' | 'cut', from: number, to: number } | { reason: 'epoch', previous: string, epoch: string }} Gap
 */

export class SequenceTracker {
  /** @type {string | null} */
  #epoch = null;
  /** Every number up to here was seen or reported missing. */
  #through = 0;
  /** @type {Set<number>} numbers seen above `#through` */
  #above = new Set();
  /** @type {Set<string>} epochs left behind: a late message of one is not a new epoch */
  #past = new Set();
  #holeSince = 0;

  /**
   * @param {StorageLike | null} storage where the position is kept (the tab's: it survives a reload)
   * @param {string} key
   */
  constructor(storage, key) {
    this.storage = storage;
    this.key = key;
    try {
      const kept = JSON.parse(storage?.getItem(key) ?? 'null');
      if (kept && typeof kept.epoch === 'string' && Number.isSafeInteger(kept.through)) {
        this.#epoch = kept.epoch;
        this.#through = kept.through;
      }
    } catch {}
  }

  /**
   * A message with this sequence was received (or relayed). Answers the gaps it shows at once (a new epoch, numbers
   * the job left unused), none when it shows none.
   * @param {unknown} sequence
   * @param {number} now
   * @returns {Gap[]}
   */
  seen(sequence, now) {
    const s = parseSequence(sequence);
    if (!s || this.#past.has(s.epoch)) return [];
    /** @type {Gap[]} */
    const gaps = [];
    if (this.#epoch === null) {
      this.#start(s.epoch, s.n - 1 - s.skipped);
    } else if (s.epoch !== this.#epoch) {
      gaps.push({ reason: 'epoch', previous: this.#epoch, epoch: s.epoch });
      this.#past.add(this.#epoch);
      this.#start(s.epoch, 0);
    }
    if (s.n > this.#through && !this.#above.has(s.n)) {
      // Numbers left unused are not waited for: they are reported as they are learnt of, and are accounted for.
      const from = Math.max(this.#through + 1, s.n - s.skipped);
      if (s.skipped && from < s.n && !this.#anyAbove(from, s.n - 1)) {
        gaps.push({ reason: 'cut', from, to: s.n - 1 });
        for (let i = from; i < s.n; i++) this.#above.add(i);
      }
      this.#above.add(s.n);
      this.#advance(now);
    }
    return gaps;
  }

  /**
   * @param {number} from
   * @param {number} to
   */
  #anyAbove(from, to) {
    for (const n of this.#above) if (n >= from && n <= to) return true;
    return false;
  }

  /**
   * The numbers that have stayed missing for `waitMs` by `now` (then counted as reported), or null.
   * @param {number} now
   * @param {number} waitMs
   * @returns {Gap | null}
   */
  due(now, waitMs) {
    if (!this.#above.size || now - this.#holeSince < waitMs) return null;
    const next = Math.min(...this.#above);
    /** @type {Gap} */
    const gap = { reason: 'missing', from: this.#through + 1, to: next - 1 };
    this.#through = next - 1;
    this.#holeSince = 0; // the holes left, if any, are waited for from now
    this.#advance(now);
    return gap;
  }

  /**
   * When the oldest hole becomes a gap (epoch ms), or null when none is open.
   * @param {number} waitMs
   */
  dueAt(waitMs) {
    return this.#above.size ? this.#holeSince + waitMs : null;
  }

  /**
   * @param {string} epoch
   * @param {number} through
   */
  #start(epoch, through) {
    this.#epoch = epoch;
    this.#through = through;
    this.#above.clear();
  }

  /** @param {number} now */
  #advance(now) {
    while (this.#above.delete(this.#through + 1)) this.#through++;
    if (!this.#above.size) this.#holeSince = 0;
    else if (!this.#holeSince) this.#holeSince = now;
    try {
      this.storage?.setItem(this.key, JSON.stringify({ epoch: this.#epoch, through: this.#through }));
    } catch {}
  }
}
