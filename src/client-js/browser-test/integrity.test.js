// What the page must never show: a tampered body (reported, deleted) and a second copy of a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gcmAsCtr } from '../test-support/helpers.js';
import { createSession, encryptGcm, inject, launch, openHarness, pageLog, queueDepth, shown, tamper, toUser, until, waitInPage, waitShown, warmUp } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

async function ready(t) {
  const s = await createSession(t, { cipher: 'gcm' });
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s);
  await warmUp(page, s);
  return { s, page };
}

test('a tampered GCM body is never shown, is reported as a decrypt error, and is deleted', { timeout: 60000 }, async (t) => {
  const { s, page } = await ready(t);
  const forged = { messageId: `forged-${Date.now()}`, message: 'pay 1000 to Mallory', userId: s.user };
  const valid = await encryptGcm(s.session.aesKey, JSON.stringify(forged));
  const bad = [
    tamper(valid, 12), // first ciphertext byte
    tamper(valid, Buffer.from(valid.slice(3), 'base64').length - 1), // last tag byte
    tamper(valid, 3), // a nonce byte
  ];
  const sqsIds = [];
  for (const body of bad) sqsIds.push(await inject(s, body));
  const after = await toUser(s, { message: 'after the tampered ones' }); // delivery goes on

  await waitShown(page, [after]);
  await waitInPage(page, (n) => window.log.errors.filter((e) => e.kind === 'decrypt').length >= n, bad.length);
  const log = await pageLog(page);
  assert.ok(!log.messages.some((m) => m.message.messageId === forged.messageId), 'the forged message is never shown');
  const decryptErrors = log.errors.filter((e) => e.kind === 'decrypt');
  assert.deepEqual(decryptErrors.map((e) => e.sqsMessageId).sort(), [...sqsIds].sort(), 'each reported once, with its SQS MessageId');
  for (const e of decryptErrors) assert.equal(e.name, 'OperationError'); // WebCrypto's authentication failure
  assert.deepEqual(log.errors.filter((e) => e.kind !== 'decrypt'), []);
  const text = JSON.stringify(log.errors);
  assert.ok(!text.includes(s.session.aesKey) && !text.includes(s.session.secretKey), 'no key material in errors');
  await until(async () => (await queueDepth(s)) === 0, 10000, 'the queue to be empty (tampered bodies deleted)');
});

test('the downgrade: a captured GCM body re-sent as CTR with known bytes flipped is never shown, and is reported', { timeout: 60000 }, async (t) => {
  const { s, page } = await ready(t);
  const paid = { messageId: `pay-${Date.now()}`, amount: '100', userId: s.user };
  const captured = await encryptGcm(s.session.aesKey, JSON.stringify(paid));
  const at = JSON.stringify(paid).indexOf('"amount":"100"') + '"amount":"'.length;
  const sqsId = await inject(s, gcmAsCtr(captured, { at, from: '100', to: '999' }));
  const after = await toUser(s, { message: 'after the forged one' });
  await waitShown(page, [after]);
  await waitInPage(page, () => window.log.errors.some((e) => e.kind === 'decrypt'));
  const log = await pageLog(page);
  assert.ok(!log.messages.some((m) => m.message.messageId === paid.messageId), 'the forged "999" is never shown');
  assert.deepEqual(log.errors.map((e) => [e.kind, e.name, e.sqsMessageId]), [['decrypt', 'TamperingError', sqsId]]);
});

test('a message delivered twice (and re-encrypted, as after a replay) is shown once', { timeout: 60000 }, async (t) => {
  const { s, page } = await ready(t);
  const message = { messageId: `twice-${Date.now()}`, message: 'only once, please', userId: s.user };
  const body = await encryptGcm(s.session.aesKey, JSON.stringify(message));
  await inject(s, body);
  await inject(s, body); // the very same body
  await waitShown(page, [message.messageId]);
  await inject(s, await encryptGcm(s.session.aesKey, JSON.stringify(message))); // same message, fresh nonce
  await inject(s, body);
  const sentinel = await toUser(s, { message: 'after the copies' });
  await waitShown(page, [sentinel]);
  await until(async () => (await queueDepth(s)) === 0, 10000, 'every copy deleted');
  const copies = (await shown(page)).filter((m) => m.message.messageId === message.messageId);
  assert.equal(copies.length, 1);
  assert.deepEqual(copies[0].message, message);
  assert.deepEqual((await pageLog(page)).errors, []);
});
