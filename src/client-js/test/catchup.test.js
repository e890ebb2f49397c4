import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup, until } from '../test-support/helpers.js';

test('catchUp dispatches unseen history, merges it with live messages, newest first', async (t) => {
  const { fake, client, log, send } = await setup(t);
  const events = [];
  client.addEventListener('message', (e) => events.push(e));
  client.start();
  await send({ messageId: 'B', message: 'b' });
  await until(() => log.message.length === 1);
  await send({ messageId: 'A', message: 'a' });
  await until(() => log.message.length === 2 && fake.messages.length === 0);

  const now = Math.floor(Date.now() / 1000);
  const history = {
    success: true,
    messages: [
      { messageId: 'B', message: 'b', created: now - 10, is_read: 1 },
      { messageId: 'D', message: 'd', created: now - 50, is_read: 0 },
      { messageId: 'C', message: 'c', created: now - 100, is_read: 0 },
    ],
    next: 'token',
  };
  const merged = await client.catchUp(async () => history);
  assert.deepEqual(merged.map((m) => m.messageId), ['A', 'B', 'D', 'C']);
  assert.equal(merged[1].is_read, 1, 'the history item, which has the read state');
  assert.deepEqual(log.message.map((m) => m.messageId), ['B', 'A', 'C', 'D'], 'history oldest first');
  assert.deepEqual(events.map((e) => e.fromHistory), [false, false, true, true]);

  // Seen in history: not dispatched again when it arrives live; a second catch-up adds nothing.
  await send({ messageId: 'C', message: 'c' });
  await until(() => fake.messages.length === 0);
  const again = await client.catchUp(async () => history.messages);
  assert.equal(log.message.length, 4);
  assert.deepEqual(again.map((m) => m.messageId), ['A', 'B', 'D', 'C']);
});

test('catchUp rejects a failed history answer', async (t) => {
  const { client } = await setup(t);
  await assert.rejects(client.catchUp(async () => ({ success: false, message: 'no such user' })), /no such user/);
});
