// guard.mjs on a small template that fails three Control Tower controls, with waivers of each kind.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', 'guard.mjs');
const template = join(here, 'fixtures', 'guard', 'template.yaml');
const scratch = mkdtempSync(join(tmpdir(), 'guard-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(waivers) {
  const file = join(scratch, `waivers-${Math.random()}.json`);
  writeFileSync(file, JSON.stringify(waivers));
  const r = spawnSync(process.execPath, [script, template, '--waivers', file], { encoding: 'utf8' });
  assert.ok(r.stdout, r.stderr);
  return { code: r.status, out: JSON.parse(r.stdout) };
}
const summary = (out) => out.failures.map((f) => `${f.control} ${f.resource} ${f.waived ? 'waived' : 'FAILS'}`).sort();

test('every failing control is reported per resource, with AWS\'s message', () => {
  const { code, out } = run([]);
  assert.equal(code, 1);
  assert.match(out.guard, /cfn-guard 3\.1\.1/);
  assert.deepEqual(summary(out), ['CT.CLOUDWATCH.PR.2 Logs FAILS', 'CT.CLOUDWATCH.PR.3 Logs FAILS', 'CT.SQS.PR.1 Queue FAILS']);
  const sqs = out.failures.find((f) => f.control === 'CT.SQS.PR.1');
  assert.equal(sqs.rule, 'sqs_dlq_check');
  assert.match(sqs.message, /Require any Amazon SQS queue to have a dead-letter queue configured \[FIX\]/);
  assert.ok(sqs.details.some((d) => /RedrivePolicy\] is missing/.test(d)), sqs.details.join('\n'));
});

test('waivers by control id or rule name, per resource or for all; all waived is ok', () => {
  const { code, out } = run([
    { rule: 'CT.SQS.PR.1', resource: 'Queue', reason: 'it is the dead-letter queue' },
    { rule: 'cloudwatch_log_group_retention_period_check', resource: '*', reason: 'logs are kept 30 days by policy' },
    { rule: 'CT.CLOUDWATCH.PR.3', resource: 'Logs', reason: 'no customer data in these logs' },
  ]);
  assert.equal(code, 0, JSON.stringify(out, null, 2));
  assert.deepEqual(summary(out), ['CT.CLOUDWATCH.PR.2 Logs waived', 'CT.CLOUDWATCH.PR.3 Logs waived', 'CT.SQS.PR.1 Queue waived']);
  assert.equal(out.failures.find((f) => f.control === 'CT.SQS.PR.1').reason, 'it is the dead-letter queue');
});

test('a waiver that waives nothing is stale; one without a reason is an error', () => {
  const { code, out } = run([
    { rule: 'CT.SQS.PR.1', resource: 'Queue', reason: '' },
    { rule: 'CT.SQS.PR.2', resource: 'Queue', reason: 'it is encrypted after all' },
    { rule: 'CT.CLOUDWATCH.PR.2', resource: 'Other', reason: 'no such resource' },
  ]);
  assert.equal(code, 1);
  assert.deepEqual(out.staleWaivers.map((w) => `${w.rule} ${w.resource}`), ['CT.SQS.PR.2 Queue', 'CT.CLOUDWATCH.PR.2 Other']);
  assert.equal(out.errors.length, 1);
  assert.match(out.errors[0], /waiver without a reason/);
});
