// Two tabs (two pages of one browser context) on one session: one polls, both show everything,
// and when the polling tab closes the other takes over without losing a message.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { clientState, createSession, launch, openHarness, receives, shown, toAccount, toEveryone, toSession, toUser, until, waitInPage, waitShown, warmUp } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

const countOf = async (page, id) => (await shown(page)).filter((m) => m.message.messageId === id).length;

test('two tabs on one session: one poller, both show every message, nothing lost at the handover', { timeout: 120000 }, async (t) => {
  const s = await createSession(t);
  const context = await browser.newContext();
  t.after(() => context.close());
  const first = await openHarness(context, s);
  await waitInPage(first, () => window.harness.state() === 'polling');
  const second = await openHarness(context, s);
  await waitInPage(second, () => window.harness.state() === 'following');
  await warmUp(first, s);

  const before = [
    await toUser(s, { message: 'to the user' }),
    await toAccount(s, { message: 'to the account' }),
    await toEveryone({ message: 'to everyone' }),
    await toSession(s, { message: 'to the session' }),
  ];
  await waitShown(first, before);
  await waitShown(second, before);
  assert.equal(await clientState(first), 'polling');
  assert.equal(await clientState(second), 'following');
  const polls = await receives(s);
  assert.equal(polls.mostAtOnce, 1, `one poller: ${JSON.stringify(polls)}`);
  assert.ok(polls.total >= 2, `the polling tab polled: ${JSON.stringify(polls)}`);

  // The handover: a burst of messages, one every 150 ms, with the polling tab closed in the middle of it
  // (it may be receiving, handling or deleting some of them), then one more once the other tab polls.
  const burst = (async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) {
      ids.push(await toUser(s, { message: `burst ${i}` }));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return ids;
  })();
  await waitInPage(first, () => window.log.messages.some((m) => m.message.message === 'burst 2'));
  const t0 = Date.now();
  await first.close();
  await waitInPage(second, () => window.harness.state() === 'polling', undefined, 10000);
  const takeover = Date.now() - t0;
  const around = [...(await burst), await toUser(s, { message: 'after the takeover' })];
  // A message the closed tab had received but not deleted comes back after the visibility timeout (30 s).
  await waitShown(second, around, 60000);
  for (const id of [...before, ...around]) assert.equal(await countOf(second, id), 1, `${id} shown once`);
  const log = await second.evaluate(() => window.log);
  assert.deepEqual(log.errors, []);
  t.diagnostic(`takeover after ${takeover} ms; all shown ${((Date.now() - t0) / 1000).toFixed(1)} s after the close; receives ${JSON.stringify(await receives(s))}`);
  const lag = around.map((id) => log.messages.find((m) => m.message.messageId === id).at - t0);
  t.diagnostic(`shown after the close (ms): ${lag.join(', ')}`);
});
