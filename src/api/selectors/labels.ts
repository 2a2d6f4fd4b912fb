// Label selectors: the string form of `?labelSelector=` and kubectl's `-l` (apimachinery's
// labels.Parse grammar), and the structured LabelSelector of workload specs.

export type Operator = 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | 'gt' | 'lt';

export interface Requirement {
  key: string;
  operator: Operator;
  values: string[];
}

export type LabelSelector = Requirement[];

export class SelectorParseError extends Error {}

const NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const bad =
    (slash >= 0 && (!DNS_SUBDOMAIN.test(prefix) || prefix.length > 253)) ||
    !NAME.test(name) ||
    name.length > 63;
  if (bad) {
    throw new SelectorParseError(
      `unable to parse requirement: values[0][key]: Invalid value: "${key}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    );
  }
}

function checkValue(value: string): void {
  if (value !== '' && (!NAME.test(value) || value.length > 63)) {
    throw new SelectorParseError(
      `unable to parse requirement: values[0][value]: Invalid value: "${value}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
    );
  }
}

/** Splits on commas outside parentheses. */
function splitTop(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < input.length; i++) {
    const c = input[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) throw new SelectorParseError(`found ')', expected: identifier`);
  }
  if (depth !== 0) throw new SelectorParseError(`found end of string, expected: ')'`);
  parts.push(input.slice(start));
  return parts;
}

function parseRequirement(raw: string): Requirement {
  const text = raw.trim();
  if (text === '')
    throw new SelectorParseError(`found ',', expected: !, identifier, or 'end of string'`);
  let m = /^!\s*([^\s!=<>(),]+)$/.exec(text);
  if (m) {
    checkKey(m[1]!);
    return { key: m[1]!, operator: '!', values: [] };
  }
  m = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(text);
  if (m) {
    checkKey(m[1]!);
    const values = m[3]!.split(',').map((v) => v.trim());
    values.forEach(checkValue);
    if (values.length === 1 && values[0] === '' && m[3]!.trim() === '') {
      return { key: m[1]!, operator: m[2] as Operator, values: [''] };
    }
    return { key: m[1]!, operator: m[2] as Operator, values };
  }
  m = /^([^\s!=<>(),]+)\s*(==|=|!=|>|<)\s*([^\s!=<>(),]*)$/.exec(text);
  if (m) {
    checkKey(m[1]!);
    const op = m[2]!;
    if (op === '>' || op === '<') {
      if (!/^-?\d+$/.test(m[3]!)) {
        throw new SelectorParseError(
          `unable to parse requirement: for 'Gt', 'Lt' operators, the value must be an integer`,
        );
      }
      return { key: m[1]!, operator: op === '>' ? 'gt' : 'lt', values: [m[3]!] };
    }
    checkValue(m[3]!);
    return { key: m[1]!, operator: op === '!=' ? '!=' : '=', values: [m[3]!] };
  }
  m = /^([^\s!=<>(),]+)$/.exec(text);
  if (m) {
    checkKey(m[1]!);
    return { key: m[1]!, operator: 'exists', values: [] };
  }
  throw new SelectorParseError(
    `unable to parse requirement: ${JSON.stringify(text)} is not a valid label selector requirement`,
  );
}

/** Parses `app=web,tier in (front,back),!canary`. Empty string selects everything. */
export function parseLabelSelector(input: string): LabelSelector {
  if (input.trim() === '') return [];
  return splitTop(input).map(parseRequirement);
}

export function matchesLabels(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  for (const r of selector) {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const v = l[r.key];
    switch (r.operator) {
      case 'exists':
        if (!has) return false;
        break;
      case '!':
        if (has) return false;
        break;
      case '=':
      case 'in':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case '!=':
      case 'notin':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(v!)) return false;
        const n = Number(v);
        const bound = Number(r.values[0]);
        if (r.operator === 'gt' ? !(n > bound) : !(n < bound)) return false;
      }
    }
  }
  return true;
}

/** The structured form used in workload specs (`spec.selector`). */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * Converts a LabelSelector object. Per Kubernetes, an empty selector matches everything
 * and a missing (null) one matches nothing; callers decide which they hold.
 */
export function selectorFromSpec(spec: LabelSelectorSpec): LabelSelector {
  const out: LabelSelector = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) {
    out.push({ key, operator: '=', values: [value] });
  }
  for (const e of spec.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' }[e.operator];
    if (!op)
      throw new SelectorParseError(
        `${JSON.stringify(e.operator)} is not a valid label selector operator`,
      );
    out.push({ key: e.key, operator: op as Operator, values: e.values ?? [] });
  }
  return out;
}

/** The string form, as `status.selector` of a scale subresource shows it. */
export function formatLabelSelector(selector: LabelSelector): string {
  return selector
    .map((r) => {
      switch (r.operator) {
        case 'exists':
          return r.key;
        case '!':
          return `!${r.key}`;
        case '=':
          return `${r.key}=${r.values[0]}`;
        case '!=':
          return `${r.key}!=${r.values[0]}`;
        case 'gt':
          return `${r.key}>${r.values[0]}`;
        case 'lt':
          return `${r.key}<${r.values[0]}`;
        default:
          return `${r.key} ${r.operator} (${[...r.values].sort().join(',')})`;
      }
    })
    .join(',');
}
