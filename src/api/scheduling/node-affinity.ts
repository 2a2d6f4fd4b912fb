// Node selector terms compiled once and matched against node labels and name, as
// component-helpers' nodeaffinity package reads them: requirements of a term are ANDed,
// terms are ORed, an empty term matches nothing, and a term that does not parse (bad
// operator, wrong number of values, Gt/Lt bound that is not an integer) matches nothing
// either while the other terms still count. matchFields supports only `metadata.name`
// with In or NotIn and exactly one value. Shared by the scheduler and the DaemonSet
// controller, which decide the same question.

export interface NodeSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
  preferredDuringSchedulingIgnoredDuringExecution?: {
    weight: number;
    preference: NodeSelectorTerm;
  }[];
}

export function hasLabel(labels: Record<string, string>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, key);
}

type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

interface LabelRequirement {
  key: string;
  op: Operator;
  values: string[];
  bound: bigint;
}

interface FieldRequirement {
  equal: boolean;
  value: string;
}

export interface CompiledTerm {
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

const INTEGER = /^[+-]?\d+$/;
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']);

function compileLabelRequirement(r: {
  key: string;
  operator: string;
  values?: string[];
}): LabelRequirement | undefined {
  if (!OPERATORS.has(r.operator)) return undefined;
  const op = r.operator as Operator;
  const values = r.values ?? [];
  let bound = 0n;
  if ((op === 'In' || op === 'NotIn') && values.length === 0) return undefined;
  if ((op === 'Exists' || op === 'DoesNotExist') && values.length !== 0) return undefined;
  if (op === 'Gt' || op === 'Lt') {
    if (values.length !== 1 || !INTEGER.test(values[0]!)) return undefined;
    bound = BigInt(values[0]!);
  }
  return { key: r.key, op, values, bound };
}

/** Undefined for a term that is empty or does not parse: such a term matches no node. */
export function compileNodeSelectorTerm(term: NodeSelectorTerm): CompiledTerm | undefined {
  const exprs = term.matchExpressions ?? [];
  const fieldExprs = term.matchFields ?? [];
  if (exprs.length === 0 && fieldExprs.length === 0) return undefined;
  const labels: LabelRequirement[] = [];
  for (const e of exprs) {
    const r = compileLabelRequirement(e);
    if (!r) return undefined;
    labels.push(r);
  }
  const fields: FieldRequirement[] = [];
  for (const f of fieldExprs) {
    const values = f.values ?? [];
    if (f.key !== 'metadata.name' || values.length !== 1) return undefined;
    if (f.operator !== 'In' && f.operator !== 'NotIn') return undefined;
    fields.push({ equal: f.operator === 'In', value: values[0]! });
  }
  return { labels, fields };
}

function matchesLabel(r: LabelRequirement, labels: Record<string, string>): boolean {
  const has = hasLabel(labels, r.key);
  switch (r.op) {
    case 'In':
      return has && r.values.includes(labels[r.key]!);
    case 'NotIn':
      return !has || !r.values.includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default: {
      if (!has) return false;
      const v = labels[r.key]!;
      if (!INTEGER.test(v)) return false;
      const n = BigInt(v);
      return r.op === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

export function termMatches(
  term: CompiledTerm,
  labels: Record<string, string>,
  nodeName: string,
): boolean {
  for (const r of term.labels) if (!matchesLabel(r, labels)) return false;
  for (const f of term.fields) if ((nodeName === f.value) !== f.equal) return false;
  return true;
}
