import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionFor, setup, until } from '../test-support/helpers.js';

test('credentials are renewed before they expire, and the new ones are used', async (t) => {
  let fake, renewedAt;
  const expiresIn = 2; // renewBeforeSeconds (300) is capped to half the lifetime: renewal after ~1 s
  const ctx = await setup(t, {
    session: { expiresIn },
    renew: async () => {
      renewedAt = Date.now();
      fake.rotate();
      return { success: true, session: sessionFor(fake, { aesKey: ctx.session.aesKey }) };
    },
  });
  fake = ctx.fake;
  const { client, log, send, session } = ctx;
  client.start();
  await until(() => renewedAt, 3000);
  const lifetime = session.expires * 1000 - renewedAt;
  assert.ok(lifetime > 500 && lifetime < 1500, `renewed ${lifetime} ms before expiry`);
  await send({ messageId: 'after-renewal' });
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, [{ messageId: 'after-renewal' }]);
  const deletes = fake.requests.filter((r) => r.action === 'DeleteMessageBatch');
  assert.deepEqual(deletes.map((r) => [r.accessKey, r.token]), [['AKIDTEST2', 'token-2']]);
  assert.ok(log.state.some((s) => s.state === 'renewing' && s.previous === 'polling'));
  assert.ok(log.state.some((s) => s.state === 'polling' && s.previous === 'renewing'));
  assert.equal(client.state, 'polling');
  assert.deepEqual(log.error.filter((e) => e.kind === 'renew'), []);
});

test('renewal that keeps failing ends the client with renew-failed, loudly', async (t) => {
  let attempts = 0;
  const { fake, client, log } = await setup(t, {
    session: { expiresIn: 0.6 },
    renewAttemptsAfterExpiry: 2,
    renew: async () => {
      attempts++;
      throw new Error('backend down');
    },
  });
  const ended = new Promise((resolve) => client.addEventListener('ended', (e) => resolve(e.detail)));
  client.start();
  const detail = await ended;
  assert.equal(detail.reason, 'renew-failed');
  assert.equal(detail.error.message, 'backend down');
  const renewErrors = log.error.filter((e) => e.kind === 'renew');
  assert.equal(renewErrors.length, attempts);
  assert.ok(attempts >= 2 && attempts < 40, `${attempts} attempts`);
  assert.deepEqual(renewErrors.map((e) => e.fatal), [...Array(attempts - 1).fill(false), true]);
  assert.equal(client.state, 'ended');
  const requests = fake.requests.length;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(fake.requests.length, requests, 'no requests after the end');
});

test('an auth error from SQS renews at once, then polling goes on', async (t) => {
  let renewals = 0;
  const ctx = await setup(t, {
    renew: async () => {
      renewals++;
      return sessionFor(ctx.fake, { aesKey: ctx.session.aesKey });
    },
  });
  const { fake, client, log, send } = ctx;
  client.start();
  await until(() => fake.receiving === 1);
  const t0 = Date.now();
  fake.rotate(); // the backend replaced the credentials: the client's are refused from now on
  await until(() => renewals === 1, 2000);
  assert.ok(Date.now() - t0 < 500);
  await send({ messageId: 'm1' });
  await until(() => fake.messages.length === 0);
  assert.deepEqual(log.message, [{ messageId: 'm1' }]);

  // AccessDenied (e.g. a policy change) renews too; OverLimit, a 403 that is no auth error, does not.
  fake.errors.push({ status: 403, type: 'com.amazonaws.sqs#OverLimit' }, { status: 400, type: 'com.amazon.coral.service#AccessDeniedException' });
  fake.releaseWaiters();
  await until(() => renewals === 2, 2000);
  await send({ messageId: 'm2' });
  await until(() => log.message.length === 2);
  assert.equal(renewals, 2);
  assert.equal(fake.requests.filter((r) => r.token === 'token-1' && r.action === 'ReceiveMessage').length, 2);
});

test('a failing renewal ahead of expiry does not stop polling; a deleted queue still ends the client as queue-gone', async (t) => {
  // As after /destroy: /renew answers "no such session" while the old credentials are still valid.
  const { fake, client, log, send, session } = await setup(t, {
    session: { expiresIn: 4 }, // renewal due after ~2 s
    renew: async () => ({ success: false, message: 'no such session' }),
  });
  const ended = new Promise((resolve) => client.addEventListener('ended', (e) => resolve(e.detail)));
  client.start();
  await until(() => log.error.some((e) => e.kind === 'renew'), 3000);
  assert.match(log.error.find((e) => e.kind === 'renew').error.message, /no such session/); // the backend's reason
  await send({ messageId: 'while-renewing' });
  await until(() => log.message.length === 1, 1000);
  fake.gone = true;
  fake.releaseWaiters();
  const detail = await ended;
  assert.equal(detail.reason, 'queue-gone');
  assert.ok(Date.now() < session.expires * 1000, 'ended before the credentials expired');
  assert.ok(!log.error.some((e) => e.fatal), 'not renew-failed');
});
