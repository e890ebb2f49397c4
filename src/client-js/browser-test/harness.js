// The browser tests' harness page: runs one SessionClient for the session the test hands it, renews
// through the local API's /renew, and records everything the client dispatches on `window.log`.
import { AwsClient } from 'aws4fetch';
import { SessionClient } from '/client-js/src/index.js';

/** The page plays the application's backend: its API calls are signed with the local backend's keys. */
const backend = fetch('/local/endpoints').then((r) => r.json()).then((e) => new AwsClient({
  accessKeyId: e.backendAccessKeyId, secretAccessKey: e.backendSecretAccessKey, service: 'execute-api', region: e.region,
}));
const api = async (path) => (await (await backend).fetch(new URL(path, location.href).href)).json();

const log = { messages: [], receipts: [], errors: [], states: [], ended: [], renewals: [], gaps: [] };
let client = null;

const now = () => Date.now();
const out = document.getElementById('out');
const note = (line) => out.append(`${new Date().toISOString()} ${line}\n`);

async function start({ session, endpoint, options = {} }) {
  if (client) throw new Error('already started');
  const s = session.session ?? session;
  const ids = [s.accountId, s.userId, s.sessionId].map(encodeURIComponent).join('/');
  if (!endpoint) endpoint = (await (await fetch('/local/endpoints')).json()).browserSqsEndpoint;
  client = new SessionClient({
    session,
    endpoint,
    renew: async () => {
      const answer = await api(`/renew/${ids}`);
      log.renewals.push({ at: now(), success: answer.success, expires: answer.session?.expires, version: answer.session?.version });
      return answer;
    },
    ...options,
  });
  client.addEventListener('message', (e) =>
    log.messages.push({ at: now(), message: e.detail, fromHistory: e.fromHistory, sentTimestamp: e.sentTimestamp }),
  );
  client.addEventListener('receipt', (e) => log.receipts.push({ at: now(), message: e.detail }));
  client.addEventListener('gap', (e) => log.gaps.push({ at: now(), ...e.detail }));
  client.addEventListener('error', (e) => {
    const { kind, error, ...rest } = e.detail;
    log.errors.push({ at: now(), kind, name: error?.name, error: String(error?.message ?? error), ...rest });
    note(`error ${kind}: ${error}`);
  });
  client.addEventListener('state', (e) => {
    log.states.push({ at: now(), state: e.detail.state, previous: e.detail.previous });
    note(`state ${e.detail.previous} > ${e.detail.state}`);
  });
  client.addEventListener('ended', (e) =>
    log.ended.push({ at: now(), reason: e.detail.reason, error: e.detail.error ? String(e.detail.error.message) : undefined }),
  );
  client.start();
  return client.state;
}

window.log = log;
window.harness = {
  start,
  state: () => client?.state ?? 'none',
  stop: () => client?.stop(),
  catchUp: (userId, include) =>
    client.catchUp(() => api(`/messages/user/${encodeURIComponent(userId)}${include ? `?include=${include}` : ''}`))
      .then((list) => list.map((m) => m.messageId)),
};
window.harnessReady = true;
