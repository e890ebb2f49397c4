import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SessionClient } from '../src/index.js';
import { delay, encryptCtr, encryptGcm, FakeSqs, MemoryLocks, MemoryStorage, record, sessionFor, until } from '../test-support/helpers.js';

/** A fake queue and `count` "tabs": clients sharing one in-memory lock manager and real BroadcastChannels. */
async function tabs(t, count, cipher = 'gcm', options = {}) {
  const fake = await new FakeSqs().listen();
  const session = sessionFor(fake, { cipher });
  const locks = new MemoryLocks();
  const clients = Array.from({ length: count }, () => {
    const client = new SessionClient({
      session,
      renew: async () => sessionFor(fake, { aesKey: session.aesKey, cipher }),
      endpoint: fake.endpoint,
      storage: new MemoryStorage(), // sessionStorage is per tab
      locks,
      onlineEvents: null,
      visibilityTimeout: 1,
      backoffBaseMs: 10,
      backoffCapMs: 100,
      ...options,
    });
    return { client, log: record(client) };
  });
  t.after(async () => {
    await Promise.all(clients.map(({ client }) => client.stop()));
    await fake.close();
  });
  const send = async (message) => fake.send(await (cipher === 'ctr' ? encryptCtr : encryptGcm)(session.aesKey, JSON.stringify(message)));
  return { fake, clients, send };
}

const ids = (log) => log.message.map((m) => m.messageId);

test('one tab polls, every tab dispatches every message; when it leaves another takes over', async (t) => {
  const { fake, clients, send } = await tabs(t, 3);
  const [a, b, c] = clients;
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  c.client.start();
  assert.equal(b.client.state, 'following');
  for (let i = 1; i <= 5; i++) await send({ messageId: `m${i}` });
  await until(() => clients.every(({ log }) => log.message.length === 5) && fake.messages.length === 0);
  for (const { log } of clients) assert.deepEqual(ids(log), ['m1', 'm2', 'm3', 'm4', 'm5']);

  await a.client.stop();
  await until(() => [b, c].some(({ client }) => client.state === 'polling'));
  for (let i = 6; i <= 8; i++) await send({ messageId: `m${i}` });
  await until(() => [b, c].every(({ log }) => log.message.length === 8) && fake.messages.length === 0);
  for (const { log } of [b, c]) assert.deepEqual(ids(log), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
  assert.equal(a.log.message.length, 5);
  assert.equal(fake.maxReceiving, 1, 'never two long polls at once');
  assert.deepEqual([b, c].map(({ client }) => client.state).sort(), ['following', 'polling']);
});

test('what the old leader received but did not delete reappears and is de-duplicated', async (t) => {
  const { fake, clients, send } = await tabs(t, 2);
  const [a, b] = clients;
  let failed = false;
  a.client.onMessage(async (m) => {
    if (m.messageId === 'x') {
      failed = true;
      throw new Error('the leader tab is closing');
    }
  });
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  await send({ messageId: 'x' });
  await until(() => failed && ids(b.log).includes('x'));
  await a.client.stop(); // x was relayed to b, but is still in the queue
  assert.equal(fake.messages.length, 1);
  await until(() => fake.messages.length === 0, 4000); // b polls, x reappears after the visibility timeout
  assert.deepEqual(ids(b.log), ['x']);
  assert.equal(fake.messages.length, 0);
  assert.ok(fake.requests.filter((r) => r.action === 'DeleteMessageBatch').length >= 1);
});

test('read receipts reach every tab as receipt events', async (t) => {
  const { fake, clients, send } = await tabs(t, 2);
  for (const { client } of clients) client.start();
  await until(() => fake.receiving === 1);
  await send({ messageId: 'r1', _type: 'message-read-receipt', 'messages-receipted': ['m1'] });
  await until(() => clients.every(({ log }) => log.receipt.length === 1));
  for (const { log } of clients) {
    assert.deepEqual(log.receipt[0]['messages-receipted'], ['m1']);
    assert.deepEqual(log.message, []);
  }
});

test('a tab stopped while waiting for the lock never polls', async (t) => {
  const { fake, clients } = await tabs(t, 2);
  const [a, b] = clients;
  a.client.start();
  b.client.start();
  await until(() => fake.receiving === 1);
  await b.client.stop();
  await a.client.stop();
  await delay(50);
  assert.ok(fake.requests.length <= 2);
  assert.deepEqual(b.log.state, [
    { state: 'following', previous: 'idle' },
    { state: 'ended', previous: 'following' },
  ]);
});

test('a tab shows nothing another script posts on the channel: only what the polling tab received and signed', async (t) => {
  const { fake, clients, send } = await tabs(t, 2);
  const [a, b] = clients;
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  const forger = new BroadcastChannel('sqs-browser-events:' + fake.queueName); // same origin, knows the queue name
  t.after(() => forger.close());
  forger.postMessage({ message: { messageId: 'forged-plain', amount: '999' }, sentTimestamp: Date.now() }); // the old relay
  // A body the forger made up, with a MAC it cannot compute.
  forger.postMessage({ body: 'g1|' + Buffer.alloc(40).toString('base64'), sentTimestamp: Date.now(), mac: new Uint8Array(32) });
  await send({ messageId: 'real' });
  await until(() => ids(b.log).includes('real'));
  await delay(100);
  assert.deepEqual(ids(b.log), ['real']);
  assert.deepEqual(b.log.error.map((e) => [e.kind, e.error.name]), [['relay', 'TamperingError']]);
});

test('a relayed CTR body that another script captured and edited is refused: its MAC no longer holds', async (t) => {
  const { fake, clients, send } = await tabs(t, 2, 'ctr');
  const [a, b] = clients;
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  const forger = new BroadcastChannel('sqs-browser-events:' + fake.queueName);
  t.after(() => forger.close());
  const captured = [];
  forger.addEventListener('message', ({ data }) => data.body && captured.push(data)); // the relays, not the tabs' visibility
  await send({ messageId: 'm1', amount: '100' });
  await until(() => ids(b.log).includes('m1') && captured.length === 1);
  // CTR is malleable: where the plaintext is known, the ciphertext can be edited without the key.
  const [counter, data] = captured[0].body.split('|');
  const bytes = Buffer.from(data, 'base64');
  const edit = (at, from, to) => [...from].forEach((c, i) => (bytes[at + i] ^= c.charCodeAt(0) ^ to.charCodeAt(i)));
  edit('{"messageId":"m'.length, '1', '9');
  edit('{"messageId":"m1","amount":"'.length, '100', '999');
  forger.postMessage({ ...captured[0], body: `${counter}|${bytes.toString('base64')}` });
  await send({ messageId: 'after' });
  await until(() => ids(b.log).includes('after'));
  await delay(100);
  assert.deepEqual(ids(b.log), ['m1', 'after']);
  assert.deepEqual(b.log.error.map((e) => [e.kind, e.error.name]), [['relay', 'TamperingError']]);
});

test('a relay that another script captured and posts again is refused: in a tab opened since, in one that forgot its id', async (t) => {
  const { fake, clients, send } = await tabs(t, 3, 'gcm', { dedupCapacity: 1 });
  const [a, b, c] = clients;
  a.client.start();
  await until(() => a.client.state === 'polling');
  b.client.start();
  const listener = new BroadcastChannel('sqs-browser-events:' + fake.queueName); // same origin, only listens
  t.after(() => listener.close());
  const captured = [];
  listener.addEventListener('message', ({ data }) => data.body && captured.push(data));
  await send({ messageId: 'm1' });
  await until(() => ids(b.log).includes('m1'));
  await send({ messageId: 'm2' });
  await until(() => ids(b.log).includes('m2') && captured.length === 2);
  // b remembers one id (m2): without the relay's sequence it would show m1 again.
  listener.postMessage(captured[0]);
  c.client.start(); // a tab opened later, which never saw m2
  await delay(20);
  listener.postMessage(captured[1]);
  // The fields changed to pass the checks: the MAC covers them.
  listener.postMessage({ ...captured[0], seq: 1000, relayedAt: Date.now() });
  await send({ messageId: 'after' });
  await until(() => ids(b.log).includes('after') && ids(c.log).includes('after'));
  await delay(100);
  assert.deepEqual(ids(b.log), ['m1', 'm2', 'after']);
  assert.deepEqual(ids(c.log), ['after']);
  const reasons = (log) => log.error.map((e) => [e.kind, e.error.name, e.error.message.includes('posted again') ? 'replay' : 'forged']);
  assert.deepEqual(reasons(b.log), [['relay', 'TamperingError', 'replay'], ['relay', 'TamperingError', 'replay'], ['relay', 'TamperingError', 'forged']]);
  assert.deepEqual(reasons(c.log), [['relay', 'TamperingError', 'replay'], ['relay', 'TamperingError', 'forged']]);
});
