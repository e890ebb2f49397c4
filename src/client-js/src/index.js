import { decryptor, decrypt, relayAuthenticator, TamperingError } from './envelope.js';
import { SeenIds } from './dedup.js';
import { sqsClient, SqsError } from './sqs.js';

export { decrypt, SqsError, TamperingError };

const PREFIX = 'sqs-browser-events:';
const RECEIPT = 'message-read-receipt';
const MAX_TIMER = 2 ** 31 - 1; // setTimeout fires at once beyond this

/** Resolves after `ms` or as soon as `signal` aborts; never rejects. */
const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = ms < MAX_TIMER ? setTimeout(done, ms) : undefined;
    if (signal.aborted) done();
    else signal.addEventListener('abort', done);
  });

const sessionStorageOrNull = () => {
  try {
    return globalThis.sessionStorage ?? null;
  } catch {
    return null; // sandboxed frames throw on access
  }
};

/**
 * One session's events: long-polls its SQS queue (in one tab of the browser), decrypts,
 * de-duplicates, dispatches, then deletes. See index.d.ts for the documentation.
 */
export class SessionClient extends EventTarget {
  #o;
  #session;
  #sqs;
  #decrypt;
  #relay; // signs what this tab relays, checks what the others relay
  #renewAt;
  #name;
  #seen;
  #live = new Map(); // messageId -> { message, time } of live messages, for catchUp's merged list
  #locks;
  #channel;
  #ownChannel;
  #onlineEvents;
  #state = 'idle';
  #started = false;
  #ended = false;
  #leader = false;
  #offline = false;
  #renewing = null;
  #refused = false; // SQS refused the current credentials: wait for new ones
  #renewTimer;
  #life = new AbortController(); // aborted when the client ends
  #wake; // aborted to interrupt the current request or wait: stop, offline, online
  #done = Promise.resolve();
  #relays = Promise.resolve(); // relayed messages are dispatched one after the other, in order

  constructor(options) {
    super();
    const has = (name) => options[name] !== undefined;
    if (typeof options?.renew !== 'function') throw new TypeError('options.renew must be a function');
    this.#o = {
      visibilityTimeout: 30,
      waitTimeSeconds: 20,
      renewBeforeSeconds: 300,
      renewAttemptsAfterExpiry: 3,
      dedupCapacity: 1000,
      backoffBaseMs: 200,
      backoffCapMs: 20000,
    };
    for (const k in options) if (options[k] !== undefined) this.#o[k] = options[k];
    this.#setSession(options.session);
    this.#name = PREFIX + (this.#session.sqsQueueName || this.#session.sqsUrl.split('/').pop());
    this.#seen = new SeenIds(this.#o.dedupCapacity, has('storage') ? options.storage : sessionStorageOrNull(), this.#name + ':seen');
    this.#locks = has('locks') ? options.locks : globalThis.navigator?.locks ?? null;
    this.#ownChannel = !has('channel'); // opened by start(), so that an unstarted client holds nothing open
    this.#channel = options.channel ?? null;
    // window, or a worker's global scope: both fire online/offline
    this.#onlineEvents = has('onlineEvents') ? options.onlineEvents : typeof addEventListener === 'function' ? globalThis : null;
  }

  get state() {
    return this.#state;
  }

  start() {
    if (this.#ended) throw new Error('this client has ended; create a new one');
    if (this.#started) return this;
    this.#started = true;
    const { signal } = this.#life;
    this.#offline = globalThis.navigator?.onLine === false;
    if (this.#ownChannel && typeof BroadcastChannel === 'function') this.#channel = new BroadcastChannel(this.#name);
    this.#onlineEvents?.addEventListener('online', this.#network, { signal });
    this.#onlineEvents?.addEventListener('offline', this.#network, { signal });
    this.#channel?.addEventListener('message', this.#relayed, { signal });
    if (!this.#locks) this.#done = this.#lead();
    else {
      this.#update(); // following, until the lock is granted
      this.#done = this.#locks
        .request(this.#name, { mode: 'exclusive', signal }, () => this.#lead())
        .catch((error) => {
          if (this.#ended) return; // the AbortError of stop() while waiting for the lock
          // Polling without the lock costs duplicate polling at worst; not polling would lose events.
          this.#error('lock', error);
          return this.#lead();
        });
    }
    return this;
  }

  stop() {
    this.#end('stopped');
    return this.#done;
  }

  onMessage(handler, options) {
    const listener = (event) => {
      try {
        event.waitUntil(handler(event.detail, event));
      } catch (error) {
        event.waitUntil(Promise.reject(error));
      }
    };
    this.addEventListener('message', listener, options);
    return () => this.removeEventListener('message', listener);
  }

  async catchUp(loadHistory) {
    const answer = await loadHistory();
    if (answer?.success === false) throw new Error(answer.message ?? 'loading the history failed');
    const time = (m) => m.created * 1000 || 0;
    const items = (Array.isArray(answer) ? answer : answer?.messages ?? [])
      .filter((m) => typeof m?.messageId === 'string')
      .sort((a, b) => time(a) - time(b)); // dispatched oldest first, like live ones
    for (const item of items) await this.#dispatch(item, { fromHistory: true });
    const merged = new Map(this.#live);
    for (const item of items) merged.set(item.messageId, { message: item, time: time(item) });
    return [...merged.values()].sort((a, b) => b.time - a.time).map((e) => e.message);
  }

  // --- leader: the tab that polls ---

  async #lead() {
    if (this.#ended) return;
    this.#leader = true;
    this.#update();
    this.#scheduleRenew();
    try {
      await this.#poll();
    } finally {
      this.#leader = false;
      clearTimeout(this.#renewTimer);
    }
  }

  async #poll() {
    const { visibilityTimeout, waitTimeSeconds } = this.#o;
    let failures = 0;
    while (!this.#ended) {
      const wake = (this.#wake = new AbortController());
      if (this.#offline) {
        await sleep(Infinity, wake.signal);
        continue;
      }
      // A renewal ahead of expiry does not stop polling: the current credentials still work, and a
      // renewal that fails because the session is gone must not hide the queue's QueueDoesNotExist.
      if (this.#renewing && (this.#refused || Date.now() >= this.#session.expires * 1000)) {
        await this.#renewing;
        continue;
      }
      try {
        const answer = await this.#sqs(
          'ReceiveMessage',
          {
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeout,
            MessageSystemAttributeNames: ['SentTimestamp'],
          },
          wake.signal,
        );
        await this.#handle(answer.Messages ?? []);
        failures = 0;
      } catch (error) {
        if (wake.signal.aborted && error.name === 'AbortError') continue;
        if (error.kind === 'gone') return this.#end('queue-gone', error);
        failures++;
        if (error.kind === 'auth') {
          this.#refused = true;
          this.#renew();
          if (failures === 1) continue; // retry at once with the new credentials; back off if that fails too
        } else {
          this.#error(error instanceof SqsError ? 'sqs' : 'network', error);
        }
        const { backoffBaseMs: base, backoffCapMs: cap } = this.#o;
        await sleep(Math.random() * Math.min(cap, base * 2 ** (failures - 1)), wake.signal); // full jitter
      }
    }
  }

  /** Handles one received batch in order, then deletes what needs no redelivery. */
  async #handle(messages) {
    const done = [];
    for (const m of messages) {
      if (this.#ended) break;
      if (await this.#process(m)) done.push(m.ReceiptHandle);
    }
    if (!done.length) return;
    // Not abortable: these were handled, and the other tabs have them already.
    const answer = await this.#sqs('DeleteMessageBatch', {
      Entries: done.map((ReceiptHandle, i) => ({ Id: String(i), ReceiptHandle })),
    });
    for (const f of answer.Failed ?? []) this.#error('delete', new SqsError(200, [f.Code], f.Message)); // the batch answered 200
  }

  /** Returns whether the queue message is to be deleted. */
  async #process({ MessageId: sqsMessageId, Body, Attributes }) {
    const body = String(Body);
    const message = await this.#open(body, { sqsMessageId });
    if (!message) return true; // can never be read: redelivering it would only repeat this
    if (this.#ended) return false;
    if (this.#seen.has(message.messageId)) return true;
    const sentTimestamp = Number(Attributes?.SentTimestamp) || Date.now();
    if (this.#channel) {
      // The body as it came from the queue, and a MAC the other tabs check: they decrypt it themselves.
      const mac = await this.#relay.sign(body, sentTimestamp);
      this.#channel.postMessage({ body, sentTimestamp, mac }); // before the delete, so the other tabs cannot miss it
    }
    return this.#dispatch(message, { fromHistory: false, sentTimestamp });
  }

  /** Decrypts a body with the session's key and cipher: the message, or null (reported) when it is not one. */
  async #open(body, detail) {
    let text;
    try {
      text = await this.#decrypt(body);
    } catch (error) {
      this.#error('decrypt', error, detail);
      return null;
    }
    let message;
    try {
      message = JSON.parse(text);
    } catch {}
    if (typeof message?.messageId !== 'string' || Array.isArray(message)) {
      this.#error('decode', new TypeError('not a JSON object with a string messageId'), detail);
      return null;
    }
    return message;
  }

  // --- every tab ---

  // Relayed bodies are checked (the MAC), decrypted and dispatched one after the other, in order.
  #relayed = ({ data }) => {
    const { body, sentTimestamp, mac } = data ?? {};
    if (typeof body !== 'string' || typeof sentTimestamp !== 'number') return;
    this.#relays = this.#relays.then(async () => {
      if (!(await this.#relay.verify(body, sentTimestamp, mac))) {
        this.#error('relay', new TamperingError('a relayed message that no tab of this session received from its queue'));
        return;
      }
      const message = await this.#open(body, {});
      if (message) await this.#dispatch(message, { fromHistory: false, sentTimestamp });
    });
  };

  /** Hands a message to the application; returns false when a handler failed (so: not handled). */
  async #dispatch(message, extra) {
    const id = message.messageId;
    if (this.#ended) return false;
    if (this.#seen.has(id)) return true;
    this.#seen.add(id); // first, so that a copy arriving meanwhile (relay, history) is not shown twice
    const receipt = message._type === RECEIPT;
    if (!receipt && !extra.fromHistory) {
      this.#live.set(id, { message, time: extra.sentTimestamp });
      for (const old of this.#live.keys()) {
        if (this.#live.size <= this.#o.dedupCapacity) break;
        this.#live.delete(old);
      }
    }
    const waits = [];
    let open = true;
    const event = new CustomEvent(receipt ? 'receipt' : 'message', { detail: message });
    Object.assign(event, extra, {
      waitUntil: (promise) => {
        if (!open) throw new DOMException('waitUntil must be called while the event is dispatched', 'InvalidStateError');
        waits.push(promise);
      },
    });
    this.dispatchEvent(event);
    open = false;
    try {
      await Promise.all(waits);
      return true;
    } catch (error) {
      this.#seen.delete(id); // so that its redelivery is dispatched again
      this.#live.delete(id);
      this.#error('handler', error, { messageId: id });
      return false;
    }
  }

  // --- credentials ---

  #setSession(input) {
    if (input?.success === false) throw new TypeError(`not a session: ${input.message || 'the backend answered success false'}`);
    const s = input?.session ?? input;
    if (!s?.sqsUrl || !s.aesKey || !s.accessKey || !s.secretKey || !(s.expires > 0))
      throw new TypeError('not a session (sqsUrl, aesKey, accessKey, secretKey, expires)');
    const { endpoint, region, renewBeforeSeconds } = this.#o;
    const cipher = s.cipher ?? 'ctr'; // items of the original system name no cipher: theirs is CTR
    if (!this.#session) {
      this.#decrypt = decryptor(s.aesKey, cipher);
      this.#relay = relayAuthenticator(s.aesKey);
    } else if (s.aesKey !== this.#session.aesKey || cipher !== (this.#session.cipher ?? 'ctr')) {
      // A session's key and cipher never change: a renewal that says otherwise is not this session's.
      throw new TypeError('renew() answered another session (its key or cipher differs)');
    }
    this.#sqs = sqsClient(
      s,
      endpoint ?? new URL('/', s.sqsUrl).href,
      region ?? s.region ?? /sqs\.([a-z0-9-]+)\.amazonaws/.exec(s.sqsUrl)?.[1] ?? 'us-east-1',
    );
    this.#session = s;
    this.#refused = false;
    const expires = s.expires * 1000;
    this.#renewAt = expires - Math.min(renewBeforeSeconds * 1000, Math.max(0, expires - Date.now()) / 2);
  }

  // Only the polling tab renews: the others do not use the credentials until they take over.
  #scheduleRenew() {
    clearTimeout(this.#renewTimer);
    const delay = this.#renewAt - Date.now();
    if (delay <= 0) this.#renew();
    else this.#renewTimer = setTimeout(() => this.#scheduleRenew(), Math.min(delay, MAX_TIMER));
  }

  #renew() {
    if (!this.#renewing) {
      this.#renewing = this.#renewLoop().finally(() => {
        this.#renewing = null;
        this.#update();
      });
      this.#update();
    }
    return this.#renewing;
  }

  async #renewLoop() {
    let afterExpiry = 0;
    for (let attempt = 1; !this.#ended; attempt++) {
      try {
        this.#setSession(await this.#o.renew());
        if (!this.#ended && this.#leader) this.#scheduleRenew();
        return;
      } catch (error) {
        if (this.#ended) return;
        if (Date.now() >= this.#session.expires * 1000) afterExpiry++;
        const fatal = afterExpiry >= this.#o.renewAttemptsAfterExpiry;
        this.#error('renew', error, { attempt, fatal });
        if (fatal) return this.#end('renew-failed', error);
        const { backoffBaseMs: base, backoffCapMs: cap } = this.#o;
        await sleep(Math.random() * Math.min(cap, base * 2 ** (attempt - 1)), this.#life.signal);
      }
    }
  }

  // --- state and events ---

  #network = ({ type }) => {
    const offline = type === 'offline';
    if (offline === this.#offline) return;
    this.#offline = offline;
    this.#wake?.abort(); // offline: drop the long poll; online: stop waiting
    this.#update();
  };

  #end(reason, error) {
    if (this.#ended) return;
    this.#ended = true;
    this.#life.abort();
    this.#wake?.abort();
    clearTimeout(this.#renewTimer);
    if (this.#ownChannel) this.#channel?.close();
    this.#update();
    this.#emit('ended', error ? { reason, error } : { reason });
  }

  #update() {
    const state = this.#ended
      ? 'ended'
      : !this.#started
        ? 'idle'
        : !this.#leader
          ? 'following'
          : this.#offline
            ? 'offline'
            : this.#renewing
              ? 'renewing'
              : 'polling';
    if (state === this.#state) return;
    this.#state = state;
    this.#emit('state', { state });
  }

  #error(kind, error, extra) {
    this.#emit('error', { kind, error, ...extra });
  }

  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
