// template.mjs on small templates made to fail one way each, and on one that passes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const script = join(here, '..', 'template.mjs');
const fixtures = join(here, 'fixtures', 'template');
const scratch = mkdtempSync(join(tmpdir(), 'template-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function run(...args) {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  assert.ok(r.stdout, r.stderr);
  return { code: r.status, out: JSON.parse(r.stdout) };
}
const messages = (out) => out.findings.map((f) => `${f.resource} ${f.path}: ${f.message}`);

test('every kind of mistake in broken.yaml is found', () => {
  const { code, out } = run(join(fixtures, 'broken.yaml'));
  assert.equal(code, 1);
  const m = messages(out).join('\n');
  for (const expected of [
    /NoSuchType Type: no resource type AWS::Kinesis::Streem/,
    /Stream Properties.ShardCount: "many" is not a number/,
    /Stream Properties.StreamEncryption.KeyIdd: StreamEncryption has no property KeyIdd/,
    /Stream Properties.StreamEncryption.KeyId: StreamEncryption requires KeyId/,
    /StreamMode: "SOMETIMES" is not one of ON_DEMAND, PROVISIONED/,
    /Queue Condition: condition IsProd is not defined/,
    /Queue Properties.QueueName.Fn::Sub: Ref Nope: no such parameter/,
    /Queue Properties.FifoQueue: "maybe" is not a boolean/,
    /Queue Properties.VisibilityTimeOut: AWS::SQS::Queue has no property VisibilityTimeOut/,
    /GetAtt Stream.Arnn: AWS::Kinesis::Stream has no attribute Arnn/,
    /Role Properties.Description.Fn::If: condition IsStaging is not defined/,
    /GetAtt Table.Nope.Deeper: AWS::DynamoDB::Table has no attribute Nope.Deeper/,
    /PropertyGroups\[1\].PropertyGroupId: "not valid!" does not match/,
    /PropertyGroups\[0\].PropertyMap.start: empty: the API takes at least 1 character/,
    /Outputs Missing.Value.Ref: Ref Ghost/,
  ]) assert.match(m, expected);
  // AWS::NoValue removed startOrNothing under the defaults (IsDev); a Number parameter renders as its text.
  assert.doesNotMatch(m, /startOrNothing|shards|Table.StreamArn/);
  assert.equal(out.findings.length, 15, m);
});

test('good.yaml passes under its defaults and a complete replay set; a set the Rules refuse fails', () => {
  assert.equal(run(join(fixtures, 'good.yaml'), '--parameters', 'Position=AT_TIMESTAMP', 'Start=1700000000').code, 0);
  const { code, out } = run(join(fixtures, 'good.yaml'), '--parameters', 'Position=AT_TIMESTAMP');
  assert.equal(code, 1);
  assert.deepEqual(out.findings, [{ resource: 'Rules', path: 'TimestampNeeded', parameterSet: 'set 1',
    message: 'CloudFormation refuses this parameter set: AT_TIMESTAMP needs Start.' }]);
});

test('parameter values are checked against their declarations; unknown names are refused', () => {
  const { out } = run(join(fixtures, 'good.yaml'), '--parameters', 'Position=EARLIEST', 'Nope=1');
  assert.deepEqual(messages(out).sort(), [
    'Parameters Nope: no such parameter',
    'Parameters Position: "EARLIEST": not one of AllowedValues ["LATEST","AT_TIMESTAMP"]',
  ]);
});

test('a property value over the API limit, under one parameter set only', () => {
  const { out } = run(join(fixtures, 'good.yaml'), '--parameters', `Start=${'9'.repeat(2049)}`);
  assert.deepEqual(messages(out), [
    'App Properties.ApplicationConfiguration.EnvironmentProperties.PropertyGroups[0].PropertyMap.start: '
      + '2049 characters: the API takes at most 2048 (API shape PropertyValue)',
  ]);
  assert.equal(out.findings[0].parameterSet, 'set 1');
});

test('template size per deploy path', () => {
  const big = join(scratch, 'big.yaml');
  writeFileSync(big, `${readFileSync(join(fixtures, 'good.yaml'), 'utf8')}\n# ${'x'.repeat(51200)}\n`);
  const inline = run(big, '--deploy-path', 'inline');
  assert.equal(inline.code, 1);
  assert.match(messages(inline.out)[0], /over the 51200 bytes the inline deploy path takes/);
  assert.deepEqual(inline.out.deployPaths.inline, { limit: 51200, fits: false });
  assert.equal(run(big, '--deploy-path', 's3').code, 0);
  assert.equal(run(big).code, 0, 'without --deploy-path only a template no path takes fails');
  assert.equal(run(join(fixtures, 'good.yaml'), '--deploy-path', 'inline').code, 0);
});
