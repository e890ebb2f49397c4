// Nobody misses the news: a reader who arrives after a broadcast, a topic event and an account event, and asks for a
// rewind, is shown all three, once, in order, before the live ones; and a message removed on the way is a `gap`, which
// catchUp() fills from the inbox.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createSession, launch, notify, openHarness, pageLog, queueDepth, sqs, toUser, unique, until, waitInPage, waitShown, warmUp,
} from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

test('a reader who arrives later with a rewind is shown the broadcast, topic and account events once, in order, then the live ones', { timeout: 90000 }, async (t) => {
  const account = unique('acct');
  const topic = unique('topic');
  const marker = unique('rewind');
  const before = [
    await notify('', { message: `${marker} breaking` }),
    await notify(`/topic/${encodeURIComponent(topic)}`, { message: `${marker} topic` }),
    await notify(`/account/${encodeURIComponent(account)}`, { message: `${marker} account` }),
  ];
  // Arrived, and expanded to the sessions live then (none of this reader's).
  await new Promise((resolve) => setTimeout(resolve, 3000));
  // Thirty seconds back: the events are a few seconds old (a rewind that reached before the job started would say that
  // part is cut, as the job cannot know what it did not read).
  const s = await createSession(t, { account, topics: topic, rewind: 30 });
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s, { gapWaitSeconds: 5 });
  await waitShown(page, before, 30000);
  const live = await toUser(s, { message: `${marker} live` });
  await waitShown(page, [live]);
  const shown = (await pageLog(page)).messages.map((m) => m.message.messageId).filter((id) => [...before, live].includes(id));
  assert.deepEqual(shown, [...before, live], 'each once, the rewound in the order sent, then the live one');
  await new Promise((resolve) => setTimeout(resolve, 6000));
  assert.deepEqual((await pageLog(page)).gaps, [], 'nothing missing');
});

test('a message removed on the way is a gap, and catchUp fills it from the inbox', { timeout: 90000 }, async (t) => {
  const s = await createSession(t);
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await openHarness(context, s, { gapWaitSeconds: 3 });
  await warmUp(page, s);
  await page.evaluate(() => window.harness.stop());
  await until(async () => (await pageLog(page)).ended.length === 1);
  // The long poll it aborted goes on at SQS until its 20 s are up, and would take what arrives meanwhile.
  await new Promise((resolve) => setTimeout(resolve, 21000));
  const ids = [];
  for (const n of [1, 2, 3]) ids.push(await toUser(s, { message: `number ${n}` }));
  await until(async () => (await queueDepth(s)) === 3, 15000, 'three messages in the queue');
  // Someone with the session's credentials (or the queue's retention) takes the second one away.
  const received = [];
  await until(async () => {
    const { Messages = [] } = await sqs('ReceiveMessage', { QueueUrl: s.session.sqsUrl, MaxNumberOfMessages: 10,
      VisibilityTimeout: 60, MessageAttributeNames: ['seq'] });
    received.push(...Messages);
    return received.length === 3;
  }, 15000, 'the three messages received');
  const numbered = received.map((m) => ({ m, n: Number(m.MessageAttributes.seq.StringValue.split(/[:~]/)[1]) })).sort((a, b) => a.n - b.n);
  await sqs('DeleteMessage', { QueueUrl: s.session.sqsUrl, ReceiptHandle: numbered[1].m.ReceiptHandle });
  for (const { m } of [numbered[0], numbered[2]]) {
    await sqs('ChangeMessageVisibility', { QueueUrl: s.session.sqsUrl, ReceiptHandle: m.ReceiptHandle, VisibilityTimeout: 0 });
  }
  const again = await context.newPage();
  await again.goto(page.url());
  await again.waitForFunction(() => window.harnessReady === true);
  await again.evaluate(({ session }) => window.harness.start({ session, options: { gapWaitSeconds: 3 } }), { session: s.answer });
  await waitShown(again, [ids[0], ids[2]]);
  const gaps = await waitInPage(again, () => window.log.gaps.length > 0 && window.log.gaps, undefined, 20000);
  assert.deepEqual(gaps.map(({ reason, from, to }) => ({ reason, from, to })),
    [{ reason: 'missing', from: numbered[1].n, to: numbered[1].n }]);
  const merged = await again.evaluate((user) => window.harness.catchUp(user), s.user);
  assert.ok(merged.includes(ids[1]), 'the history has the one removed');
  const fromHistory = (await pageLog(again)).messages.filter((m) => m.fromHistory).map((m) => m.message.messageId);
  assert.ok(fromHistory.includes(ids[1]));
  assert.ok(!fromHistory.includes(ids[0]), 'what was shown live is not shown again');
});
