import {
  matchesLabels,
  selectorFromSpec,
  type LabelSelector,
  type LabelSelectorSpec,
} from '../../../api/selectors/index.ts';

// metav1.LabelSelectorAsSelector: a missing (null) selector selects nothing, an empty one
// selects everything. `null` here stands for "nothing".

export type CompiledSelector = LabelSelector | null;

/** Throws SelectorParseError for an unknown operator. */
export function compileSelector(spec: LabelSelectorSpec | null | undefined): CompiledSelector {
  if (spec == null) return null;
  return selectorFromSpec(spec);
}

export function selects(selector: CompiledSelector, labels: Record<string, string>): boolean {
  return selector !== null && matchesLabels(selector, labels);
}
