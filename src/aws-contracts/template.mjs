#!/usr/bin/env node
// Judges a CloudFormation template by AWS's own published contracts, not by our reading of the docs:
//  - the CloudFormation registry schemas (@aws-cdk/aws-service-spec): resource types, property names (nested types
//    too), required properties, literal value types and enums, GetAtt attributes; and every Ref, ${} in Fn::Sub,
//    Fn::If and Condition resolving to something the template defines;
//  - limits the schemas leave out, "on the way in": the template's size per deploy path (the AWS CLI's own check),
//    CloudFormation's documented template quotas, and the service APIs' input constraints (limits/api-limits.json,
//    from botocore's API models) on the rendered properties, under every parameter set given.
//
//   node template.mjs <template.yaml> [--deploy-path inline|s3] [--parameters Key=Value ...]...
//
// Each --parameters starts a parameter set (the template's defaults for the rest); the all-defaults set is always
// judged too. Prints {ok, size, deployPaths, parameterSets, findings:[{resource, path, message, parameterSet?}],
// notes} as JSON on stdout; exit 0 when ok, 1 when not, 2 on bad usage.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import {
  NO_VALUE, PSEUDO_PARAMETERS, Renderer, Unknown, parameterProblems, parameterValues, parseTemplate,
} from './lib/render.mjs';

const require = createRequire(import.meta.url);
const { loadAwsServiceSpecSync } = require('@aws-cdk/aws-service-spec');
const { RichProperty } = require('@aws-cdk/service-spec-types');
const here = dirname(fileURLToPath(import.meta.url));
const apiLimits = JSON.parse(readFileSync(join(here, 'limits', 'api-limits.json'), 'utf8'));

// awscli customizations/cloudformation/deploy.py: `if template_size > 51200 and not parsed_args.s3_bucket: raise
// DeployBucketRequiredError` (template_size = os.path.getsize). Through S3 CloudFormation takes up to 1 MB
// (CloudFormation quotas, "Template body size in an Amazon S3 object").
const DEPLOY_PATHS = { inline: 51200, s3: 1024 * 1024 };
// CloudFormation quotas (documented, not in any model): resources, parameters, outputs, mappings per template.
const QUOTAS = { Resources: 500, Parameters: 200, Outputs: 200, Mappings: 200 };
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
// Lambda: "the total size of all environment variables doesn't exceed 4 KB" (Lambda quotas; measured by Lambda on
// the variables as a JSON object). Documented, not in the API model.
const LAMBDA_ENVIRONMENT_BYTES = 4096;

// ---- arguments -----------------------------------------------------------------------------------------------
const args = process.argv.slice(2);
let file;
let deployPath = null;
const sets = [{ name: 'defaults', given: {} }];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--deploy-path') deployPath = args[++i];
  else if (args[i] === '--parameters') sets.push({ name: `set ${sets.length}`, given: {} });
  else if (args[i].includes('=') && sets.length > 1) {
    const at = args[i].indexOf('=');
    sets.at(-1).given[args[i].slice(0, at)] = args[i].slice(at + 1);
  } else if (!file) file = args[i];
  else usage(`unexpected argument ${args[i]}`);
}
if (!file) usage('no template');
if (deployPath !== null && !(deployPath in DEPLOY_PATHS)) usage(`--deploy-path is inline or s3, not ${deployPath}`);

const { bytes, template } = parseTemplate(file);
const db = loadAwsServiceSpecSync();
const findings = [];
const notes = [];
const find = (resource, path, message, extra = {}) => findings.push({ resource, path, message, ...extra });

// ---- size --------------------------------------------------------------------------------------------------
const deployPaths = Object.fromEntries(Object.entries(DEPLOY_PATHS).map(([p, limit]) => [p, { limit, fits: bytes <= limit }]));
if (deployPath && !deployPaths[deployPath].fits) {
  find('Template', '', `${bytes} bytes: over the ${DEPLOY_PATHS[deployPath]} bytes the ${deployPath} deploy path takes`
    + (deployPath === 'inline' ? ' (aws cloudformation deploy without --s3-bucket refuses it: DeployBucketRequiredError)' : ''));
} else if (!deployPath && !Object.values(deployPaths).some((p) => p.fits)) {
  find('Template', '', `${bytes} bytes: over every deploy path`);
}

// ---- template structure and CloudFormation quotas -------------------------------------------------------------
const SECTIONS = ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions',
  'Transform', 'Resources', 'Outputs'];
for (const k of Object.keys(template)) if (!SECTIONS.includes(k)) find('Template', k, 'not a template section');
for (const [section, max] of Object.entries(QUOTAS)) {
  const n = Object.keys(template[section] ?? {}).length;
  if (n > max) find('Template', section, `${n} entries: CloudFormation takes at most ${max}`);
}
if (Buffer.byteLength(template.Description ?? '') > 1024) find('Template', 'Description', 'over 1024 bytes');
const resources = template.Resources ?? {};
const parameters = template.Parameters ?? {};
const conditions = template.Conditions ?? {};
for (const section of ['Parameters', 'Resources', 'Outputs', 'Conditions', 'Mappings']) {
  for (const id of Object.keys(template[section] ?? {})) if (!LOGICAL_ID.test(id)) find(section, id, 'logical IDs are alphanumeric, 1-255 characters');
}

// ---- references: Ref, Fn::GetAtt, Fn::Sub, Fn::If, Condition -----------------------------------------------------
const resourceSpecs = {};
for (const [id, r] of Object.entries(resources)) {
  const spec = db.lookup('resource', 'cloudFormationType', 'equals', r.Type ?? '');
  resourceSpecs[id] = spec.length === 1 ? spec[0] : null;
}
const isCustom = (type) => type?.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

function checkRef(where, path, name, locals) {
  if (name in locals || name in parameters || name in resources || PSEUDO_PARAMETERS.includes(name)) return;
  find(where, path, `Ref ${name}: no such parameter, resource or pseudo parameter${Object.keys(locals).length ? ' or Fn::Sub variable' : ''}`);
}
function checkGetAtt(where, path, id, attribute) {
  const r = resources[id];
  if (!r) return find(where, path, `GetAtt ${id}.${attribute}: no resource ${id}`);
  if (typeof attribute !== 'string' || isCustom(r.Type)) return; // an intrinsic attribute name; custom resources
  if (r.Type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return;
  const spec = resourceSpecs[id];
  if (spec && !(attribute in spec.attributes)) {
    find(where, path, `GetAtt ${id}.${attribute}: ${r.Type} has no attribute ${attribute} (it has: ${Object.keys(spec.attributes).join(', ') || 'none'})`);
  }
}
function checkCondition(where, path, name) {
  if (!(name in conditions)) find(where, path, `condition ${name} is not defined`);
}
// Walks any value; checks every intrinsic in it.
function checkIntrinsics(where, path, x, locals = {}) {
  if (Array.isArray(x)) return x.forEach((v, i) => checkIntrinsics(where, `${path}[${i}]`, v, locals));
  if (x === null || typeof x !== 'object') return;
  for (const [k, v] of Object.entries(x)) {
    const p = path ? `${path}.${k}` : k;
    if (k === 'Ref') checkRef(where, p, v, locals);
    else if (k === 'Fn::GetAtt') {
      const [id, attr] = typeof v === 'string' ? [v.slice(0, v.indexOf('.')), v.slice(v.indexOf('.') + 1)] : v;
      checkGetAtt(where, p, id, attr);
      if (typeof attr === 'object') checkIntrinsics(where, p, attr, locals);
    } else if (k === 'Fn::Sub') {
      const [text, vars] = typeof v === 'string' ? [v, {}] : v;
      checkIntrinsics(where, p, vars ?? {}, locals);
      const own = { ...locals, ...Object.fromEntries(Object.keys(vars ?? {}).map((n) => [n, true])) };
      for (const [, name] of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
        const n = name.trim();
        if (n in own) continue;
        if (n.includes('.')) checkGetAtt(where, p, n.slice(0, n.indexOf('.')), n.slice(n.indexOf('.') + 1));
        else checkRef(where, p, n, own);
      }
    } else if (k === 'Fn::If') {
      checkCondition(where, p, v[0]);
      checkIntrinsics(where, p, v.slice(1), locals);
    } else if (k === 'Condition' && typeof v === 'string' && Object.keys(x).length === 1) {
      checkCondition(where, p, v);
    } else if (k === 'Fn::FindInMap' && typeof v[0] === 'string' && !template.Mappings?.[v[0]]) {
      find(where, p, `no mapping ${v[0]}`);
    } else checkIntrinsics(where, p, v, locals);
  }
}
checkIntrinsics('Conditions', '', conditions);
checkIntrinsics('Rules', '', template.Rules ?? {});
for (const [id, o] of Object.entries(template.Outputs ?? {})) {
  if (o.Condition) checkCondition('Outputs', `${id}.Condition`, o.Condition);
  checkIntrinsics('Outputs', id, o);
}

// ---- resources against their registry schemas -------------------------------------------------------------------
const RESOURCE_KEYS = ['Type', 'Properties', 'DependsOn', 'Condition', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy',
  'CreationPolicy', 'UpdatePolicy'];
for (const [id, r] of Object.entries(resources)) {
  for (const k of Object.keys(r)) if (!RESOURCE_KEYS.includes(k)) find(id, k, 'not a resource attribute');
  if (r.Condition) checkCondition(id, 'Condition', r.Condition);
  for (const d of [r.DependsOn ?? []].flat()) if (!resources[d]) find(id, 'DependsOn', `no resource ${d}`);
  checkIntrinsics(id, 'Properties', r.Properties ?? {});
  if (isCustom(r.Type)) continue;
  const spec = resourceSpecs[id];
  if (!spec) {
    find(id, 'Type', `no resource type ${r.Type} in the CloudFormation registry`);
    continue;
  }
  checkObject(id, 'Properties', r.Properties ?? {}, spec.properties, r.Type);
}

function isIntrinsic(x) {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

// An object against the properties of a resource or property type: names, required, values.
function checkObject(id, path, obj, props, typeName, out = findings) {
  if (isIntrinsic(obj)) return;
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    return out.push({ resource: id, path, message: `${typeName} is an object, not ${JSON.stringify(obj)}` });
  }
  for (const [k, v] of Object.entries(obj)) {
    const prop = props[k];
    if (!prop) out.push({ resource: id, path: `${path}.${k}`, message: `${typeName} has no property ${k}` });
    else checkValue(id, `${path}.${k}`, v, new RichProperty(prop).types(), out);
  }
  for (const [k, prop] of Object.entries(props)) {
    if (prop.required && !(k in obj)) out.push({ resource: id, path: `${path}.${k}`, message: `${typeName} requires ${k}` });
  }
}

// A value against the property's types (the current one, or one it had before): the first that fits wins.
function checkValue(id, path, v, types, out) {
  const tries = types.map((t) => {
    const local = [];
    checkType(id, path, v, t, local);
    return local;
  });
  if (tries.some((t) => t.length === 0)) return;
  out.push(...tries.sort((a, b) => a.length - b.length)[0]);
}

function checkType(id, path, v, t, out) {
  const bad = (what) => out.push({ resource: id, path, message: `${JSON.stringify(v)} is not ${what}` });
  if (isIntrinsic(v)) {
    // Both branches of Fn::If are values of this property; AWS::NoValue removes it. Other intrinsics: not judged.
    if (v['Fn::If']) for (const b of v['Fn::If'].slice(1)) if (!(b && b.Ref === 'AWS::NoValue')) checkType(id, path, b, t, out);
    if (v.Ref && parameters[v.Ref] && /^(List<|CommaDelimitedList)/.test(parameters[v.Ref].Type) !== (t.type === 'array')) {
      out.push({ resource: id, path, message: `Ref ${v.Ref} (${parameters[v.Ref].Type}) where a${t.type === 'array' ? ' list' : ' single value'} is expected` });
    }
    return;
  }
  switch (t.type) {
    case 'string':
      // CloudFormation passes numbers and booleans written for a string as their text.
      if (typeof v === 'object') return bad('a string');
      if (t.allowedValues && !t.allowedValues.includes(String(v))) bad(`one of ${t.allowedValues.join(', ')}`);
      return;
    case 'number': case 'integer':
      if (typeof v === 'boolean' || typeof v === 'object' || String(v).trim() === '' || Number.isNaN(Number(v))) return bad('a number');
      if (t.type === 'integer' && !Number.isInteger(Number(v))) bad('an integer');
      if (t.allowedValues && !t.allowedValues.includes(Number(v))) bad(`one of ${t.allowedValues.join(', ')}`);
      return;
    case 'boolean':
      if (![true, false, 'true', 'false'].includes(v)) bad('a boolean');
      return;
    case 'date-time':
      if (typeof v !== 'string') bad('a date-time string');
      return;
    case 'json': case 'null':
      return;
    case 'tag':
      return checkObject(id, path, v, { Key: { type: { type: 'string' }, required: true }, Value: { type: { type: 'string' }, required: true } }, 'Tag', out);
    case 'array':
      if (!Array.isArray(v)) return bad('a list');
      return v.forEach((e, i) => checkValue(id, `${path}[${i}]`, e, [t.element], out));
    case 'map':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('a map');
      return Object.entries(v).forEach(([k, e]) => checkValue(id, `${path}.${k}`, e, [t.element], out));
    case 'ref': {
      const def = db.get('typeDefinition', t.reference);
      return checkObject(id, path, v, def.properties, def.name, out);
    }
    case 'union':
      return checkValue(id, path, v, t.types, out);
    default:
      notes.push(`${id} ${path}: schema type ${t.type} not judged`);
  }
}

// ---- parameter sets: rendered as CloudFormation would, then the service APIs' limits ------------------------------
for (const set of sets) {
  const values = parameterValues(template, set.given);
  const at = { parameterSet: set.name };
  for (const p of parameterProblems(template, set.given, values)) find('Parameters', p.path, p.message, at);
  const renderer = new Renderer(template, values);
  for (const r of renderer.failedRules()) find('Rules', r.path, `CloudFormation refuses this parameter set: ${r.message}`, at);
  for (const [id, r] of Object.entries(resources)) {
    const limits = apiLimits.resources[r.Type];
    if (!limits || !renderer.resourceExists(id)) continue;
    const props = renderer.value(r.Properties ?? {});
    for (const [propertyPath, c] of Object.entries(limits)) {
      for (const [path, v] of select(props, propertyPath.split('.'), 'Properties')) checkLimit(id, path, v, c, at);
    }
    if (r.Type === 'AWS::Lambda::Function' && props.Environment?.Variables) {
      const vars = props.Environment.Variables;
      const size = Buffer.byteLength(JSON.stringify(vars, (k, v) => (v instanceof Unknown ? '' : v)))
        + Object.values(vars).reduce((n, v) => n + (v instanceof Unknown ? v.min : 0), 0);
      const unknown = Object.values(vars).filter((v) => v instanceof Unknown).length;
      notes.push(`${id} environment variables (${set.name}): at least ${size} of ${LAMBDA_ENVIRONMENT_BYTES} bytes`
        + (unknown ? ` (${unknown} values known only once deployed, counted at their least)` : ''));
      if (size > LAMBDA_ENVIRONMENT_BYTES) find(id, 'Properties.Environment.Variables', `at least ${size} bytes: Lambda takes at most ${LAMBDA_ENVIRONMENT_BYTES}`, at);
    }
  }
}

// Values at a property path ("A.B[].C"): [[path, value], ...]
function select(value, steps, path) {
  if (steps.length === 0) return value === undefined ? [] : [[path, value]];
  const [step, ...rest] = steps;
  const list = step.endsWith('[]');
  const key = list ? step.slice(0, -2) : step;
  const v = value?.[key];
  if (v === undefined) return [];
  if (!list) return select(v, rest, `${path}.${key}`);
  return Array.isArray(v) ? v.flatMap((e, i) => select(e, rest, `${path}.${key}[${i}]`)) : [];
}

// One rendered value against the API shape's constraints.
function checkLimit(id, path, v, c, at) {
  const bad = (message) => find(id, path, `${message} (API shape ${c.shape})`, at);
  if (v instanceof Unknown) {
    if (c.type === 'string' && c.min && v.min < c.min) bad(`may be shorter than ${c.min} character(s): ${v.what}`);
    return;
  }
  switch (c.type) {
    case 'string': {
      const s = String(v);
      if (c.min !== undefined && s.length < c.min) bad(s === '' ? 'empty: the API takes at least 1 character' : `${JSON.stringify(s)} is shorter than ${c.min}`);
      if (c.max !== undefined && s.length > c.max) bad(`${s.length} characters: the API takes at most ${c.max}`);
      if (c.enum && !c.enum.includes(s)) bad(`${JSON.stringify(s)} is not one of ${c.enum.join(', ')}`);
      if (c.pattern && s !== '' && !apiPattern(c.pattern).test(s)) bad(`${JSON.stringify(s)} does not match ${c.pattern}`);
      return;
    }
    case 'integer': case 'long': {
      const n = Number(v);
      if (c.min !== undefined && n < c.min) bad(`${v} is below ${c.min}`);
      if (c.max !== undefined && n > c.max) bad(`${v} is above ${c.max}`);
      return;
    }
    case 'list': case 'map': {
      const entries = c.type === 'list' ? (Array.isArray(v) ? v.map((e, i) => [`[${i}]`, e]) : [])
        : Object.entries(v).map(([k, e]) => [k, e]);
      if (c.min !== undefined && entries.length < c.min) bad(`${entries.length} entries: the API takes at least ${c.min}`);
      if (c.max !== undefined && entries.length > c.max) bad(`${entries.length} entries: the API takes at most ${c.max}`);
      for (const [k, e] of entries) {
        const p = c.type === 'list' ? `${path}${k}` : `${path}.${k}`;
        if (c.key) checkLimit(id, `${p} (key)`, k, c.key, at);
        if (c.value) checkLimit(id, p, e, c.value, at);
        if (c.member) checkLimit(id, p, e, c.member, at);
      }
      return;
    }
    default:
  }
}

// The models' patterns are Java regular expressions the service matches against the whole value.
function apiPattern(pattern) {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch {
    return new RegExp(`^(?:${pattern})$`, 'u');
  }
}

// ---- report ----------------------------------------------------------------------------------------------------
const ok = findings.length === 0;
console.log(JSON.stringify({
  ok,
  template: file,
  size: bytes,
  deployPath,
  deployPaths,
  parameterSets: sets.map((s) => ({ name: s.name, parameters: s.given })),
  apiLimitsFrom: apiLimits.source,
  findings,
  notes: [...new Set(notes)],
}, null, 2));
process.exit(ok ? 0 : 1);

function usage(message) {
  console.error(`${message}\nusage: template.mjs <template.yaml> [--deploy-path inline|s3] [--parameters Key=Value ...]...`);
  process.exit(2);
}
