import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SequenceTracker, parseSequence } from '../src/sequence.js';
import { MemoryStorage, delay, record, setup, until } from '../test-support/helpers.js';

// The job numbers each message to a session (`<epoch>:<n>`, from 1). A number that stays missing is a gap; the
// client says so (`gap`), never nothing.
const EPOCH = '0a1b2c3d';
const seq = (n, epoch = EPOCH) => `${epoch}:${n}`;
const ids = (log) => log.message.map((m) => m.messageId);

test('a number that stays missing is a gap, once; one that arrives late, out of order, is none', async (t) => {
  const { client, send } = await setup(t, { gapWaitSeconds: 0.3 });
  const log = record(client, ['gap', 'message']);
  client.start();
  await send({ messageId: 'm1' }, undefined, seq(1));
  await send({ messageId: 'm2' }, undefined, seq(2));
  await send({ messageId: 'm4' }, undefined, seq(4)); // 3 is late
  await until(() => ids(log).includes('m4'));
  await delay(100);
  await send({ messageId: 'm3' }, undefined, seq(3));
  await send({ messageId: 'm6' }, undefined, seq(6)); // 5 never comes: dead-lettered, expired, deleted by someone
  await until(() => log.gap.length === 1, 3000);
  await delay(500);
  assert.deepEqual(log.gap, [{ reason: 'missing', from: 5, to: 5 }]);
  assert.deepEqual(ids(log), ['m1', 'm2', 'm4', 'm3', 'm6']);
});

test('numbers the job left unused (a rewind beyond its bound) are a cut, said by the next message, at once', async (t) => {
  const { client, send } = await setup(t, { gapWaitSeconds: 60 });
  const log = record(client, ['gap', 'message']);
  client.start();
  await send({ messageId: 'kept-1' }, undefined, `${seq(4)}~3`);
  await send({ messageId: 'kept-2' }, undefined, seq(5));
  await until(() => log.message.length === 2 && log.gap.length === 1, 3000);
  assert.deepEqual(log.gap, [{ reason: 'cut', from: 1, to: 3 }]);
  await send({ messageId: 'kept-3' }, undefined, `${seq(9)}~2`); // 6 is missing, 7 and 8 were cut
  await until(() => log.gap.length === 2);
  assert.deepEqual(log.gap[1], { reason: 'cut', from: 7, to: 8 });
});

test('a session the client joins late starts where it joins; a new epoch (a job that lost its state) is a gap at once', async (t) => {
  const { client, send } = await setup(t, { gapWaitSeconds: 0.2 });
  const log = record(client, ['gap', 'message']);
  client.start();
  await send({ messageId: 'a' }, undefined, seq(57));
  await send({ messageId: 'b' }, undefined, seq(58));
  await until(() => log.message.length === 2);
  await delay(400);
  assert.deepEqual(log.gap, [], 'what came before it joined is not its to judge');
  await send({ messageId: 'c' }, undefined, seq(1, 'ffff0000'));
  await until(() => log.gap.length === 1);
  assert.deepEqual(log.gap, [{ reason: 'epoch', previous: EPOCH, epoch: 'ffff0000' }]);
  await send({ messageId: 'late-of-the-old-epoch' }, undefined, seq(59));
  await send({ messageId: 'd' }, undefined, seq(2, 'ffff0000'));
  await until(() => log.message.length === 5);
  await delay(400);
  assert.equal(log.gap.length, 1, 'a late message of the old epoch changes nothing');
});

test('a reload keeps the position: nothing before it is a gap again, and a later hole still is', async () => {
  const storage = new MemoryStorage();
  const first = new SequenceTracker(storage, 'k');
  assert.deepEqual(first.seen(seq(1), 0), []);
  assert.deepEqual(first.seen(seq(2), 0), []);
  const reloaded = new SequenceTracker(storage, 'k');
  assert.deepEqual(reloaded.seen(seq(4), 1000), []);
  assert.equal(reloaded.due(1100, 200), null);
  assert.deepEqual(reloaded.due(1200, 200), { reason: 'missing', from: 3, to: 3 });
  assert.equal(reloaded.due(5000, 200), null, 'reported once');
});

test('only the shape the job writes is a sequence', () => {
  assert.deepEqual(parseSequence('0a1b2c3d:17'), { epoch: '0a1b2c3d', n: 17, skipped: 0 });
  assert.deepEqual(parseSequence('0a1b2c3d:17~16'), { epoch: '0a1b2c3d', n: 17, skipped: 16 });
  for (const bad of ['', '0a1b2c3d:0', '0a1b2c3d:-1', 'zzzzzzzz:1', '0a1b2c3d:1e3', '0a1b2c3d:01', ':1', '0a1b2c3d', 17, null,
    '0a1b2c3d:17~17', '0a1b2c3d:17~0', '0a1b2c3d:17~']) {
    assert.equal(parseSequence(bad), null, String(bad));
  }
});
