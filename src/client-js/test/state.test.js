import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionClient, STATE_TRANSITIONS } from '../src/index.js';
import { INITIAL_STATE, transition } from '../src/states.js';
import { FakeSqs, MemoryLocks, MemoryStorage, record, sessionFor, setup, until } from '../test-support/helpers.js';

const STATES = ['idle', 'following', 'polling', 'paused', 'offline', 'renewing', 'ended'];
const moves = (log) => log.state.map(({ previous, state }) => `${previous}>${state}`);

test('the table: every state, and the moves allowed from each', () => {
  assert.equal(INITIAL_STATE, 'idle');
  assert.deepEqual(Object.keys(STATE_TRANSITIONS).sort(), [...STATES].sort());
  assert.deepEqual(STATE_TRANSITIONS, {
    idle: ['following', 'polling', 'paused', 'offline', 'ended'],
    following: ['polling', 'paused', 'offline', 'ended'],
    polling: ['following', 'paused', 'offline', 'renewing', 'ended'],
    paused: ['polling', 'offline', 'renewing', 'ended'],
    offline: ['polling', 'paused', 'renewing', 'ended'],
    renewing: ['polling', 'paused', 'offline', 'ended'],
    ended: [],
  });
  assert.deepEqual(STATE_TRANSITIONS.ended, [], 'ended is final');
  for (const from of STATES) {
    assert.ok(!STATE_TRANSITIONS[from].includes('idle'), `nothing goes back to idle (${from})`);
    assert.ok(!STATE_TRANSITIONS[from].includes(from), `no move from ${from} to itself`);
    if (from !== 'ended') assert.ok(STATE_TRANSITIONS[from].includes('ended'), `${from} can end`);
  }
  assert.ok(Object.isFrozen(STATE_TRANSITIONS) && STATES.every((s) => Object.isFrozen(STATE_TRANSITIONS[s])));
});

test('a move the table does not allow cannot be made: transition() throws instead of giving a detail', () => {
  for (const previous of STATES) {
    for (const state of STATES) {
      if (STATE_TRANSITIONS[previous].includes(state)) {
        assert.deepEqual(transition(previous, state), { state, previous });
      } else {
        assert.throws(() => transition(previous, state), /cannot go from/, `${previous} > ${state}`);
      }
    }
  }
  for (const [previous, state] of [['ended', 'polling'], ['polling', 'idle'], ['following', 'renewing'], ['paused', 'following'], ['toString', 'idle'], ['idle', 'nowhere']]) {
    assert.throws(() => transition(previous, state), /cannot go from/, `${previous} > ${state}`);
  }
});

test('the first state event has previous = the initial state (idle)', async (t) => {
  const { client, log } = await setup(t);
  assert.equal(client.state, INITIAL_STATE);
  client.start();
  assert.deepEqual(log.state, [{ state: 'polling', previous: 'idle' }]);
});

test('a client stopped before it starts: idle > ended', async (t) => {
  const { client, log } = await setup(t);
  await client.stop();
  assert.deepEqual(log.state, [{ state: 'ended', previous: 'idle' }]);
});

test('each state event reports the state before it: offline, online, renewing (and offline meanwhile), stop', async (t) => {
  const onlineEvents = new EventTarget();
  let renewed;
  const ctx = await setup(t, {
    onlineEvents,
    renew: async () => {
      await new Promise((resolve) => (renewed = resolve));
      return sessionFor(ctx.fake, { aesKey: ctx.session.aesKey });
    },
  });
  const { fake, client, log } = ctx;
  client.start();
  await until(() => fake.receiving === 1);
  onlineEvents.dispatchEvent(new Event('offline'));
  onlineEvents.dispatchEvent(new Event('online'));
  fake.rotate(); // SQS refuses the credentials: the client renews, and waits for the new ones
  await until(() => client.state === 'renewing');
  onlineEvents.dispatchEvent(new Event('offline'));
  onlineEvents.dispatchEvent(new Event('online'));
  renewed();
  await until(() => client.state === 'polling');
  await client.stop();
  assert.deepEqual(moves(log), [
    'idle>polling',
    'polling>offline',
    'offline>polling',
    'polling>renewing',
    'renewing>offline',
    'offline>renewing',
    'renewing>polling',
    'polling>ended',
  ]);
  assert.deepEqual(log.error, []);
});

test('a tab that follows, then takes over: idle > following > polling > ended', async (t) => {
  const fake = await new FakeSqs().listen();
  const session = sessionFor(fake);
  const locks = new MemoryLocks();
  const make = () =>
    new SessionClient({
      session,
      renew: async () => sessionFor(fake, { aesKey: session.aesKey }),
      endpoint: fake.endpoint,
      storage: new MemoryStorage(),
      locks,
      channel: null,
      onlineEvents: null,
      visibilityTimeout: 1,
    });
  const [a, b] = [make(), make()];
  t.after(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await fake.close();
  });
  const [logA, logB] = [record(a), record(b)];
  a.start();
  await until(() => a.state === 'polling');
  b.start();
  assert.equal(b.state, 'following');
  await a.stop();
  await until(() => b.state === 'polling');
  await b.stop();
  assert.deepEqual(moves(logA), ['idle>following', 'following>polling', 'polling>ended']);
  assert.deepEqual(moves(logB), ['idle>following', 'following>polling', 'polling>ended']);
});
