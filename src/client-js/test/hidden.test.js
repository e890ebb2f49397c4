// pauseWhenHidden and hiddenPollSeconds: no receives while every tab of the session is hidden, at once again when
// one is shown, what waited dispatched in order; the tabs tell one another their visibility over the channel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionClient } from '../src/index.js';
import { delay, encryptGcm, FakeDocument, FakeSqs, MemoryLocks, MemoryStorage, record, sessionFor, setup, until } from '../test-support/helpers.js';

const ids = (log) => log.message.map((m) => m.messageId);
const moves = (log) => log.state.map(({ previous, state }) => `${previous}>${state}`);
const receives = (fake, since = 0) => fake.requests.filter((r) => r.action === 'ReceiveMessage' && r.at >= since);
/** Until the long poll in flight (a request already sent may not have reached the fake yet) has ended. */
const settled = async (fake) => {
  await delay(100);
  await until(() => fake.receiving === 0, 2000);
};

test('every tab hidden: the long poll in flight finishes, no other starts; shown: polling at once, what waited in order', async (t) => {
  const document = new FakeDocument();
  const { fake, client, log, send } = await setup(t, { document, waitTimeSeconds: 20 });
  client.start();
  await until(() => fake.receiving === 1);
  document.hide();
  assert.equal(client.state, 'paused');
  await send({ messageId: 'm1' }); // answered by the long poll in flight: hiding does not abort it
  await until(() => ids(log).includes('m1') && fake.receiving === 0 && fake.messages.length === 0);
  const count = receives(fake).length;
  assert.equal(count, 1);
  for (let i = 2; i <= 5; i++) await send({ messageId: `m${i}` });
  await delay(1000);
  assert.equal(receives(fake).length, count, 'no receive while hidden');
  assert.deepEqual(ids(log), ['m1']);
  assert.equal(fake.messages.length, 4, 'the messages wait in the queue');

  const shownAt = Date.now();
  document.show(); // no timer is pending: only the visibilitychange can end the wait
  await until(() => log.message.length === 5, 2000);
  const lag = Date.now() - shownAt;
  assert.ok(lag < 500, `dispatched ${lag} ms after the tab was shown`);
  assert.deepEqual(ids(log), ['m1', 'm2', 'm3', 'm4', 'm5']);
  assert.deepEqual(moves(log), ['idle>polling', 'polling>paused', 'paused>polling']);
  assert.deepEqual(log.error, []);
});

test('what waited while hidden is dispatched oldest first, even when SQS answers the batch out of order', async (t) => {
  const document = new FakeDocument('hidden');
  const { fake, client, log, send } = await setup(t, { document });
  client.start();
  assert.equal(client.state, 'paused');
  for (const id of ['c', 'b', 'a']) await send({ messageId: id });
  const now = Date.now();
  fake.messages.forEach((m, i) => (m.sent = now - 1000 * i)); // sent c (last) ... a (first): a standard queue's order
  document.show();
  await until(() => log.message.length === 3);
  assert.deepEqual(ids(log), ['a', 'b', 'c']);
});

test('hiddenPollSeconds: one receive every that many seconds while hidden; shown: at once', async (t) => {
  const document = new FakeDocument('hidden');
  const { fake, client, log, send } = await setup(t, { document, waitTimeSeconds: 1, hiddenPollSeconds: 2 });
  const t0 = Date.now();
  client.start(); // hidden from the start: one receive at once (what waits), then one every 2 s
  await delay(1200);
  const sent = Date.now();
  await send({ messageId: 'while-hidden' }); // after the first long poll (1 s) ended: the next one takes it
  await until(() => ids(log).includes('while-hidden'), 3000);
  const arrived = Date.now() - sent;
  await until(() => receives(fake).length >= 3, 4000);
  await until(() => fake.receiving === 0, 2000); // the third one (at 4 s) has ended: the next is due at 6 s
  const starts = receives(fake).map((r) => r.at - t0);
  assert.equal(starts.length, 3, `receives started at ${starts.join(', ')} ms`);
  starts.forEach((at, i) => assert.ok(Math.abs(at - 2000 * i) < 300, `receive ${i} at ${at} ms, due at ${2000 * i}`));
  assert.ok(arrived > 400 && arrived < 1300, `a message sent while hidden arrived ${arrived} ms later, at the next receive`);
  assert.equal(client.state, 'paused');

  const shownAt = Date.now();
  document.show(); // between two slow receives: the next one starts now, not at its time
  await until(() => receives(fake, shownAt).length === 1, 500);
  const started = receives(fake, shownAt)[0].at - shownAt;
  assert.ok(started < 300, `a receive ${started} ms after the tab was shown; the slow one was due ${6000 - (shownAt - t0)} ms after`);
  await until(() => client.state === 'polling');
  assert.deepEqual(moves(log), ['idle>paused', 'paused>polling']);
});

test('credentials that expired while hidden (the renewal timer throttled) are renewed before the first receive', async (t) => {
  // As Chrome does to a hidden tab's timers: the client's long ones fire a minute late.
  const original = globalThis.setTimeout;
  const src = new URL('../src/index.js', import.meta.url).href;
  globalThis.setTimeout = (fn, ms, ...args) => original(fn, ms >= 1000 && new Error().stack.includes(src) ? ms + 60000 : ms, ...args);
  t.after(() => (globalThis.setTimeout = original));
  const document = new FakeDocument();
  let renewals = 0;
  const ctx = await setup(t, {
    document,
    waitTimeSeconds: 1,
    session: { expiresIn: 3 }, // renewal due after 1.5 s
    renew: async () => {
      renewals++;
      return sessionFor(ctx.fake, { aesKey: ctx.session.aesKey });
    },
  });
  const { fake, client, log, send, session } = ctx;
  client.start();
  await until(() => fake.receiving === 1);
  document.hide();
  await until(() => Date.now() > session.expires * 1000 + 200, 5000);
  assert.equal(renewals, 0, 'the renewal timer has not fired');
  fake.rotate(); // the credentials have expired: SQS refuses them
  await send({ messageId: 'while-hidden' });

  const shownAt = Date.now();
  document.show();
  await until(() => ids(log).includes('while-hidden'), 3000);
  assert.equal(renewals, 1);
  const after = fake.requests.filter((r) => r.at >= shownAt);
  assert.deepEqual(after.map((r) => r.token), after.map(() => 'token-2'), 'no request with the expired credentials');
  // Shown: polling (at once), renewing (before the receive, as the credentials have expired), polling.
  assert.deepEqual(moves(log).slice(-4), ['polling>paused', 'paused>polling', 'polling>renewing', 'renewing>polling']);
  assert.deepEqual(log.error, []);
});

test('options: pauseWhenHidden a boolean, hiddenPollSeconds a whole number of seconds, 0 or more', async (t) => {
  const { fake, session } = await setup(t);
  const make = (options) => new SessionClient({ session, renew: async () => session, endpoint: fake.endpoint, storage: null, locks: null, channel: null, ...options });
  for (const hiddenPollSeconds of [-1, 1.5, '60', NaN, Infinity, null]) {
    assert.throws(() => make({ hiddenPollSeconds }), { name: 'TypeError', message: /hiddenPollSeconds/ }, String(hiddenPollSeconds));
  }
  for (const pauseWhenHidden of ['yes', 1, null]) {
    assert.throws(() => make({ pauseWhenHidden }), { name: 'TypeError', message: /pauseWhenHidden/ }, String(pauseWhenHidden));
  }
  for (const options of [{ hiddenPollSeconds: 0 }, { hiddenPollSeconds: 60 }, { pauseWhenHidden: false }, { hiddenPollSeconds: undefined }]) {
    assert.equal(make(options).state, 'idle');
  }
});

test('no effect without a document (Node), or with pauseWhenHidden false', async (t) => {
  assert.equal(globalThis.document, undefined);
  for (const options of [{}, { pauseWhenHidden: false, document: new FakeDocument('hidden') }]) {
    const { fake, client, log, send } = await setup(t, { waitTimeSeconds: 0, ...options });
    client.start();
    await send({ messageId: 'm1' });
    await until(() => log.message.length === 1 && receives(fake).length >= 3);
    options.document?.hide();
    await until(() => receives(fake).length >= 6);
    assert.equal(client.state, 'polling');
  }
});

/** `count` tabs of one session: one lock manager, real BroadcastChannels, a document each. */
async function tabs(t, count) {
  const fake = await new FakeSqs().listen();
  const session = sessionFor(fake);
  const locks = new MemoryLocks();
  const all = Array.from({ length: count }, () => {
    const document = new FakeDocument();
    const client = new SessionClient({
      session,
      renew: async () => sessionFor(fake, { aesKey: session.aesKey }),
      endpoint: fake.endpoint,
      storage: new MemoryStorage(),
      locks,
      onlineEvents: null,
      document,
      waitTimeSeconds: 1,
      visibilityTimeout: 1,
      backoffBaseMs: 10,
      backoffCapMs: 100,
    });
    return { client, document, log: record(client) };
  });
  t.after(async () => {
    await Promise.all(all.map(({ client }) => client.stop()));
    await fake.close();
  });
  const send = async (message) => fake.send(await encryptGcm(session.aesKey, JSON.stringify(message)));
  return { fake, locks, tabs: all, send };
}

test('several tabs: polled while one is visible, by a visible one; paused when all are hidden; closing the last visible one pauses', async (t) => {
  const { fake, tabs: all, send } = await tabs(t, 3);
  const [a, b, c] = all;
  const polling = () => all.filter(({ client }) => client.state === 'polling' || client.state === 'paused');
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  c.client.start();
  await delay(50); // their announcements (visible) reach the polling tab

  // The polling tab is hidden: it hands the polling over to a visible tab (the next waiting for the lock).
  a.document.hide();
  await until(() => b.client.state === 'polling' && a.client.state === 'following', 3000);
  b.document.hide();
  await until(() => c.client.state === 'polling' && b.client.state === 'following', 3000);
  await send({ messageId: 'm1' });
  await until(() => all.every(({ log }) => ids(log).includes('m1')));

  // The last visible tab is hidden: c finishes its long poll, then nothing polls.
  c.document.hide();
  assert.equal(c.client.state, 'paused');
  await settled(fake);
  const count = receives(fake).length;
  for (const id of ['m2', 'm3', 'm4']) await send({ messageId: id });
  await delay(1500);
  assert.equal(receives(fake).length, count, 'no receive while every tab is hidden');
  assert.deepEqual(all.map(({ log }) => ids(log)), [['m1'], ['m1'], ['m1']]);

  // A following tab is shown: polling resumes at once, and moves to it.
  const shownAt = Date.now();
  a.document.show();
  await until(() => all.every(({ log }) => log.message.length === 4), 2000);
  const lag = Date.now() - shownAt;
  assert.ok(lag < 500, `dispatched in every tab ${lag} ms after one was shown`);
  for (const { log } of all) assert.deepEqual(ids(log), ['m1', 'm2', 'm3', 'm4']);
  await until(() => a.client.state === 'polling' && c.client.state === 'following', 2000);

  // The only visible tab closes (its client stops): the tab that takes over is hidden, and pauses.
  await a.client.stop();
  await until(() => polling().length === 1 && polling()[0].client.state === 'paused', 3000);
  await settled(fake);
  const after = receives(fake).length;
  await delay(1500);
  assert.equal(receives(fake).length, after, 'no receive once the last visible tab closed');
  assert.equal(fake.maxReceiving, 1, 'never two pollers at once');
  for (const { log } of all) assert.deepEqual(log.error, []);
  assert.deepEqual(moves(a.log), ['idle>following', 'following>polling', 'polling>following', 'following>polling', 'polling>ended']);
});

test('a hidden polling tab hands over once per change: a "visible" tab that waits for no lock cannot make it spin', async (t) => {
  const { fake, locks, tabs: all } = await tabs(t, 1);
  const [a] = all;
  let requests = 0;
  const request = locks.request.bind(locks);
  locks.request = (...args) => (requests++, request(...args));
  a.client.start();
  await until(() => a.client.state === 'polling');
  const ghost = new BroadcastChannel('sqs-browser-events:' + fake.queueName); // a tab that says it is visible, then crashed
  t.after(() => ghost.close());
  ghost.postMessage({ tab: 'ghost', visible: true, ask: false });
  await delay(50);
  a.document.hide();
  await delay(1500);
  assert.equal(requests, 2, 'handed over once, got the lock back, kept it');
  assert.equal(a.client.state, 'polling', 'polls for the tab that said it is visible');
  ghost.postMessage({ tab: 'ghost', visible: false, ask: false });
  await until(() => a.client.state === 'paused');
  assert.deepEqual(moves(a.log), ['idle>following', 'following>polling', 'polling>following', 'following>polling', 'polling>paused']);
});
