// What a session costs in ReceiveMessage calls in an hour with its tab hidden for 50 minutes: today (pauseWhenHidden
// false), with pauseWhenHidden (no receive while hidden), and with hiddenPollSeconds 60 (one a minute while hidden).
// The three run side by side, each on its own session in its own browser context.
//
// Time is scaled by 20 so that "an hour" takes 3 minutes: every duration is divided by 20, WaitTimeSeconds 20 -> 1
// (SQS wants a whole number; ElasticMQ honours it), hiddenPollSeconds 60 -> 3, the hour -> 180 s: visible 5 min
// (15 s), hidden 50 min (150 s), visible 5 min (15 s). A receive then takes 1 s instead of 20, and the count of
// receives in the scaled hour is the count in a real one (a little lower: each receive's own latency, some ms, weighs
// 20 times more against a 1 s wait than against a 20 s one).
//
// Receives are counted as the page's requests to SQS whose X-Amz-Target is AmazonSQS.ReceiveMessage (playwright's
// `request` event), not by asking the client.
//
// Hiding: headless Chromium shows every page as visible whatever is done to it (minimizing its window,
// Target.activateTarget or bringToFront change nothing: tried on Chromium 156), and CDP has no visibility emulation
// (Emulation.setFocusEmulationEnabled is about focus; Page.setWebLifecycleState 'frozen' stops the page's scripts
// altogether). So the page's `document.visibilityState` (and `hidden`) are overridden and `visibilitychange` is
// dispatched on `document`: what the client reads and listens to, the path a real hidden tab takes. What this does
// not give is the throttling of a hidden tab's timers (test/hidden.test.js covers a late renewal timer).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, endpoints, launch, openHarness, pageLog, toSession, warmUp } from './support.js';

const SCALE = 20;
const scaled = (realSeconds) => (realSeconds * 1000) / SCALE; // ms
const WAIT = 20 / SCALE; // waitTimeSeconds
const HIDDEN_POLL = 60 / SCALE; // hiddenPollSeconds
const VISIBLE_BEFORE = scaled(5 * 60);
const HIDDEN = scaled(50 * 60);
const HOUR = scaled(60 * 60);
const SENT_WHILE_HIDDEN = [2, 10, 20, 30, 40, 47]; // minutes into the hidden 50

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const until = (at) => delay(Math.max(0, at - Date.now()));

/** Sets the page's visibility as a browser does: the state, then `visibilitychange` on `document`. Answers when (epoch ms, in the page). */
const setVisibility = (page, state) =>
  page.evaluate((state) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => state === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
    return Date.now();
  }, state);

/** Every ReceiveMessage the page sends to the SQS endpoint: `{ start, end }` in epoch ms (end undefined while in flight). */
function countReceives(page, sqsEndpoint) {
  const receives = new Map();
  page.on('request', (request) => {
    if (request.method() !== 'POST' || !request.url().startsWith(sqsEndpoint)) return;
    if (request.headers()['x-amz-target'] !== 'AmazonSQS.ReceiveMessage') return;
    receives.set(request, { start: Date.now(), end: undefined });
  });
  const ended = (request) => {
    const r = receives.get(request);
    if (!r) return;
    r.end = Date.now();
    const { startTime } = request.timing(); // when the page sent it; the event above comes a little later
    if (startTime > 0) r.start = startTime;
  };
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);
  return () => [...receives.values()];
}

const CASES = [
  { name: 'today (pauseWhenHidden false)', options: { pauseWhenHidden: false } },
  { name: 'pauseWhenHidden', options: {} },
  { name: `pauseWhenHidden + hiddenPollSeconds ${HIDDEN_POLL} (60 real)`, options: { hiddenPollSeconds: HIDDEN_POLL } },
];

test(`ReceiveMessage calls in an hour with the tab hidden 50 minutes (time / ${SCALE})`, { timeout: 240000 }, async (t) => {
  const { browserSqsEndpoint } = await endpoints();
  const runs = await Promise.all(
    CASES.map(async (c) => {
      const s = await createSession(t);
      const context = await browser.newContext();
      t.after(() => context.close());
      const page = await openHarness(context, s, { waitTimeSeconds: WAIT, ...c.options });
      return { ...c, s, page, receives: countReceives(page, browserSqsEndpoint) };
    }),
  );
  const hourStart = Date.now();
  await Promise.all(runs.map((run) => warmUp(run.page, run.s))); // the job learns of the sessions: part of the first 5 minutes
  assert.ok(Date.now() < hourStart + VISIBLE_BEFORE, 'warmed up within the first (scaled) 5 minutes');

  await until(hourStart + VISIBLE_BEFORE);
  for (const run of runs) run.hiddenAt = await setVisibility(run.page, 'hidden');
  const sent = runs.map(() => []);
  for (const minute of SENT_WHILE_HIDDEN) {
    await until(hourStart + VISIBLE_BEFORE + scaled(minute * 60));
    await Promise.all(runs.map(async (run, i) => sent[i].push(await toSession(run.s, { message: `hidden minute ${minute}` }))));
  }
  await until(hourStart + VISIBLE_BEFORE + HIDDEN);
  const states = await Promise.all(runs.map((run) => run.page.evaluate(() => window.harness.state())));
  for (const run of runs) run.shownAt = await setVisibility(run.page, 'visible');
  await until(hourStart + HOUR);
  const hourEnd = Date.now();

  const report = [];
  for (const [i, run] of runs.entries()) {
    const log = await pageLog(run.page);
    const all = run.receives().filter((r) => r.start >= hourStart && r.start < hourEnd);
    const hidden = all.filter((r) => r.start >= run.hiddenAt && r.start < run.shownAt);
    const inFlight = all.filter((r) => r.start < run.hiddenAt && (r.end ?? Infinity) > run.hiddenAt);
    const shown = sent[i].map((id) => log.messages.find((m) => m.message.messageId === id));
    assert.ok(shown.every(Boolean), `${run.name}: every message sent while hidden is shown`);
    const order = log.messages.filter((m) => sent[i].includes(m.message.messageId)).map((m) => m.message.messageId);
    assert.deepEqual(order, sent[i], `${run.name}: in the order sent`);
    const afterShown = shown.map((m) => m.at - run.shownAt);
    report.push(
      `${run.name}: ${all.length} receives in the hour, ${hidden.length} of them started while hidden; ` +
        `state while hidden ${states[i]}; messages sent while hidden shown ${afterShown.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s after the tab was shown`,
    );
    assert.deepEqual(log.errors, [], run.name);
    run.counts = { all: all.length, hidden: hidden.length, inFlight, afterShown };
  }
  for (const line of report) t.diagnostic(line);

  const [today, paused, slow] = runs.map((run) => run.counts);
  // Today: polling all the time, one receive per long poll (about 180 in a real hour).
  assert.ok(today.all >= 0.85 * (HOUR / (WAIT * 1000)), `today: ${today.all}`);
  assert.equal(states[0], 'polling');
  assert.ok(today.afterShown.every((ms) => ms < 0), 'today: every message shown while hidden');

  // pauseWhenHidden: the long poll in flight at the hide ends (within its wait), and no receive starts until shown;
  // then what waited is shown at once.
  assert.equal(states[1], 'paused');
  assert.equal(paused.inFlight.length, 1, 'one long poll in flight when hidden');
  assert.ok(paused.inFlight[0].end - runs[1].hiddenAt <= WAIT * 1000 + 1000, 'it ended within its wait');
  assert.equal(paused.hidden, 0, 'no receive started while hidden');
  assert.ok(paused.afterShown.every((ms) => ms >= 0 && ms < 3000), `shown within 3 s of the show: ${paused.afterShown}`);
  assert.ok(paused.all <= 0.25 * today.all, `paused: ${paused.all} receives against ${today.all}`);

  // hiddenPollSeconds: one receive per (scaled) minute while hidden; messages arrive while hidden, within about one.
  assert.equal(states[2], 'paused');
  const expected = HIDDEN / (HIDDEN_POLL * 1000);
  assert.ok(slow.hidden >= expected - 3 && slow.hidden <= expected + 1, `slow poll: ${slow.hidden} receives while hidden, about ${expected}`);
  assert.ok(slow.afterShown.every((ms) => ms < 0), 'slow poll: every message shown while hidden');
});
