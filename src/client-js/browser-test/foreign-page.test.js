// A page of another origin, open in the developer's browser while the local stack runs (another local dev server, or
// any site), tries what the local stack once did for any page: create, notify and destroy through the API, read its
// endpoints and keys, drive the SQS endpoint, ElasticMQ, kinesalite and dynalite directly (the session table holds
// every AES key; a Kinesis record is an event), upload a jar to Flink's web UI and stop the job. Nothing it tries may
// have an effect or let it read anything; each effect is looked for from Node afterwards.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { API, api, endpoints, launch, post, unique } from './support.js';

const ATTACKER = 'attacker.example';
let browser;
let server;
let port;

before(async () => {
  // Another site whose name resolves to this machine, as a page's own name does in DNS rebinding.
  browser = await launch([`--host-resolver-rules=MAP ${ATTACKER} 127.0.0.1`]);
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>another origin</title><p>nothing to see</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
});
after(async () => {
  await browser?.close();
  server?.close();
});

/** Kinesis and DynamoDB JSON calls from Node, as the stack's own programs make them (no Origin, Host 127.0.0.1). */
async function awsJson(endpoint, target, version, body) {
  const now = new Date().toISOString().replace(/[-:]|\.\d+/g, '');
  const { status, text } = await post(endpoint, {
    'Content-Type': `application/x-amz-json-${version}`, 'X-Amz-Target': target, 'X-Amz-Date': now,
    Authorization: `AWS4-HMAC-SHA256 Credential=test/${now.slice(0, 8)}/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0`,
  }, JSON.stringify(body));
  assert.equal(status, 200, `${target}: ${text}`);
  return JSON.parse(text);
}

/** Every record on the event stream, as text. */
async function eventRecords(e) {
  const texts = [];
  const { Shards } = await awsJson(e.kinesisEndpoint, 'Kinesis_20131202.ListShards', '1.1', { StreamName: e.eventStream });
  for (const shard of Shards) {
    const { ShardIterator } = await awsJson(e.kinesisEndpoint, 'Kinesis_20131202.GetShardIterator', '1.1',
      { StreamName: e.eventStream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' });
    const { Records } = await awsJson(e.kinesisEndpoint, 'Kinesis_20131202.GetRecords', '1.1', { ShardIterator, Limit: 10000 });
    texts.push(...Records.map((r) => Buffer.from(r.Data, 'base64').toString('utf8')));
  }
  return texts;
}

const flinkJobs = async (e) => (await (await fetch(`${e.flinkWebUi}/jobs/overview`)).json()).jobs;

/** What the page tries: each attempt answers 'rejected', or what the page could read. */
async function attack(page, e, marker, jobId) {
  return page.evaluate(async ({ e, marker, jobId, api }) => {
    const results = {};
    const attempt = async (name, fn) => {
      try {
        results[name] = await fn();
      } catch (error) {
        results[name] = 'rejected';
      }
    };
    const read = async (url, init) => {
      const res = await fetch(url, init);
      return res.type === 'opaque' ? 'opaque' : `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    };
    const amz = (target, version) => ({ 'Content-Type': `application/x-amz-json-${version}`, 'X-Amz-Target': target,
      Authorization: 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/x/aws4_request, SignedHeaders=host, Signature=0',
      'X-Amz-Date': '20260101T000000Z' });
    const image = (url) => new Promise((resolve) => {
      const img = new Image();
      img.onload = () => resolve('loaded');
      img.onerror = () => resolve('rejected');
      img.src = url;
    });
    const path = `${marker}/${marker}/${marker}`;
    // The API: its endpoints (the operator's keys), create and notify as a fetch, a no-cors fetch, an image, a form.
    await attempt('api endpoints', () => read(`${api}/local/endpoints`));
    await attempt('api create', () => read(`${api}/create/${path}`));
    await attempt('api create no-cors', () => read(`${api}/create/${path}-nc`, { mode: 'no-cors' }));
    await attempt('api create image', () => image(`${api}/create/${path}-img`));
    await attempt('api notify no-cors', () => read(`${api}/notify?_everyone=true&message=${marker}`, { mode: 'no-cors', method: 'POST' }));
    // The SQS endpoint for session credentials, and ElasticMQ itself.
    await attempt('sqs endpoint list', () => read(e.awsEndpoint, { method: 'POST', headers: amz('AmazonSQS.ListQueues', '1.0'), body: '{}' }));
    await attempt('sqs endpoint form no-cors', () => read(e.awsEndpoint, { method: 'POST', mode: 'no-cors',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `Action=CreateQueue&QueueName=${marker}-gw` }));
    await attempt('elasticmq dead letters', () => read(e.sqsEndpoint, { method: 'POST', headers: amz('AmazonSQS.ReceiveMessage', '1.0'),
      body: JSON.stringify({ QueueUrl: e.deadLetter }) }));
    await attempt('elasticmq create no-cors', () => read(`${e.sqsEndpoint}/?Action=CreateQueue&QueueName=${marker}-mq`, { mode: 'no-cors' }));
    await attempt('elasticmq create image', () => image(`${e.sqsEndpoint}/?Action=CreateQueue&QueueName=${marker}-img`));
    // dynalite (the session table: every AES key) and kinesalite (a record on the event stream is an event).
    await attempt('dynalite scan', () => read(e.dynamodbEndpoint, { method: 'POST', headers: amz('DynamoDB_20120810.Scan', '1.0'),
      body: JSON.stringify({ TableName: e.sessionTable }) }));
    await attempt('kinesalite put', () => read(e.kinesisEndpoint, { method: 'POST', headers: amz('Kinesis_20131202.PutRecord', '1.1'),
      body: JSON.stringify({ StreamName: e.eventStream, PartitionKey: 'x', Data: btoa(JSON.stringify({ _everyone: true, message: marker })) }) }));
    // Flink's web UI: a jar upload (a form: no preflight), the job stopped or cancelled.
    const jar = new FormData();
    jar.append('jarfile', new Blob(['PK'], { type: 'application/x-java-archive' }), `${marker}.jar`);
    await attempt('flink upload no-cors', () => read(`${e.flinkWebUi}/jars/upload`, { method: 'POST', mode: 'no-cors', body: jar }));
    await attempt('flink overview', () => read(`${e.flinkWebUi}/jobs/overview`));
    await attempt('flink cancel', () => read(`${e.flinkWebUi}/jobs/${jobId}?mode=cancel`, { method: 'PATCH' }));
    await attempt('flink stop no-cors', () => read(`${e.flinkWebUi}/jobs/${jobId}/stop`, { method: 'POST', mode: 'no-cors',
      headers: { 'Content-Type': 'text/plain' }, body: '{"drain":true,"targetDirectory":"/tmp"}' }));
    return results;
  }, { e, marker, jobId, api: API });
}

for (const [what, origin] of [['another origin on this machine', () => `http://127.0.0.1:${port}`],
  ['another site, its name resolved to this machine', () => `http://${ATTACKER}:${port}`]]) {
  test(`a page of ${what} drives nothing the local stack runs`, { timeout: 60000 }, async (t) => {
    const e = await endpoints();
    const [job] = await flinkJobs(e);
    const marker = unique('from-a-page');
    const context = await browser.newContext();
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`${origin()}/`);
    t.diagnostic(`page at ${origin()}`);
    const results = await attack(page, e, marker, job.jid);
    t.diagnostic(JSON.stringify(results));
    // Nothing readable: every attempt a page could read was refused.
    for (const [name, result] of Object.entries(results)) {
      assert.ok(result === 'rejected' || result === 'opaque', `${name}: the page read ${result}`);
    }
    // The ones a page never sees the answer of (an image, a no-cors request) had no effect either.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const suffix of ['', '-nc', '-img']) {
      const status = await api(`/status/${marker}/${marker}/${marker}${suffix}`, { allowFailure: true });
      assert.equal(status.success, false, `session ${marker}${suffix} exists: ${JSON.stringify(status)}`);
    }
    for (const queue of [`${marker}-gw`, `${marker}-mq`, `${marker}-img`]) {
      const { status, text } = await post(e.sqsEndpoint, { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': 'AmazonSQS.GetQueueUrl' },
        JSON.stringify({ QueueName: queue }));
      assert.match(text, /QueueDoesNotExist|does not exist/, `queue ${queue}: HTTP ${status} ${text}`);
    }
    assert.ok(!(await eventRecords(e)).some((r) => r.includes(marker)), 'no record of the page on the event stream');
    const jars = await fetch(`${e.flinkWebUi}/jars`);
    assert.equal(jars.status, 404, 'no jar routes at all (upload and run are off)');
    assert.deepEqual((await flinkJobs(e)).map((j) => [j.jid, j.state]), [[job.jid, 'RUNNING']]);
  });
}
