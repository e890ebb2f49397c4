// iam.mjs on the fixture (one allowed call, one denied, one unused grant waived) and on variants of it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', 'iam.mjs');
const fixture = join(here, 'fixtures', 'iam');
const waivers = join(fixture, 'unused.json');
const scratch = mkdtempSync(join(tmpdir(), 'iam-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
}

// A copy of the fixture, changed by edit(roles, callLines, waivers) (each JSON, edited in place or returned).
function variant(name, edit) {
  const dir = join(scratch, name);
  cpSync(fixture, dir, { recursive: true });
  const rolesFile = join(dir, 'roles', 't-fixture01.json');
  const callsFile = join(dir, 'calls', 'job.jsonl');
  const roles = JSON.parse(readFileSync(rolesFile, 'utf8'));
  const calls = readFileSync(callsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const unused = JSON.parse(readFileSync(join(dir, 'unused.json'), 'utf8'));
  const result = edit(roles, calls, unused) ?? {};
  writeFileSync(rolesFile, JSON.stringify(roles));
  writeFileSync(callsFile, (result.calls ?? calls).map((c) => JSON.stringify(c)).join('\n'));
  writeFileSync(join(dir, 'unused.json'), JSON.stringify(result.unused ?? unused));
  return dir;
}

test('the fixture: the dead-letter SendMessage is denied, SubscribeToShard is unused but waived', () => {
  const { code, out } = run(fixture, '--unused', waivers);
  assert.equal(code, 1);
  assert.equal(out.ok, false);
  assert.deepEqual(out.calls, { distinct: 2, allowed: 1, refusedProbes: 0, refusedMissing: 0 }, 'repeated lines are one call');
  assert.equal(out.denied.length, 1);
  assert.equal(out.denied[0].resource, 'arn:aws:sqs:us-east-1:000000000000:t-fixture01-dead-letters-sqs-browser');
  assert.equal(out.denied[0].result, 'ImplicitlyDenied');
  assert.match(out.denied[0].reason, /resource does not/);
  assert.deepEqual(out.unused.map((u) => [u.role, u.action, u.waived]), [['JobRole', 'kinesis:SubscribeToShard', true]]);
  assert.deepEqual(out.invalid, []);
});

test('the two-argument form reads one roles file and a calls directory', () => {
  const { out } = run(join(fixture, 'roles', 't-fixture01.json'), join(fixture, 'calls'), '--unused', waivers);
  assert.deepEqual(out.calls, { distinct: 2, allowed: 1, refusedProbes: 0, refusedMissing: 0 });
});

test('without the denied call everything is ok', () => {
  const dir = variant('ok', (roles, calls) => ({ calls: calls.filter((c) => !c.resource.includes('dead-letters')) }));
  const { code, out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.equal(code, 0, JSON.stringify(out));
  assert.equal(out.ok, true);
});

test('an unused grant without a waiver is an error; so is a waiver that matches nothing', () => {
  const dir = variant('unwaived', (roles, calls, unused) => ({
    calls: calls.filter((c) => !c.resource.includes('dead-letters')),
    unused: [{ role: 'JobRole', action: 'sqs:DeleteQueue', reason: 'no longer granted' }],
  }));
  const { code, out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.equal(code, 1);
  assert.deepEqual(out.unused.map((u) => [u.action, u.waived]), [['kinesis:SubscribeToShard', false]]);
  assert.match(out.invalid[0].message, /stale waiver: no policy of JobRole grants sqs:DeleteQueue/);
});

test('a waiver for an action that was used is stale', () => {
  const dir = variant('used', (roles, calls, unused) => ({
    calls: calls.filter((c) => !c.resource.includes('dead-letters')),
    unused: [...unused, { role: 'JobRole', action: 'sqs:SendMessage', reason: 'thought unused' }],
  }));
  const { out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.deepEqual(out.invalid.map((i) => i.message), ['stale waiver: JobRole used sqs:SendMessage in an allowed call']);
});

test('static: unknown actions, resources of no accepted type, wildcard-only actions on an ARN, unavailable keys', () => {
  const dir = variant('static', (roles, calls) => {
    roles.roles.JobRole.policies[0].Statement.push(
      { Effect: 'Allow', Action: ['sqs:SendMessages'], Resource: '*' },
      { Effect: 'Allow', Action: ['cognito-identity:DeleteIdentities'],
        Resource: 'arn:aws:cognito-identity:us-east-1:000000000000:identitypool/us-east-1:abc' },
      { Effect: 'Allow', Action: ['kinesis:SubscribeToShard'], Resource: 'arn:aws:kinesis:us-east-1:000000000000:stream/x' },
      { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'X', 'sqs:nonsense': 'y' } } },
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage'], Resource: '*', Condition: { Null: { 'cognito-identity:IdentityPoolArn': 'false' } } },
    );
    return { calls };
  });
  const { out } = run(dir, '--unused', join(dir, 'unused.json'));
  const messages = out.invalid.map((i) => `${i.action ?? ''} ${i.message}`);
  assert.ok(messages.some((m) => /sqs:SendMessages the SAR lists no such action/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /cognito-identity:DeleteIdentities the SAR lists no resource type/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /kinesis:SubscribeToShard matches none of .* consumer/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /no such condition key/.test(m)), messages.join('\n'));
  assert.ok(messages.some((m) => /sqs:ReceiveMessage does not carry cognito-identity:IdentityPoolArn/.test(m)), messages.join('\n'));
  assert.ok(!messages.some((m) => /cloudwatch:namespace/.test(m)), 'PutMetricData carries cloudwatch:namespace');
});

test('context keys a request never carries are reported (the simulator drops them)', () => {
  const dir = variant('ignored', (roles, calls) => ({
    calls: calls.filter((c) => !c.resource.includes('dead-letters'))
      .map((c) => ({ ...c, context: { 'cognito-identity:IdentityPoolArn': 'arn:aws:cognito-identity:us-east-1:000000000000:identitypool/x' } })),
  }));
  const { code, out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.equal(code, 0);
  assert.deepEqual(out.ignoredContext, [{ role: 'JobRole', action: 'sqs:SendMessage', keys: ['cognito-identity:IdentityPoolArn'] }]);
});

test('bad usage exits 2', () => {
  assert.equal(spawnSync(process.execPath, [script, join(scratch, 'nowhere')]).status, 2);
});

test('an sts call on one of our roles is judged by that role\'s trust policy', () => {
  const sessionRole = 'arn:aws:iam::000000000000:role/t-fixture01-sqs-browser-session';
  const assume = (aud) => ({
    deployment: 't-fixture01', role: null, principal: 'cognito-identity.amazonaws.com', resource: sessionRole,
    context: { 'cognito-identity.amazonaws.com:aud': aud, 'cognito-identity.amazonaws.com:amr': ['authenticated'] },
    sessionPolicy: null, count: 1,
  });
  const dir = variant('trust', (roles, calls) => {
    roles.roles.SessionQueueRole = {
      arn: sessionRole,
      policies: [],
      trust: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' },
        Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
        Condition: { StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:pool' } } }] },
    };
    return { calls: [
      ...calls.filter((c) => !c.resource.includes('dead-letters')),
      { ...assume('us-east-1:pool'), action: 'sts:AssumeRoleWithWebIdentity' },
      { ...assume('us-east-1:pool'), action: 'sts:TagSession' },
      { ...assume('us-east-1:other'), action: 'sts:AssumeRoleWithWebIdentity' },
    ] };
  });
  const { out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.deepEqual(out.calls, { distinct: 4, allowed: 3, refusedProbes: 0, refusedMissing: 0 });
  assert.deepEqual(out.denied.map((d) => [d.action, d.result]), [['sts:AssumeRoleWithWebIdentity', 'ImplicitlyDenied']]);
});

test('the local IAM and the simulator must agree; a client\'s refused probe is no error, a component\'s refusal is', () => {
  const deadLetters = (c) => c.resource.includes('dead-letters');
  // The job's refused SendMessage, refused locally too: still an error (a component's call must be allowed).
  let dir = variant('job-refused', (roles, calls) => ({ calls: calls.map((c) => ({ ...c, allowedLocally: !deadLetters(c) })) }));
  let { out } = run(dir, '--unused', join(dir, 'unused.json'));
  assert.equal(out.ok, false);
  assert.equal(out.denied.length, 1);
  assert.deepEqual(out.disagreements, []);
  // The same call made with a client's credentials: an attacker test's probe, refused by both.
  ({ out } = run(dir, '--unused', join(dir, 'unused.json'), '--clients', 'JobRole'));
  assert.equal(out.ok, true, JSON.stringify(out));
  assert.equal(out.calls.refusedProbes, 1);
  // The component's refused call on a resource the local stack found missing (a queue deleted before): AWS may refuse
  // it or answer "not found", the code takes both; counted apart, no error.
  dir = variant('job-refused-missing', (roles, calls) => ({
    calls: calls.map((c) => ({ ...c, allowedLocally: !deadLetters(c), ...(deadLetters(c) ? { resourceMissing: true } : {}) })),
  }));
  ({ out } = run(dir, '--unused', join(dir, 'unused.json')));
  assert.equal(out.ok, true, JSON.stringify(out));
  assert.equal(out.calls.refusedMissing, 1);
  // Allowed locally, denied by the simulator: the local model is wrong.
  dir = variant('disagree', (roles, calls) => ({ calls: calls.map((c) => ({ ...c, allowedLocally: true })) }));
  ({ out } = run(dir, '--unused', join(dir, 'unused.json'), '--clients', 'JobRole'));
  assert.equal(out.ok, false);
  assert.deepEqual(out.disagreements.map((d) => [d.local, d.simulator]), [['Allowed', 'ImplicitlyDenied']]);
});
