// Decrypts message bodies with WebCrypto only (browsers and Node 20 alike).
// Envelopes (see the project README, "Message envelopes and decryption"):
//   GCM: g1|base64(nonce[12] ‖ ciphertext ‖ tag[16])
//   CTR: <decimal counter>|base64(ciphertext), the counter being the initial 128-bit counter block.

const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const text = new TextDecoder();

/**
 * Returns `body => Promise<string>` for one base64 AES-256 key; keys are imported once, lazily.
 * Rejects when the envelope is malformed or (GCM) fails authentication.
 */
export function decryptor(aesKey) {
  const raw = bytes(aesKey);
  if (raw.length !== 32) throw new TypeError('aesKey must be 32 bytes of base64');
  const keys = {};
  const key = (name) => (keys[name] ??= crypto.subtle.importKey('raw', raw, name, false, ['decrypt']));
  return async (body) => {
    if (body.startsWith('g1|')) {
      const data = bytes(body.slice(3));
      const iv = data.subarray(0, 12);
      return text.decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, await key('AES-GCM'), data.subarray(12)));
    }
    const bar = body.indexOf('|');
    const digits = body.slice(0, bar);
    if (bar < 1 || !/^\d+$/.test(digits)) throw new Error('not a message envelope');
    const counter = new Uint8Array(16);
    for (let n = BigInt(digits), i = 15; i >= 0; i--, n >>= 8n) counter[i] = Number(n & 255n);
    const data = bytes(body.slice(bar + 1));
    return text.decode(await crypto.subtle.decrypt({ name: 'AES-CTR', counter, length: 128 }, await key('AES-CTR'), data));
  };
}

/** Decrypts one message body (either envelope) with a base64 AES-256 key. */
export const decrypt = (body, aesKey) => decryptor(aesKey)(body);
