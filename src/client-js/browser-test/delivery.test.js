// A page receives user, account and everyone messages, decrypted, for a GCM and for a CTR session.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSession, launch, openHarness, shown, toAccount, toEveryone, toUser, waitShown, warmUp, clientState } from './support.js';

let browser;
before(async () => (browser = await launch()));
after(() => browser?.close());

for (const cipher of ['gcm', 'ctr']) {
  test(`a ${cipher.toUpperCase()} session receives user, account and everyone messages`, { timeout: 90000 }, async (t) => {
    const s = await createSession(t, { cipher });
    assert.equal(s.session.cipher, cipher);
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await openHarness(context, s);
    await warmUp(page, s);
    assert.equal(await clientState(page), 'polling');

    const text = `héllo ✓ ${cipher}`; // non-ASCII survives encryption and decoding
    const sent = {
      user: await toUser(s, { message: `${text} user`, _type: 'news' }),
      account: await toAccount(s, { message: `${text} account` }),
      everyone: await toEveryone({ message: `${text} everyone` }),
    };
    await waitShown(page, Object.values(sent));
    const byId = new Map((await shown(page)).map((m) => [m.message.messageId, m]));
    const user = byId.get(sent.user).message;
    assert.equal(user.message, `${text} user`);
    assert.equal(user._type, 'news');
    assert.equal(String(user.userId), s.user);
    const account = byId.get(sent.account).message;
    assert.equal(account.message, `${text} account`);
    assert.equal(String(account.accountId), s.account);
    assert.equal(byId.get(sent.everyone).message.message, `${text} everyone`);
    for (const id of Object.values(sent)) {
      assert.equal((await shown(page)).filter((m) => m.message.messageId === id).length, 1, 'each once');
      assert.equal(byId.get(id).fromHistory, false);
      assert.ok(byId.get(id).sentTimestamp > s.createdAt, 'SentTimestamp read from SQS');
    }
    assert.deepEqual(await page.evaluate(() => window.log.errors), []);
  });
}
