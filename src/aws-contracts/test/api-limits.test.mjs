// limits/api-limits.json was extracted from one botocore (its version is in the file). Where another copy of the
// API models is on this machine (the AWS CLI's, Debian's python3-botocore, or $BOTOCORE_DATA) the limits our
// template's rendered values meet must agree with it. Other shapes do change between model versions (Lambda's
// MemorySize max went 10240 -> 32768, patterns grow, enums gain runtimes): those differences are only reported.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const checkedIn = JSON.parse(readFileSync(join(here, '..', 'limits', 'api-limits.json'), 'utf8'));
const candidates = [
  process.env.BOTOCORE_DATA,
  '/usr/lib/python3/dist-packages/botocore/data',
  '/usr/lib/python3/dist-packages/awscli/botocore/data',
].filter((d) => d && existsSync(join(d, 'lambda')));

// The limits that hold across model versions and that our template's values meet.
const STABLE = {
  'AWS::KinesisAnalyticsV2::Application': ['ApplicationConfiguration.EnvironmentProperties.PropertyGroups',
    'ApplicationConfiguration.EnvironmentProperties.PropertyGroups[].PropertyGroupId',
    'ApplicationConfiguration.EnvironmentProperties.PropertyGroups[].PropertyMap', 'ApplicationName'],
  'AWS::Lambda::Function': ['Description'],
  'AWS::Lambda::Version': ['Description'],
};

test('the checked-in API limits name the CloudFormation properties our template uses', () => {
  const pg = checkedIn.resources['AWS::KinesisAnalyticsV2::Application']['ApplicationConfiguration.EnvironmentProperties.PropertyGroups[].PropertyMap'];
  assert.deepEqual([pg.value.min, pg.value.max, pg.key.min, pg.key.max, pg.min, pg.max], [1, 2048, 1, 2048, 1, 50]);
  assert.equal(checkedIn.resources['AWS::Lambda::Version'].Description.max, 256);
});

for (const dir of candidates) {
  test(`the API limits agree with the models in ${dir}`, (t) => {
    const r = spawnSync(process.execPath, [join(here, '..', 'limits', 'extract-api-limits.mjs'), dir], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const other = JSON.parse(r.stdout);
    for (const [type, paths] of Object.entries(STABLE)) {
      for (const path of paths) assert.deepEqual(other.resources[type][path], checkedIn.resources[type][path], `${type} ${path}`);
    }
    for (const [type, paths] of Object.entries(checkedIn.resources)) {
      for (const [path, c] of Object.entries(paths)) {
        if (JSON.stringify(other.resources[type][path]) !== JSON.stringify(c)) {
          t.diagnostic(`${type} ${path}: ${JSON.stringify(other.resources[type][path])} in botocore ${other.source.botocore}`);
        }
      }
    }
  });
}
