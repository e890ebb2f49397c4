import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decrypt, TamperingError } from '../src/index.js';
import { encryptCtr, encryptGcm, gcmAsCtr, newKey } from '../test-support/helpers.js';

test('CTR known answer of the original system', async () => {
  assert.equal(await decrypt('9734675727|nw7xCnVR0m/YrGgG', 'LkWUsGQKi8E9QoMJEeY1HLL8rdJNJr3fzDp+F9CpkCY=', 'ctr'), 'this is test');
});

test('CTR and GCM round trips with the session cipher, including counters near 2^53 and unicode', async () => {
  const key = newKey();
  const text = JSON.stringify({ messageId: 'm1', message: 'héllo ✓' });
  assert.equal(await decrypt(await encryptCtr(key, text, 2n ** 53n - 1n), key, 'ctr'), text);
  assert.equal(await decrypt(await encryptCtr(key, text, 0n), key, 'ctr'), text);
  assert.equal(await decrypt(await encryptGcm(key, text), key, 'gcm'), text);
});

test('tampered, truncated or foreign GCM bodies are refused', async () => {
  const key = newKey();
  const body = await encryptGcm(key, '{"messageId":"m1"}');
  const raw = Buffer.from(body.slice(3), 'base64');
  raw[20] ^= 1;
  await assert.rejects(decrypt('g1|' + raw.toString('base64'), key, 'gcm'));
  await assert.rejects(decrypt('g1|' + Buffer.from(body.slice(3), 'base64').subarray(0, 20).toString('base64'), key, 'gcm'));
  await assert.rejects(decrypt(body, newKey(), 'gcm'));
});

test('the downgrade attack: a GCM body re-sent as CTR with counter nonce ‖ 2, bytes flipped, is refused as tampering', async () => {
  const key = newKey();
  const body = await encryptGcm(key, '{"messageId":"pay","amount":"100"}');
  const forged = gcmAsCtr(body, { at: '{"messageId":"pay","amount":"'.length, from: '100', to: '999' });
  // What a client that picks the cipher from the body (and reads any counter) would show: the key decrypts it.
  assert.equal(await naiveCtr(forged, key), '{"messageId":"pay","amount":"999"}');
  await assert.rejects(decrypt(forged, key, 'gcm'), TamperingError);
  await assert.rejects(decrypt(forged, key, 'ctr'), TamperingError, 'its counter is beyond 2^53 too');
  await assert.rejects(decrypt(body, key, 'ctr'), TamperingError, 'nor a GCM body on a CTR session');
});

async function naiveCtr(body, aesKey) {
  const [digits, data] = body.split('|');
  const counter = new Uint8Array(16);
  for (let n = BigInt(digits), i = 15; i >= 0; i--, n >>= 8n) counter[i] = Number(n & 255n);
  const key = await crypto.subtle.importKey('raw', Buffer.from(aesKey, 'base64'), 'AES-CTR', false, ['decrypt']);
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-CTR', counter, length: 128 }, key, Buffer.from(data, 'base64')));
}

test('CTR counters of 2^53 or more are refused as tampering: the job never sends them', async () => {
  const key = newKey();
  await assert.rejects(decrypt(await encryptCtr(key, '{"messageId":"m"}', 2n ** 53n), key, 'ctr'), TamperingError);
});

test('malformed envelopes, keys and ciphers are refused', async () => {
  const key = newKey();
  for (const body of ['', 'no bar', '|abc', 'x1|abc', '12|***']) await assert.rejects(decrypt(body, key, 'ctr'), body);
  await assert.rejects(async () => decrypt('1|AAAA', 'c2hvcnQ=', 'ctr'), /32 bytes/);
  await assert.rejects(async () => decrypt('1|AAAA', key), /cipher/, 'the cipher is the session\'s, never guessed');
});
