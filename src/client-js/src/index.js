import { backoff } from './backoff.js';
import { decryptor, decrypt, relayAuthenticator, TamperingError } from './envelope.js';
import { SeenIds } from './dedup.js';
import { parseSequence, SequenceTracker } from './sequence.js';
import { sqsClient, SqsError } from './sqs.js';
import { INITIAL_STATE, STATE_TRANSITIONS, transition } from './states.js';
/**
 * @import { ChannelLike, ClientErrorDetail, ClientState, EndReason, EventMessage, HistoryAnswer, HistoryMessage,
 *   LockManagerLike, Session, SessionAnswer, SessionClientEventMap, SessionClientOptions, SessionMessageEvent, VisibilityLike } from '../index.js'
 * @import { Relay, RelayAuthenticator } from './envelope.js'
 * @import { Gap } from './sequence.js'
 * @import { SqsCall, SqsMessage } from './sqs.js'
 */

export { decrypt, SqsError, STATE_TRANSITIONS, TamperingError };

/**
 * The options, defaults filled in.
 * @typedef {SessionClientOptions & Required<Pick<SessionClientOptions, 'visibilityTimeout' | 'waitTimeSeconds' |
 *   'renewBeforeSeconds' | 'renewAttemptsAfterExpiry' | 'dedupCapacity' | 'backoffBaseMs' | 'backoffCapMs' | 'pauseWhenHidden' |
 *   'hiddenPollSeconds' | 'gapWaitSeconds'>>} Settings
 */

/**
 * What a tab tells the others on the channel about itself: whether it is visible; `ask` when it has just started (every
 * tab then answers with its own). Relays carry a `body` instead.
 * @typedef {{ tab: string, visible: boolean, ask: boolean }} Visibility
 */

/**
 * How a message reaches `#dispatch`: from `catchUp`'s history, or live (from the queue or another tab).
 * @typedef {{ fromHistory: true } | { fromHistory: false, sentTimestamp: number }} Arrival
 */

const PREFIX = 'sqs-browser-events:';
const RECEIPT = 'message-read-receipt';
const MAX_TIMER = 2 ** 31 - 1; // setTimeout fires at once beyond this

/**
 * Resolves after `ms` or as soon as `signal` aborts; never rejects.
 * @type {(ms: number, signal: AbortSignal) => Promise<void>}
 */
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

/**
 * What `renew()` or handlers threw or rejected with, as the `Error` that `error` and `ended` events declare.
 * @param {unknown} value
 * @returns {Error}
 */
const asError = (value) => {
  if (value instanceof Error) return value;
  let text;
  try {
    text = String(value);
  } catch {
    text = typeof value; // e.g. an object without a prototype
  }
  return new Error(text, { cause: value });
};

/** @type {(m: SqsMessage) => number} */
const sentAt = (m) => Number(m.Attributes?.SentTimestamp) || 0;
/** @param {SqsMessage} m */
const sequenceOf = (m) => m.MessageAttributes?.seq?.StringValue;
/**
 * A received batch in the order it was sent: by place in the session's sequence (one epoch), else by SentTimestamp.
 * @param {SqsMessage} a
 * @param {SqsMessage} b
 */
const sentOrder = (a, b) => {
  const x = parseSequence(sequenceOf(a));
  const y = parseSequence(sequenceOf(b));
  return x && y && x.epoch === y.epoch ? x.n - y.n : sentAt(a) - sentAt(b);
};

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
  /** @type {Settings} */
  #o;
  /** @type {Session} set by the constructor's #setSession */
  #session;
  /** @type {SqsCall} */
  #sqs;
  /** @type {(body: string) => Promise<string>} */
  #decrypt;
  /** @type {RelayAuthenticator} signs what this tab relays, checks what the others relay */
  #relay;
  /** @type {number} */
  #renewAt;
  /** @type {string} */
  #name;
  /** @type {SeenIds} */
  #seen;
  /** @type {SequenceTracker} whether every message numbered for the session arrived */
  #sequence;
  /** @type {ReturnType<typeof setTimeout> | undefined} when an open hole in the sequence becomes a gap */
  #gapTimer;
  /** @type {Map<string, { message: EventMessage, time: number }>} messageId -> live message, for catchUp's merged list */
  #live = new Map();
  /** @type {LockManagerLike | null} */
  #locks;
  /** @type {ChannelLike | null} */
  #channel;
  /** @type {boolean} */
  #ownChannel;
  /** @type {EventTarget | null} */
  #onlineEvents;
  /** @type {VisibilityLike | null} */
  #document;
  #tab = String(crypto.getRandomValues(new Uint32Array(2))); // its name in what it tells the other tabs of itself
  /** @type {Set<string>} the other tabs of the session that said they are visible */
  #visibleTabs = new Set();
  #resting = false; // the leader waits because every tab is hidden: a tab becoming visible ends the wait
  #handedOver = false; // this tab handed the polling over to a visible tab since the last change of visibility
  #lastReceive = 0; // when the last ReceiveMessage started (epoch ms): the slow poll while hidden counts from it
  /** @type {ClientState} */
  #state = INITIAL_STATE;
  #started = false;
  #ended = false;
  #leader = false;
  #offline = false;
  /** @type {Promise<void> | null} */
  #renewing = null;
  #refused = false; // SQS refused the current credentials: wait for new ones
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #renewTimer;
  #life = new AbortController(); // aborted when the client ends
  /** @type {AbortController | undefined} aborted to interrupt the current request or wait: stop, offline, online */
  #wake;
  /** @type {Promise<void>} */
  #done = Promise.resolve();
  /** @type {Promise<void>} relayed messages are dispatched one after the other, in order */
  #relays = Promise.resolve();
  #relaySeq = 0; // how many messages this tab relayed
  /** @type {Map<string, number>} relaying tab -> the sequence number of the last relay taken from it */
  #relaysTaken = new Map();
  #listeningSince = Infinity; // when this tab began to listen on the channel (epoch ms)

  /** @param {SessionClientOptions} options */
  constructor(options) {
    super();
    if (typeof options?.renew !== 'function') throw new TypeError('options.renew must be a function');
    const o = {
      visibilityTimeout: 30,
      waitTimeSeconds: 20,
      renewBeforeSeconds: 300,
      renewAttemptsAfterExpiry: 3,
      dedupCapacity: 1000,
      backoffBaseMs: 200,
      backoffCapMs: 20000,
      pauseWhenHidden: true,
      hiddenPollSeconds: 0,
    };
    for (const k in options) {
      const value = options[/** @type {keyof SessionClientOptions} */ (k)];
      if (value !== undefined) Object.assign(o, { [k]: value });
    }
    this.#o = /** @type {Settings} */ (o);
    this.#o.gapWaitSeconds ??= this.#o.visibilityTimeout + 10;
    // Checked here: a wrong value would otherwise only show, much later, as a poller that never pauses or never wakes.
    if (typeof this.#o.pauseWhenHidden !== 'boolean') throw new TypeError('options.pauseWhenHidden must be true or false');
    if (!Number.isInteger(this.#o.hiddenPollSeconds) || this.#o.hiddenPollSeconds < 0)
      throw new TypeError('options.hiddenPollSeconds must be a whole number of seconds, 0 or more');
    if (!(this.#o.gapWaitSeconds > 0 && this.#o.gapWaitSeconds < 86400))
      throw new TypeError('options.gapWaitSeconds must be a number of seconds above 0 (less than a day)');
    this.#setSession(options.session);
    this.#name = PREFIX + (this.#session.sqsQueueName || this.#session.sqsUrl.split('/').pop());
    const storage = options.storage !== undefined ? options.storage : sessionStorageOrNull();
    this.#seen = new SeenIds(this.#o.dedupCapacity, storage, this.#name + ':seen');
    this.#sequence = new SequenceTracker(storage, this.#name + ':seq');
    this.#locks = options.locks !== undefined ? options.locks : globalThis.navigator?.locks ?? null;
    this.#ownChannel = options.channel === undefined; // opened by start(), so that an unstarted client holds nothing open
    this.#channel = options.channel ?? null;
    // window, or a worker's global scope: both fire online/offline
    this.#onlineEvents = options.onlineEvents !== undefined ? options.onlineEvents : typeof addEventListener === 'function' ? globalThis : null;
    this.#document = options.document !== undefined ? options.document : globalThis.document ?? null; // none in Node or a worker
  }

  /** @returns {ClientState} */
  get state() {
    return this.#state;
  }

  /** @returns {this} */
  start() {
    if (this.#ended) throw new Error('this client has ended; create a new one');
    if (this.#started) return this;
    this.#started = true;
    const { signal } = this.#life;
    this.#offline = globalThis.navigator?.onLine === false;
    if (this.#ownChannel && typeof BroadcastChannel === 'function') this.#channel = new BroadcastChannel(this.#name);
    this.#onlineEvents?.addEventListener('online', this.#network, { signal });
    this.#onlineEvents?.addEventListener('offline', this.#network, { signal });
    this.#listeningSince = Date.now();
    this.#channel?.addEventListener('message', this.#relayed, { signal });
    this.#channel?.addEventListener('message', this.#heard, { signal });
    if (this.#o.pauseWhenHidden) this.#document?.addEventListener('visibilitychange', this.#visibility, { signal });
    this.#announce(true); // and the other tabs answer: the leader, whichever tab it is or becomes, knows who is visible
    this.#done = this.#locks ? this.#elect(this.#locks) : this.#lead();
    return this;
  }

  /** @returns {Promise<void>} */
  stop() {
    this.#end('stopped');
    return this.#done;
  }

  /**
   * @param {(message: EventMessage, event: SessionMessageEvent) => unknown} handler
   * @param {AddEventListenerOptions} [options]
   * @returns {() => void}
   */
  onMessage(handler, options) {
    /** @param {Event} e the SessionMessageEvent #dispatch makes */
    const listener = (e) => {
      const event = /** @type {SessionMessageEvent} */ (e);
      try {
        event.waitUntil(handler(event.detail, event));
      } catch (error) {
        event.waitUntil(Promise.reject(error));
      }
    };
    this.addEventListener('message', listener, options);
    return () => this.removeEventListener('message', listener);
  }

  /**
   * @param {() => Promise<HistoryAnswer | HistoryMessage[]>} loadHistory
   * @returns {Promise<EventMessage[]>}
   */
  async catchUp(loadHistory) {
    const answer = await loadHistory();
    if (!Array.isArray(answer) && answer?.success === false) throw new Error(answer.message ?? 'loading the history failed');
    /** @param {HistoryMessage} m */
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

  /**
   * Polls while this tab holds the session's lock; asks for it again after handing the polling over to a visible tab.
   * @param {LockManagerLike} locks
   * @returns {Promise<void>}
   */
  async #elect(locks) {
    while (!this.#ended) {
      this.#update(); // following, until the lock is granted
      try {
        await locks.request(this.#name, { mode: 'exclusive', signal: this.#life.signal }, () => this.#lead());
      } catch (error) {
        if (this.#ended) return; // the AbortError of stop() while waiting for the lock
        // Polling without the lock costs duplicate polling at worst; not polling would lose events.
        this.#error('lock', asError(error));
        this.#locks = null; // so that this tab never hands over: nothing would give it the polling back
        return this.#lead();
      }
    }
  }

  /** @returns {Promise<void>} */
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

  /** @returns {Promise<void>} */
  async #poll() {
    const { visibilityTimeout, waitTimeSeconds } = this.#o;
    let failures = 0;
    while (!this.#ended) {
      const wake = (this.#wake = new AbortController());
      if (this.#offline) {
        await sleep(Infinity, wake.signal);
        continue;
      }
      const rest = this.#hiddenRest();
      if (rest > 0) {
        // Every tab is hidden: the messages wait in the queue. A tab becoming visible ends the wait at once.
        this.#resting = true;
        await sleep(rest, wake.signal);
        this.#resting = false;
        // The renewal timer may be late: a hidden tab's timers are throttled (Chrome: to once a minute after 5
        // minutes), a sleeping computer runs none. Renew now if due; below, polling waits for it if they expired.
        this.#scheduleRenew();
        continue;
      }
      if (this.#handOver()) return;
      // A renewal ahead of expiry does not stop polling: the current credentials still work, and a
      // renewal that fails because the session is gone must not hide the queue's QueueDoesNotExist.
      if (this.#renewing && (this.#refused || Date.now() >= this.#session.expires * 1000)) {
        await this.#renewing;
        continue;
      }
      try {
        this.#lastReceive = Date.now();
        const answer = await this.#sqs(
          'ReceiveMessage',
          {
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: waitTimeSeconds,
            VisibilityTimeout: visibilityTimeout,
            MessageSystemAttributeNames: ['SentTimestamp'],
            MessageAttributeNames: ['seq'],
          },
          wake.signal,
        );
        // A standard queue's batch need not be in order (after a hidden while, it may hold several); sort is stable.
        await this.#handle((answer.Messages ?? []).sort(sentOrder));
        failures = 0;
      } catch (thrown) {
        const error = asError(thrown);
        if (wake.signal.aborted && error.name === 'AbortError') continue;
        if (error instanceof SqsError && error.kind === 'gone') return this.#end('queue-gone', error);
        failures++;
        if (error instanceof SqsError && error.kind === 'auth') {
          this.#refused = true;
          this.#renew();
          if (failures === 1) continue; // retry at once with the new credentials; back off if that fails too
        } else {
          this.#error(error instanceof SqsError ? 'sqs' : 'network', error);
        }
        await sleep(this.#backoff(failures - 1), wake.signal);
      }
    }
  }

  /**
   * Handles one received batch in order, then deletes what needs no redelivery.
   * @param {SqsMessage[]} messages
   */
  async #handle(messages) {
    /** @type {(string | undefined)[]} */
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
    for (const f of answer.Failed ?? []) this.#error('delete', new SqsError(200, f.Code ? [f.Code] : [], f.Message)); // the batch answered 200
  }

  /**
   * Returns whether the queue message is to be deleted.
   * @param {SqsMessage} message
   * @returns {Promise<boolean>}
   */
  async #process({ MessageId: sqsMessageId, Body, Attributes, MessageAttributes }) {
    const body = String(Body);
    const message = await this.#open(body, { sqsMessageId });
    if (!message) return true; // can never be read: redelivering it would only repeat this (its number stays missing)
    if (this.#ended) return false;
    const sequence = MessageAttributes?.seq?.StringValue ?? '';
    this.#sequenced(sequence);
    if (this.#seen.has(message.messageId)) return true;
    const sentTimestamp = Number(Attributes?.SentTimestamp) || Date.now();
    if (this.#channel) {
      // The body as it came from the queue, and a MAC the other tabs check: they decrypt it themselves.
      /** @type {Relay} */
      const relay = { tab: this.#tab, seq: ++this.#relaySeq, relayedAt: Date.now(), sentTimestamp, sequence, body };
      const mac = await this.#relay.sign(relay);
      this.#channel.postMessage({ ...relay, mac }); // before the delete, so the other tabs cannot miss it
    }
    return this.#dispatch(message, { fromHistory: false, sentTimestamp });
  }

  /**
   * Decrypts a body with the session's key and cipher: the message, or null (reported) when it is not one.
   * @param {string} body
   * @param {Pick<ClientErrorDetail, 'sqsMessageId'>} detail
   * @returns {Promise<EventMessage | null>}
   */
  async #open(body, detail) {
    let text;
    try {
      text = await this.#decrypt(body);
    } catch (error) {
      this.#error('decrypt', asError(error), detail);
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

  /**
   * How long the leader waits before its next receive because every tab is hidden: 0 when one is visible (or when
   * the slow poll is due), Infinity without a slow poll (`hiddenPollSeconds` 0).
   */
  #hiddenRest() {
    if (!this.#allHidden()) return 0;
    const every = this.#o.hiddenPollSeconds * 1000;
    return every ? this.#lastReceive + every - Date.now() : Infinity;
  }

  /**
   * Whether this leader stops polling for a visible tab: a hidden tab's timers (backoff, renewal) are throttled,
   * and the browser may freeze or discard it. The lock goes to the next tab that waits for it, which hands over too
   * if it is hidden. Once per change of visibility: a tab that said it is visible but waits for no lock (it polls
   * without one, or closed without a word) gives the lock straight back, and it must not go round and round.
   * Not while offline or renewing: the state a tab leaves is then `polling`.
   */
  #handOver() {
    if (!this.#locks || this.#shown() || !this.#visibleTabs.size || this.#handedOver || this.#renewing) return false;
    return (this.#handedOver = true);
  }

  // --- every tab ---

  /** Whether this tab counts as visible: always when pausing is off, or without a document (Node, a worker). */
  #shown() {
    return !this.#o.pauseWhenHidden || this.#document?.visibilityState !== 'hidden';
  }

  /** Whether every tab of the session is hidden, as far as this tab knows. */
  #allHidden() {
    return !this.#shown() && !this.#visibleTabs.size;
  }

  /**
   * Tells the other tabs whether this one is visible (hidden once it has ended).
   * @param {boolean} [ask] whether they are to answer with theirs
   */
  #announce(ask = false) {
    /** @type {Visibility} */
    const visibility = { tab: this.#tab, visible: !this.#ended && this.#shown(), ask };
    this.#channel?.postMessage(visibility);
  }

  // This tab was shown or hidden (also when it closes: the browser hides it first).
  #visibility = () => {
    this.#announce();
    this.#visibilityChanged();
  };

  // Another tab said whether it is visible. Any script of the origin could say so too: the worst it could do is what
  // it can do anyway by holding the session's lock (stop the polling), so this is not signed like the relays.
  /** @param {MessageEvent} event */
  #heard = ({ data }) => {
    const { tab, visible, ask } = /** @type {Partial<Visibility>} */ (data ?? {});
    if (typeof tab !== 'string' || typeof visible !== 'boolean' || tab === this.#tab) return;
    if (ask) this.#announce();
    if (visible === this.#visibleTabs.has(tab)) return;
    if (visible) this.#visibleTabs.add(tab);
    else this.#visibleTabs.delete(tab);
    this.#visibilityChanged();
  };

  // A tab was shown or hidden: a resting leader polls at once (a receive in flight is left to finish, so that
  // nothing it takes waits out the visibility timeout), and a tab that handed the polling over may take it again.
  #visibilityChanged() {
    this.#handedOver = false;
    if (this.#resting && !this.#allHidden()) this.#wake?.abort();
    this.#update();
  }

  // Relayed bodies are checked (the MAC, then that it is no replay), decrypted and dispatched one after the other, in
  // order. A script of the origin that listens on the channel can post a relay again: into a tab opened since (which
  // would show an old message again), or into one that has forgotten its id. So a tab takes a relay only if it was
  // made after this tab started listening (the channel delivers nothing older) and is newer than any it took from
  // the same relaying tab.
  /** @param {MessageEvent} event */
  #relayed = ({ data }) => {
    const { tab, seq, relayedAt, body, sentTimestamp, sequence, mac } = data ?? {};
    if (typeof body !== 'string' || typeof sentTimestamp !== 'number') return;
    this.#relays = this.#relays.then(async () => {
      /** @type {Relay} */
      const relay = { tab, seq, relayedAt, sentTimestamp, sequence, body };
      if (typeof tab !== 'string' || !Number.isSafeInteger(seq) || typeof relayedAt !== 'number' || typeof sequence !== 'string'
          || !(await this.#relay.verify(relay, mac))) {
        this.#error('relay', new TamperingError('a relayed message that no tab of this session received from its queue'));
        return;
      }
      if (relayedAt < this.#listeningSince || seq <= (this.#relaysTaken.get(tab) ?? 0)) {
        this.#error('relay', new TamperingError('a relayed message posted again: a tab relays each message once'));
        return;
      }
      this.#relaysTaken.set(tab, seq);
      const message = await this.#open(body, {});
      if (!message) return;
      this.#sequenced(sequence);
      await this.#dispatch(message, { fromHistory: false, sentTimestamp });
    });
  };

  /**
   * Hands a message to the application; returns false when a handler failed (so: not handled).
   * @param {EventMessage} message
   * @param {Arrival} extra
   * @returns {Promise<boolean>}
   */
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
    /** @type {unknown[]} */
    const waits = [];
    let open = true;
    const event = new CustomEvent(receipt ? 'receipt' : 'message', { detail: message });
    Object.assign(event, extra, {
      /** @param {unknown} promise */
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
      this.#error('handler', asError(error), { messageId: id });
      return false;
    }
  }

  // --- credentials ---

  /**
   * Takes a session (the constructor's, or what `renew()` answered), with its own SQS client and renewal time.
   * @param {Session | SessionAnswer} input
   */
  #setSession(input) {
    if (input?.success === false) throw new TypeError(`not a session: ${input.message || 'the backend answered success false'}`);
    /** @type {Session} */
    const s = /** @type {SessionAnswer} */ (input)?.session ?? input;
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

  /** @returns {Promise<void>} */
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
        const failure = asError(error);
        this.#error('renew', failure, { attempt, fatal });
        if (fatal) return this.#end('renew-failed', failure);
        await sleep(this.#backoff(attempt - 1), this.#life.signal);
      }
    }
  }

  /**
   * The wait before retry `attempt` (0 for the first) after a failure: full jitter, `backoffBaseMs` doubling to
   * `backoffCapMs`.
   * @param {number} attempt
   */
  #backoff(attempt) {
    return backoff(attempt, { baseMillis: this.#o.backoffBaseMs, maxMillis: this.#o.backoffCapMs });
  }

  // --- state and events ---

  /** @param {Event} event */
  #network = ({ type }) => {
    const offline = type === 'offline';
    if (offline === this.#offline) return;
    this.#offline = offline;
    this.#wake?.abort(); // offline: drop the long poll; online: stop waiting
    this.#update();
  };

  /**
   * @param {EndReason} reason
   * @param {Error} [error]
   */
  #end(reason, error) {
    if (this.#ended) return;
    this.#ended = true;
    this.#life.abort();
    this.#wake?.abort();
    clearTimeout(this.#renewTimer);
    clearTimeout(this.#gapTimer);
    if (this.#started) this.#announce(); // hidden: the leader need not poll for this tab any more
    // Its own channel is the BroadcastChannel start() opened (if any); a given one is not the client's to close.
    if (this.#ownChannel) /** @type {BroadcastChannel | null} */ (this.#channel)?.close();
    this.#update();
    this.#emit('ended', error ? { reason, error } : { reason });
  }

  /** Moves to the state the flags say, with a `state` event, if it changed (and only as STATE_TRANSITIONS allows). */
  #update() {
    /** @type {ClientState} */
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
              : this.#allHidden()
                ? 'paused'
                : 'polling';
    if (state === this.#state) return;
    const detail = transition(this.#state, state); // throws, before any change, on a move the table does not allow
    this.#state = state;
    this.#emit('state', detail);
  }

  // --- the session's sequence ---

  /**
   * A message of the session arrived (here or in the polling tab) with this place in its sequence: a new epoch is a gap
   * at once; a number missing below it becomes one if it stays missing for `gapWaitSeconds`.
   * @param {string} sequence
   */
  #sequenced(sequence) {
    for (const gap of this.#sequence.seen(sequence, Date.now())) this.#gap(gap);
    this.#watchHoles();
  }

  #watchHoles() {
    clearTimeout(this.#gapTimer);
    const wait = this.#o.gapWaitSeconds * 1000;
    const at = this.#sequence.dueAt(wait);
    if (at === null || this.#ended) return;
    this.#gapTimer = setTimeout(() => {
      const gap = this.#sequence.due(Date.now(), wait);
      if (gap) this.#gap(gap);
      this.#watchHoles();
    }, Math.min(Math.max(0, at - Date.now()), MAX_TIMER));
  }

  /** @param {Gap} gap */
  #gap(gap) {
    if (!this.#ended) this.#emit('gap', gap);
  }

  /**
   * @param {ClientErrorDetail['kind']} kind
   * @param {Error} error
   * @param {Omit<ClientErrorDetail, 'kind' | 'error'>} [extra]
   */
  #error(kind, error, extra) {
    this.#emit('error', { kind, error, ...extra });
  }

  /**
   * @template {keyof SessionClientEventMap} K
   * @param {K} type
   * @param {SessionClientEventMap[K]['detail']} detail
   */
  #emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
