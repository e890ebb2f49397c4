// Shared by the browser tests: the local stack's API, sessions that clean up after themselves,
// headless Chromium through playwright-core, the harness page, and waiting on conditions.
import assert from 'node:assert/strict';
import http from 'node:http';
import { AwsClient } from 'aws4fetch';
import { chromium } from 'playwright-core';

export const API = (process.env.LOCAL_API || 'http://127.0.0.1:8090').replace(/\/+$/, '');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const HARNESS = `${API}/client-js/browser-test/page.html`;
export const DEMO = `${API}/demo/`;

// Headless, and nothing that would try to reach the (closed) network.
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** One Chromium for a test file (playwright gives it a fresh, temporary user-data-dir); `args` are added to the usual. */
export function launch(args = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...ARGS, ...args] });
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const random = () => Math.random().toString(36).slice(2, 10);
export const unique = (prefix) => `${prefix}-${Date.now().toString(36)}-${random()}`;

/** The application's backend: it signs its calls of the API (IAM-authorized, as API Gateway is) with the local stack's keys. */
let backendCache;
const backend = async () => (backendCache ??= new AwsClient({
  accessKeyId: (await endpoints()).backendAccessKeyId, secretAccessKey: (await endpoints()).backendSecretAccessKey,
  service: 'execute-api', region: (await endpoints()).region,
}));

/** GETs (or POSTs `body` to) the local API, signed as the backend signs; answers the JSON, or throws with the API's message. */
export async function api(path, { body, allowFailure = false } = {}) {
  const res = await (await backend()).fetch(API + path, body === undefined ? {}
    : { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!allowFailure && (!res.ok || json.success === false)) throw new Error(`${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return json;
}

let endpointsCache;
/** The stack's `/local/endpoints` (sqsEndpoint: ElasticMQ itself; browserSqsEndpoint: for session credentials). */
export const endpoints = async () => (endpointsCache ??= await (await fetch(API + '/local/endpoints')).json());

/**
 * A new session with unique account, user and session ids (so that tests do not see each other's
 * user and account messages), destroyed after the test `t` unless the test did it.
 */
export async function createSession(t, { cipher = 'gcm', account = unique('acct'), user = unique('user'), topics, rewind } = {}) {
  const sessionId = unique('bt');
  const path = `${account}/${user}/${sessionId}`;
  const query = new URLSearchParams({ cipher, ...(topics ? { topics } : {}), ...(rewind ? { rewind: String(rewind) } : {}) });
  const answer = await api(`/create/${path}?${query}`);
  const s = { answer, session: answer.session, account, user, sessionId, path, destroyed: false, createdAt: Date.now() };
  s.destroy = async () => {
    s.destroyed = true;
    return api(`/destroy/${path}`);
  };
  t.after(async () => {
    if (!s.destroyed) await s.destroy().catch(() => {});
  });
  return s;
}

/** Sends an event through the notify API; answers its messageId. */
export async function notify(path, fields = {}) {
  const query = new URLSearchParams(fields).toString();
  return (await api(`/notify${path}${query ? '?' + query : ''}`)).messageId;
}

export const toUser = (s, fields) => notify(`/user/${encodeURIComponent(s.user)}`, fields);
export const toAccount = (s, fields) => notify(`/account/${encodeURIComponent(s.account)}`, fields);
export const toEveryone = (fields) => notify('', fields);
export const toSession = (s, fields) => notify(`/user/${encodeURIComponent(s.user)}/session/${encodeURIComponent(s.sessionId)}`, fields);

/** Opens the harness page in `context` and starts a client on the session; `options` go to the SessionClient. */
export async function openHarness(context, s, options = {}) {
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && console.error(`[page console] ${m.text()}`));
  await page.goto(HARNESS);
  await page.waitForFunction(() => window.harnessReady === true);
  await page.evaluate(({ session, endpoint, options }) => window.harness.start({ session, endpoint, options }), {
    session: s.answer,
    endpoint: (await endpoints()).browserSqsEndpoint,
    options,
  });
  return page;
}

/** The messages the page dispatched: `[{ at, message, fromHistory, sentTimestamp }]`. */
export const shown = (page) => page.evaluate(() => window.log.messages);
export const pageLog = (page) => page.evaluate(() => window.log);
export const clientState = (page) => page.evaluate(() => window.harness.state());

/** The harness's `log.states` (every `state` event, from the first): each one's `previous` is the state before it. */
export function assertStateChain(states) {
  assert.deepEqual(
    states.map((x) => x.previous),
    ['idle', ...states.slice(0, -1).map((x) => x.state)],
    `states ${JSON.stringify(states.map(({ previous, state }) => `${previous}>${state}`))}`,
  );
}

/** Waits until the page has dispatched every id of `ids`. */
export async function waitShown(page, ids, timeout = 15000) {
  try {
    await page.waitForFunction((ids) => ids.every((id) => window.log.messages.some((m) => m.message.messageId === id)), ids, { timeout, polling: 100 });
  } catch (error) {
    const have = (await shown(page)).map((m) => m.message.messageId);
    throw new Error(`timed out after ${timeout} ms: missing ${ids.filter((id) => !have.includes(id)).join(', ')}`, { cause: error });
  }
}

/** Waits until `fn(arg)` is truthy in the page; answers its value. */
export async function waitInPage(page, fn, arg, timeout = 15000) {
  return (await page.waitForFunction(fn, arg, { timeout, polling: 100 })).jsonValue();
}

/**
 * Waits until the job knows the session (it learns of it through the change stream within a few
 * seconds): sends a session message every 1.5 s until the page shows one.
 */
export async function warmUp(page, s, timeout = 30000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    const id = await toSession(s, { _type: 'warm-up' });
    try {
      await waitShown(page, [id], 1500);
      return;
    } catch {}
    if (await page.evaluate(() => window.log.messages.some((m) => m.message._type === 'warm-up'))) return;
  }
  throw new Error(`session ${s.sessionId} not delivering after ${timeout} ms`);
}

/** Polls `predicate` (async allowed) every 100 ms until truthy; fails after `ms`. */
export async function until(predicate, ms = 15000, what = String(predicate)) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(100);
  }
}

/**
 * A POST with node:http, answering `{ status, text }`: ElasticMQ listens on a port browsers refuse (a Fetch "bad
 * port"), and Node's fetch, which follows the same standard, refuses it too.
 */
export function post(url, headers, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** One call of the SQS JSON protocol on ElasticMQ itself (no auth): for test setup only. */
export async function sqs(action, params) {
  const { status, text } = await post((await endpoints()).sqsEndpoint,
    { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.' + action }, JSON.stringify(params));
  if (status !== 200) throw new Error(`${action}: HTTP ${status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

/** Puts a raw body in the session's queue, as the job would; answers the SQS MessageId. */
export const inject = async (s, body) => (await sqs('SendMessage', { QueueUrl: s.session.sqsUrl, MessageBody: body })).MessageId;

/** Messages in the session's queue, visible or not (received, not yet deleted). */
export async function queueDepth(s) {
  const { Attributes: a } = await sqs('GetQueueAttributes', {
    QueueUrl: s.session.sqsUrl,
    AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
  });
  return Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible);
}

/** `{ total, waiting, mostAtOnce }`: ReceiveMessage calls on the session's queue at the session endpoint. */
export async function receives(s) {
  return (await api('/local/sqs-receives'))[s.session.sqsQueueName] ?? { total: 0, waiting: 0, mostAtOnce: 0 };
}

// --- message bodies made in Node, with the session's key, in the documented envelopes ---

const b64 = (bytes) => Buffer.from(bytes).toString('base64');

export async function encryptGcm(aesKey, plaintext) {
  const key = await crypto.subtle.importKey('raw', Buffer.from(aesKey, 'base64'), 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext)));
  return 'g1|' + b64(Buffer.concat([iv, sealed]));
}

/** The GCM envelope with one ciphertext byte flipped: still well-formed, fails authentication. */
export function tamper(body, index = 12) {
  const raw = Buffer.from(body.slice(3), 'base64');
  raw[index] ^= 0x01;
  return 'g1|' + raw.toString('base64');
}

/** Runs `fn` with a stopwatch: answers `[result, seconds]`. */
export async function timed(fn) {
  const t0 = Date.now();
  return [await fn(), (Date.now() - t0) / 1000];
}
