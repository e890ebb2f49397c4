// Renders a CloudFormation template for one set of parameter values, the way CloudFormation resolves it before it
// calls the service APIs: parameters (defaults for the rest), Conditions, Fn::If, Fn::Sub, Ref, AWS::NoValue, ...
// What only exists once deployed (a resource's Ref or attribute, the stack name) becomes an Unknown that knows a
// lower bound of its length, so a length limit can still be judged where it matters (empty vs non-empty).
import { readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';

export function parseTemplate(file) {
  const text = readFileSync(file);
  return { bytes: text.length, template: yamlParse(text.toString('utf8')) };
}

export class Unknown {
  constructor(min, what) {
    this.min = min; // at least this many characters
    this.what = what; // e.g. "Ref EventStream"
  }
  toString() {
    return `<${this.what}>`;
  }
}

// AWS::NoValue: the key (or list element) is removed.
export const NO_VALUE = Symbol('AWS::NoValue');

// Stand-ins for pseudo parameters; override with --parameters AWS::Region=eu-west-1 etc.
const PSEUDO = {
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};
export const PSEUDO_PARAMETERS = ['AWS::AccountId', 'AWS::NotificationARNs', 'AWS::NoValue', 'AWS::Partition',
  'AWS::Region', 'AWS::StackId', 'AWS::StackName', 'AWS::URLSuffix'];

// CloudFormation anchors AllowedPattern to the whole value.
export function matchesAllowedPattern(pattern, value) {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

// Parameter values of one set: given ones, else the Default, else Unknown (no default and not given).
export function parameterValues(template, given) {
  const values = {};
  for (const [name, decl] of Object.entries(template.Parameters ?? {})) {
    let v = given[name] ?? (decl.Default !== undefined ? String(decl.Default) : undefined);
    if (v === undefined) {
      // Without a value we still know how short it can be: MinLength, or 1 if AllowedPattern refuses "".
      const min = decl.MinLength ?? (decl.AllowedPattern && !matchesAllowedPattern(decl.AllowedPattern, '') ? 1 : 0);
      v = new Unknown(min, `parameter ${name}`);
    } else if (/^(List<|CommaDelimitedList)/.test(decl.Type)) {
      v = v === '' ? [] : v.split(',');
    }
    values[name] = v;
  }
  for (const [name, v] of Object.entries(PSEUDO)) values[name] = given[name] ?? v;
  values['AWS::StackName'] = given['AWS::StackName'] ?? new Unknown(1, 'AWS::StackName');
  values['AWS::StackId'] = new Unknown(1, 'AWS::StackId');
  values['AWS::NotificationARNs'] = [];
  return values;
}

// The parameter problems CloudFormation refuses a set for before it does anything.
export function parameterProblems(template, given, values) {
  const problems = [];
  const params = template.Parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!params[name] && !PSEUDO[name] && name !== 'AWS::StackName') problems.push({ path: name, message: 'no such parameter' });
  }
  for (const [name, decl] of Object.entries(params)) {
    const v = values[name];
    if (v instanceof Unknown || Array.isArray(v)) continue;
    const bad = (message) => problems.push({ path: name, message: `${JSON.stringify(v)}: ${message}` });
    if (decl.AllowedValues && !decl.AllowedValues.map(String).includes(v)) bad(`not one of AllowedValues ${JSON.stringify(decl.AllowedValues)}`);
    if (decl.AllowedPattern && !matchesAllowedPattern(decl.AllowedPattern, v)) bad(`does not match AllowedPattern ${decl.AllowedPattern}`);
    if (decl.MinLength !== undefined && v.length < decl.MinLength) bad(`shorter than MinLength ${decl.MinLength}`);
    if (decl.MaxLength !== undefined && v.length > decl.MaxLength) bad(`longer than MaxLength ${decl.MaxLength}`);
    if (decl.Type === 'Number') {
      if (v.trim() === '' || Number.isNaN(Number(v))) bad('not a number');
      if (decl.MinValue !== undefined && Number(v) < decl.MinValue) bad(`below MinValue ${decl.MinValue}`);
      if (decl.MaxValue !== undefined && Number(v) > decl.MaxValue) bad(`above MaxValue ${decl.MaxValue}`);
    }
  }
  return problems;
}

export class Renderer {
  constructor(template, values) {
    this.template = template;
    this.values = values;
    this.conditions = {};
    for (const name of Object.keys(template.Conditions ?? {})) this.condition(name);
  }

  condition(name) {
    // An undefined condition (template.mjs reports it) counts as false.
    if (!(name in this.conditions)) {
      const c = this.template.Conditions?.[name];
      this.conditions[name] = c === undefined ? false : this.truth(c);
    }
    return this.conditions[name];
  }

  // Condition functions (also those of Rules). Anything not knowable counts as false.
  truth(x) {
    if (typeof x === 'boolean') return x;
    if (typeof x === 'string') return x === 'true';
    const [fn, arg] = Object.entries(x)[0];
    switch (fn) {
      case 'Condition': return this.condition(arg);
      case 'Fn::Equals': {
        const [a, b] = arg.map((v) => this.value(v));
        return !(a instanceof Unknown) && !(b instanceof Unknown) && String(a) === String(b);
      }
      case 'Fn::Not': return !this.truth(arg[0]);
      case 'Fn::And': return arg.every((c) => this.truth(c));
      case 'Fn::Or': return arg.some((c) => this.truth(c));
      case 'Fn::Contains': return this.value(arg[0]).map(String).includes(String(this.value(arg[1])));
      case 'Fn::EachMemberEquals': return this.value(arg[0]).every((v) => String(v) === String(this.value(arg[1])));
      case 'Fn::EachMemberIn': return this.value(arg[0]).every((v) => this.value(arg[1]).map(String).includes(String(v)));
      default: return Boolean(this.value(x));
    }
  }

  // Rules: each assertion that fails under this parameter set (its RuleCondition holding).
  failedRules() {
    const failed = [];
    for (const [name, rule] of Object.entries(this.template.Rules ?? {})) {
      if (rule.RuleCondition !== undefined && !this.truth(rule.RuleCondition)) continue;
      for (const a of rule.Assertions ?? []) {
        if (!this.truth(a.Assert)) failed.push({ path: name, message: a.AssertDescription ?? 'assertion failed' });
      }
    }
    return failed;
  }

  resourceExists(logicalId) {
    const c = this.template.Resources[logicalId]?.Condition;
    return c === undefined || this.condition(c);
  }

  // Any template value, intrinsics resolved.
  value(x, locals = {}) {
    if (Array.isArray(x)) return x.map((v) => this.value(v, locals)).filter((v) => v !== NO_VALUE);
    if (x === null || typeof x !== 'object') return x;
    const keys = Object.keys(x);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], x[keys[0]], locals);
    const out = {};
    for (const [k, v] of Object.entries(x)) {
      const r = this.value(v, locals);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }

  intrinsic(fn, arg, locals) {
    switch (fn) {
      case 'Ref': return this.ref(arg, locals);
      case 'Fn::GetAtt': {
        const [r, a] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : arg;
        return new Unknown(1, `GetAtt ${r}.${this.value(a)}`);
      }
      case 'Fn::If': return this.value(this.condition(arg[0]) ? arg[1] : arg[2], locals);
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : arg;
        const own = { ...locals };
        for (const [k, v] of Object.entries(vars ?? {})) own[k] = this.value(v, locals);
        return concat(text.split(/(\$\{[^}]*\})/).map((part) => {
          if (!part.startsWith('${')) return part;
          if (part.startsWith('${!')) return `\${${part.slice(3)}`; // ${!Literal} is written as ${Literal}
          const name = part.slice(2, -1).trim();
          if (name in own) return own[name];
          return name.includes('.') ? new Unknown(1, `GetAtt ${name}`) : this.ref(name, own);
        }));
      }
      case 'Fn::Join': {
        const items = this.value(arg[1], locals);
        if (!Array.isArray(items)) return new Unknown(0, 'Fn::Join');
        return concat(items.flatMap((v, i) => (i ? [arg[0], v] : [v])));
      }
      case 'Fn::Select': {
        const list = this.value(arg[1], locals);
        return Array.isArray(list) ? list[Number(this.value(arg[0], locals))] : new Unknown(0, 'Fn::Select');
      }
      case 'Fn::Split': {
        const s = this.value(arg[1], locals);
        return s instanceof Unknown ? new Unknown(0, 'Fn::Split') : String(s).split(arg[0]);
      }
      case 'Fn::Base64': {
        const s = this.value(arg, locals);
        return s instanceof Unknown ? new Unknown(Math.ceil(s.min / 3) * 4, 'Fn::Base64') : Buffer.from(String(s)).toString('base64');
      }
      case 'Fn::FindInMap': {
        const [m, k1, k2] = arg.map((v) => this.value(v, locals));
        return this.template.Mappings?.[m]?.[k1]?.[k2] ?? new Unknown(0, 'Fn::FindInMap');
      }
      case 'Fn::ToJsonString': return JSON.stringify(this.value(arg, locals));
      default: return new Unknown(0, fn); // Fn::ImportValue, Fn::GetAZs, Fn::Cidr, ...: known once deployed
    }
  }

  ref(name, locals = {}) {
    if (name === 'AWS::NoValue') return NO_VALUE;
    if (name in locals) return locals[name];
    if (name in this.values) return this.values[name];
    return new Unknown(1, `Ref ${name}`); // a resource
  }
}

// Strings stay strings; with an Unknown part the result is Unknown, at least as long as its known parts.
function concat(parts) {
  if (parts.every((p) => !(p instanceof Unknown))) return parts.map(String).join('');
  return new Unknown(parts.reduce((n, p) => n + (p instanceof Unknown ? p.min : String(p).length), 0),
    parts.map(String).join(''));
}
