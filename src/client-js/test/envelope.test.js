import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decrypt } from '../src/index.js';
import { encryptCtr, encryptGcm, newKey } from '../test-support/helpers.js';

test('CTR known answer of the original system', async () => {
  assert.equal(await decrypt('9734675727|nw7xCnVR0m/YrGgG', 'LkWUsGQKi8E9QoMJEeY1HLL8rdJNJr3fzDp+F9CpkCY='), 'this is test');
});

test('CTR and GCM round trips, including counters near 2^53 and unicode', async () => {
  const key = newKey();
  const text = JSON.stringify({ messageId: 'm1', message: 'héllo ✓' });
  assert.equal(await decrypt(await encryptCtr(key, text, 2n ** 53n - 1n), key), text);
  assert.equal(await decrypt(await encryptCtr(key, text, 0n), key), text);
  assert.equal(await decrypt(await encryptGcm(key, text), key), text);
});

test('tampered, truncated or foreign GCM bodies are refused', async () => {
  const key = newKey();
  const body = await encryptGcm(key, '{"messageId":"m1"}');
  const raw = Buffer.from(body.slice(3), 'base64');
  raw[20] ^= 1;
  await assert.rejects(decrypt('g1|' + raw.toString('base64'), key));
  await assert.rejects(decrypt('g1|' + Buffer.from(body.slice(3), 'base64').subarray(0, 20).toString('base64'), key));
  await assert.rejects(decrypt(body, newKey()));
});

test('malformed envelopes and keys are refused', async () => {
  const key = newKey();
  for (const body of ['', 'no bar', '|abc', 'x1|abc', '12|***']) await assert.rejects(decrypt(body, key), body);
  await assert.rejects(async () => decrypt('1|AAAA', 'c2hvcnQ='), /32 bytes/);
});
