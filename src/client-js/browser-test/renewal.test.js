// Credentials that expire every 30 s (the stack runs with --credential-seconds 30) are renewed
// through /renew with no gap in delivery: a message every 4 s for 2 minutes, each shown within seconds.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, launch, openHarness, pageLog, toUser, waitShown, warmUp } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

const DURATION_MS = 120000;
const EVERY_MS = 4000;
const MAX_LATENCY_MS = 5000;

test('credentials renewed every ~15 s for 2 minutes, with no gap in delivery', { timeout: DURATION_MS + 90000 }, async (t) => {
  const s = await createSession(t);
  const lifetime = s.session.expires - Date.now() / 1000;
  assert.ok(lifetime <= 60, `this test needs short credentials (stack started with --credential-seconds 30): ${lifetime.toFixed(0)} s`);
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s);
  await warmUp(page, s);

  const sent = []; // { id, at }
  const start = Date.now();
  for (let i = 0; Date.now() - start < DURATION_MS; i++) {
    const at = Date.now();
    sent.push({ id: await toUser(s, { message: `tick ${i}` }), at });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (i + 1) * EVERY_MS - Date.now())));
  }
  await waitShown(page, sent.map((m) => m.id), 15000);
  const log = await pageLog(page);
  const latency = sent.map(({ id, at }) => log.messages.find((m) => m.message.messageId === id).at - at);
  const renewals = log.renewals.filter((r) => r.at >= start);
  t.diagnostic(`${sent.length} messages; latency ms: max ${Math.max(...latency)}, mean ${Math.round(latency.reduce((a, b) => a + b) / latency.length)}; renewals ${renewals.length} (versions ${log.renewals.map((r) => r.version).join(',')})`);
  for (const [i, ms] of latency.entries()) assert.ok(ms <= MAX_LATENCY_MS, `tick ${i} shown after ${ms} ms`);
  for (const { id } of sent) assert.equal(log.messages.filter((m) => m.message.messageId === id).length, 1);
  assert.ok(renewals.length >= Math.floor(DURATION_MS / 30000), `renewed ${renewals.length} times`);
  assert.ok(log.renewals.every((r) => r.success), 'every /renew answered a session');
  assert.deepEqual(log.errors, [], 'no error: renewal ahead of expiry, never a refused request');
  assert.equal(await page.evaluate(() => window.harness.state()), 'polling');
});
