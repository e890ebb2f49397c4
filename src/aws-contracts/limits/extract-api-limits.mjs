#!/usr/bin/env node
// Writes api-limits.json: the service API's own input constraints (length, count, pattern, enum, range) for the
// CloudFormation properties CloudFormation passes on to that API unchanged. The registry schemas in
// @aws-cdk/aws-service-spec leave most of them out, and the API refuses the call during the deploy.
//
//   node limits/extract-api-limits.mjs <botocore data dir> > limits/api-limits.json
//
// The source is botocore's copy of each service's API model (the AWS CLI and Python SDK ship it, e.g.
// site-packages/botocore/data, or Debian's awscli at /usr/lib/python3/dist-packages/awscli/botocore/data). The
// result is checked in, so template.mjs needs neither Python nor botocore: re-run this when the template uses a
// property not below, or a new runtime the extracted enum does not know yet (test/api-limits.test.mjs compares the
// checked-in file with any botocore it finds on the machine).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

// CloudFormation type -> API model, and CloudFormation property path -> the model's shape for it.
// "[]" steps into each list element. Only properties that reach the API as they are written.
const MAP = {
  'AWS::KinesisAnalyticsV2::Application': {
    model: 'kinesisanalyticsv2/2018-05-23',
    properties: {
      ApplicationName: 'ApplicationName',
      ApplicationDescription: 'ApplicationDescription',
      RuntimeEnvironment: 'RuntimeEnvironment',
      ServiceExecutionRole: 'RoleARN',
      'ApplicationConfiguration.ApplicationCodeConfiguration.CodeContent.S3ContentLocation.BucketARN': 'BucketARN',
      'ApplicationConfiguration.ApplicationCodeConfiguration.CodeContent.S3ContentLocation.FileKey': 'FileKey',
      'ApplicationConfiguration.EnvironmentProperties.PropertyGroups': 'PropertyGroups',
      'ApplicationConfiguration.EnvironmentProperties.PropertyGroups[].PropertyGroupId': 'Id',
      'ApplicationConfiguration.EnvironmentProperties.PropertyGroups[].PropertyMap': 'PropertyMap',
      'ApplicationConfiguration.FlinkApplicationConfiguration.ParallelismConfiguration.Parallelism': 'Parallelism',
      'ApplicationConfiguration.FlinkApplicationConfiguration.ParallelismConfiguration.ParallelismPerKPU': 'ParallelismPerKPU',
      'ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration.CheckpointInterval': 'CheckpointInterval',
      'ApplicationConfiguration.FlinkApplicationConfiguration.CheckpointConfiguration.MinPauseBetweenCheckpoints': 'MinPauseBetweenCheckpoints',
    },
  },
  'AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption': {
    model: 'kinesisanalyticsv2/2018-05-23',
    properties: {
      ApplicationName: 'ApplicationName',
      'CloudWatchLoggingOption.LogStreamARN': 'LogStreamARN',
    },
  },
  'AWS::Lambda::Function': {
    model: 'lambda/2015-03-31',
    properties: {
      FunctionName: 'FunctionName',
      Description: 'Description',
      Handler: 'Handler',
      Runtime: 'Runtime',
      MemorySize: 'MemorySize',
      Timeout: 'Timeout',
      Role: 'RoleArn',
      'Environment.Variables': 'EnvironmentVariables',
    },
  },
  'AWS::Lambda::Version': {
    model: 'lambda/2015-03-31',
    properties: { Description: 'Description' },
  },
  'AWS::Lambda::Alias': {
    model: 'lambda/2015-03-31',
    properties: { Name: 'Alias', Description: 'Description' },
  },
  'AWS::Lambda::EventInvokeConfig': {
    model: 'lambda/2015-03-31',
    properties: {
      MaximumRetryAttempts: 'MaximumRetryAttempts',
      MaximumEventAgeInSeconds: 'MaximumEventAgeInSeconds',
    },
  },
};

const dataDir = process.argv[2];
if (!dataDir) {
  console.error('usage: extract-api-limits.mjs <botocore data dir>');
  process.exit(2);
}

function loadModel(dir, model) {
  const file = join(dir, model, 'service-2.json');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : gunzipSync(readFileSync(`${file}.gz`)).toString('utf8');
  return JSON.parse(text);
}

// A shape's constraints, with the shapes of map keys/values and list members resolved (strings only go one deep).
function constraints(shapes, name) {
  const s = shapes[name];
  const c = { shape: name, type: s.type };
  for (const k of ['min', 'max', 'pattern', 'enum']) if (s[k] !== undefined) c[k] = s[k];
  if (s.type === 'map') {
    c.key = constraints(shapes, s.key.shape);
    c.value = constraints(shapes, s.value.shape);
  }
  if (s.type === 'list' && shapes[s.member.shape].type !== 'structure') c.member = constraints(shapes, s.member.shape);
  return c;
}

const out = { source: {}, resources: {} };
for (const [type, { model, properties }] of Object.entries(MAP)) {
  const m = loadModel(dataDir, model);
  out.source[model] = m.metadata.uid ?? model;
  out.resources[type] = {};
  for (const [path, shape] of Object.entries(properties)) out.resources[type][path] = constraints(m.shapes, shape);
}
const version = [join(dataDir, '..', '__init__.py')].filter(existsSync)
  .map((f) => /__version__ = '([^']+)'/.exec(readFileSync(f, 'utf8'))?.[1])[0];
out.source.botocore = version ?? 'unknown';
console.log(JSON.stringify(out, null, 2));
