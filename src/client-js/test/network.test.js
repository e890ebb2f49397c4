import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delay, setup, until } from '../test-support/helpers.js';

test('server errors, throttling and dropped connections back off, then polling recovers', async (t) => {
  let renewals = 0;
  const { fake, client, log, send } = await setup(t, {
    backoffBaseMs: 20,
    backoffCapMs: 200,
    renew: async () => {
      renewals++;
      throw new Error('must not renew');
    },
  });
  fake.failWith = { status: 500, type: 'com.amazonaws.sqs#InternalFailure' };
  client.start();
  await delay(1000);
  const during = fake.requests.length;
  // Without backoff this would be hundreds; full jitter (20 ms doubling to 200 ms) gives about 12.
  assert.ok(during >= 3 && during <= 25, `${during} requests in 1 s of errors`);
  fake.failWith = null;
  fake.errors.push({ status: 400, type: 'com.amazonaws.sqs#ThrottlingException' }, 'drop', { status: 503, type: 'ServiceUnavailable' });
  await send({ messageId: 'm1' });
  await until(() => fake.messages.length === 0, 3000);
  assert.deepEqual(log.message, [{ messageId: 'm1' }]);
  assert.equal(renewals, 0);
  const kinds = new Set(log.error.map((e) => e.kind));
  assert.deepEqual([...kinds].sort(), ['network', 'sqs']);
  assert.ok(log.error.some((e) => e.error.code === 'ThrottlingException'));
  assert.equal(client.state, 'polling');
});

test('offline pauses polling (no requests), online resumes it', async (t) => {
  const onlineEvents = new EventTarget();
  const { fake, client, log, send } = await setup(t, { onlineEvents });
  client.start();
  await until(() => fake.receiving === 1);
  onlineEvents.dispatchEvent(new Event('offline'));
  assert.equal(client.state, 'offline');
  await until(() => fake.receiving === 0); // the long poll was dropped
  const before = fake.requests.length;
  await send({ messageId: 'm1' });
  await delay(300);
  assert.equal(fake.requests.length, before);
  assert.deepEqual(log.message, []);
  onlineEvents.dispatchEvent(new Event('online'));
  await until(() => log.message.length === 1);
  assert.deepEqual(log.state, [
    { state: 'polling', previous: 'idle' },
    { state: 'offline', previous: 'polling' },
    { state: 'polling', previous: 'offline' },
  ]);
  assert.deepEqual(log.error, []);
});

test('starts paused when navigator.onLine is false', async (t) => {
  const onlineEvents = new EventTarget();
  const { fake, client, log } = await setup(t, { onlineEvents });
  globalThis.navigator = { onLine: false };
  try {
    client.start();
  } finally {
    delete globalThis.navigator;
  }
  assert.equal(client.state, 'offline');
  await delay(100);
  assert.equal(fake.requests.length, 0);
  onlineEvents.dispatchEvent(new Event('online'));
  await until(() => fake.receiving === 1);
  assert.deepEqual(log.state, [
    { state: 'offline', previous: 'idle' },
    { state: 'polling', previous: 'offline' },
  ]);
});

test('a queue that no longer exists ends the session (queue-gone)', async (t) => {
  for (const gone of [
    { type: 'com.amazonaws.sqs#QueueDoesNotExist' },
    { query: 'AWS.SimpleQueueService.NonExistentQueue;Sender' }, // the header alone
  ]) {
    const { fake, client, log } = await setup(t);
    client.start();
    await until(() => fake.receiving === 1);
    fake.failWith = { status: 400, ...gone };
    fake.releaseWaiters();
    await until(() => log.ended.length === 1);
    assert.equal(log.ended[0].reason, 'queue-gone');
    assert.equal(client.state, 'ended');
    const requests = fake.requests.length;
    await delay(100);
    assert.equal(fake.requests.length, requests);
  }
});
