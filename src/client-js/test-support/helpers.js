// Test helpers: a fake SQS (JSON protocol) on 127.0.0.1, WebCrypto encryption of both envelopes,
// an in-memory Web Locks manager, an in-memory Storage, a document whose visibility the test sets, and small
// waiting utilities.
import http from 'node:http';
import { once } from 'node:events';
import { SessionClient } from '../src/index.js';
import { INITIAL_STATE, STATE_TRANSITIONS } from '../src/states.js';

const b64 = (bytes) => Buffer.from(bytes).toString('base64');
const rawKey = (keyB64) => Buffer.from(keyB64, 'base64');
let sequence = 0;
const unique = (prefix) => `${prefix}-${process.pid}-${++sequence}-${Math.random().toString(36).slice(2, 8)}`;

export const newKey = () => b64(crypto.getRandomValues(new Uint8Array(32)));

export async function encryptGcm(keyB64, plaintext) {
  const key = await crypto.subtle.importKey('raw', rawKey(keyB64), 'AES-GCM', false, ['encrypt']);
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(plaintext));
  return 'g1|' + b64(Buffer.concat([iv, new Uint8Array(sealed)]));
}

export async function encryptCtr(keyB64, plaintext, counter = BigInt(Math.floor(Math.random() * 2 ** 53))) {
  const key = await crypto.subtle.importKey('raw', rawKey(keyB64), 'AES-CTR', false, ['encrypt']);
  const block = new Uint8Array(16);
  for (let n = BigInt(counter), i = 15; i >= 0; i--, n >>= 8n) block[i] = Number(n & 255n);
  const data = await crypto.subtle.encrypt({ name: 'AES-CTR', counter: block, length: 128 }, key, new TextEncoder().encode(plaintext));
  return `${counter}|${b64(new Uint8Array(data))}`;
}

/**
 * The downgrade attack on a captured GCM body: GCM encrypts the plaintext with the CTR keystream of the counter
 * blocks nonce ‖ 2, 3, …, so the same ciphertext, without its tag, is a CTR body whose initial counter is the
 * 128-bit number nonce ‖ 00000002; and CTR ciphertext can be edited where the plaintext is known.
 */
export function gcmAsCtr(gcmBody, { at, from, to }) {
  const raw = Buffer.from(gcmBody.slice(3), 'base64');
  const nonce = raw.subarray(0, 12);
  const ciphertext = Buffer.from(raw.subarray(12, raw.length - 16));
  for (let i = 0; i < from.length; i++) ciphertext[at + i] ^= from.charCodeAt(i) ^ to.charCodeAt(i);
  const counter = (BigInt('0x' + nonce.toString('hex')) << 32n) | 2n;
  return `${counter}|${ciphertext.toString('base64')}`;
}

/**
 * A fake SQS queue speaking the JSON protocol: ReceiveMessage (long poll, visibility timeout,
 * receive counts) and DeleteMessageBatch. Requests must carry the current credentials.
 */
export class FakeSqs {
  queueName = unique('test-queue');
  messages = []; // { id, body, sent, visibleAt, receives, handles:Set }
  credentials = { accessKey: 'AKIDTEST1', sessionToken: 'token-1' };
  calls = { ReceiveMessage: 0, DeleteMessageBatch: 0 };
  requests = []; // { action, accessKey, token, at }
  receiving = 0;
  maxReceiving = 0;
  gone = false;
  errors = []; // injected answers for the next requests: { status, type, query } or 'drop'
  failWith = null; // an injected answer for every request while set
  #waiters = new Set();
  #version = 1;
  #released = 0;

  async listen() {
    this.server = http.createServer((req, res) => this.#serve(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.endpoint = `http://127.0.0.1:${this.server.address().port}`;
    this.queueUrl = `${this.endpoint}/000000000000/${this.queueName}`;
    return this;
  }

  async close() {
    this.releaseWaiters();
    this.server.closeAllConnections();
    this.server.close();
  }

  /** Queues a message body (with its place in the session's sequence, `<epoch>:<n>`, if given); answers its SQS MessageId. */
  send(body, sequence) {
    const id = crypto.randomUUID();
    this.messages.push({ id, body, sequence, sent: Date.now(), visibleAt: 0, receives: 0, handles: new Set() });
    this.releaseWaiters();
    return id;
  }

  /** New credentials; the old ones are refused from now on. */
  rotate() {
    this.#version++;
    this.credentials = { accessKey: `AKIDTEST${this.#version}`, sessionToken: `token-${this.#version}` };
    this.releaseWaiters();
    return this.credentials;
  }

  /** Ends the long polls in progress (they answer what is visible by then, often nothing). */
  releaseWaiters() {
    this.#released++;
    for (const wake of this.#waiters) wake();
  }

  async #serve(req, res) {
    let body = '';
    for await (const chunk of req) body += chunk;
    const action = String(req.headers['x-amz-target']).replace('AmazonSQS.', '');
    const auth = String(req.headers.authorization);
    const accessKey = /^AWS4-HMAC-SHA256 Credential=([^/]+)\//.exec(auth)?.[1];
    const token = req.headers['x-amz-security-token'];
    this.requests.push({ action, accessKey, token, at: Date.now() });
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    const reply = (status, json, headers = {}) => {
      res.writeHead(status, { 'Content-Type': 'application/x-amz-json-1.0', ...headers });
      res.end(JSON.stringify(json));
    };
    const fail = ({ status, type, query, message = 'injected' }) =>
      reply(status, { __type: type, message }, query ? { 'x-amzn-query-error': query } : {});

    if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return reply(400, { __type: 'com.amazonaws.sqs#InvalidParameterValue' });
    const injected = this.errors.shift() ?? this.failWith;
    if (injected === 'drop') return req.socket.destroy();
    if (injected) return fail(injected);
    if (!accessKey || accessKey !== this.credentials.accessKey)
      return fail({ status: 403, type: 'com.amazon.coral.service#UnrecognizedClientException', message: 'bad key' });
    if (token !== this.credentials.sessionToken)
      return fail({ status: 403, type: 'com.amazon.coral.service#ExpiredTokenException', message: 'bad token' });
    const params = JSON.parse(body);
    if (this.gone || params.QueueUrl !== this.queueUrl)
      return fail({
        status: 400,
        type: 'com.amazonaws.sqs#QueueDoesNotExist',
        query: 'AWS.SimpleQueueService.NonExistentQueue;Sender',
        message: 'The specified queue does not exist.',
      });
    if (action === 'ReceiveMessage') return this.#receive(params, res, reply);
    if (action === 'DeleteMessageBatch') {
      const Successful = [];
      for (const { Id, ReceiptHandle } of params.Entries) {
        this.messages = this.messages.filter((m) => !m.handles.has(ReceiptHandle));
        Successful.push({ Id });
      }
      return reply(200, { Successful, Failed: [] });
    }
    reply(400, { __type: 'com.amazonaws.sqs#UnsupportedOperation' });
  }

  async #receive(params, res, reply) {
    this.receiving++;
    this.maxReceiving = Math.max(this.maxReceiving, this.receiving);
    const deadline = Date.now() + params.WaitTimeSeconds * 1000;
    const released = this.#released;
    let closed = false;
    res.once('close', () => (closed = true));
    try {
      for (;;) {
        const now = Date.now();
        const visible = this.messages.filter((m) => m.visibleAt <= now).slice(0, params.MaxNumberOfMessages);
        if (visible.length || now >= deadline || closed || released !== this.#released) {
          if (closed) return;
          const Messages = visible.map((m) => {
            const handle = crypto.randomUUID();
            m.handles.add(handle);
            m.receives++;
            m.visibleAt = now + params.VisibilityTimeout * 1000;
            return {
              MessageId: m.id,
              ReceiptHandle: handle,
              MD5OfBody: 'not-checked',
              Body: m.body,
              Attributes: { SentTimestamp: String(m.sent) },
              // As SQS: a message attribute only when asked for by name.
              ...(m.sequence && params.MessageAttributeNames?.includes('seq')
                ? { MessageAttributes: { seq: { DataType: 'String', StringValue: m.sequence } } }
                : {}),
            };
          });
          return reply(200, Messages.length ? { Messages } : {});
        }
        // Wake on a send, a release, the next message becoming visible, the deadline or a closed connection.
        const next = Math.min(deadline, ...this.messages.map((m) => m.visibleAt)) - now;
        await new Promise((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            this.#waiters.delete(wake);
            res.off('close', wake);
            resolve();
          };
          const timer = setTimeout(wake, Math.max(next, 5));
          this.#waiters.add(wake);
          res.once('close', wake);
        });
      }
    } finally {
      this.receiving--;
    }
  }
}

/** A session object as the backend answers it, for this fake queue. */
export function sessionFor(fake, { aesKey = newKey(), cipher = 'gcm', expiresIn = 3600, version = 1 } = {}) {
  return {
    accountId: 100,
    userId: 200,
    sessionId: 'test-session',
    sqsUrl: fake.queueUrl,
    sqsQueueName: fake.queueName,
    region: 'us-east-1',
    cipher,
    expires: Date.now() / 1000 + expiresIn,
    ttl: Math.floor(Date.now() / 1000) + 7200,
    version,
    aesKey,
    accessKey: fake.credentials.accessKey,
    secretKey: 'secret-' + fake.credentials.accessKey,
    sessionToken: fake.credentials.sessionToken,
  };
}

/** navigator.locks' request(), in memory: exclusive locks, granted in request order, abortable while waiting. */
export class MemoryLocks {
  #held = new Set();
  #queues = new Map();

  request(name, options, callback) {
    return new Promise((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(new DOMException('aborted', 'AbortError'));
      const waiter = { resolve, reject, callback };
      const queue = this.#queues.get(name) ?? [];
      this.#queues.set(name, queue);
      queue.push(waiter);
      signal?.addEventListener('abort', () => {
        const i = queue.indexOf(waiter);
        if (i >= 0) {
          queue.splice(i, 1);
          reject(new DOMException('aborted', 'AbortError'));
        }
      });
      this.#grant(name);
    });
  }

  #grant(name) {
    const queue = this.#queues.get(name);
    if (this.#held.has(name) || !queue.length) return;
    const { resolve, reject, callback } = queue.shift();
    this.#held.add(name);
    Promise.resolve()
      .then(() => callback({ name, mode: 'exclusive' }))
      .then(resolve, reject)
      .finally(() => {
        this.#held.delete(name);
        this.#grant(name);
      });
  }
}

/** The Storage interface (getItem/setItem), in memory. */
export class MemoryStorage {
  items = new Map();
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
}

/** A document's visibility as the client reads it (`visibilityState`, `visibilitychange`), set by the test. */
export class FakeDocument extends EventTarget {
  constructor(visibilityState = 'visible') {
    super();
    this.visibilityState = visibilityState;
  }
  hide() {
    this.#set('hidden');
  }
  show() {
    this.#set('visible');
  }
  #set(state) {
    this.visibilityState = state;
    this.dispatchEvent(new Event('visibilitychange'));
  }
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `predicate` every 5 ms until it is truthy; fails after `ms`. */
export async function until(predicate, ms = 5000, what = String(predicate)) {
  const end = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what);
    await delay(5);
  }
}

/**
 * Records the events of a client by type (before it starts). Every `state` event is checked as it comes: its
 * `previous` is the state before it (`idle` for the first), the move is one STATE_TRANSITIONS allows, and its `state`
 * is the client's; a `state` event that is not throws in the listener, which fails the test (an uncaught exception).
 */
export function record(client, types = ['message', 'receipt', 'error', 'state', 'ended']) {
  const log = Object.fromEntries(types.map((t) => [t, []]));
  let last = client.state;
  if (last !== INITIAL_STATE) throw new Error(`record() a client before it starts (it is ${last})`);
  for (const t of types) {
    client.addEventListener(t, (e) => {
      if (t === 'state') {
        const { state, previous } = e.detail;
        if (previous !== last || !STATE_TRANSITIONS[previous]?.includes(state) || state !== client.state) {
          throw new Error(`bad state event ${JSON.stringify(e.detail)} after ${last} (client: ${client.state})`);
        }
        last = state;
      }
      log[t].push(e.detail);
    });
  }
  return log;
}


/**
 * A fake queue, its session and a client on it (not started), cleaned up after the test `t`.
 * Single-tab unless options say otherwise; short timings.
 */
export async function setup(t, { session: sessionOptions, ...options } = {}) {
  const fake = await new FakeSqs().listen();
  const session = sessionFor(fake, sessionOptions);
  const client = new SessionClient({
    session,
    renew: async () => sessionFor(fake, { aesKey: session.aesKey, cipher: session.cipher }),
    endpoint: fake.endpoint,
    storage: new MemoryStorage(),
    locks: null,
    channel: null,
    onlineEvents: null,
    visibilityTimeout: 1,
    backoffBaseMs: 10,
    backoffCapMs: 100,
    ...options,
  });
  const log = record(client);
  t.after(async () => {
    await client.stop();
    await fake.close();
  });
  const send = async (message, cipher = session.cipher, sequence = undefined) =>
    fake.send(await (cipher === 'ctr' ? encryptCtr : encryptGcm)(session.aesKey, JSON.stringify(message)), sequence);
  return { fake, session, client, log, send };
}
