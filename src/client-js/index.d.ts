/**
 * @sqs-browser-events/client: receives one session's events in a browser (or Node 20).
 *
 * A session owns a private SQS queue, an AES-256 key and temporary AWS credentials. The client
 * long-polls the queue, decrypts each message, drops the ones it has already shown, hands the
 * rest to the application, and deletes them only once the application's handlers are done.
 */

/** The session as the backend's `/create/...` and `/renew/...` answer it under `"session"`. */
export interface Session {
  accountId: string | number;
  userId: string | number;
  sessionId: string;
  /** The queue's URL; its origin is the SQS endpoint unless `endpoint` says otherwise. */
  sqsUrl: string;
  sqsQueueName: string;
  region: string;
  /**
   * The session's cipher: bodies are decrypted with it only (a body in the other envelope is tampering). Absent for
   * sessions of the original system, which are `ctr`.
   */
  cipher?: 'gcm' | 'ctr';
  /** When the credentials expire, in epoch seconds. */
  expires: number;
  ttl?: number;
  version?: number;
  /** Base64 of the 32-byte AES key. */
  aesKey: string;
  accessKey: string;
  secretKey: string;
  sessionToken: string;
  [field: string]: unknown;
}

/** The backend's whole answer, accepted wherever a session is. */
export interface SessionAnswer {
  success: boolean;
  session: Session;
  message?: string;
}

/** A decrypted message: a JSON object that always has a string `messageId`. */
export interface EventMessage {
  messageId: string;
  _type?: string;
  [field: string]: unknown;
}

/** A read receipt (`_type` "message-read-receipt"): the ids of the messages now read. */
export interface ReadReceipt extends EventMessage {
  _type: 'message-read-receipt';
  'messages-receipted': string[];
}

/** An item of the backend's `/messages/user/{userId}` answer. */
export interface HistoryMessage extends EventMessage {
  /** Epoch seconds. */
  created: number;
  is_read: 0 | 1;
}

/** The backend's `/messages/user/{userId}` answer. */
export interface HistoryAnswer {
  success: boolean;
  messages: HistoryMessage[];
  next?: string;
  message?: string;
}

/** The part of `navigator.locks` the client uses. */
export interface LockManagerLike {
  request<T>(
    name: string,
    options: { mode: 'exclusive'; signal?: AbortSignal },
    callback: (lock: unknown) => Promise<T> | T,
  ): Promise<T>;
}

/** The part of `BroadcastChannel` the client uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void, options?: AddEventListenerOptions): void;
}

/** The part of `Document` the client uses: whether the page is visible (the Page Visibility API). */
export interface VisibilityLike {
  readonly visibilityState: DocumentVisibilityState;
  addEventListener(type: 'visibilitychange', listener: () => void, options?: AddEventListenerOptions): void;
}

/** The part of `Storage` (sessionStorage) the client uses. */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export interface SessionClientOptions {
  /** The session, or the backend's whole `{ success, session }` answer. */
  session: Session | SessionAnswer;
  /**
   * Gets fresh credentials, typically by calling the application's backend, which calls
   * `/renew/{accountId}/{userId}/{sessionId}`. Called before `expires` (polling goes on meanwhile with
   * the current credentials while they are valid) and at once when SQS refuses the credentials (polling
   * then waits for the new ones); retried with backoff while it fails. An answer `{ success: false,
   * message }` counts as a failure, reported with the backend's message.
   */
  renew: () => Promise<Session | SessionAnswer>;
  /** SQS endpoint to POST to. Default: the origin of `sqsUrl` (e.g. `https://sqs.us-east-1.amazonaws.com/`). */
  endpoint?: string;
  /** Signing region. Default: the session's `region`. */
  region?: string;
  /** Seconds a received message stays hidden before it is delivered again. Default 30. */
  visibilityTimeout?: number;
  /** Long-poll wait, 0–20 seconds. Default 20. */
  waitTimeSeconds?: number;
  /** Renew this long before `expires`, capped to half the credentials' remaining lifetime. Default 300. */
  renewBeforeSeconds?: number;
  /**
   * Renewal is retried until the credentials have expired, then this many more times, before the
   * client gives up: an `error` (kind `renew`, `fatal: true`) then `ended` (`renew-failed`). Default 3.
   */
  renewAttemptsAfterExpiry?: number;
  /** How many messageIds (and live messages, for `catchUp`) are remembered. Default 1000. */
  dedupCapacity?: number;
  /** Where seen messageIds are kept across reloads. Default `sessionStorage` when there is one; `null` for none. */
  storage?: StorageLike | null;
  /** Elects one polling tab. Default `navigator.locks` when there is one; `null`: this client always polls. */
  locks?: LockManagerLike | null;
  /**
   * Relays messages from the polling tab to the others: the body as received from the queue, with an HMAC under a
   * key derived from the session's key over the body, the relaying tab, its sequence number and the time, which each
   * tab checks before it decrypts the body itself (a message another script posts on the channel, or a relay it posts
   * again, is never shown). Default: a `BroadcastChannel` named after the queue, closed when
   * the client ends; `null` for none. A given channel is not closed by the client.
   */
  channel?: ChannelLike | null;
  /** Source of `online`/`offline` events. Default `window` when there is one; `null` for none. */
  onlineEvents?: EventTarget | null;
  /**
   * Stops polling while every tab of the session is hidden (`document.visibilityState`), so that a session in
   * background tabs costs no ReceiveMessage calls; its messages wait in the queue. Each tab tells the others (on
   * `channel`) when it is shown or hidden; the polling tab polls while at least one is visible, and a hidden polling
   * tab hands the polling over to a visible one. When a tab becomes visible, polling resumes at once (renewing the
   * credentials first if they are due) and what waited is dispatched, in order. A long poll in flight when the last
   * tab is hidden finishes; no other starts. Credentials are still renewed on schedule meanwhile (that keeps the
   * session alive). No effect without a document (Node, a worker): such a client counts as visible. Default true.
   */
  pauseWhenHidden?: boolean;
  /**
   * While every tab is hidden (`pauseWhenHidden`), one ReceiveMessage every this many seconds (counted from the start
   * of the previous one; a long poll of `waitTimeSeconds`), so that notifications still arrive, late. A whole number,
   * 0 or more; 0 for none. Default 0.
   */
  hiddenPollSeconds?: number;
  /**
   * How long a number of the session's sequence may stay missing (a standard queue may hand messages over out of
   * order; a message received by a tab that closed is invisible for `visibilityTimeout`) before it is a `gap`. Default
   * `visibilityTimeout` + 10.
   */
  gapWaitSeconds?: number;
  /** Whose visibility `pauseWhenHidden` follows. Default `document` when there is one; `null`: always visible. */
  document?: VisibilityLike | null;
  /** First backoff step after an error, in ms (full jitter, doubling). Default 200. */
  backoffBaseMs?: number;
  /** Longest backoff, in ms. Default 20000. */
  backoffCapMs?: number;
}

/**
 * The client's states and, for each, the states it may move to: the one table of them (`STATE_TRANSITIONS` at run
 * time). A client starts `idle`; `ended` is final, and nothing goes back to `idle`.
 * - `idle`: not started. `following`: another tab polls. `polling`. `paused`: this tab would poll, but every tab of
 *   the session is hidden (`pauseWhenHidden`). `offline`: paused until `online`. `renewing`: getting new credentials
 *   (shown unless offline). `ended`: see the `ended` event.
 * - `idle` → `following` (started; another tab may hold the lock), `polling`/`paused`/`offline` (started, this tab
 *   polls), `ended` (stopped before it started); `following` → `polling`/`paused`/`offline` (this tab got the lock);
 *   `polling`, `paused`, `offline` and `renewing` each → the three others; `polling` → `following` (this tab, hidden,
 *   handed the polling over to a visible one); every state but `ended` → `ended`.
 */
export interface StateTransitions {
  readonly idle: readonly ['following', 'polling', 'paused', 'offline', 'ended'];
  readonly following: readonly ['polling', 'paused', 'offline', 'ended'];
  readonly polling: readonly ['following', 'paused', 'offline', 'renewing', 'ended'];
  readonly paused: readonly ['polling', 'offline', 'renewing', 'ended'];
  readonly offline: readonly ['polling', 'paused', 'renewing', 'ended'];
  readonly renewing: readonly ['polling', 'paused', 'offline', 'ended'];
  readonly ended: readonly [];
}

/** The table of states and allowed moves (frozen); `state` events only ever report a move it lists. */
export declare const STATE_TRANSITIONS: StateTransitions;

/** `idle`, `following`, `polling`, `paused`, `offline`, `renewing` or `ended`: the keys of `StateTransitions`. */
export type ClientState = keyof StateTransitions;

/** The states the client may move to from `S`. */
export type NextState<S extends ClientState> = StateTransitions[S][number];

export type EndReason = 'stopped' | 'queue-gone' | 'renew-failed';

/**
 * The `message` and `receipt` events. `detail` is the message. A listener that has asynchronous
 * work to finish before the message may be deleted passes its promise to `waitUntil` while the
 * event is being dispatched; a rejected promise means the message is not deleted (so SQS delivers
 * it again after the visibility timeout) and an `error` event of kind `handler`.
 */
export interface SessionMessageEvent<T extends EventMessage = EventMessage> extends CustomEvent<T> {
  /** Delays the delete until `promise` settles; only during the dispatch (else `InvalidStateError`). */
  waitUntil(promise: unknown): void;
  /** True when dispatched by `catchUp` from the history. */
  readonly fromHistory: boolean;
  /** When SQS received the message, in epoch ms (live messages only). */
  readonly sentTimestamp?: number;
}

/** Never contains key material or credentials. */
export interface ClientErrorDetail {
  /**
   * - `decrypt`: a body that is no valid envelope, fails authentication, or is tampered with (a `TamperingError`:
   *   not in the session's envelope, as a GCM body re-sent as CTR; a CTR counter of 2^53 or more) (deleted, never
   *   dispatched)
   * - `relay`: another tab's relay whose MAC does not hold (not from this session's queue), or a relay posted again (a
   *   `TamperingError`; ignored)
   * - `decode`: decrypts, but is not a JSON object with a string messageId (deleted)
   * - `handler`: a message handler threw or rejected (not deleted: redelivered later)
   * - `delete`: SQS did not delete a message (it comes back and is de-duplicated)
   * - `sqs`, `network`: a failed request; the client backs off and tries again
   * - `renew`: `renew()` failed; `fatal` when the client gives up
   * - `lock`: the lock manager failed; this tab polls anyway
   */
  kind: 'decrypt' | 'decode' | 'relay' | 'handler' | 'delete' | 'sqs' | 'network' | 'renew' | 'lock';
  /** What failed; a thrown or rejected value that is no `Error` (from `renew` or a handler) comes as one, its `cause`. */
  error: Error;
  /** The message's messageId (`handler`). */
  messageId?: string;
  /** The SQS MessageId of the undecodable body (`decrypt`, `decode`). */
  sqsMessageId?: string;
  /** The renewal attempt (`renew`). */
  attempt?: number;
  /** Whether the client ends because of it (`renew`). */
  fatal?: boolean;
}

/**
 * The `state` event's detail: the new state and the one before it (`idle` for the first event), always a move that
 * `StateTransitions` allows, so `previous` narrows `state` (and the other way round).
 */
export type StateDetail = {
  [P in ClientState]: {
    /** The state the client is in now. */
    state: NextState<P>;
    /** The state the client was in until now. */
    previous: P;
  };
}[ClientState];

export interface EndedDetail {
  reason: EndReason;
  /** What caused a `queue-gone` or `renew-failed`. */
  error?: Error;
}

/**
 * Something of the session is known missing. The job numbers each message to a session (`<epoch>:<n>`, from 1; a
 * client that knows nothing of the session yet starts with the first number it sees), so:
 * - `missing`: numbers `from` to `to` never arrived within `gapWaitSeconds` (a dead-lettered message, one that expired
 *   in the queue while nothing polled, one deleted by another holder of the credentials);
 * - `cut`: numbers `from` to `to` the job left unused, as the next message says: events the session asked for and will
 *   not be sent (a rewind beyond its `Rewind.maxEvents`, or reaching before what the job holds);
 * - `epoch`: the job numbers under a new epoch (it restarted without its state): what it sent meanwhile is unknown.
 * `catchUp()` fills what the history has (with `include`, broadcasts too).
 */
export type GapDetail =
  | { reason: 'missing' | 'cut'; from: number; to: number }
  | { reason: 'epoch'; previous: string; epoch: string };

export interface SessionClientEventMap {
  message: SessionMessageEvent;
  receipt: SessionMessageEvent<ReadReceipt>;
  error: CustomEvent<ClientErrorDetail>;
  state: CustomEvent<StateDetail>;
  ended: CustomEvent<EndedDetail>;
  gap: CustomEvent<GapDetail>;
}

/**
 * One session's events. In a browser with several tabs on the same session, one tab (elected
 * with Web Locks) polls and relays every message to the others over a BroadcastChannel; each
 * tab dispatches each message once. While every tab is hidden, nothing polls (`pauseWhenHidden`).
 */
export class SessionClient extends EventTarget {
  constructor(options: SessionClientOptions);

  /**
   * `idle` (not started), `following` (another tab polls), `polling`, `paused` (every tab of the session hidden),
   * `offline`, `renewing` (getting new credentials), `ended`. Each change is a `state` event (`{ state, previous }`).
   */
  readonly state: ClientState;

  /** Starts polling (or following). Returns the client. Throws once the client has ended. */
  start(): this;

  /**
   * Ends the client (`ended` with reason `stopped`), aborting the long poll in flight. Resolves when
   * the messages being handled are handled and deleted, and the tab's lock is released.
   */
  stop(): Promise<void>;

  /**
   * Adds a `message` listener whose result the client awaits before deleting the message: a throw
   * or a rejection means redelivery. Returns a function that removes it.
   */
  onMessage(
    handler: (message: EventMessage, event: SessionMessageEvent) => unknown,
    options?: AddEventListenerOptions,
  ): () => void;

  /**
   * Dispatches, as `message` events with `fromHistory` true and oldest first, the history items
   * this client has not shown yet, then resolves to the history merged with the live messages
   * received so far (by messageId, history items first), newest first.
   * @param loadHistory the application's call of `/messages/user/{userId}` (through its backend),
   *   resolving to the answer or to its `messages` array.
   */
  catchUp(loadHistory: () => Promise<HistoryAnswer | HistoryMessage[]>): Promise<EventMessage[]>;

  addEventListener<K extends keyof SessionClientEventMap>(
    type: K,
    listener: (this: SessionClient, event: SessionClientEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SessionClientEventMap>(
    type: K,
    listener: (this: SessionClient, event: SessionClientEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** An error answer from SQS, as found in `error` events of kind `sqs` and in `ended` details. */
export class SqsError extends Error {
  /** `codes`: the error codes of the answer (its `__type` and `x-amzn-query-error`), the first one being `code`. */
  constructor(status: number, codes: string[], message?: string);
  readonly name: 'SqsError';
  /** HTTP status. */
  readonly status: number;
  /** E.g. `QueueDoesNotExist`, `ThrottlingException`. */
  readonly code: string | undefined;
  /** How the client treats it. */
  readonly kind: 'gone' | 'auth' | 'retry';
}

/** A body the job did not send this session: in the other cipher's envelope, or with a CTR counter of 2^53 or more. */
export class TamperingError extends Error {
  constructor(message?: string);
  readonly name: 'TamperingError';
}

/**
 * Decrypts one message body with the session's base64 AES key and the session's cipher (`g1|…` AES-256-GCM for
 * `gcm`, `<counter>|…` AES-256-CTR for `ctr`). Rejects with a `TamperingError` on a body in the other envelope or a
 * counter of 2^53 or more, and on a malformed or (GCM) tampered body.
 */
export function decrypt(body: string, aesKey: string, cipher: 'gcm' | 'ctr'): Promise<string>;
