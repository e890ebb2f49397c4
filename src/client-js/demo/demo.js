// The live demo: one SessionClient on a session of the local stack (same origin as this page).
// Everything shown that comes from a message is set with textContent: events are data, not markup.
import { AwsClient } from 'aws4fetch';
import { SessionClient } from '/client-js/src/index.js';

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
};

const STATES = {
  none: ['no session', 'Create a session, or open a link to one.'],
  idle: ['starting', 'Starting…'],
  polling: ['polling', 'This tab long-polls the session’s SQS queue, decrypts each message and deletes it once shown.'],
  following: ['following another tab', 'Another tab of this session polls the queue; this tab receives every message from it over a BroadcastChannel. Close that tab and this one takes over.'],
  renewing: ['renewing', 'Getting fresh credentials from /renew (polling goes on while the current ones are valid).'],
  paused: ['paused', 'Every tab of this session is hidden: nothing polls (the messages wait in the queue) until one is shown.'],
  offline: ['offline', 'The browser is offline: polling is paused and resumes as soon as the network is back.'],
  ended: ['ended', 'This tab’s client has ended.'],
};
const ENDED = {
  'queue-gone': 'the session was destroyed (its queue is gone)',
  'renew-failed': 'its credentials could not be renewed',
  stopped: 'you left it in this tab (the session itself goes on)',
};
const MAX_ITEMS = 200;
const DESTROYING = 'Destroyed. Waiting for the client to find its queue gone (the long poll in flight ends first)…';

const app = {
  client: null,
  ids: null, // { account, user, session }
  path: '', // account/user/session, URL-encoded
  expires: 0, // epoch seconds of this tab's credentials
  lifetime: 1,
  version: 0,
  renewals: 0,
  read: new Set(), // messageIds known to be read
  pendingRead: new Set(), // asked to mark read, receipt not yet here
  sentAt: new Map(), // messageId -> Date.now() when this tab sent it
  live: 0,
  topics: [],
  historyTimer: 0,
  destroying: false,
};

const endpoints = fetch('/local/endpoints')
  .then((r) => (r.ok ? r.json() : {}))
  .catch(() => ({}));

/**
 * The page plays the application's backend, so it calls the API as a backend does: signed for execute-api with the
 * backend's keys (the local stack's, which may call the API and nothing else; a real page never holds such keys).
 */
const backend = endpoints.then((e) => new AwsClient({
  accessKeyId: e.backendAccessKeyId, secretAccessKey: e.backendSecretAccessKey, service: 'execute-api', region: e.region,
}));

/** GET one API path, signed; answers the JSON, throws the API's message on failure. */
async function api(path) {
  const res = await (await backend).fetch(new URL(path, location.href).href, { cache: 'no-store' });
  let json;
  try {
    json = await res.json();
  } catch {
    throw new Error(`${path.split('?')[0]}: HTTP ${res.status}`);
  }
  if (!res.ok || json.success === false) throw new Error(json.message || `HTTP ${res.status}`);
  return json;
}

// --- small formatting helpers ---

const pad = (n, w = 2) => String(n).padStart(w, '0');
const clock = (ms, withMs = true) => {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${withMs ? '.' + pad(d.getMilliseconds(), 3) : ''}`;
};
const day = (ms) => {
  const d = new Date(ms);
  return new Date().toDateString() === d.toDateString() ? clock(ms, false) : `${d.toLocaleDateString()} ${clock(ms, false)}`;
};
const randomId = () => `demo-${crypto.randomUUID().slice(0, 8)}`;
const enc = encodeURIComponent;

function routeOf(m) {
  if (m.sessionId != null) return ['session', `session ${m.sessionId}`];
  if (m.userId != null) return ['user', `user ${m.userId}`];
  if (m.topic != null) return ['topic', m.accountId != null ? `topic ${m.topic} in ${m.accountId}` : `topic ${m.topic}`];
  if (m.accountId != null) return ['account', `account ${m.accountId}`];
  return ['everyone', 'everyone'];
}

function bodyOf(m) {
  if (typeof m.message === 'string') return m.message;
  const rest = { ...m };
  for (const k of ['messageId', '_type', 'userId', 'accountId', 'sessionId', 'topic', 'created', 'is_read']) delete rest[k];
  return Object.keys(rest).length ? JSON.stringify(rest) : '(no fields)';
}

// --- alerts and the activity log ---

function alertBox(kind, title, text, { sticky = kind === 'error' } = {}) {
  const close = el('button', { type: 'button', className: 'close', title: 'Dismiss', textContent: '×' });
  const box = el('div', { className: `alert ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, el('div', {}, el('strong', { textContent: title }), ' ', el('span', { textContent: text })), close);
  close.onclick = () => box.remove();
  $('alerts').prepend(box);
  while ($('alerts').children.length > 4) $('alerts').lastChild.remove();
  if (!sticky) setTimeout(() => box.remove(), 8000);
  return box;
}

function activity(kind, text, detail) {
  const li = el('li', { className: kind }, el('time', { textContent: clock(Date.now()) }), el('span', { className: 'tag', textContent: kind }), el('span', { className: 'text', textContent: text }));
  if (detail) li.append(el('code', { className: 'detail', textContent: detail }));
  $('activity').prepend(li);
  $('activity-empty').hidden = true;
  while ($('activity').children.length > 150) $('activity').lastChild.remove();
}

// --- the state pill and the session facts ---

function showState(state, extra) {
  const [name, text] = STATES[state] ?? [state, ''];
  $('state').dataset.state = state;
  $('state-name').textContent = name;
  $('state-text').textContent = extra ?? text;
}

function tick() {
  const state = app.client?.state;
  let text = '–';
  let fraction = 0;
  if (state === 'following') text = 'held and renewed by the polling tab; this tab renews them if it takes over';
  else if (state && state !== 'ended' && app.expires) {
    const left = app.expires - Date.now() / 1000;
    fraction = Math.max(0, Math.min(1, left / app.lifetime));
    text = left > 0 ? `expire in ${Math.ceil(left)} s (${clock(app.expires * 1000, false)})` : 'expired: renewing…';
  } else if (state === 'ended') text = 'none (ended)';
  $('f-expires').textContent = text;
  $('f-meter').style.width = `${(fraction * 100).toFixed(1)}%`;
  $('f-meter').dataset.low = fraction < 0.35 ? 'true' : 'false';
}
setInterval(tick, 250);

function credentials(session, how) {
  app.expires = session.expires;
  app.lifetime = Math.max(1, session.expires - Date.now() / 1000);
  app.version = session.version ?? app.version;
  $('f-renewals').textContent = `version ${app.version}${app.renewals ? ` · renewed ${app.renewals}× in this tab` : ''}`;
  if (how) activity('renew', `${how}: credentials valid for ${Math.round(app.lifetime)} s`, `version ${app.version}`);
  tick();
}

function bindIds() {
  const ids = app.ids ?? { account: $('account').value.trim(), user: $('user').value.trim() };
  for (const b of document.querySelectorAll('[data-bind]')) b.textContent = ids[b.dataset.bind] || '?';
  for (const b of document.querySelectorAll('[data-route]')) b.title = b.textContent;
}

// --- messages ---

function readState(id) {
  return app.read.has(id) ? 'read' : app.pendingRead.has(id) ? 'marking' : 'unread';
}

function readControl(id) {
  const wrap = el('span', { className: 'read-state' });
  wrap.dataset.for = id;
  renderRead(wrap);
  return wrap;
}

function renderRead(wrap) {
  const id = wrap.dataset.for;
  const state = readState(id);
  wrap.dataset.state = state;
  wrap.replaceChildren();
  if (state === 'read') wrap.append(el('span', { className: 'badge read', textContent: '✓ read' }));
  else if (state === 'marking') wrap.append(el('span', { className: 'badge marking', textContent: 'waiting for the receipt…' }));
  else {
    const button = el('button', { type: 'button', className: 'link mark-read', textContent: 'Mark read' });
    button.onclick = () => markRead([id]);
    wrap.append(el('span', { className: 'badge unread', textContent: 'unread' }), button);
  }
  wrap.closest('li')?.classList.toggle('unread', state !== 'read');
}

function refreshReadStates(flash = new Set()) {
  for (const wrap of document.querySelectorAll('.read-state')) {
    renderRead(wrap);
    if (flash.has(wrap.dataset.for)) {
      const li = wrap.closest('li');
      li.classList.remove('flash');
      void li.offsetWidth; // restart the animation
      li.classList.add('flash');
    }
  }
}

function messageItem(m, { time, note, history }) {
  const [route, routeText] = routeOf(m);
  const li = el(
    'li',
    { className: `msg route-${route}` },
    el(
      'div',
      { className: 'msg-top' },
      el('span', { className: `chip ${route}`, textContent: routeText }),
      m._type ? el('span', { className: 'chip type', textContent: m._type }) : null,
      el('time', { textContent: time, title: history ? 'created' : 'shown' }),
    ),
    el('div', { className: 'msg-body', textContent: bodyOf(m) }),
    el('div', { className: 'msg-foot' }, el('code', { className: 'id', textContent: m.messageId, title: 'messageId' }), note ? el('span', { className: 'muted', textContent: note }) : null, readControl(m.messageId)),
  );
  li.dataset.id = m.messageId;
  return li;
}

function onMessage(event) {
  const m = event.detail;
  const now = Date.now();
  const notes = [];
  if (event.fromHistory) notes.push('from history');
  if (app.sentAt.has(m.messageId)) notes.push(`${((now - app.sentAt.get(m.messageId)) / 1000).toFixed(1)} s after sending`);
  else if (event.sentTimestamp) notes.push(`queued ${clock(event.sentTimestamp)}`);
  const li = messageItem(m, { time: clock(now), note: notes.join(' · ') });
  li.classList.add('new');
  $('live').prepend(li);
  while ($('live').children.length > MAX_ITEMS) $('live').lastChild.remove();
  $('live-count').textContent = String(++app.live);
  $('live-empty').hidden = true;
  scheduleHistory();
}

function onReceipt(event) {
  const ids = event.detail['messages-receipted'] ?? [];
  for (const id of ids) {
    app.read.add(id);
    app.pendingRead.delete(id);
  }
  refreshReadStates(new Set(ids));
  activity('receipt', `read receipt: ${ids.length} message${ids.length === 1 ? '' : 's'} marked read`, ids.join(', '));
}

async function markRead(ids) {
  if (!app.ids) return;
  for (const id of ids) app.pendingRead.add(id);
  refreshReadStates();
  try {
    const answer = await api(`/messages/set-read/user/${enc(app.ids.user)}/message/${ids.map(enc).join(',')}`);
    const changed = new Set(answer['messages-receipted'] ?? []);
    activity('read', `marked read: ${changed.size} changed; the receipt is on its way to every session of the user`, [...changed].join(', '));
    const noReceipt = app.client?.state === 'ended'; // receipts come through the session's queue
    for (const id of ids) {
      if (changed.has(id) && !noReceipt) continue; // the receipt will say so
      app.pendingRead.delete(id); // was read already: no receipt comes for it
      app.read.add(id);
    }
  } catch (error) {
    for (const id of ids) app.pendingRead.delete(id);
    alertBox('error', 'Marking read failed:', error.message);
  }
  refreshReadStates();
}

async function markAllRead() {
  if (!app.ids) return;
  const asof = Math.floor(Date.now() / 1000);
  try {
    const answer = await api(`/messages/set-read/user/${enc(app.ids.user)}/asof/${asof}`);
    const changed = answer['messages-receipted'] ?? [];
    const noReceipt = app.client?.state === 'ended';
    for (const id of changed) if (!app.read.has(id)) (noReceipt ? app.read : app.pendingRead).add(id);
    activity('read', `mark all read (as of ${clock(asof * 1000, false)}): ${changed.length} changed`, changed.join(', '));
    refreshReadStates();
  } catch (error) {
    alertBox('error', 'Mark all read failed:', error.message);
  }
}

// --- history ---

/**
 * The user's inbox: their history with the broadcasts, their account's events and their topics' merged in (the
 * backend knows the user's account and topics), whether or not they had a session open when those were sent.
 */
function inbox() {
  const include = ['everyone', `account:${app.ids.account}`, ...(app.topics ?? []).map((t) => `topic:${t}`)].map(enc).join(',');
  return api(`/messages/user/${enc(app.ids.user)}?limit=100&include=${include}`);
}

function scheduleHistory() {
  clearTimeout(app.historyTimer);
  app.historyTimer = setTimeout(loadHistory, 1500); // history rows are written a moment after delivery
}

async function loadHistory() {
  if (!app.ids) return;
  clearTimeout(app.historyTimer);
  try {
    const { messages = [] } = await inbox();
    for (const m of messages) {
      if (m.is_read) {
        app.read.add(m.messageId);
        app.pendingRead.delete(m.messageId);
      }
    }
    $('history').replaceChildren(...messages.map((m) => messageItem(m, { time: day(m.created * 1000), history: true })));
    $('history-count').textContent = String(messages.length);
    $('history-empty').hidden = messages.length > 0;
    $('history-empty').textContent = 'No messages for this user yet.';
    refreshReadStates();
  } catch (error) {
    activity('error', `loading the history failed: ${error.message}`);
  }
}

// --- the session ---

function setView(active) {
  $('create-form').hidden = active;
  $('session-view').hidden = !active;
  $('session-hint').textContent = active ? (app.ids ? `${app.ids.account} / ${app.ids.user}` : '') : 'Step 1';
  for (const b of [$('history-refresh'), $('mark-all'), $('send-session')]) b.disabled = !active;
}

function ended(reason, error) {
  const why = ENDED[reason] ?? reason;
  showState('ended', `Ended: ${why}.${reason === 'stopped' ? '' : ' Create a new session to go on.'}`);
  activity('ended', `the client ended: ${why}`, error ? String(error.message ?? error) : undefined);
  if (reason === 'queue-gone') alertBox('info', 'Session ended:', 'it was destroyed (or expired) and its queue deleted. Nothing more will arrive.', { sticky: true });
  else if (reason === 'renew-failed') alertBox('error', 'Session ended:', `its credentials could not be renewed (${error?.message ?? 'unknown error'}).`);
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  $('other-tab').hidden = true;
  $('destroy').hidden = true;
  $('send-session').disabled = true;
  $('leave').textContent = 'New session';
  $('leave').title = 'Create another session';
  tick();
}

async function begin(answer, ids, how) {
  const session = answer.session ?? answer;
  app.ids = ids;
  app.path = [ids.account, ids.user, ids.session].map(enc).join('/');
  app.renewals = 0;
  app.destroying = false;
  const { browserSqsEndpoint } = await endpoints;
  const client = new SessionClient({
    session: answer,
    endpoint: browserSqsEndpoint, // the local stack's SQS endpoint for session credentials
    renew: async () => {
      const fresh = await api(`/renew/${app.path}`);
      app.renewals++;
      credentials(fresh.session, 'renewed');
      return fresh;
    },
  });
  app.client = client;
  client.addEventListener('message', onMessage);
  client.addEventListener('receipt', onReceipt);
  client.addEventListener('state', (e) => {
    const { state, previous } = e.detail;
    if (state !== 'ended') showState(state, app.destroying ? DESTROYING : undefined);
    activity('state', `${previous} → ${state}`);
    tick();
  });
  client.addEventListener('error', ({ detail: { kind, error, sqsMessageId, messageId, attempt, fatal } }) => {
    // WebCrypto's OperationError (a GCM tag that does not match) comes without a message.
    const reason = error?.message || (error?.name === 'OperationError' ? 'authentication failed' : String(error));
    const what = `${error?.name ?? 'Error'}: ${reason}`;
    if (kind === 'decrypt' || kind === 'decode') {
      alertBox('error', kind === 'decrypt' ? 'A message failed to decrypt and was discarded.' : 'A message was not a valid event and was discarded.', `${what} (SQS message ${sqsMessageId}). A tampered body, or one not encrypted for this session: it was deleted and never shown.`);
    } else if (kind === 'renew' && fatal) {
      alertBox('error', 'Renewal failed for good:', what);
    }
    const extra = [sqsMessageId && `SQS message ${sqsMessageId}`, messageId && `message ${messageId}`, attempt && `attempt ${attempt}`].filter(Boolean).join(', ');
    activity(kind === 'network' || kind === 'sqs' || (kind === 'renew' && !fatal) ? 'warn' : 'error', `${kind}: ${what}`, extra || undefined);
  });
  client.addEventListener('ended', (e) => ended(e.detail.reason, e.detail.error));
  client.addEventListener('gap', ({ detail }) => {
    const what = detail.reason === 'epoch' ? 'the delivery job restarted without its state' : `messages ${detail.from}–${detail.to} of this session never arrived`;
    activity('warn', `gap: ${what}; filling it from the history`);
    alertBox('info', 'Something was missed:', `${what}. What the history has is shown now (marked “from history”).`);
    client.catchUp(inbox).catch((error) => activity('error', `catching up failed: ${error.message}`));
  });

  $('f-account').textContent = ids.account;
  $('f-user').textContent = ids.user;
  $('f-session').textContent = ids.session;
  $('f-cipher').textContent = session.cipher === 'ctr' ? 'CTR (as the original system; not authenticated)' : 'GCM (authenticated)';
  showTopics(session.topics ?? []);
  $('f-queue').textContent = session.sqsQueueName;
  $('f-queue').title = session.sqsUrl;
  $('other-tab').hidden = false;
  $('destroy').hidden = false;
  $('destroy').disabled = false;
  $('leave').textContent = 'Leave';
  $('leave').title = 'Stop this tab’s client; the session stays';
  history.replaceState(null, '', `#session=${app.path}`);
  $('other-tab').href = location.href;
  $('live').replaceChildren();
  app.live = 0;
  $('live-count').textContent = '0';
  $('live-empty').hidden = false;
  $('live-empty').textContent = 'Waiting for messages… send one with the buttons above.';
  credentials(session);
  bindIds();
  setView(true);
  activity('session', `${how} session ${ids.session} (user ${ids.user}, account ${ids.account}, ${session.cipher ?? 'ctr'})`, session.sqsQueueName);
  client.start();
  showState(client.state);
  loadHistory();
}

async function create(event) {
  event.preventDefault();
  const form = $('create-form');
  if (!form.reportValidity()) return;
  const ids = { account: $('account').value.trim(), user: $('user').value.trim(), session: $('session-id').value.trim() };
  const query = new URLSearchParams({ cipher: form.elements.cipher.value });
  const topics = $('topics').value.replace(/\s+/g, '');
  if (topics) query.set('topics', topics);
  const rewind = Number($('rewind').value);
  if (rewind > 0) query.set('rewind', String(rewind));
  $('create').disabled = true;
  try {
    const answer = await api(`/create/${[ids.account, ids.user, ids.session].map(enc).join('/')}?${query}`);
    await begin(answer, ids, 'created');
  } catch (error) {
    alertBox('error', 'Could not create the session:', error.message);
  } finally {
    $('create').disabled = false;
  }
}

async function join(ids) {
  $('account').value = ids.account;
  $('user').value = ids.user;
  $('session-id').value = ids.session;
  bindIds();
  try {
    // A second tab gets its own fresh credentials for the same session (same queue, same key).
    const answer = await api(`/renew/${[ids.account, ids.user, ids.session].map(enc).join('/')}`);
    await begin(answer, ids, 'joined');
  } catch (error) {
    history.replaceState(null, '', location.pathname + location.search);
    alertBox('error', `Could not join session ${ids.session}:`, `${error.message}. It may have ended; create a new one.`);
    $('session-id').value = randomId();
  }
}

async function leave() {
  if (app.client && app.client.state !== 'ended') {
    await app.client.stop();
    return;
  }
  app.client = null;
  app.ids = null;
  $('session-id').value = randomId();
  showState('none');
  setView(false);
  bindIds();
}

async function destroy() {
  if (!app.ids) return;
  $('destroy').disabled = true;
  try {
    await api(`/destroy/${app.path}`);
    app.destroying = true;
    activity('session', 'destroyed: the queue is deleted; the client ends when its next request finds no queue (the long poll in flight may take up to 20 s)');
    showState(app.client.state, DESTROYING);
  } catch (error) {
    $('destroy').disabled = false;
    alertBox('error', 'Destroy failed:', error.message);
  }
}

/** The session's topics as chips; the topic to send to defaults to one of them. */
function showTopics(topics) {
  app.topics = topics;
  $('f-topics').replaceChildren(...(topics.length ? topics.map((t) => el('span', { className: 'chip topic', textContent: t })) : [el('span', { className: 'muted', textContent: 'none' })]));
  if (topics.length && !topics.includes($('send-topic-name').value)) $('send-topic-name').value = topics[0];
}

/** Follows or unfollows the topic typed beside the buttons (the backend's call: /topics answers the session's topics). */
async function changeTopic(change) {
  const input = $('topic-name');
  const topic = input.value.trim();
  if (!app.ids || !topic || !input.reportValidity()) return;
  try {
    const { topics } = await api(`/topics/${app.path}?${new URLSearchParams({ [change]: topic })}`);
    showTopics(topics);
    activity('topics', `${change === 'add' ? 'following' : 'no longer following'} ${topic}`, topics.join(', ') || 'no topics');
    input.value = '';
  } catch (error) {
    alertBox('error', `Could not ${change === 'add' ? 'follow' : 'unfollow'} ${topic}:`, error.message);
  }
}

async function send(route) {
  const ids = app.ids ?? { account: $('account').value.trim(), user: $('user').value.trim() };
  const topic = $('send-topic-name').value.trim();
  const paths = {
    user: `/notify/user/${enc(ids.user)}`,
    account: `/notify/account/${enc(ids.account)}`,
    everyone: '/notify',
    session: app.ids && `/notify/user/${enc(ids.user)}/session/${enc(ids.session)}`,
    topic: `/notify/topic/${enc(topic)}`,
  };
  const query = new URLSearchParams({ message: $('message').value });
  const type = $('type').value.trim();
  if (type) query.set('_type', type);
  const result = $('send-result');
  try {
    const { messageId } = await api(`${paths[route]}?${query}`);
    app.sentAt.set(messageId, Date.now());
    const target = route === 'everyone' ? 'everyone' : route === 'session' ? 'this session' : route === 'topic' ? `topic ${topic}` : `${route} ${ids[route]}`;
    result.textContent = `Sent to ${target} at ${clock(Date.now())} · messageId ${messageId}`;
    activity('sent', `to ${target}`, messageId);
  } catch (error) {
    result.textContent = '';
    alertBox('error', 'Sending failed:', error.message);
  }
}

function sessionFromHash() {
  const value = new URLSearchParams(location.hash.slice(1)).get('session');
  const parts = value?.split('/').map((p) => decodeURIComponent(p)) ?? [];
  return parts.length === 3 && parts.every(Boolean) ? { account: parts[0], user: parts[1], session: parts[2] } : null;
}

// --- wiring ---

$('create-form').addEventListener('submit', create);
$('new-id').onclick = () => ($('session-id').value = randomId());
$('destroy').onclick = destroy;
$('leave').onclick = leave;
$('history-refresh').onclick = loadHistory;
$('follow').onclick = () => changeTopic('add');
$('unfollow').onclick = () => changeTopic('remove');
$('mark-all').onclick = markAllRead;
for (const b of document.querySelectorAll('[data-route]')) b.onclick = () => send(b.dataset.route);
for (const id of ['account', 'user']) $(id).addEventListener('input', bindIds);
$('send-form').addEventListener('submit', (e) => {
  e.preventDefault();
  send('user');
});
addEventListener('hashchange', () => {
  const ids = sessionFromHash();
  if (ids && [ids.account, ids.user, ids.session].map(enc).join('/') !== app.path) location.reload();
});

$('session-id').value = randomId();
showState('none');
bindIds();
const fromHash = sessionFromHash();
if (fromHash) join(fromHash);
window.demo = app; // for the curious (and the smoke test): the client is demo.client
