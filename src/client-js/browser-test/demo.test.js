// Smoke test of the live demo page (/demo/): it loads, creates a session, shows a message sent to
// the user, marks it read through the history (the receipt arrives), and a second tab follows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO, api, inject, launch, unique, until } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

/**
 * Opens the demo page in a context of its own, with a new account and user filled in: the session it offers is
 * destroyed when the test ends. Page errors are collected in `pageErrors`.
 */
async function openDemo(t) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  t.after(() => context.close());
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(DEMO);
  await page.locator('#state[data-state="none"]').waitFor();
  const account = unique('acct');
  const user = unique('user');
  await page.fill('#account', account);
  await page.fill('#user', user);
  const sessionId = await page.inputValue('#session-id');
  t.after(() => api(`/destroy/${account}/${user}/${sessionId}`, { allowFailure: true }).catch(() => {}));
  return { context, page, pageErrors, account, user, sessionId };
}

test('the demo page creates a session and shows a message sent to the user', { timeout: 90000 }, async (t) => {
  const { context, page, pageErrors, account, user, sessionId } = await openDemo(t);
  assert.match(sessionId, /^demo-/, 'a random session id is offered');
  await page.click('#create');
  await page.locator('#state[data-state="polling"]').waitFor({ timeout: 10000 });
  assert.match(await page.textContent('#f-queue'), /^\S+-[A-Za-z0-9_-]{43}$/);
  assert.match(await page.textContent('#f-expires'), /expire in \d+ s/);
  assert.match(page.url(), new RegExp(`#session=${account}/${user}/${sessionId}$`), 'the session is in the URL hash');

  // The job learns of a new session within a few seconds: send (with the page's button) until one arrives.
  const text = `smoke ${Date.now()}`;
  await page.fill('#message', text);
  const shown = page.locator('#live li', { hasText: text });
  await until(async () => {
    await page.click('#send-user');
    return shown
      .first()
      .waitFor({ timeout: 2500 })
      .then(() => true, () => false);
  }, 30000, 'the message to the user to be shown');
  const item = shown.first();
  assert.equal(await item.locator('.chip.user').textContent(), `user ${user}`);
  assert.match(await item.locator('time').textContent(), /^\d\d:\d\d:\d\d\.\d{3}$/);
  const messageId = await item.getAttribute('data-id');

  // History, read state and the receipt.
  const row = page.locator(`#history li[data-id="${messageId}"]`);
  await until(async () => {
    if (await row.count()) return true;
    await page.click('#history-refresh');
    return false;
  }, 15000, 'the message in the history');
  await row.locator('.badge.unread').waitFor();
  await row.locator('.mark-read').click();
  await row.locator('.badge.read').waitFor({ timeout: 10000 });
  await page.locator('#activity li.receipt', { hasText: '1 message marked read' }).waitFor();
  await item.locator('.badge.read').waitFor();

  // "Open this session in another tab": it joins the same session and follows the polling tab.
  const second = await context.newPage();
  await second.goto(await page.getAttribute('#other-tab', 'href'));
  await second.locator('#state[data-state="following"]').waitFor({ timeout: 10000 });
  assert.equal(await second.textContent('#f-session'), sessionId);

  // A tampered body in the queue: reported plainly, never shown.
  await inject({ session: { sqsUrl: await page.getAttribute('#f-queue', 'title') } }, 'g1|' + Buffer.alloc(40, 7).toString('base64'));
  await page.locator('.alert.error', { hasText: 'failed to decrypt' }).waitFor({ timeout: 10000 });
  assert.deepEqual(pageErrors, []);
});

test('the demo page shows the session\'s topics, follows one and sends to it', { timeout: 90000 }, async (t) => {
  const { page, pageErrors, account, user, sessionId } = await openDemo(t);
  await page.fill('#topics', 'politics, world');
  await page.click('#create');
  await page.locator('#state[data-state="polling"]').waitFor({ timeout: 10000 });
  assert.deepEqual(await page.locator('#f-topics .chip.topic').allTextContents(), ['politics', 'world']);

  // Follow a topic of its own (no other session follows it), then send to it with the page's button until it arrives.
  const topic = unique('story').replace(/[^A-Za-z0-9._:@-]/g, '-');
  await page.fill('#topic-name', topic);
  await page.click('#follow');
  await page.locator('#f-topics .chip.topic', { hasText: topic }).waitFor();
  const status = await api(`/status/${account}/${user}/${sessionId}`);
  assert.deepEqual(status.session.topics, [topic, 'politics', 'world'].sort());
  await page.fill('#send-topic-name', topic);
  const text = `topic ${Date.now()}`;
  await page.fill('#message', text);
  const shown = page.locator('#live li', { hasText: text });
  await until(async () => {
    await page.click('#send-topic');
    return shown
      .first()
      .waitFor({ timeout: 2500 })
      .then(() => true, () => false);
  }, 30000, 'the message to the topic to be shown');
  assert.equal(await shown.first().locator('.chip.topic').textContent(), `topic ${topic}`);

  await page.fill('#topic-name', 'world');
  await page.click('#unfollow');
  await until(async () => (await page.locator('#f-topics .chip.topic').allTextContents()).join() === [topic, 'politics'].sort().join(), 5000, 'world unfollowed');
  assert.deepEqual(pageErrors, []);
});

test('a reader who opens the demo later catches up: the topic event sent before is shown, then kept in the inbox', { timeout: 120000 }, async (t) => {
  const first = await openDemo(t);
  const topic = unique('story').replace(/[^A-Za-z0-9._:@-]/g, '-');
  await first.page.fill('#topics', topic);
  await first.page.click('#create');
  await first.page.locator('#state[data-state="polling"]').waitFor({ timeout: 10000 });
  await first.page.fill('#send-topic-name', topic);
  const text = `before the late reader ${Date.now()}`;
  await first.page.fill('#message', text);
  const shownFirst = first.page.locator('#live li', { hasText: text });
  await until(async () => {
    await first.page.click('#send-topic');
    return shownFirst.first().waitFor({ timeout: 2500 }).then(() => true, () => false);
  }, 30000, 'the topic message in the first reader\'s page');

  // Another reader arrives, follows the story and asks for the last minute: the page shows what was sent before.
  const late = await openDemo(t);
  await late.page.fill('#topics', topic);
  await late.page.fill('#rewind', '60');
  await late.page.click('#create');
  const caughtUp = late.page.locator('#live li', { hasText: text });
  await caughtUp.first().waitFor({ timeout: 30000 });
  assert.equal(await caughtUp.count(), 1, 'once');
  const row = late.page.locator('#history li', { hasText: text });
  await until(async () => {
    if (await row.count()) return true;
    await late.page.click('#history-refresh');
    return false;
  }, 15000, 'the topic message in the late reader\'s inbox');
  assert.deepEqual(late.pageErrors, []);
});
