// Offline for 10 s, with messages sent meanwhile: once online, delivery resumes and nothing is lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertStateChain, createSession, launch, openHarness, pageLog, toAccount, toEveryone, toUser, waitInPage, waitShown, warmUp } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('offline for 10 s: delivery resumes once online, nothing lost', { timeout: 120000 }, async (t) => {
  const s = await createSession(t);
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s);
  await warmUp(page, s);
  const first = await toUser(s, { message: 'before going offline' });
  await waitShown(page, [first]);

  await context.setOffline(true);
  const offlineAt = Date.now();
  await waitInPage(page, () => window.harness.state() === 'offline' && navigator.onLine === false, undefined, 5000);
  const during = [];
  for (const send of [() => toUser(s, { message: 'while offline 1' }), () => toAccount(s, { message: 'while offline 2' }), () => toEveryone({ message: 'while offline 3' })]) {
    during.push(await send());
    await delay(3000);
  }
  await delay(Math.max(0, offlineAt + 10000 - Date.now()));
  const shownOffline = (await pageLog(page)).messages.filter((m) => during.includes(m.message.messageId));
  assert.deepEqual(shownOffline, [], 'nothing arrives while offline');

  await context.setOffline(false);
  const onlineAt = Date.now();
  await waitInPage(page, () => window.harness.state() === 'polling', undefined, 5000);
  const afterwards = await toUser(s, { message: 'back online' });
  // A long poll that the server still held when the page went offline may have taken a message;
  // it comes back after the visibility timeout (30 s), hence the wait of up to 45 s.
  await waitShown(page, [...during, afterwards], 45000);
  const log = await pageLog(page);
  for (const id of [first, ...during, afterwards]) assert.equal(log.messages.filter((m) => m.message.messageId === id).length, 1);
  const lag = during.map((id) => log.messages.find((m) => m.message.messageId === id).at - onlineAt);
  t.diagnostic(`shown after going online (ms): ${lag.join(', ')}; states ${log.states.map((x) => x.state).join(' > ')}; errors ${JSON.stringify(log.errors.map((e) => e.kind))}`);
  assert.ok(log.states.some((x) => x.state === 'offline'));
  assertStateChain(log.states);
  assert.ok(!log.errors.some((e) => e.kind === 'decrypt' || e.kind === 'renew' || e.kind === 'handler'), JSON.stringify(log.errors));
});
