// The session destroyed with /destroy: the page ends with reason queue-gone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStateChain, createSession, launch, openHarness, pageLog, queueDepth, receives, toUser, until, waitInPage, waitShown, warmUp } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test('the session destroyed: the page ends with reason queue-gone', { timeout: 90000 }, async (t) => {
  const s = await createSession(t);
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s);
  await warmUp(page, s);
  const last = await toUser(s, { message: 'the last one' });
  await waitShown(page, [last]);
  // Destroy while a long poll is waiting at SQS (the harder case than a destroy between two requests).
  await until(async () => (await queueDepth(s)) === 0 && (await receives(s)).waiting === 1, 10000, 'a long poll waiting on an empty queue');
  await new Promise((resolve) => setTimeout(resolve, 1000));

  await s.destroy();
  const t0 = Date.now();
  // The long poll in flight is answered when its wait ends; the next one finds no queue.
  await waitInPage(page, () => window.log.ended.length > 0, undefined, 45000);
  const log = await pageLog(page);
  t.diagnostic(`ended ${Date.now() - t0} ms after /destroy; errors ${JSON.stringify(log.errors.map((e) => `${e.kind}: ${e.error}`))}`);
  assert.deepEqual(log.ended.map((e) => e.reason), ['queue-gone']);
  assert.match(log.ended[0].error, /QueueDoesNotExist|does not exist/);
  assert.equal(log.states.at(-1).state, 'ended');
  assertStateChain(log.states);
  assert.equal(await page.evaluate(() => window.harness.state()), 'ended');
  assert.ok(!log.errors.some((e) => e.fatal));
});
