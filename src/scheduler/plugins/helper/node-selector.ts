import type { KubeObject } from '../../../api/index.ts';
import type { NodeInfo } from '../../framework/index.ts';
import { hasLabel, nodeLabels, podSpec, type NodeSelectorTerm } from './spec.ts';

// Node selector terms compiled once per pod, as component-helpers' nodeaffinity package
// reads them: requirements of a term are ANDed, terms are ORed, an empty term matches
// nothing, and a term that does not parse (bad operator, wrong number of values, Gt/Lt
// bound that is not an integer) matches nothing either while the other terms still count.
// matchFields supports only `metadata.name` with In or NotIn and exactly one value.

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

/**
 * A pod's hard node constraints: `spec.nodeSelector` AND (any of the required node
 * affinity terms). Both parts are optional; without either, every node matches.
 */
export class RequiredNodeAffinity {
  readonly #selector: [string, string][] | undefined;
  readonly #terms: CompiledTerm[] | undefined;

  constructor(pod: KubeObject) {
    const spec = podSpec(pod);
    const sel = Object.entries(spec.nodeSelector ?? {});
    this.#selector = sel.length > 0 ? sel : undefined;
    const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    if (required) {
      this.#terms = [];
      for (const t of required.nodeSelectorTerms ?? []) {
        const compiled = compileNodeSelectorTerm(t);
        if (compiled) this.#terms.push(compiled);
      }
    }
  }

  /** Whether the pod constrains nodes at all. */
  get isEmpty(): boolean {
    return !this.#selector && !this.#terms;
  }

  matches(node: NodeInfo): boolean {
    const labels = nodeLabels(node);
    if (this.#selector) {
      for (const [k, v] of this.#selector)
        if (!hasLabel(labels, k) || labels[k] !== v) return false;
    }
    if (!this.#terms) return true;
    for (const t of this.#terms) if (termMatches(t, labels, node.name)) return true;
    return false;
  }
}
