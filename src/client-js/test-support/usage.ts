// Type-checked by `npm run typecheck` against index.d.ts (through the package's own exports), never run.
import {
  SessionClient,
  decrypt,
  SqsError,
  STATE_TRANSITIONS,
  type ClientState,
  type EventMessage,
  type HistoryAnswer,
  type Session,
  type StateDetail,
} from '@sqs-browser-events/client';

declare function api<T>(path: string): Promise<T>;
declare const ids: { accountId: number; userId: number; sessionId: string };
const path = `${ids.accountId}/${ids.userId}/${ids.sessionId}`;

const client = new SessionClient({
  session: await api<{ success: boolean; session: Session }>(`/create/${path}`),
  renew: () => api<Session>(`/renew/${path}`),
  visibilityTimeout: 60,
  storage: null,
  hiddenPollSeconds: 60,
});

const stopListening: () => void = client.onMessage(async (message: EventMessage, event) => {
  const fromHistory: boolean = event.fromHistory;
  await fetch('/show', { method: 'POST', body: JSON.stringify({ id: message.messageId, fromHistory }) });
});
client.addEventListener('message', (event) => event.waitUntil(Promise.resolve(event.detail.messageId)));
client.addEventListener('receipt', (event) => event.detail['messages-receipted'].forEach((id: string) => id.length));
client.addEventListener('error', ({ detail }) => {
  if (detail.kind === 'renew' && detail.fatal) console.warn(detail.error.message);
  if (detail.error instanceof SqsError) console.warn(detail.error.code, detail.error.status, detail.error.kind);
});
client.addEventListener('state', ({ detail }) => detail.state === 'following');
client.addEventListener('state', ({ detail }) => {
  const was: ClientState = detail.previous;
  // previous narrows state to the moves the table allows, and the other way round
  if (detail.previous === 'idle') detail.state satisfies 'following' | 'polling' | 'paused' | 'offline' | 'ended';
  if (detail.state === 'renewing') detail.previous satisfies 'polling' | 'paused' | 'offline';
  // the only way back to following: a hidden polling tab handing over to a visible one
  if (detail.state === 'following') detail.previous satisfies 'idle' | 'polling';
  // @ts-expect-error ended is final: no state event comes from it
  if (detail.previous === 'ended') return;
  return was;
});
const fromPolling: readonly ClientState[] = STATE_TRANSITIONS.polling;
STATE_TRANSITIONS.idle satisfies readonly ['following', 'polling', 'paused', 'offline', 'ended'];
STATE_TRANSITIONS.paused satisfies readonly ['polling', 'offline', 'renewing', 'ended'];
// @ts-expect-error nothing goes back to idle
export const back: StateDetail = { state: 'idle', previous: 'polling' };
// @ts-expect-error the table is read-only
STATE_TRANSITIONS.ended = [];
client.addEventListener('ended', ({ detail }) => detail.reason === 'queue-gone');
client.addEventListener('custom', (event: Event) => event.type);

const merged: EventMessage[] = await client.start().catchUp(() => api<HistoryAnswer>(`/messages/user/${ids.userId}`));
const text: string = await decrypt('9734675727|nw7xCnVR0m/YrGgG', 'LkWUsGQKi8E9QoMJEeY1HLL8rdJNJr3fzDp+F9CpkCY=', 'ctr');
console.log(merged.length, text, fromPolling, client.state satisfies 'idle' | 'polling' | 'following' | 'paused' | 'offline' | 'renewing' | 'ended');
stopListening();
await client.stop();

// @ts-expect-error renew is required
new SessionClient({ session: {} as Session });

// The browser's own objects fit the injectable options.
new SessionClient({
  session: {} as Session,
  renew: async () => ({}) as Session,
  locks: navigator.locks,
  channel: new BroadcastChannel('sqs-browser-events:q'),
  storage: sessionStorage,
  onlineEvents: window,
  document,
  pauseWhenHidden: false,
});
