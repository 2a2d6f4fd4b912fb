import type { KubeObject } from '../../../api/index.ts';
import type { NodeInfo } from '../../framework/index.ts';
import {
  compileNodeSelectorTerm,
  hasLabel,
  termMatches,
  type CompiledTerm,
} from '../../../api/scheduling/index.ts';
import { nodeLabels, podSpec } from './spec.ts';

// The term compilation and matching live in api/scheduling, shared with the DaemonSet
// controller; this file adds the per-pod view the filters use.

export { compileNodeSelectorTerm, termMatches, type CompiledTerm };

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
