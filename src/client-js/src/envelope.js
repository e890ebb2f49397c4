// Decrypts message bodies with WebCrypto only (browsers and Node 20 alike), with the session's own cipher.
// Envelopes (see the project's docs/envelopes.md):
//   GCM: g1|base64(nonce[12] ‖ ciphertext ‖ tag[16])
//   CTR: <decimal counter>|base64(ciphertext), the counter being the initial 128-bit counter block, below 2^53.
// A body in the other session's envelope is refused as tampering: GCM encrypts with the counter blocks nonce ‖ 2, 3, …,
// so a GCM body re-sent as a CTR body with the counter nonce ‖ 2 decrypts under the same key, with no tag to check,
// and whoever can put it in the queue could flip known bytes of it.

/** @param {string} b64 */
const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const text = new TextDecoder();
const CTR_COUNTER_BOUND = 2n ** 53n;

/** A body that is not what the job sends this session: another envelope, or a counter out of range. */
export class TamperingError extends Error {
  /** @override @readonly @type {'TamperingError'} */
  name = 'TamperingError';

  /** @param {string} [message] */
  constructor(message) {
    super(message);
  }
}

/** @param {string} aesKey */
const importKey = (aesKey) => {
  const raw = bytes(aesKey);
  if (raw.length !== 32) throw new TypeError('aesKey must be 32 bytes of base64');
  return raw;
};

/**
 * Returns `body => Promise<string>` for one session: its base64 AES-256 key and its cipher, `gcm` or `ctr` (the
 * session's `cipher`; sessions of the original system, which have none, are `ctr`). Rejects with a TamperingError
 * when the body is not in the session's envelope, and when it is malformed or (GCM) fails authentication.
 * @param {string} aesKey
 * @param {'gcm' | 'ctr'} cipher
 * @returns {(body: string) => Promise<string>}
 */
export function decryptor(aesKey, cipher) {
  if (cipher !== 'gcm' && cipher !== 'ctr') throw new TypeError("cipher must be the session's: 'gcm' or 'ctr'");
  const raw = importKey(aesKey);
  /** @type {Promise<CryptoKey> | undefined} */
  let key;
  const imported = () => (key ??= crypto.subtle.importKey('raw', raw, cipher === 'gcm' ? 'AES-GCM' : 'AES-CTR', false, ['decrypt']));
  return async (body) => {
    const gcmBody = body.startsWith('g1|');
    if (gcmBody !== (cipher === 'gcm')) {
      throw new TamperingError(`a ${gcmBody ? 'GCM' : 'non-GCM'} body on a ${cipher.toUpperCase()} session: not sent by the job`);
    }
    if (gcmBody) {
      const data = bytes(body.slice(3));
      return text.decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(0, 12) }, await imported(), data.subarray(12)));
    }
    const bar = body.indexOf('|');
    const digits = body.slice(0, bar);
    if (bar < 1 || !/^\d+$/.test(digits)) throw new Error('not a message envelope');
    if (BigInt(digits) >= CTR_COUNTER_BOUND) throw new TamperingError('a CTR counter of 2^53 or more: not sent by the job');
    const counter = new Uint8Array(16);
    for (let n = BigInt(digits), i = 15; i >= 0; i--, n >>= 8n) counter[i] = Number(n & 255n);
    const data = bytes(body.slice(bar + 1));
    return text.decode(await crypto.subtle.decrypt({ name: 'AES-CTR', counter, length: 128 }, await imported(), data));
  };
}

/**
 * Decrypts one message body with a session's base64 AES-256 key and cipher (`gcm` or `ctr`).
 * @param {string} body
 * @param {string} aesKey
 * @param {'gcm' | 'ctr'} cipher
 * @returns {Promise<string>}
 */
export const decrypt = (body, aesKey, cipher) => decryptor(aesKey, cipher)(body);

/**
 * What the polling tab posts on the session's channel for the other tabs: the body as it came from the queue, which
 * tab relayed it (`tab`, random per tab) as its `seq`th relay, and when (`relayedAt`, epoch ms).
 * @typedef {object} Relay
 * @property {string} tab
 * @property {number} seq
 * @property {number} relayedAt
 * @property {number} sentTimestamp
 * @property {string} sequence the message's place in its session's sequence, as the queue gave it ('' for none)
 * @property {string} body
 */

/**
 * Signs what the polling tab relays, and checks what the other tabs relay.
 * @typedef {object} RelayAuthenticator
 * @property {(relay: Relay) => Promise<Uint8Array>} sign the MAC of a relay
 * @property {(relay: Relay, mac: unknown) => Promise<boolean>} verify whether `mac` is it
 */

/**
 * Signs and checks what one tab relays to the others: an HMAC-SHA256 under a key derived from the session's key
 * (HKDF-SHA256, info "sqs-browser-events tab relay v2") over the whole relay, so that a tab accepts only what a tab of
 * the session relayed, as it relayed it: not whatever another script of the origin posts on the channel, and (with the
 * relaying tab, its sequence number and the time, which the receiving tab checks) not a relay replayed later.
 * @param {string} aesKey
 * @returns {RelayAuthenticator}
 */
export function relayAuthenticator(aesKey) {
  const raw = importKey(aesKey);
  /** @type {Promise<CryptoKey> | undefined} */
  let key;
  const hmacKey = () =>
    (key ??= crypto.subtle
      .importKey('raw', raw, 'HKDF', false, ['deriveKey'])
      .then((base) =>
        crypto.subtle.deriveKey(
          { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: new TextEncoder().encode('sqs-browser-events tab relay v2') },
          base,
          { name: 'HMAC', hash: 'SHA-256', length: 256 },
          false,
          ['sign', 'verify'],
        ),
      ));
  // Every field but the body is a number, or a tab name or sequence without '|', and the body comes last: one reading only.
  /** @type {(relay: Relay) => Uint8Array<ArrayBuffer>} */
  const data = ({ tab, seq, relayedAt, sentTimestamp, sequence, body }) =>
    new TextEncoder().encode(`v2|${tab}|${seq}|${relayedAt}|${sentTimestamp}|${sequence}|${body}`);
  return {
    sign: async (relay) => new Uint8Array(await crypto.subtle.sign('HMAC', await hmacKey(), data(relay))),
    verify: async (relay, mac) =>
      // A copy: WebCrypto rejects a view of a SharedArrayBuffer, which a channel can deliver (cross-origin isolated pages).
      mac instanceof Uint8Array && !relay.tab.includes('|') && !relay.sequence.includes('|')
        && crypto.subtle.verify('HMAC', await hmacKey(), new Uint8Array(mac), data(relay)),
  };
}
