#!/usr/bin/env node
// Judges a CloudFormation template by AWS Control Tower's proactive controls: the cfn-guard rules AWS publishes,
// run by the cfn-guard binary, both as @cdklabs/cdk-validator-cfnguard ships them.
//
//   node guard.mjs <template.yaml> [--waivers guard-waivers.json]
//
// Every failure is one (rule, resource). A failure is waived by an entry of guard-waivers.json
// [{"rule": "<guard rule name or control id, e.g. CT.SQS.PR.1>", "resource": "<LogicalId or *>", "reason": "..."}];
// a waiver without a reason, or one that waives nothing, is an error (stale).
// Prints {ok, guard, failures:[{rule, control, resource, message, details, waived, reason?}], staleWaivers, errors}
// as JSON on stdout; exit 0 when ok, 1 when not, 2 on bad usage.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
// The package's "exports" may hide package.json: find its root from its main module (lib/index.js).
const pkg = join(dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..');
const platform = { linux: 'ubuntu', darwin: 'macos' }[process.platform];
const arch = { x64: 'x86_64', arm64: 'aarch64' }[process.arch];
const guard = join(pkg, 'bin', platform ?? 'unsupported', arch ?? 'unsupported', 'cfn-guard');
const rules = join(pkg, 'rules', 'control-tower', 'cfn-guard'); // one directory per service; cfn-guard recurses

const args = process.argv.slice(2);
let waiverFile = join(here, 'guard-waivers.json');
let template;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--waivers') waiverFile = args[++i];
  else if (!template) template = args[i];
  else usage(`unexpected argument ${args[i]}`);
}
if (!template) usage('no template');
const waivers = JSON.parse(readFileSync(waiverFile, 'utf8'));

// --structured: one JSON document (no summary table); exit 19 when a rule fails, 0 when none does.
const run = spawnSync(guard, ['validate', '--data', template, '--rules', rules, '--output-format', 'json',
  '--show-summary', 'none', '--structured'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
const errors = [];
let reports = [];
if (run.error || ![0, 19].includes(run.status)) {
  errors.push(`cfn-guard failed (exit ${run.status ?? run.error?.message}): ${(run.stderr ?? '').trim().slice(0, 2000)}`);
} else {
  reports = JSON.parse(run.stdout);
}

// Each not-compliant rule: its message (the control id, its title, [FIX]) and the resources its checks reached.
const failures = [];
for (const report of reports) {
  for (const { Rule: rule } of report.not_compliant ?? []) {
    const customMessages = new Set();
    const byResource = new Map();
    const add = (id, text) => {
      if (!byResource.has(id)) byResource.set(id, new Set());
      if (text) byResource.get(id).add(text);
    };
    walk(rule, (node) => {
      const m = node.messages;
      if (m?.custom_message?.trim()) customMessages.add(m.custom_message.replace(/\s+/g, ' ').trim());
      if (typeof node.path === 'string') resourcesIn(node.path).forEach((id) => add(id));
      if (!m?.error_message) return;
      // The resource a check failed on: named in its message, else in the paths below it.
      let ids = resourcesIn(m.error_message);
      if (ids.length === 0) {
        const below = [];
        walk(node, (n) => typeof n.path === 'string' && below.push(...resourcesIn(n.path)));
        ids = [...new Set(below)];
      }
      ids.forEach((id) => add(id, m.error_message.replace(/\.$/, '')));
    });
    const message = [...customMessages].find((s) => /^\[CT\./.test(s)) ?? [...customMessages][0] ?? '';
    const control = /^\[(CT\.[^\]]+)\]/.exec(message)?.[1] ?? null;
    const ids = byResource.size ? [...byResource.keys()] : ['*'];
    for (const resource of ids) {
      failures.push({ rule: rule.name, control, resource, message, details: [...(byResource.get(resource) ?? [])] });
    }
  }
}

// Waivers.
const used = new Set();
for (const f of failures) {
  const i = waivers.findIndex((w) => (w.rule === f.rule || w.rule === f.control) && (w.resource === '*' || w.resource === f.resource));
  f.waived = i >= 0;
  if (f.waived) {
    f.reason = waivers[i].reason;
    used.add(i);
  }
}
const staleWaivers = waivers.filter((w, i) => !used.has(i));
for (const w of waivers) if (!w.reason || !String(w.reason).trim()) errors.push(`waiver without a reason: ${JSON.stringify(w)}`);

const ok = errors.length === 0 && staleWaivers.length === 0 && failures.every((f) => f.waived);
console.log(JSON.stringify({ ok, guard: guardVersion(), template, failures, staleWaivers, errors }, null, 2));
process.exit(ok ? 0 : 1);

function walk(node, visit) {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (node === null || typeof node !== 'object') return;
  visit(node);
  Object.values(node).forEach((n) => walk(n, visit));
}

function resourcesIn(text) {
  return [...new Set([...text.matchAll(/\/Resources\/([A-Za-z0-9]+)/g)].map((x) => x[1]))];
}

function guardVersion() {
  return spawnSync(guard, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? null;
}

function usage(message) {
  console.error(`${message}\nusage: guard.mjs <template.yaml> [--waivers guard-waivers.json]`);
  process.exit(2);
}
