import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionClient } from '../src/index.js';
import { delay, encryptGcm, gcmAsCtr, MemoryStorage, newKey, record, setup, until } from '../test-support/helpers.js';

for (const cipher of ['gcm', 'ctr']) {
test(`receives, decrypts (${cipher}), dispatches in order, then deletes`, async (t) => {
  const { fake, client, log, send } = await setup(t, { session: { cipher } });
  await send({ messageId: 'm1', message: 'one' });
  await send({ messageId: 'm2', message: 'two' });
  const events = [];
  client.addEventListener('message', (e) => events.push(e));
  client.start();
  await until(() => log.message.length === 2 && fake.messages.length === 0);
  assert.deepEqual(log.message, [
    { messageId: 'm1', message: 'one' },
    { messageId: 'm2', message: 'two' },
  ]);
  assert.equal(events[0].fromHistory, false);
  assert.ok(Math.abs(events[0].sentTimestamp - Date.now()) < 5000);
  assert.deepEqual(log.error, []);
  assert.equal(client.state, 'polling');
  assert.equal(fake.calls.DeleteMessageBatch, 1);
});
}

test('the known CTR answer decrypts, but a non-JSON plaintext is a decode error and is deleted', async (t) => {
  const aesKey = 'LkWUsGQKi8E9QoMJEeY1HLL8rdJNJr3fzDp+F9CpkCY=';
  const { fake, client, log } = await setup(t, { session: { aesKey, cipher: 'ctr' } });
  fake.send('9734675727|nw7xCnVR0m/YrGgG');
  client.start();
  await until(() => fake.messages.length === 0);
  assert.equal(log.message.length, 0);
  assert.equal(log.error.length, 1);
  assert.equal(log.error[0].kind, 'decode');
});

test('a downgraded body (GCM re-sent as CTR, bytes flipped) is reported as tampering and never dispatched', async (t) => {
  const { fake, session, client, log, send } = await setup(t);
  const body = await encryptGcm(session.aesKey, JSON.stringify({ messageId: 'pay', amount: '100' }));
  fake.send(gcmAsCtr(body, { at: '{"messageId":"pay","amount":"'.length, from: '100', to: '999' }));
  await send({ messageId: 'good' });
  client.start();
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, [{ messageId: 'good' }]);
  assert.deepEqual(log.error.map((e) => [e.kind, e.error.name]), [['decrypt', 'TamperingError']]);
});

test('a tampered GCM body is reported, deleted and never dispatched', async (t) => {
  const { fake, session, client, log, send } = await setup(t);
  const body = await encryptGcm(session.aesKey, JSON.stringify({ messageId: 'evil' }));
  const raw = Buffer.from(body.slice(3), 'base64');
  raw[raw.length - 1] ^= 0x80;
  fake.send('g1|' + raw.toString('base64'));
  fake.send(await encryptGcm(newKey(), JSON.stringify({ messageId: 'other-key' })));
  await send({ messageId: 'good' });
  client.start();
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, [{ messageId: 'good' }]);
  assert.deepEqual(log.error.map((e) => e.kind), ['decrypt', 'decrypt']);
  const text = JSON.stringify(log.error, (k, v) => (v instanceof Error ? { name: v.name, message: v.message } : v));
  for (const secret of [session.aesKey, session.secretKey, session.sessionToken]) assert.ok(!text.includes(secret));
});

test('an async handler is awaited before the delete', async (t) => {
  const { fake, client, send } = await setup(t);
  let finish;
  client.onMessage(() => new Promise((resolve) => (finish = resolve)));
  await send({ messageId: 'slow' });
  client.start();
  await until(() => finish);
  await delay(100);
  assert.equal(fake.calls.DeleteMessageBatch, 0);
  assert.equal(fake.messages.length, 1);
  finish();
  await until(() => fake.messages.length === 0);
});

test('a handler that throws or rejects means redelivery, not loss', async (t) => {
  const { fake, client, log, send } = await setup(t);
  const seen = [];
  client.onMessage((message) => {
    seen.push(message.messageId);
    if (message.messageId === 'throws' && seen.filter((id) => id === 'throws').length === 1) throw new Error('boom');
  });
  client.addEventListener('message', (e) => {
    const first = seen.filter((id) => id === e.detail.messageId).length === 1;
    if (e.detail.messageId === 'rejects' && first) e.waitUntil(Promise.reject(new Error('async boom')));
  });
  await send({ messageId: 'throws' });
  await send({ messageId: 'rejects' });
  client.start();
  await until(() => fake.messages.length === 0, 5000);
  assert.deepEqual(seen, ['throws', 'rejects', 'throws', 'rejects']);
  assert.deepEqual(log.error.map((e) => [e.kind, e.messageId, e.error.message]), [
    ['handler', 'throws', 'boom'],
    ['handler', 'rejects', 'async boom'],
  ]);
  assert.ok(fake.requests.filter((r) => r.action === 'ReceiveMessage').length >= 2);
});

test('what a handler or renew() throws that is no Error is reported as an Error (its cause), as declared', async (t) => {
  const { client, log, send } = await setup(t, {
    session: { expiresIn: 0.3 },
    renewAttemptsAfterExpiry: 1,
    renew: () => Promise.reject('backend down'),
  });
  let first = true;
  client.onMessage(() => {
    if (first) {
      first = false;
      throw 'not an Error';
    }
  });
  await send({ messageId: 'm1' });
  client.start();
  await until(() => log.ended.length === 1 && log.error.some((e) => e.kind === 'handler'), 5000);
  const handler = log.error.find((e) => e.kind === 'handler');
  assert.ok(handler.error instanceof Error);
  assert.equal(handler.error.message, 'not an Error');
  assert.equal(handler.error.cause, 'not an Error');
  const renew = log.error.filter((e) => e.kind === 'renew');
  assert.ok(renew.length >= 1 && renew.every((e) => e.error instanceof Error && e.error.cause === 'backend down'));
  assert.equal(log.ended[0].reason, 'renew-failed');
  assert.equal(log.ended[0].error, renew.at(-1).error, 'the same Error in the last renew error and in ended');
});

test('waitUntil after the dispatch is refused', async (t) => {
  const { client, send } = await setup(t);
  let late;
  client.addEventListener('message', (e) => setTimeout(() => {
    try {
      e.waitUntil(Promise.resolve());
    } catch (error) {
      late = error;
    }
  }));
  await send({ messageId: 'm1' });
  client.start();
  await until(() => late);
  assert.equal(late.name, 'InvalidStateError');
});

test('a duplicate messageId is dispatched once, and deleted', async (t) => {
  const { fake, client, log, send } = await setup(t);
  await send({ messageId: 'dup', n: 1 });
  await send({ messageId: 'dup', n: 2 }, 'ctr');
  client.start();
  await until(() => fake.messages.length === 0);
  await send({ messageId: 'dup', n: 3 });
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, [{ messageId: 'dup', n: 1 }]);
});

test('de-duplication survives a reload through the storage, and is bounded', async (t) => {
  const storage = new MemoryStorage();
  const { fake, session, client, log, send } = await setup(t, { storage, dedupCapacity: 3 });
  client.start();
  for (const id of ['a', 'b', 'c', 'd']) await send({ messageId: id });
  await until(() => log.message.length === 4 && fake.messages.length === 0);
  await client.stop();
  const key = `sqs-browser-events:${session.sqsQueueName}:seen`;
  assert.deepEqual(JSON.parse(storage.getItem(key)), ['b', 'c', 'd']);

  // "Reload": a new client on the same storage; 'd' was seen, 'a' was forgotten (capacity 3).
  const reloaded = new SessionClient({ session, renew: async () => session, endpoint: fake.endpoint, storage, dedupCapacity: 3, locks: null, channel: null });
  const log2 = record(reloaded);
  t.after(() => reloaded.stop());
  await send({ messageId: 'd' });
  await send({ messageId: 'a' });
  reloaded.start();
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log2.message, [{ messageId: 'a' }]);
});

test('read receipts are receipt events, not messages', async (t) => {
  const { fake, client, log, send } = await setup(t);
  await send({ messageId: 'r1', _type: 'message-read-receipt', 'messages-receipted': ['m1', 'm2'] });
  client.start();
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, []);
  assert.deepEqual(log.receipt, [{ messageId: 'r1', _type: 'message-read-receipt', 'messages-receipted': ['m1', 'm2'] }]);
});

test('stop() aborts the long poll at once and ends the client', async (t) => {
  const { fake, client, log } = await setup(t, { waitTimeSeconds: 20 });
  client.start();
  await until(() => fake.receiving === 1);
  const t0 = Date.now();
  await client.stop();
  assert.ok(Date.now() - t0 < 1000);
  await until(() => fake.receiving === 0);
  assert.deepEqual(log.ended, [{ reason: 'stopped' }]);
  assert.deepEqual(log.state, [
    { state: 'polling', previous: 'idle' },
    { state: 'ended', previous: 'polling' },
  ]);
  assert.equal(client.state, 'ended');
  assert.throws(() => client.start(), /ended/);
});

test('requests are signed with the session credentials and carry the protocol headers', async (t) => {
  const { fake, session, client, send } = await setup(t);
  await send({ messageId: 'm1' });
  client.start();
  await until(() => fake.messages.length === 0);
  assert.ok(fake.requests.length >= 2);
  for (const r of fake.requests) {
    assert.equal(r.accessKey, session.accessKey);
    assert.equal(r.token, session.sessionToken);
  }
});

test('accepts the backend answer { success, session } and refuses what is not a session', async (t) => {
  const { fake, session } = await setup(t);
  const client = new SessionClient({ session: { success: true, session }, renew: async () => session, endpoint: fake.endpoint, storage: null, locks: null, channel: null });
  assert.equal(client.state, 'idle');
  assert.throws(() => new SessionClient({ session: { success: false, message: 'nope' }, renew: async () => {} }), /not a session/);
  assert.throws(() => new SessionClient({ session }), /renew/);
});
